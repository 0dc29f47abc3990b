"""Optical ship detector: the DOTA harbour P0706 (531 labelled ships), the dota8 marina P0861
(105 ships), the RapidEye 5 m SF Bay anchorage (4 ships by eye), a synthetic harbour read across
window overlaps and a synthetic 5 m anchorage with an island."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harborwatch.imagery.detectors import detect_objects
from imagery.test_detectors_common import dota_labels, match_centres, scene_of, write_png


def test_p0706_ships(data_dir: Path) -> None:
    """Goal: count error ≤ 20 % (issue #4). Reached: 429 found for 531 (-19.2 %), precision
    0.78, recall 0.63 (was 369, -31 %, 0.80, 0.56 before stubbier hull pieces and greyer hull
    pixels were kept). Boats moored hull against hull along a pier still merge into one blob."""
    folder = data_dir / "imagery" / "dota-devkit-example"
    corners, classes = dota_labels(folder / "labelTxt" / "P0706.txt")
    found = detect_objects(scene_of(folder / "images" / "P0706.png"), "optical_ships")
    result = match_centres(
        found["x_px"].to_numpy(), found["y_px"].to_numpy(), corners[classes == "ship"]
    )
    assert result["labels"] == 531
    assert result["precision"] >= 0.75
    assert result["recall"] >= 0.6
    assert result["count_error"] <= 0.2
    assert (found["class"] == "ship").all()
    assert found["length_m"].median() == pytest.approx(9.0, abs=3.0)  # labels: median 10 m


def test_dota8_marina_ships(data_dir: Path) -> None:
    """P0861 has no GSD in its YOLO-OBB labels; at an assumed 0.25 m (median labelled boat
    51 px = 12.7 m) recall is 0.76, precision 0.51 (count +50 %: the settings that find P0706's
    broken hulls also keep more pieces of this marina's; it was 0.70, 0.52, +35 %)."""
    folder = data_dir / "imagery" / "dota8"
    stem = "P0861__1024__0___1648"
    rows = np.loadtxt(folder / "labels" / "train" / f"{stem}.txt")
    corners = rows[rows[:, 0] == 1, 1:].reshape(-1, 4, 2) * 1024  # class 1 = ship
    scene = scene_of(folder / "images" / "train" / f"{stem}.jpg", gsd_m=0.25)
    found = detect_objects(scene, "optical_ships")
    result = match_centres(found["x_px"].to_numpy(), found["y_px"].to_numpy(), corners)
    assert result["labels"] == 105
    assert result["recall"] >= 0.7
    assert result["precision"] >= 0.45


def test_ships_on_water_not_on_land_across_windows(tmp_path: Path) -> None:
    """Dark water below row 300, textured land above; three bright 40 × 8 m hulls on the water
    (one across the overlap of 512 px windows) and a bright 40 × 8 m roof far inland."""
    rng = np.random.default_rng(3)
    image = rng.normal(40, 2, (900, 1400))
    image[:300] = rng.normal(150, 40, (300, 1400))  # land: bright and textured
    hulls = [(200, 600), (470, 700), (1100, 520)]  # centres (x, y); 470 lies in the overlap
    for x, y in hulls:
        image[y - 8 : y + 8, x - 40 : x + 40] = 230  # 80 x 16 px at 0.5 m
    image[60:76, 500:580] = 250  # roof 40 x 8 m on land, 220 m from the water
    path = write_png(tmp_path / "harbour.png", np.repeat(image.clip(0, 255)[..., None], 3, 2))
    found = detect_objects(scene_of(path, gsd_m=0.5), "optical_ships", tile_px=512, overlap_px=128)
    assert len(found) == 3
    for x, y in hulls:
        d = np.hypot(found["x_px"].to_numpy() - x, found["y_px"].to_numpy() - y)
        assert d.min() < 2
    assert found["length_m"].to_numpy() == pytest.approx(40.5, abs=1.5)


def test_rapideye_anchorage_one_detection_per_ship(data_dir: Path) -> None:
    """RapidEye 5 m, open water: 4 ships by eye, 180-220 m long and ~9 px wide, so the middle of
    each hull lies more than ``near_water_m`` (4 px) from the water. It came out as 12 pieces
    (7 + 3 + 1 + 1) before the water-enclosed hull was searched whole."""
    folder = data_dir / "imagery" / "planet-rapideye-sfbay-ships"
    found = detect_objects(
        scene_of(folder / "1056417_2017-03-08_RE3_3A_Visual_clip.tif"), "optical_ships"
    )
    # by eye on a 10 px grid: (bow, stern) in pixels
    ends = np.array([
        [(129, 25), (140, 68)], [(301, 53), (314, 87)],
        [(437.5, 71), (452.5, 103)], [(356, 287), (372, 328)],
    ])  # fmt: skip
    centres, length_m = ends.mean(axis=1), np.hypot(*(ends[:, 1] - ends[:, 0]).T) * 5.0
    assert len(found) == 4
    xy = found.select("x_px", "y_px").to_numpy()
    dist_m = np.hypot(*(xy[:, None, :] - centres[None, :, :]).transpose(2, 0, 1)) * 5.0
    nearest = dist_m.argmin(axis=0)
    assert sorted(nearest.tolist()) == [0, 1, 2, 3]  # each ship found once
    assert dist_m.min(axis=0) == pytest.approx(0, abs=50)
    assert found["length_m"].to_numpy()[nearest] == pytest.approx(length_m, rel=0.2)
    assert (found["length_m"] > 60).all()


def test_wide_hulls_at_5m_are_one_ship_each(tmp_path: Path) -> None:
    """5 m pixels: tapered 210 × 55 m hulls (11 px wide, their middle beyond ``near_water_m`` of
    the water), one in open water and one cut by the scene's no-data fill (zeros in every band,
    outside an orthorectified footprint), are one detection each, not side strips and ends."""
    image = np.random.default_rng(5).normal(50, 3, (300, 400))
    rows, cols = np.mgrid[0:300, 0:400] + 0.5
    for x, y in [(100, 100), (300, 285)]:
        image[((cols - x) / 5.5) ** 2 + ((rows - y) / 21) ** 2 <= 1] = 230
    image[-3:] = 0  # no-data strip along the bottom edge: the second hull shows rows 264-297
    path = write_png(tmp_path / "anchorage.png", np.repeat(image.clip(0, 255)[..., None], 3, 2))
    found = detect_objects(scene_of(path, gsd_m=5.0), "optical_ships").sort("x_px")
    assert len(found) == 2
    xy = found.select("x_px", "y_px").to_numpy()
    assert xy == pytest.approx(np.array([[100, 100], [300, 280.5]]), abs=1)
    assert found["length_m"].to_numpy() == pytest.approx([205, 165], abs=10)
