"""Shared detector machinery: oriented boxes of components, window ownership, NMS, the table;
and the scoring helpers the real-image evaluations use (centre inside a labelled box)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import shapely
from PIL import Image
from scipy import ndimage as ndi

from harborwatch.errors import InputError
from harborwatch.imagery.detectors import DETECTOR_NAMES, detect_objects
from harborwatch.imagery.detectors._common import (
    Boxes,
    component_boxes,
    owned_by_window,
    suppress_overlaps,
    to_frame,
)
from harborwatch.imagery.scenes import read_scene_metadata
from harborwatch.imagery.windows import iter_windows
from harborwatch.schemas import DETECTIONS

T0 = datetime(2024, 6, 1, tzinfo=UTC)


def dota_labels(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Corners ``(n, 4, 2)`` and class names of a DOTA labelTxt file (header lines skipped)."""
    rows = [line.split() for line in path.read_text().splitlines()]
    rows = [r for r in rows if len(r) >= 9]
    corners = np.array([[float(v) for v in r[:8]] for r in rows]).reshape(-1, 4, 2)
    return corners, np.array([r[8] for r in rows])


def match_centres(x: np.ndarray, y: np.ndarray, corners: np.ndarray) -> dict[str, float]:
    """Count error, precision and recall: a detection is right when its centre lies inside a
    labelled box not yet matched (each label matched once, detections in the order given)."""
    boxes = shapely.polygons(corners)
    used = np.zeros(len(boxes), dtype=bool)
    true_pos = 0
    for xi, yi in zip(x, y, strict=True):  # a few hundred detections
        free = shapely.contains_xy(boxes, xi, yi) & ~used
        if free.any():
            used[np.flatnonzero(free)[0]] = True
            true_pos += 1
    n, truth = len(x), len(boxes)
    return {
        "detections": n,
        "labels": truth,
        "precision": true_pos / max(n, 1),
        "recall": true_pos / max(truth, 1),
        "count_error": abs(n - truth) / truth,
    }


def scene_of(path: Path, gsd_m: float | None = None) -> dict:
    """A SCENES row for an image file (pixel space; GSD given or from a DOTA header)."""
    return read_scene_metadata(path, "test-site", T0, gsd_m=gsd_m)


def write_png(path: Path, pixels: np.ndarray) -> Path:
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def test_component_boxes_measure_a_rotated_rectangle() -> None:
    """A 41 × 11 px bar rotated by 30° gives a box of about that size at that angle."""
    rows, cols = np.mgrid[0:200, 0:200] + 0.5
    theta = np.deg2rad(30.0)
    along = (cols - 100) * np.cos(theta) + (rows - 100) * np.sin(theta)
    across = -(cols - 100) * np.sin(theta) + (rows - 100) * np.cos(theta)
    mask = (np.abs(along) <= 20.5) & (np.abs(across) <= 5.5)
    labels, count = ndi.label(mask)
    boxes = component_boxes(labels, count)
    assert count == 1
    assert boxes.x_px[0] == pytest.approx(100, abs=0.6)
    assert boxes.y_px[0] == pytest.approx(100, abs=0.6)
    assert boxes.length_px[0] == pytest.approx(41, abs=2)
    assert boxes.width_px[0] == pytest.approx(11, abs=2)
    assert boxes.angle_deg[0] == pytest.approx(30, abs=3)


def test_single_pixel_and_line_components_get_boxes() -> None:
    labels = np.zeros((10, 10), dtype=np.int32)
    labels[2, 2] = 1
    labels[6, 1:8] = 2
    boxes = component_boxes(labels, 2)
    assert boxes.length_px.tolist() == pytest.approx([1, 7])
    assert boxes.width_px.tolist() == pytest.approx([1, 1])
    assert boxes.x_px.tolist() == pytest.approx([2.5, 4.5])


def test_windows_own_each_point_once() -> None:
    """Every scene point is kept by exactly one of the overlapping windows."""
    scene = {"width_px": 5000, "height_px": 3000}
    rng = np.random.default_rng(4)
    x, y = rng.uniform(0, 5000, 2000), rng.uniform(0, 3000, 2000)
    owners = np.zeros(len(x), dtype=int)
    for w in iter_windows(5000, 3000, 1024, 128):
        inside = (x >= w.col_off) & (x < w.col_off + w.width)
        inside &= (y >= w.row_off) & (y < w.row_off + w.height)
        owned = owned_by_window(x, y, w.col_off, w.row_off, scene, 1024, 128)
        assert not (owned & ~inside).any()
        owners += owned
    assert (owners == 1).all()


def _boxes(x: list[float], score: list[float]) -> Boxes:
    n = len(x)
    return Boxes(
        np.array(x, float), np.zeros(n), np.full(n, 10.0), np.full(n, 4.0), np.zeros(n),
        np.array(score, np.float32), np.full(n, "ship", dtype=object),
    )  # fmt: skip


def test_nms_keeps_the_strongest_of_overlapping_boxes() -> None:
    kept = suppress_overlaps(_boxes([0.0, 1.0, 30.0, 9.5], [0.5, 0.9, 0.4, 0.8]), iou_max=0.3)
    # 1.0 beats 0.0; 9.5 overlaps 1.0 by 0.5/19.5 IoU only; 30 stands alone
    assert sorted(kept.x_px.tolist()) == [1.0, 9.5, 30.0]


def test_table_layout_ids_and_lonlat() -> None:
    scene = {
        "scene_id": "s1",
        "gsd_m": 0.5,
        "width_px": 100,
        "height_px": 100,
        "crs": "EPSG:32631",
        "transform": [0.5, 0.0, 500000.0, 0.0, -0.5, 5700000.0],
    }
    frame = to_frame(scene, _boxes([20.0], [0.7]), "harborwatch.test/1")
    assert frame.to_arrow().schema.names[: len(DETECTIONS)] == DETECTIONS.names
    row = frame.row(0, named=True)
    assert row["length_m"] == pytest.approx(5.0) and row["width_m"] == pytest.approx(2.0)
    # 500010 E, 5700000 N in UTM 31N is on the central meridian 3°E, near 51.45°N
    assert row["lon"] == pytest.approx(3.0, abs=1e-3) and row["lat"] == pytest.approx(
        51.45, abs=0.01
    )
    again = to_frame(scene, _boxes([20.0], [0.7]), "harborwatch.test/1")
    assert again["detection_id"].to_list() == frame["detection_id"].to_list()
    other = to_frame(scene, _boxes([21.0], [0.7]), "harborwatch.test/1")
    assert other["detection_id"][0] != frame["detection_id"][0]


def test_unknown_detector_and_option_are_input_errors(tmp_path: Path) -> None:
    scene = scene_of(write_png(tmp_path / "a.png", np.zeros((32, 32, 3))), gsd_m=1.0)
    assert "vehicles" in DETECTOR_NAMES
    with pytest.raises(InputError, match="unknown detector"):
        detect_objects(scene, "tanks")
    with pytest.raises(InputError, match="no option 'treshold'"):
        detect_objects(scene, "vehicles", treshold=3)
