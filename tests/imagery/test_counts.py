"""Counts per scene, zone and class on the real P1888 vehicle yard labels."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely

from harborwatch import schemas
from harborwatch.errors import InputError
from harborwatch.imagery.annotations import detections_from_polygons, import_annotations
from harborwatch.imagery.counts import count_by_zone, select_source
from harborwatch.imagery.scenes import read_scene_metadata, scenes_frame
from harborwatch.imagery.zones import zones_frame

T1, T2 = datetime(2025, 1, 21, tzinfo=UTC), datetime(2025, 2, 4, tzinfo=UTC)


@pytest.fixture(scope="module")
def yard(data_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Two dates of the yard: all 64 vehicles, then only the large ones (the cars left)."""
    folder = data_dir / "imagery" / "dota-devkit-example"
    label = folder / "labelTxt/P1888.txt"
    first = read_scene_metadata(folder / "images/P1888.png", "yard", T1)
    second = read_scene_metadata(folder / "images/P1888.png", "yard", T2)
    before = import_annotations(label, first)
    after = import_annotations(label, second).filter(pl.col("class") == "large-vehicle")
    rows = [line.split() for line in label.read_text().splitlines() if len(line.split()) >= 9]
    centres_x = np.array([[float(v) for v in r[0:8:2]] for r in rows]).mean(axis=1)
    scenes = scenes_frame([first, second])
    return pl.concat([before, after]), scenes, centres_x


def test_whole_image_counts_with_zero_rows(yard: tuple) -> None:
    detections, scenes, _ = yard
    counts = count_by_zone(detections, scenes, zones_frame([]))
    assert counts.columns == schemas.ZONE_COUNTS.names
    table = {(r["acquired_ts"], r["class"]): r["count"] for r in counts.to_dicts()}
    assert table == {
        (T1, "large-vehicle"): 50, (T1, "small-vehicle"): 14,
        (T2, "large-vehicle"): 50, (T2, "small-vehicle"): 0,
    }  # fmt: skip
    assert set(counts["zone_id"]) == {"all"}


def test_pixel_zone_counts_centres_inside(yard: tuple) -> None:
    detections, scenes, centres_x = yard
    first = scenes.row(0, named=True)
    half = first["width_px"] / 2
    zones = zones_frame(
        [{"zone_id": "west", "site_id": "yard", "name": "west half", "scene_id": first["scene_id"],
          "pixel_wkt": shapely.box(0, 0, half, first["height_px"]).wkt}]
    )  # fmt: skip
    counts = count_by_zone(detections, scenes, zones)
    west = counts.filter(pl.col("zone_id") == "west")
    assert west["scene_id"].unique().to_list() == [first["scene_id"]]
    assert west["count"].sum() == int((centres_x < half).sum())  # from the raw label corners
    # the second scene has no zone of its own: counted whole
    second = counts.filter(pl.col("scene_id") == scenes["scene_id"][1])
    assert second["zone_id"].unique().to_list() == ["all"]


def test_zone_off_the_image_gets_no_row(data_dir: Path) -> None:
    tile = data_dir / "imagery/xview2-deploy-prepost/pre/tile_337-9136.tif"
    scene = read_scene_metadata(tile, "joplin", T1)
    scenes = scenes_frame([scene])
    zones = zones_frame(
        [{"zone_id": "here", "site_id": "joplin", "name": "here",
          "geometry_wkt": shapely.box(-94.499, 37.073, -94.496, 37.076).wkt},
         {"zone_id": "tartus", "site_id": "joplin", "name": "far away",
          "geometry_wkt": shapely.box(35.87, 34.91, 35.88, 34.92).wkt}]
    )  # fmt: skip
    detections = pl.DataFrame(
        {"scene_id": [scene["scene_id"]] * 2, "class": ["small-vehicle"] * 2,
         "x_px": [500.0, 5.0], "y_px": [500.0, 5.0]}
    )  # fmt: skip
    counts = count_by_zone(detections, scenes, zones)
    assert counts.select("zone_id", "count").rows() == [("here", 1)]


def test_no_detections_give_an_empty_table(yard: tuple) -> None:
    _, scenes, _ = yard
    empty = detections_from_polygons(scenes.row(0, named=True), [], [], "none")
    counts = count_by_zone(empty, scenes, zones_frame([]))
    assert counts.height == 0 and counts.columns == schemas.ZONE_COUNTS.names


def test_one_source_kind_is_counted_at_a_time(yard: tuple) -> None:
    detections, _, _ = yard
    machine = detections.head(5).with_columns(
        pl.lit("vehicles v1").alias("source"), pl.col("detection_id") + "m"
    )
    both = pl.concat([detections, machine])
    with pytest.raises(InputError, match=r"--source annotations\|vehicles"):
        select_source(both, None, ["vehicles", "sar_ships"])
    assert select_source(both, "vehicles", ["vehicles"]).height == 5
    assert select_source(both, "annotations", ["vehicles"]).height == detections.height
    assert select_source(detections, None, ["vehicles"]).height == detections.height
