"""Vehicle detector: real labelled bus yard (DOTA P1888) and synthetic yards across windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harborwatch.imagery.detectors import detect_objects
from imagery.test_detectors_common import dota_labels, match_centres, scene_of, write_png


@pytest.fixture(scope="module")
def p1888(data_dir: Path) -> tuple[dict, np.ndarray, np.ndarray]:
    folder = data_dir / "imagery" / "dota-devkit-example"
    corners, classes = dota_labels(folder / "labelTxt" / "P1888.txt")
    return scene_of(folder / "images" / "P1888.png"), corners, classes


def test_p1888_vehicle_count_within_goal(p1888: tuple[dict, np.ndarray, np.ndarray]) -> None:
    """Goal: count error ≤ 20 % on 64 labelled vehicles. Reached: 61 found (-5 %), precision
    0.80, recall 0.77."""
    scene, corners, classes = p1888
    found = detect_objects(scene, "vehicles")
    vehicles = np.isin(classes, ["small-vehicle", "large-vehicle"])
    result = match_centres(found["x_px"].to_numpy(), found["y_px"].to_numpy(), corners[vehicles])
    assert result["labels"] == 64
    assert result["count_error"] <= 0.2
    assert result["precision"] >= 0.75
    assert result["recall"] >= 0.75


def test_p1888_buses_are_large_vehicles(p1888: tuple[dict, np.ndarray, np.ndarray]) -> None:
    """The 50 buses: recall 0.88, precision 0.96 as large-vehicle; lengths near 11-13 m."""
    scene, corners, classes = p1888
    found = detect_objects(scene, "vehicles")
    large = found.filter(found["class"] == "large-vehicle")
    result = match_centres(
        large["x_px"].to_numpy(), large["y_px"].to_numpy(), corners[classes == "large-vehicle"]
    )
    assert result["recall"] >= 0.85
    assert result["precision"] >= 0.85
    assert 9.0 <= large["length_m"].median() <= 14.0
    assert large["source"].unique().to_list() == ["harborwatch.vehicles/1"]


def test_vehicles_in_window_overlaps_found_once(tmp_path: Path) -> None:
    """A grey yard with bright 12 × 2.5 m buses and dark 4.5 × 2 m cars at 0.25 m, read in
    256 px windows (32 px overlap): every vehicle is found once, classed by length."""
    rng = np.random.default_rng(7)
    image = rng.normal(120, 4, (600, 900)).clip(0, 255)
    truth = []
    for i, x0 in enumerate(range(40, 860, 70)):
        y0 = 60 if i % 2 else 230
        image[y0 : y0 + 48, x0 : x0 + 10] = 235  # bus 12 x 2.5 m, upright
        truth.append((x0 + 5, y0 + 24, "large-vehicle"))
        image[420:428, x0 : x0 + 18] = 30  # car 4.5 x 2 m, lying
        truth.append((x0 + 9, 424, "small-vehicle"))
    path = write_png(tmp_path / "yard.png", np.repeat(image[..., None], 3, axis=2))
    found = detect_objects(scene_of(path, gsd_m=0.25), "vehicles", tile_px=256, overlap_px=64)
    assert len(found) == len(truth)
    x, y = found["x_px"].to_numpy(), found["y_px"].to_numpy()
    for tx, ty, cls in truth:
        nearest = int(np.argmin(np.hypot(x - tx, y - ty)))
        assert np.hypot(x[nearest] - tx, y[nearest] - ty) < 1.5
        assert found["class"][nearest] == cls
