"""Annotation import on the real DOTA and dota8 labels, and the other formats built from them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely
from pyproj import Transformer

from harborwatch.errors import InputError
from harborwatch.imagery.annotations import (
    DOTA_CLASSES,
    import_annotations,
    normalise_classes,
)
from harborwatch.imagery.scenes import pixel_to_lonlat, read_scene_metadata

T0 = datetime(2025, 1, 21, tzinfo=UTC)


@pytest.fixture(scope="module")
def dota(data_dir: Path) -> Path:
    return data_dir / "imagery" / "dota-devkit-example"


@pytest.fixture(scope="module")
def harbour(dota: Path) -> dict:
    return read_scene_metadata(dota / "images/P0706.png", "harbour", T0)


@pytest.fixture(scope="module")
def yard(dota: Path) -> dict:
    return read_scene_metadata(dota / "images/P1888.png", "yard", T0)


def _dota_rows(label: Path) -> tuple[np.ndarray, list[str]]:
    """Corners and classes straight from a labelTxt file, for building other formats."""
    rows = [line.split() for line in label.read_text().splitlines() if len(line.split()) >= 9]
    return np.array([[float(v) for v in r[:8]] for r in rows]).reshape(-1, 4, 2), [
        r[8] for r in rows
    ]


def test_dota_harbour_has_531_ships(dota: Path, harbour: dict) -> None:
    found = import_annotations(dota / "labelTxt/P0706.txt", harbour)
    counts = dict(found.group_by("class").len().iter_rows())
    assert counts == {"ship": 531, "harbor": 5}
    assert found["detection_id"].n_unique() == found.height
    assert (found["score"] == 1.0).all() and (found["source"] == "P0706.txt").all()
    assert found["lon"].is_null().all()  # pixel-space scene
    # first label: 1054 1028 1063 1011 1111 1040 1112 1062 ship
    first = found.row(0, named=True)
    assert first["x_px"] == pytest.approx(np.mean([1054, 1063, 1111, 1112]), abs=1.0)
    assert first["y_px"] == pytest.approx(np.mean([1028, 1011, 1040, 1062]), abs=1.0)
    again = import_annotations(dota / "labelTxt/P0706.txt", harbour)
    assert again["detection_id"].to_list() == found["detection_id"].to_list()


def test_dota_yard_vehicle_sizes_match_their_classes(dota: Path, yard: dict) -> None:
    found = import_annotations(dota / "labelTxt/P1888.txt", yard)
    counts = dict(found.group_by("class").len().iter_rows())
    assert counts == {"large-vehicle": 50, "small-vehicle": 14}
    median = dict(found.group_by("class").agg(pl.col("length_m").median()).iter_rows())
    assert 3.5 < median["small-vehicle"] < 6.5  # cars: about 4-6 m
    assert 8 < median["large-vehicle"] < 16  # buses and trucks: about 8-15 m
    assert (found["width_m"] <= found["length_m"]).all()
    assert found["angle_deg"].is_between(0, 180, closed="left").all()


def test_dota8_yolo_obb_marina_has_105_ships(data_dir: Path) -> None:
    root = data_dir / "imagery" / "dota8"
    scene = read_scene_metadata(
        root / "images/train/P0861__1024__0___1648.jpg", "marina", T0, gsd_m=0.3
    )
    found = import_annotations(root / "labels/train/P0861__1024__0___1648.txt", scene)
    assert found.filter(pl.col("class") == "ship").height == 105
    assert set(found["class"]) <= set(DOTA_CLASSES)  # names came from dota8.yaml, normalised
    assert found["x_px"].is_between(0, 1024).all() and found["y_px"].is_between(0, 1024).all()


def test_yolo_obb_equals_dota_for_the_same_boxes(tmp_path: Path, dota: Path, harbour: dict) -> None:
    corners, classes = _dota_rows(dota / "labelTxt/P0706.txt")
    size = np.array([harbour["width_px"], harbour["height_px"]])
    index = [DOTA_CLASSES.index(c) for c in classes]
    lines = [
        " ".join([str(i), *(f"{v:.9f}" for v in (c / size).ravel())])
        for i, c in zip(index, corners, strict=True)
    ]
    label = tmp_path / "labels" / "P0706.txt"
    label.parent.mkdir()
    label.write_text("\n".join(lines) + "\n")
    obb = import_annotations(label, harbour, names=DOTA_CLASSES)
    reference = import_annotations(dota / "labelTxt/P0706.txt", harbour)
    assert obb["class"].to_list() == reference["class"].to_list()
    np.testing.assert_allclose(obb["x_px"], reference["x_px"], atol=1e-5)
    # the minimum rotated rectangle of a not-quite-rectangular quad can swing a little with
    # rounding in the 9th decimal: sizes agree to 0.5 %
    np.testing.assert_allclose(obb["length_m"], reference["length_m"], rtol=5e-3)


def test_yolo_axis_aligned_boxes_and_scores(tmp_path: Path, harbour: dict) -> None:
    label = tmp_path / "boxes.txt"
    # a 40 x 20 px box centred at (100, 200) in a 1111 x 1182 image, score 0.5
    label.write_text(f"1 {100 / 1111} {200 / 1182} {40 / 1111} {20 / 1182} 0.5\n")
    found = import_annotations(label, harbour, names=["plane", "ship"])
    row = found.row(0, named=True)
    assert row["class"] == "ship" and row["score"] == pytest.approx(0.5)
    assert (row["x_px"], row["y_px"]) == pytest.approx((100, 200))
    assert row["length_m"] == pytest.approx(40 * harbour["gsd_m"])
    assert row["width_m"] == pytest.approx(20 * harbour["gsd_m"])
    assert row["angle_deg"] == pytest.approx(0.0, abs=1e-9) or row["angle_deg"] == pytest.approx(
        180.0
    )
    with pytest.raises(InputError, match="--names"):
        import_annotations(label, harbour, names=["plane"])


def test_coco_segmentation_and_bbox(tmp_path: Path, dota: Path, yard: dict) -> None:
    corners, classes = _dota_rows(dota / "labelTxt/P1888.txt")
    names = {"large-vehicle": "large vehicle", "small-vehicle": "car"}
    categories = [{"id": 1, "name": "large vehicle"}, {"id": 2, "name": "car"}]
    by_name = {c["name"]: c["id"] for c in categories}
    annotations = [
        {"id": i, "image_id": 7, "category_id": by_name[names[c]],
         "segmentation": [quad.ravel().tolist()], "bbox": [0, 0, 1, 1]}
        for i, (quad, c) in enumerate(zip(corners, classes, strict=True))
    ]  # fmt: skip
    annotations.append({"id": 999, "image_id": 7, "category_id": 2, "bbox": [10, 20, 16, 8]})
    annotations.append({"id": 1000, "image_id": 8, "category_id": 2, "bbox": [0, 0, 5, 5]})
    images = [{"id": 7, "file_name": "images/P1888.png"}, {"id": 8, "file_name": "other.png"}]
    path = tmp_path / "coco.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations,
                                "categories": categories}))  # fmt: skip
    found = import_annotations(path, yard)
    counts = dict(found.group_by("class").len().iter_rows())
    assert counts == {"large-vehicle": 50, "small-vehicle": 15}
    box = found.filter(pl.col("x_px") == 18.0).row(0, named=True)
    assert box["y_px"] == 24.0 and box["length_m"] == pytest.approx(16 * yard["gsd_m"])


def test_geojson_in_pixels_and_qgis_flipped(tmp_path: Path, harbour: dict) -> None:
    ring = [[10, 10], [30, 10], [30, 20], [10, 20], [10, 10]]
    for flip, name in ((1, "cvat.geojson"), (-1, "qgis.geojson")):
        feature = {
            "type": "Feature",
            "properties": {"label": "Boat"},
            "geometry": {"type": "Polygon", "coordinates": [[[x, flip * y] for x, y in ring]]},
        }
        path = tmp_path / name
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
        row = import_annotations(path, harbour).row(0, named=True)
        assert (row["class"], row["x_px"], row["y_px"]) == ("ship", 20.0, 15.0)


def test_geojson_lonlat_and_projected_on_a_geographic_scene(tmp_path: Path, data_dir: Path) -> None:
    post = read_scene_metadata(
        data_dir / "imagery/xview2-deploy-prepost/post/tile_31500-5137.tif", "joplin", T0
    )
    pixels = np.array([[400.0, 300.0], [440.0, 300.0], [440.0, 320.0], [400.0, 320.0]])
    lonlat = pixel_to_lonlat(post, pixels[:, 0], pixels[:, 1])
    assert lonlat is not None
    lon, lat = lonlat
    east, north = Transformer.from_crs(4326, 26915, always_xy=True).transform(lon, lat)
    cases = {
        "lonlat.geojson": (np.column_stack([lon, lat]), None),
        "utm.geojson": (
            np.column_stack([east, north]),
            {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::26915"}},
        ),
    }
    for name, (coords, crs) in cases.items():
        ring = [*coords.tolist(), coords[0].tolist()]
        document: dict = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"class": "small_vehicle"},
             "geometry": {"type": "Polygon", "coordinates": [ring]}}]}  # fmt: skip
        if crs:
            document["crs"] = crs
        (tmp_path / name).write_text(json.dumps(document))
        row = import_annotations(tmp_path / name, post).row(0, named=True)
        assert row["class"] == "small-vehicle"
        assert (row["x_px"], row["y_px"]) == pytest.approx((420.0, 310.0), abs=0.01)
        assert row["lon"] == pytest.approx(lon.mean(), abs=1e-7)
        outline = shapely.from_wkt(row["pixel_wkt"])
        assert outline.area == pytest.approx(40 * 20, rel=1e-3)


def test_class_names_are_normalised_to_dota() -> None:
    assert normalise_classes(["Large Vehicle", "small_vehicle", "car", "Bus", "SHIP", "boat"]) == [
        "large-vehicle", "small-vehicle", "small-vehicle", "large-vehicle", "ship", "ship",
    ]  # fmt: skip


def test_unreadable_annotations_name_the_problem(tmp_path: Path, harbour: dict) -> None:
    odd = tmp_path / "odd.txt"
    odd.write_text("hello world\n")
    with pytest.raises(InputError, match="--format"):
        import_annotations(odd, harbour)
    bad = tmp_path / "bad.txt"
    bad.write_text("gsd:0.3\n1 2 3 4 5 6 7 ship\n")
    with pytest.raises(InputError, match="line 2"):
        import_annotations(bad, harbour, fmt="dota")
    point = tmp_path / "point.geojson"
    point.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}}
    ]}))  # fmt: skip
    with pytest.raises(InputError, match="Polygon"):
        import_annotations(point, harbour)
