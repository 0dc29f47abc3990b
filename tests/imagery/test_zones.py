"""Zones files, and zones placed in scenes of different CRSs (the Joplin pre/post pairs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import rasterio
import shapely
from pyproj import Transformer

from harborwatch.errors import InputError
from harborwatch.imagery.scenes import pixel_to_lonlat, read_scene_metadata
from harborwatch.imagery.zones import load_zones, zones_frame, zones_in_scene

REPO = Path(__file__).resolve().parents[2]
# A 90 m x 110 m square that both the pre tile (UTM 15N) and the post tile (WGS 84) cover.
ZONE_LONLAT = [(-94.4970, 37.0730), (-94.4960, 37.0730), (-94.4960, 37.0740), (-94.4970, 37.0740)]


@pytest.fixture(scope="module")
def joplin(data_dir: Path) -> dict[str, dict]:
    folder = data_dir / "imagery" / "xview2-deploy-prepost"
    return {
        "pre": read_scene_metadata(
            folder / "pre/tile_337-9136.tif", "joplin", datetime(2011, 5, 1, tzinfo=UTC)
        ),
        "post": read_scene_metadata(
            folder / "post/tile_31500-5137.tif", "joplin", datetime(2011, 5, 24, tzinfo=UTC)
        ),
    }


def _write_toml(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


def test_one_lonlat_zone_lands_on_the_same_ground_in_both_crss(joplin: dict) -> None:
    ring = [[lon, lat] for lon, lat in ZONE_LONLAT]
    zones = zones_frame(
        [{"zone_id": "lot", "site_id": "joplin", "name": "lot",
          "geometry_wkt": shapely.Polygon(ring).wkt}]
    )  # fmt: skip
    for scene in joplin.values():
        [(zone_id, polygon)] = zones_in_scene(zones, scene)
        assert zone_id == "lot"
        # rasterio's own inverse transform of the file, from pyproj's projection of the corners
        with rasterio.open(scene["path"]) as dataset:
            to_crs = Transformer.from_crs(4326, dataset.crs, always_xy=True)
            xs, ys = to_crs.transform(*np.array(ZONE_LONLAT).T)
            rows, cols = rasterio.transform.rowcol(dataset.transform, xs, ys, op=float)
        corners = shapely.MultiPoint(np.column_stack([cols, rows]))
        # every expected corner is (within a pixel) a vertex of the placed polygon
        assert polygon.hausdorff_distance(shapely.Polygon(corners.geoms)) < 1.0
        # and back on the ground: the polygon's pixel centre maps to the zone's centre
        centre = polygon.centroid
        lonlat = pixel_to_lonlat(scene, [centre.x], [centre.y])
        assert lonlat is not None
        back = shapely.Point(lonlat[0][0], lonlat[1][0])
        gsd_deg = scene["gsd_m"] / 111_000
        assert back.distance(shapely.Polygon(ring).centroid) < 2 * gsd_deg
        # 90 m x 110 m of ground is about that many pixels at the scene's GSD
        assert polygon.area * scene["gsd_m"] ** 2 == pytest.approx(89.0 * 111.0, rel=0.03)


def test_pixel_zones_apply_only_to_their_own_scene(joplin: dict) -> None:
    pre = joplin["pre"]
    zones = zones_frame(
        [{"zone_id": "box", "site_id": "joplin", "name": "box", "scene_id": pre["scene_id"],
          "pixel_wkt": shapely.box(0, 0, 100, 100).wkt}]
    )  # fmt: skip
    assert [z for z, _ in zones_in_scene(zones, pre)] == ["box"]
    [(zone_id, whole)] = zones_in_scene(zones, joplin["post"])
    assert zone_id == "all" and whole.bounds == (0, 0, 1024, 1024)


def test_no_zone_means_the_whole_image(joplin: dict) -> None:
    empty = zones_frame([])
    [(zone_id, polygon)] = zones_in_scene(empty, joplin["post"])
    assert zone_id == "all" and polygon.area == 1024 * 1024
    other_site = load_zones(REPO / "examples/zones/tartus-naval.toml")
    assert zones_in_scene(other_site, joplin["pre"])[0][0] == "all"


def test_example_zones_file_is_valid_lonlat_near_the_brief_point() -> None:
    zones = load_zones(REPO / "examples/zones/tartus-naval.toml")
    assert set(zones["zone_id"]) == {"piers", "quay-yard"}
    assert (zones["site_id"] == "tartus-naval").all()
    piers = shapely.from_wkt(zones.filter(pl.col("zone_id") == "piers")["geometry_wkt"][0])
    assert piers.contains(shapely.Point(35.874, 34.915))  # DESIGN.md: 34.915 N 35.874 E


def test_geojson_zones_in_lonlat_and_pixels(tmp_path: Path) -> None:
    features = [
        {"type": "Feature", "properties": {"id": "a", "site": "s", "name": "A"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
        {"type": "Feature", "properties": {"zone_id": "b", "site_id": "s", "scene_id": "abc"},
         "geometry": {"type": "Polygon",
                      "coordinates": [[[0, 0], [500, 0], [500, 400], [0, 0]]]}},
    ]  # fmt: skip
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    zones = load_zones(path)
    a, b = zones.row(0, named=True), zones.row(1, named=True)
    assert a["geometry_wkt"] and a["pixel_wkt"] is None and a["scene_id"] is None
    assert b["pixel_wkt"] and b["geometry_wkt"] is None and b["scene_id"] == "abc"
    assert b["name"] == "b"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[zone]]\nsite = "s"\npolygon = [[0,0],[1,0],[1,1]]\n', "id and a site"),
        ('[[zone]]\nid = "all"\nsite = "s"\npolygon = [[0,0],[1,0],[1,1]]\n', "reserved"),
        ('[[zone]]\nid = "z"\nsite = "s"\npolygon = [[0,0],[1,0]]\n', "valid polygon"),
        ('[[zone]]\nid = "z"\nsite = "s"\npolygon = [[0,0],[500,0],[500,500]]\n', "not lon/lat"),
        (
            '[[zone]]\nid = "z"\nsite = "s"\npolygon = [[0,0],[1,0],[1,1]]\n' * 2,
            "defined twice",
        ),
        ("zone = 3\n", "cannot read"),
    ],
)
def test_bad_zones_files_name_the_problem(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_zones(_write_toml(tmp_path / "zones.toml", body))
