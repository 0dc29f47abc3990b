"""The imagery commands through click's runner, on a small group of just these commands."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from harborwatch.cli.imagery import (
    annotations_group,
    imagery_group,
    scene_group,
    scenes_command,
)
from harborwatch.errors import InputError
from harborwatch.imagery.scenes import pixel_to_lonlat, read_scene_metadata


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.obj = {"quiet": True}


for _command in (scene_group, scenes_command, annotations_group, imagery_group):
    cli.add_command(_command)


def run(*args: str | Path) -> click.testing.Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit | InputError):
        raise result.exception
    return result


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture(scope="module")
def dota(data_dir: Path) -> Path:
    return data_dir / "imagery" / "dota-devkit-example"


def _add(store: Path, image: Path, site: str, date: str, *extra: str) -> str:
    result = run("scene", "add", image, "--site", site, "--date", date, "--store", store,
                 "--json", *extra)  # fmt: skip
    assert result.exit_code == 0, result.output
    return str(json.loads(result.output)["scene_id"])


def test_scene_add_is_idempotent_and_writes_stac(store: Path, dota: Path, tmp_path: Path) -> None:
    stac = tmp_path / "item.json"
    image = dota / "images/P1888.png"
    scene_id = _add(store, image, "yard", "2025-01-21T09:30", "--stac", str(stac))
    again = run("scene", "add", image, "--site", "yard", "--date", "2025-01-21T09:30",
                "--store", store, "--json")  # fmt: skip
    assert json.loads(again.output)["status"] == "already registered"
    listed = json.loads(run("scenes", "--format", "json", "--store", store).output)
    assert [s["scene_id"] for s in listed] == [scene_id]
    assert listed[0]["gsd_m"] == pytest.approx(0.266170468393)  # labelTxt/P1888.txt header
    item = json.loads(stac.read_text())
    assert item["id"] == scene_id and item["properties"]["datetime"] == "2025-01-21T09:30:00Z"
    assert "P1888" in run("scenes", "--store", store).output


def test_annotations_and_counts_over_two_dates(store: Path, dota: Path, tmp_path: Path) -> None:
    image = dota / "images/P1888.png"
    before = _add(store, image, "yard", "2025-01-21")
    after = _add(store, image, "yard", "2025-02-04")
    imported = run("annotations", "import", dota / "labelTxt/P1888.txt", "--scene", before[:8],
                   "--store", store, "--json")  # fmt: skip
    assert json.loads(imported.output)["by_class"] == {"large-vehicle": 50, "small-vehicle": 14}
    # the later date: only the first ten large vehicles are left
    lines = (dota / "labelTxt/P1888.txt").read_text().splitlines()
    kept = [line for line in lines if "large-vehicle" in line][:10]
    later = tmp_path / "after.txt"
    later.write_text("\n".join(["imagesource:GoogleEarth", "gsd:0.266", *kept]) + "\n")
    for _ in range(2):  # importing twice replaces, never adds
        run("annotations", "import", later, "--scene", after, "--store", store)
    plot = tmp_path / "counts.png"
    result = run("imagery", "count", "--site", "yard", "--format", "json", "--plot", plot,
                 "--store", store)  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = {(r["date"], r["class"]): r["count"] for r in json.loads(result.output)}
    assert counts == {
        ("2025-01-21", "large-vehicle"): 50, ("2025-01-21", "small-vehicle"): 14,
        ("2025-02-04", "large-vehicle"): 10, ("2025-02-04", "small-vehicle"): 0,
    }  # fmt: skip
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = run("imagery", "count", "--site", "yard", "--format", "csv", "--store", store)
    rows = list(csv.DictReader(io.StringIO(table.output)))
    assert {"scene_id", "date", "zone_id", "class", "count"} <= set(rows[0])
    assert len(rows) == 4


def test_lonlat_zone_counts_across_two_crss(store: Path, data_dir: Path, tmp_path: Path) -> None:
    folder = data_dir / "imagery" / "xview2-deploy-prepost"
    images = {"2011-05-01": folder / "pre/tile_337-9136.tif",
              "2011-05-24": folder / "post/tile_31500-5137.tif"}  # fmt: skip
    # one car at the same ground spot in both, drawn in lon/lat; one car outside the zone
    car = np.array([[-94.49652, 37.07352], [-94.49648, 37.07352], [-94.49648, 37.07354],
                    [-94.49652, 37.07354]])  # fmt: skip
    for date, image in images.items():
        scene_id = _add(store, image, "joplin", date)
        scene = read_scene_metadata(image, "joplin", datetime(2011, 1, 1, tzinfo=UTC))
        far = pixel_to_lonlat(scene, [5.0, 9.0, 9.0, 5.0], [5.0, 5.0, 9.0, 9.0])
        assert far is not None
        features = [
            {"type": "Feature", "properties": {"class": "car"},
             "geometry": {"type": "Polygon", "coordinates": [[*ring.tolist(), ring[0].tolist()]]}}
            for ring in (car, np.column_stack(far))
        ]  # fmt: skip
        path = tmp_path / f"{date}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        assert (
            run("annotations", "import", path, "--scene", scene_id, "--store", store).exit_code == 0
        )
    zones = tmp_path / "zones.toml"
    zones.write_text('[[zone]]\nid = "lot"\nsite = "joplin"\n'
                     "polygon = [[-94.4970, 37.0730], [-94.4960, 37.0730], [-94.4960, 37.0740],"
                     " [-94.4970, 37.0740]]\n")  # fmt: skip
    result = run("imagery", "count", "--site", "joplin", "--zones", zones, "--format", "json",
                 "--store", store)  # fmt: skip
    assert result.exit_code == 0, result.output
    got = sorted(
        (r["date"], r["zone_id"], r["class"], r["count"]) for r in json.loads(result.output)
    )
    assert got == [
        ("2011-05-01", "lot", "small-vehicle", 1),
        ("2011-05-24", "lot", "small-vehicle", 1),
    ]
    # the zones were stored: a later count without --zones uses them
    again = run("imagery", "count", "--site", "joplin", "--format", "json", "--store", store)
    assert {r["zone_id"] for r in json.loads(again.output)} == {"lot"}


def test_errors_name_the_fix(store: Path, dota: Path, data_dir: Path) -> None:
    jpg = data_dir / "imagery/dota8/images/train/P0861__1024__0___1648.jpg"
    result = run("scene", "add", jpg, "--site", "m", "--date", "2025-01-01", "--store", store)
    assert isinstance(result.exception, InputError) and "--gsd-m" in str(result.exception)
    _add(store, dota / "images/P1888.png", "yard", "2025-01-21")
    result = run("annotations", "import", dota / "labelTxt/P1888.txt", "--scene", "ffff",
                 "--store", store)  # fmt: skip
    assert isinstance(result.exception, InputError) and "harborwatch scenes" in str(
        result.exception
    )
    result = run("imagery", "count", "--site", "nowhere", "--store", store)
    assert isinstance(result.exception, InputError)


@pytest.mark.skipif(
    importlib.util.find_spec("harborwatch.imagery.detectors") is None,
    reason="the detectors module is not in this checkout",
)
def test_detect_command_is_offered_with_the_detectors() -> None:
    from harborwatch.imagery.detectors import DETECTOR_NAMES

    detect = imagery_group.commands["detect"]
    choices = next(p for p in detect.params if p.name == "detector").type
    assert list(choices.choices) == list(DETECTOR_NAMES)  # type: ignore[attr-defined]


def test_detect_every_scene_of_a_site(store: Path, dota: Path) -> None:
    """`imagery detect --site` runs the detector on each of the site's scenes; --scene and
    --site together, or neither, is a usage error."""
    ids = {_add(store, dota / "images" / "P1888.png", "yard", day)
           for day in ("2025-01-21", "2025-02-10")}  # fmt: skip
    result = run("imagery", "detect", "--site", "yard", "--detector", "vehicles", "--json",
                 "--store", store)  # fmt: skip
    assert result.exit_code == 0, result.output
    summaries = json.loads(result.output)
    assert {s["scene_id"] for s in summaries} == ids
    assert all(s["stored"] > 40 and s["source"] == "vehicles" for s in summaries)
    for bad in (["--site", "yard", "--scene", next(iter(ids))], []):
        refused = run("imagery", "detect", *bad, "--detector", "vehicles", "--store", store)
        assert refused.exit_code == 2 and "either --scene" in refused.output


def test_simulated_removal_is_reported_removed(store: Path, dota: Path, tmp_path: Path) -> None:
    """imagery simulate paints out a seeded share of the hand labels; imagery change then reports
    exactly those objects removed, and every output says SIMULATED."""
    scene_id = _add(store, dota / "images" / "P1888.png", "yard", "2025-01-21")
    assert run("annotations", "import", dota / "labelTxt" / "P1888.txt", "--scene", scene_id,
               "--store", store).exit_code == 0  # fmt: skip
    made = run("imagery", "simulate", "--scene", scene_id, "--date", "2025-02-10", "--out",
               tmp_path / "sim", "--seed", "3", "--store", store, "--json")  # fmt: skip
    assert made.exit_code == 0, made.output
    summary = json.loads(made.output)
    assert summary["SIMULATED"] is True and "SIMULATED" in Path(summary["image"]).name
    assert summary["removed"] == round(0.3 * 64) and summary["kept"] == 64 - summary["removed"]
    change = run("imagery", "change", "--site", "yard", "--before", "2025-01-21", "--after",
                 "2025-02-10", "--format", "json", "--store", store)  # fmt: skip
    assert change.exit_code == 0, change.output
    report = json.loads(change.output)
    assert report["simulated"] is True
    assert report["removed"]["count"] == summary["removed"] and report["added"]["count"] == 0
