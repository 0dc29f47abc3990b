"""Windows cover the image, overlap as asked, and keep one window in memory at a time."""

from __future__ import annotations

import itertools
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio import Affine
from rasterio.windows import Window

from harborwatch.errors import InputError
from harborwatch.imagery.scenes import open_scene, read_scene_metadata
from harborwatch.imagery.windows import iter_window_arrays, iter_windows


@settings(deadline=None)
@given(
    st.integers(1, 9000),
    st.integers(1, 9000),
    st.integers(256, 3000),
    st.integers(0, 63),
)
def test_windows_cover_the_image_inside_its_bounds(
    width: int, height: int, size: int, overlap: int
) -> None:
    windows = list(iter_windows(width, height, size, overlap))
    cols = sorted({w.col_off for w in windows})
    rows = sorted({w.row_off for w in windows})
    assert len(windows) == len(cols) * len(rows)
    for w in windows:
        assert w.col_off >= 0 and w.row_off >= 0
        assert w.col_off + w.width <= width and w.row_off + w.height <= height
        assert (w.width, w.height) == (min(size, width), min(size, height))
    for starts, length in ((cols, width), (rows, height)):
        assert starts[0] == 0 and starts[-1] + min(size, length) == length
        # neighbours overlap by at least `overlap`, so nothing between them is missed
        assert all(b - a <= size - overlap for a, b in itertools.pairwise(starts))


def test_bad_window_settings_are_refused() -> None:
    with pytest.raises(InputError):
        list(iter_windows(100, 100, size=64, overlap=64))


def test_large_scene_is_read_one_window_at_a_time(tmp_path: Path) -> None:
    """A 10,000 × 10,000 scene (100 MB of pixels): reading it all keeps < 3 windows' worth."""
    side, size = 10_000, 2048
    path = tmp_path / "big.tif"
    profile = {
        "driver": "GTiff", "width": side, "height": side, "count": 1, "dtype": "uint8",
        "crs": "EPSG:32636", "transform": Affine(0.5, 0, 600_000, 0, -0.5, 3_870_000),
        "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "deflate",
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        for window in iter_windows(side, side, 2500, 0):
            value = (window.col_off // 2500 + 4 * (window.row_off // 2500)) % 256
            dst.write(np.full((1, 2500, 2500), value, np.uint8), window=window)
    scene = read_scene_metadata(path, "big", datetime(2025, 1, 1, tzinfo=UTC))
    assert scene["gsd_m"] == pytest.approx(0.5, rel=2e-3)
    seen = 0
    tracemalloc.start()
    with open_scene(scene) as reader:
        for window, pixels in iter_window_arrays(reader, size, 128):
            assert pixels.shape == (1, window.height, window.width)
            seen += pixels.size
        corner = reader.read_window(Window(side - 10, side - 10, 10, 10))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seen >= side * side  # every pixel read, some twice (overlap)
    assert peak < 3 * size * size
    assert int(corner[0, 0, 0]) == 3 + 4 * 3  # the last 2500-px block written
