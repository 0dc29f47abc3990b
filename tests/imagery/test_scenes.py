"""Scene metadata, STAC items and coordinates on the real images of ../shared/data/imagery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pyproj import Transformer
from rasterio.windows import Window

from harborwatch.errors import InputError
from harborwatch.imagery.scenes import (
    lonlat_to_pixel,
    open_scene,
    pixel_to_lonlat,
    read_scene_metadata,
    scene_id_of,
    stac_item,
)

T0 = datetime(2025, 1, 21, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def imagery(data_dir: Path) -> Path:
    return data_dir / "imagery"


@pytest.fixture(scope="module")
def joplin_pre(imagery: Path) -> dict:
    return read_scene_metadata(
        imagery / "xview2-deploy-prepost/pre/tile_337-9136.tif", "joplin", T0
    )


def test_dota_png_is_pixel_space_with_gsd_from_its_label_header(imagery: Path) -> None:
    row = read_scene_metadata(imagery / "dota-devkit-example/images/P0706.png", "harbour", T0)
    assert (row["width_px"], row["height_px"], row["bands"]) == (1111, 1182, 3)
    assert row["crs"] is None and row["transform"] is None and row["footprint_wkt"] is None
    assert row["gsd_m"] == pytest.approx(0.255589285596)  # the gsd: line of labelTxt/P0706.txt
    assert pixel_to_lonlat(row, [1.0], [2.0]) is None


def test_pixel_space_image_without_gsd_names_the_fix(imagery: Path) -> None:
    jpg = imagery / "dota8/images/train/P0861__1024__0___1648.jpg"
    with pytest.raises(InputError, match="--gsd-m"):
        read_scene_metadata(jpg, "marina", T0)
    assert read_scene_metadata(jpg, "marina", T0, gsd_m=0.3)["gsd_m"] == 0.3


def test_gsd_from_projected_and_geographic_transforms(imagery: Path, joplin_pre: dict) -> None:
    # UTM pixels are 0.6 m; the geodesic size differs by the zone's scale factor (< 0.1 %).
    assert joplin_pre["crs"] == "EPSG:26915"
    assert joplin_pre["gsd_m"] == pytest.approx(0.6, rel=1e-3)
    post = read_scene_metadata(
        imagery / "xview2-deploy-prepost/post/tile_31500-5137.tif", "joplin", T0
    )
    assert post["crs"] == "EPSG:4326"
    # 6e-6 degrees: about 111.0 km per degree of latitude, times cos(lat) along the parallel.
    lat = np.radians(37.072)
    expected = np.sqrt(6e-6 * 111_320 * np.cos(lat) * 6e-6 * 111_000)
    assert post["gsd_m"] == pytest.approx(expected, rel=0.01)


def test_scene_id_depends_on_bytes_site_and_time_only(imagery: Path) -> None:
    png = imagery / "dota-devkit-example/images/P1888.png"
    first = read_scene_metadata(png, "yard", T0)
    naive = read_scene_metadata(png, "yard", T0.replace(tzinfo=None))
    other_zone = read_scene_metadata(png, "yard", T0.astimezone(timezone(timedelta(hours=2))))
    assert first["scene_id"] == naive["scene_id"] == other_zone["scene_id"]
    assert read_scene_metadata(png, "yard", T0 + timedelta(days=1))["scene_id"] != first["scene_id"]
    assert read_scene_metadata(png, "other", T0)["scene_id"] != first["scene_id"]
    assert first["scene_id"] == scene_id_of(first["sha256"], "yard", T0)


def test_corner_pixel_maps_to_the_projected_corner(joplin_pre: dict) -> None:
    # tile_337-9136: upper-left corner at (366642.6, 4104511.2) in UTM 15N (from gdalinfo).
    lon, lat = Transformer.from_crs(26915, 4326, always_xy=True).transform(366642.6, 4104511.2)
    got = pixel_to_lonlat(joplin_pre, [0.0], [0.0])
    assert got is not None
    assert got[0][0] == pytest.approx(lon, abs=1e-9) and got[1][0] == pytest.approx(lat, abs=1e-9)
    footprint = shapely.from_wkt(joplin_pre["footprint_wkt"])
    centre = pixel_to_lonlat(joplin_pre, [512.0], [512.0])
    assert centre is not None and footprint.contains(shapely.Point(centre[0][0], centre[1][0]))


@settings(max_examples=50, deadline=None)
@given(st.floats(-500, 1500), st.floats(-500, 1500))
def test_pixel_lonlat_round_trip(joplin_pre: dict, x: float, y: float) -> None:
    lonlat = pixel_to_lonlat(joplin_pre, [x], [y])
    assert lonlat is not None
    back = lonlat_to_pixel(joplin_pre, *lonlat)
    assert back is not None
    assert back[0][0] == pytest.approx(x, abs=1e-6) and back[1][0] == pytest.approx(y, abs=1e-6)


def test_stac_item_of_a_georeferenced_and_a_pixel_scene(imagery: Path, joplin_pre: dict) -> None:
    item = stac_item(joplin_pre)
    assert item["type"] == "Feature" and item["stac_version"] == "1.0.0"
    assert item["id"] == joplin_pre["scene_id"]
    assert item["properties"]["datetime"] == "2025-01-21T09:30:00Z"
    assert item["properties"]["proj:epsg"] == 26915
    assert item["geometry"]["type"] == "Polygon"
    west, south, east, north = item["bbox"]
    assert west < -94.497 < east and south < 37.075 < north
    assert item["assets"]["image"]["href"] == joplin_pre["path"]
    pixel = stac_item(
        read_scene_metadata(imagery / "dota-devkit-example/images/P0706.png", "harbour", T0)
    )
    assert pixel["geometry"] is None and "bbox" not in pixel
    assert pixel["properties"]["proj:epsg"] is None


def test_read_window_matches_the_decoded_image(imagery: Path) -> None:
    png = imagery / "dota-devkit-example/images/P0706.png"
    row = read_scene_metadata(png, "harbour", T0)
    expected = np.asarray(Image.open(png).convert("RGB"))[100:150, 200:260].transpose(2, 0, 1)
    with open_scene(row) as reader:
        assert (reader.width, reader.height, reader.gsd_m) == (1111, 1182, row["gsd_m"])
        pixels = reader.read_window(Window(200, 100, 60, 50))
        assert reader.pixel_to_lonlat([0], [0]) is None
    assert pixels.shape == (3, 50, 60)
    np.testing.assert_array_equal(pixels, expected)


def test_missing_image_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_scene_metadata(tmp_path / "nope.tif", "s", T0)
    bogus = tmp_path / "bogus.tif"
    bogus.write_text("not an image")
    with pytest.raises(InputError, match="cannot read image"):
        read_scene_metadata(bogus, "s", T0)
