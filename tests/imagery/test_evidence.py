"""Evidence chips: same ground in both halves (pixel shift or two CRSs), outline, caption."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import shapely
from PIL import Image

from harborwatch.imagery.annotations import import_annotations
from harborwatch.imagery.change import match_objects
from harborwatch.imagery.evidence import write_chips
from harborwatch.imagery.scenes import read_scene_metadata
from harborwatch.imagery.simulate import simulate_removal
from imagery.rasters import JOPLIN_PRE, warp_to_wgs84

WHEN = datetime(2024, 1, 10, tzinfo=UTC)
SIZE = 128


def halves(path: str) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return image[:SIZE, :SIZE], image[:SIZE, SIZE + 4 : 2 * SIZE + 4]


def one_removed(
    scene_id: str, x: float, y: float, shift: tuple[float, float] | None
) -> pl.DataFrame:
    """A CHANGES frame of one removed 20 × 8 px object at ``(x, y)``."""
    return pl.DataFrame(
        {
            "change_id": ["c1"], "status": ["removed"], "class": ["small-vehicle"],
            "zone_id": ["all"], "before_detection_id": ["b1"], "after_detection_id": [None],
            "before_scene_id": [scene_id], "x_px": [x], "y_px": [y],
            "before_pixel_wkt": [shapely.box(x - 10, y - 4, x + 10, y + 4).wkt],
            "after_pixel_wkt": [None], "length_m": [6.0],
            "shift_dx_px": [shift[0] if shift else None],
            "shift_dy_px": [shift[1] if shift else None],
        },
        schema_overrides={"after_detection_id": pl.String, "after_pixel_wkt": pl.String,
                          "shift_dx_px": pl.Float64, "shift_dy_px": pl.Float64},
    )  # fmt: skip


def test_removed_vehicles_get_simulated_chips_showing_the_change(
    data_dir: Path, tmp_path: Path
) -> None:
    folder = data_dir / "imagery/dota-devkit-example"
    scene = read_scene_metadata(folder / "images/P1888.png", "dota", WHEN)
    labels = import_annotations(folder / "labelTxt/P1888.txt", scene)
    sim = simulate_removal(scene, labels, tmp_path / "sim", classes=["large-vehicle"], seed=4,
                           acquired_ts=WHEN.replace(month=2))  # fmt: skip
    changes = match_objects(labels, sim.kept, scene, sim.scene)
    chips = write_chips(changes, scene, sim.scene, tmp_path / "chips", size_px=SIZE)
    assert chips.height == sim.removed.height == 15
    assert all(Path(p).name.startswith("SIMULATED_removed_large-vehicle_") for p in chips["path"])
    assert all(
        "SIMULATED" in c and "2024-01-10" in c and "2024-02-10" in c for c in chips["caption"]
    )
    differences = []
    for path in chips["path"]:
        before, after = halves(path)
        assert before.shape == after.shape == (SIZE, SIZE, 3)
        centre = slice(SIZE // 2 - 6, SIZE // 2 + 6)
        differences.append(np.abs(before[centre, centre] - after[centre, centre]).mean())
    assert np.median(differences) > 20  # the bus under the centre is gone in the after chip


def test_pixel_space_chips_follow_the_shift(data_dir: Path, tmp_path: Path) -> None:
    image = np.asarray(Image.open(data_dir / "imagery/dota-devkit-example/images/P1888.png"))
    Image.fromarray(image[40:520, 40:680, :3]).save(tmp_path / "before.png")
    Image.fromarray(image[49:529, 46:686, :3]).save(tmp_path / "after.png")
    before = {"scene_id": "b", "path": str(tmp_path / "before.png"), "gsd_m": 0.27, "crs": None}
    after = {"scene_id": "a", "path": str(tmp_path / "after.png"), "gsd_m": 0.27, "crs": None}
    changes = one_removed("b", 300.0, 200.0, (-6.0, -9.0))
    chips = write_chips(changes, before, after, tmp_path / "chips", size_px=SIZE)
    left, right = halves(chips["path"][0])
    assert np.median(np.abs(left - right)) <= 2  # same ground: only the outline styles differ
    unshifted = write_chips(changes.with_columns(pl.lit(0.0).alias("shift_dx_px"),
                                                 pl.lit(0.0).alias("shift_dy_px")),
                            before, after, tmp_path / "wrong", size_px=SIZE)  # fmt: skip
    left, right = halves(unshifted["path"][0])
    assert np.median(np.abs(left - right)) > 5  # and the test can tell a wrong shift


def test_georeferenced_chips_cover_the_same_ground_across_crs(
    data_dir: Path, tmp_path: Path
) -> None:
    source = data_dir / JOPLIN_PRE
    warped = warp_to_wgs84(source, tmp_path / "pre_4326.tif")
    before = read_scene_metadata(source, "joplin", WHEN)
    after = read_scene_metadata(warped, "joplin", WHEN.replace(month=6))
    chips = write_chips(one_removed(before["scene_id"], 500.0, 400.0, None), before, after,
                        tmp_path / "chips", size_px=SIZE)  # fmt: skip
    left, right = halves(chips["path"][0])
    assert np.median(np.abs(left - right)) <= 4
    assert "SIMULATED" not in chips["caption"][0] and "SIMULATED" not in chips["path"][0]
