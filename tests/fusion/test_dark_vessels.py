"""Dark-vessel candidates: interpolation to the scene time and one-to-one matching."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import shapely
from builders import T0, positions
from click.testing import CliRunner

from harborwatch.cli.dark import dark_command
from harborwatch.errors import InputError
from harborwatch.events.base import empty_frame
from harborwatch.fusion.dark_vessels import interpolate_positions, match_dark_vessels
from harborwatch.geo.distance import destination, haversine_m
from harborwatch.imagery.scenes import read_scene_metadata
from harborwatch.schemas import DETECTIONS
from harborwatch.store import Store
from harborwatch.store.imagery import register_scene, replace_detections

SCENE_AT = T0 + timedelta(hours=1)
WEST, EAST, SOUTH, NORTH = -122.5, -122.4, 37.8, 37.9


def _scene() -> dict[str, Any]:
    """A 100 x 100 px scene in EPSG:4326, 0.001 degree pixels, north-west corner at (WEST,
    NORTH)."""
    return {
        "scene_id": "s1",
        "acquired_ts": SCENE_AT,
        "crs": "EPSG:4326",
        "transform": [0.001, 0.0, WEST, 0.0, -0.001, NORTH],
        "footprint_wkt": shapely.box(WEST, SOUTH, EAST, NORTH).wkt,
    }


def _detections(rows: list[tuple[str, str, float, float]], scene_id: str = "s1") -> pl.DataFrame:
    """DETECTIONS rows from (detection_id, class, lon, lat)."""
    given = pl.DataFrame(
        {
            "detection_id": [r[0] for r in rows],
            "scene_id": [scene_id] * len(rows),
            "class": [r[1] for r in rows],
            "score": [1.0] * len(rows),
            "x_px": [0.0] * len(rows),
            "y_px": [0.0] * len(rows),
            "lon": [r[2] for r in rows],
            "lat": [r[3] for r in rows],
            "source": ["test"] * len(rows),
        }
    )
    empty = empty_frame(DETECTIONS)
    return pl.concat([empty, given], how="diagonal_relaxed").cast(empty.schema)


def _ais(rows: list[tuple[str, float, float]]) -> pl.DataFrame:
    """Interpolated AIS rows from (vessel_id, lon, lat)."""
    return pl.DataFrame(
        {
            "vessel_id": [r[0] for r in rows],
            "mmsi": [int(r[0]) for r in rows],
            "lon": [r[1] for r in rows],
            "lat": [r[2] for r in rows],
            "method": ["interpolated"] * len(rows),
            "dt_s": [0.0] * len(rows),
        },
        schema_overrides={"mmsi": pl.UInt32},
    )


def test_interpolation_halfway_gives_the_midpoint() -> None:
    track = positions([("111", 0.5, -122.50, 37.80, 10.0), ("111", 1.5, -122.40, 37.90, 10.0)])
    placed = interpolate_positions(track, SCENE_AT)
    assert placed.select("vessel_id", "method", "dt_s").row(0) == ("111", "interpolated", 1800.0)
    assert placed["lon"][0] == pytest.approx(-122.45)
    assert placed["lat"][0] == pytest.approx(37.85)


def test_interpolation_crosses_the_antimeridian_the_short_way() -> None:
    track = positions([("111", 0.5, 179.99, 0.0, 10.0), ("111", 1.5, -179.99, 0.0, 10.0)])
    lon = interpolate_positions(track, SCENE_AT)["lon"][0]
    assert abs(abs(lon) - 180.0) < 1e-9


def test_a_report_three_hours_away_is_not_used() -> None:
    track = positions(
        [
            ("111", -2.0, -122.50, 37.80, 10.0),  # 3 h before the scene
            ("111", 1.05, -122.40, 37.90, 10.0),  # 3 min after
            ("222", 4.0, -122.45, 37.85, 10.0),  # 3 h after, nothing else
            ("333", 0.9, -122.42, 37.82, 10.0),  # 6 min before, nothing after
        ]
    )
    placed = interpolate_positions(track, SCENE_AT)
    assert placed["vessel_id"].to_list() == ["111", "333"]
    assert placed.select("mmsi", "lon", "lat", "method").row(0) == (111, -122.40, 37.90, "nearest")
    assert placed["dt_s"].to_list() == pytest.approx([180.0, 360.0])


def test_vessel_keys_stand_in_for_missing_mmsis() -> None:
    track = positions([("ABC", 0.75, -122.5, 37.8, 10.0), ("ABC", 1.25, -122.5, 37.9, 10.0)])
    placed = interpolate_positions(track, SCENE_AT)
    assert placed.select("vessel_id", "mmsi").row(0) == ("ABC", None)


def test_matched_candidate_and_unseen() -> None:
    lon_near, lat_near = destination(-122.45, 37.85, 90.0, 50.0)
    detections = _detections(
        [
            ("d-matched", "ship", -122.45, 37.85),
            ("d-dark", "ship", -122.41, 37.89),
            ("d-car", "small-vehicle", -122.48, 37.81),
        ]
    )
    ais = _ais(
        [
            ("111", float(lon_near), float(lat_near)),  # 50 m from d-matched
            ("222", -122.45, 37.82),  # inside, nothing detected there
            ("333", -122.30, 37.85),  # outside the footprint
        ]
    )
    candidates, unseen = match_dark_vessels(detections, ais, _scene())
    assert candidates["detection_id"].to_list() == ["d-dark"]
    far_m = haversine_m(-122.41, 37.89, lon_near, lat_near)
    assert far_m > 5000
    assert candidates["nearest_vessel_id"][0] == "111"
    assert candidates["nearest_ais_m"][0] == pytest.approx(float(far_m))
    assert candidates["near_shore"][0] is None  # no shore lookup given
    assert unseen["vessel_id"].to_list() == ["222"]
    assert unseen["lon"][0] == -122.45


def test_matching_is_one_to_one_and_prefers_the_closer_pairing() -> None:
    # Two ships 150 m apart, one transmitter 60 m from the western one: the eastern is dark.
    lon_w, lat_w = -122.45, 37.85
    lon_e, lat_e = destination(lon_w, lat_w, 90.0, 150.0)
    lon_a, lat_a = destination(lon_w, lat_w, 90.0, 60.0)
    detections = _detections(
        [("d-e", "ship", float(lon_e), float(lat_e)), ("d-w", "ship", lon_w, lat_w)]
    )
    candidates, unseen = match_dark_vessels(
        detections, _ais([("111", float(lon_a), float(lat_a))]), _scene()
    )
    assert candidates["detection_id"].to_list() == ["d-e"]
    assert candidates["nearest_ais_m"][0] == pytest.approx(90.0, abs=0.5)
    assert unseen.is_empty()


def test_missing_lonlat_comes_from_the_pixel_centre() -> None:
    detections = _detections([("d1", "ship", 0.0, 0.0)]).with_columns(
        pl.lit(None, pl.Float64).alias("lon"),
        pl.lit(None, pl.Float64).alias("lat"),
        pl.lit(50.0).alias("x_px"),
        pl.lit(50.0).alias("y_px"),
    )
    candidates, unseen = match_dark_vessels(detections, _ais([("111", -122.45, 37.85)]), _scene())
    assert candidates.is_empty()
    assert unseen.is_empty()


def test_pixel_space_scenes_are_refused() -> None:
    scene = _scene() | {"crs": None, "transform": None, "footprint_wkt": None}
    with pytest.raises(InputError, match="georeferenced scenes only"):
        match_dark_vessels(_detections([]), _ais([]), scene)


def test_near_shore_from_the_shore_lookup() -> None:
    class FakeShore:
        def distance_m(self, lon: Any, lat: Any) -> Any:
            return (lon + 122.45) * 1e5  # metres east of -122.45

    detections = _detections(
        [("d-coast", "ship", -122.44, 37.85), ("d-open", "ship", -122.41, 37.85)]
    )
    candidates, _ = match_dark_vessels(detections, _ais([]), _scene(), FakeShore())  # type: ignore[arg-type]
    assert candidates["near_shore"].to_list() == [True, False]
    assert candidates["nearest_ais_m"].to_list() == [None, None]


def _stored_scene(data_dir: Path, store: Store) -> dict[str, Any]:
    image = next((data_dir / "imagery" / "planet-rapideye-sfbay-ships").glob("*.tif"))
    scene = read_scene_metadata(image, "sfbay", datetime(2017, 3, 8, 19, tzinfo=UTC))
    register_scene(store, scene)
    return scene


def test_cli_lists_candidates_and_unseen(data_dir: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    scene = _stored_scene(data_dir, store)
    centre = shapely.from_wkt(scene["footprint_wkt"]).centroid
    lon_m, lat_m = destination(centre.x, centre.y, 0.0, 40.0)
    lon_d, lat_d = destination(centre.x, centre.y, 90.0, 1000.0)
    lon_u, lat_u = destination(centre.x, centre.y, 180.0, 500.0)
    rows = [("d-matched", "ship", centre.x, centre.y), ("d-dark", "ship", lon_d, lat_d)]
    replace_detections(store, scene["scene_id"], _detections(rows, scene["scene_id"]), ["test"])
    at = scene["acquired_ts"]
    csv = tmp_path / "ais.csv"
    lines = ["ship,when,x,y"]
    for mmsi, lon, lat in [(111111111, lon_m, lat_m), (222222222, lon_u, lat_u)]:
        for minutes in (-5, 5):
            ts = (at + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
            lines.append(f"{mmsi},{ts},{float(lon):.7f},{float(lat):.7f}")
    csv.write_text("\n".join(lines) + "\n")
    store.ingest(csv, fmt="csv", columns={"mmsi": "ship", "ts": "when", "lon": "x", "lat": "y"})
    args = ["--scene", scene["scene_id"][:8], "--store", str(store.root), "--format", "json"]
    result = CliRunner().invoke(dark_command, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [c["detection_id"] for c in report["candidates"]] == ["d-dark"]
    assert [u["vessel_id"] for u in report["unseen"]] == ["222222222"]
    assert report["candidates"][0]["near_shore"] in (True, False)
    table = CliRunner().invoke(dark_command, args[:-2])
    assert table.exit_code == 0, table.output
    assert "d-dark" in table.output and "222222222" in table.output


def test_cli_without_ais_lists_every_ship(data_dir: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    scene = _stored_scene(data_dir, store)
    centre = shapely.from_wkt(scene["footprint_wkt"]).centroid
    rows = [("d1", "ship", centre.x, centre.y), ("d2", "ship", centre.x + 0.01, centre.y)]
    replace_detections(store, scene["scene_id"], _detections(rows, scene["scene_id"]), ["test"])
    args = ["--scene", scene["scene_id"], "--store", str(store.root), "--format", "json"]
    result = CliRunner().invoke(dark_command, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [c["detection_id"] for c in report["candidates"]] == ["d1", "d2"]
    assert report["unseen"] == []
