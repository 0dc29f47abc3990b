"""Windows over a large scene, so that a 10,000 × 10,000 image is read a tile at a time.

Windows overlap by at least ``overlap`` pixels: an object cut by one window's edge lies whole in
its neighbour when it is smaller than the overlap. Inner windows step by ``size - overlap``; the
last window of a row or column is shifted back to end at the image edge (full size, so detectors
see tiles of one shape), which can only make its overlap larger. Images smaller than ``size`` give
one window of their own size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from rasterio.windows import Window

from harborwatch.errors import InputError


def window_starts(length: int, size: int, overlap: int) -> list[int]:
    """Start offsets along one axis of ``length`` pixels (see the module docstring)."""
    if size <= 0 or not 0 <= overlap < size:
        raise InputError(f"window size {size} and overlap {overlap}: need 0 <= overlap < size")
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, size - overlap))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts


def iter_windows(width: int, height: int, size: int = 2048, overlap: int = 128) -> Iterator[Window]:
    """Windows covering a ``width`` × ``height`` image row by row, overlapping by ``overlap``."""
    columns = window_starts(width, size, overlap)
    for row_off in window_starts(height, size, overlap):
        for col_off in columns:
            yield Window(col_off, row_off, min(size, width), min(size, height))


def iter_window_arrays(
    reader: Any, size: int = 2048, overlap: int = 128
) -> Iterator[tuple[Window, np.ndarray]]:
    """``(window, pixels)`` over a :class:`~harborwatch.imagery.scenes.SceneReader`, one window
    in memory at a time (the caller keeps what it needs, e.g. detections, not the pixels)."""
    for window in iter_windows(reader.width, reader.height, size, overlap):
        yield window, reader.read_window(window)
