"""Vehicles without a model: objects of vehicle size standing out from a smooth local surface.

Each band is compared with its local background (median over ~30 m, robust spread from the
median absolute deviation, :func:`~._common.coarse_background`): a vehicle is a group of pixels
brighter than the surface in some band (white buses, yellow roofs) or darker in all bands (dark
cars) by ``contrast_sigma`` spreads. On a car park the surface is smooth, so the spread is small
and vehicles stand out; over trees and roofs the spread is large and little passes. Parked
vehicles side by side stay apart because the gap between them is shadow. Dark blobs touching a
bright vehicle are its shadow and are dropped. Components are kept when their minimum-area
rectangle has a vehicle's size (from the GSD) and split into ``small-vehicle`` and
``large-vehicle`` by length.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import polars as pl
from scipy import ndimage as ndi

from harborwatch.imagery.detectors._common import (
    Boxes,
    coarse_background,
    component_boxes,
    detect_tiled,
    label_sums,
    make_config,
    to_frame,
)

NAME = "vehicles"
VERSION = "1"


@dataclass(frozen=True)
class VehicleConfig:
    """Thresholds of the vehicle detector (lengths in metres, contrast in robust spreads)."""

    contrast_sigma: float = 5.0
    """Robust spreads above (or below) the local surface a vehicle pixel must be."""
    background_m: float = 30.0
    """Width of the median window giving the surface level: several vehicles long, so a row of
    parked buses (about half the window) does not raise it."""
    cell_m: float = 2.0
    """Cell of the coarse grid the background is computed on."""
    min_length_m: float = 3.5
    """Shortest vehicle kept (a small car is ~4 m; DOTA labels small vehicles at 4.8 m and up)."""
    max_length_m: float = 18.0
    """Longest vehicle kept (articulated bus, truck with trailer)."""
    min_width_m: float = 1.4
    max_width_m: float = 4.0
    large_from_m: float = 7.5
    """Vehicles at least this long are ``large-vehicle`` (buses, trucks: 8-15 m), else small."""
    min_fill: float = 0.55
    """Component area over its rectangle's area: vehicles are compact boxes, road marks are not."""
    shadow_gap_m: float = 1.5
    """Dark blobs within this distance of a bright vehicle are taken as its shadow."""
    tile_px: int = 2048
    overlap_px: int = 128


def detect(scene_row: dict[str, Any], **options: Any) -> pl.DataFrame:
    """Vehicles in the scene as a :data:`~harborwatch.schemas.DETECTIONS` table."""
    config = make_config(VehicleConfig, options, NAME)
    boxes = detect_tiled(
        scene_row, partial(detect_window, config=config),
        tile_px=config.tile_px, overlap_px=config.overlap_px,
    )  # fmt: skip
    return to_frame(scene_row, boxes, f"harborwatch.{NAME}/{VERSION}")


def detect_window(
    pixels: np.ndarray, gsd_m: float, offset: tuple[int, int], config: VehicleConfig
) -> Boxes:
    """Vehicles in one window ``(bands, rows, cols)``, in window pixels (``offset`` unused:
    vehicles need no scene-wide mask)."""
    contrast = band_contrast(pixels, gsd_m, config.background_m, config.cell_m)
    bright_score = contrast.max(axis=0)
    dark_score = -contrast.max(axis=0)
    opening = np.ones((max(1, round(0.8 / gsd_m)),) * 2, dtype=bool)
    bright = ndi.binary_opening(bright_score > config.contrast_sigma, structure=opening)
    dark = ndi.binary_opening(dark_score > config.contrast_sigma, structure=opening)
    shadow_zone = ndi.binary_dilation(bright, iterations=max(1, round(config.shadow_gap_m / gsd_m)))
    bright_boxes, bright_used = _vehicle_boxes(bright, bright_score, gsd_m, config)
    dark_labels, n_dark = ndi.label(dark)
    is_shadow = ndi.maximum(shadow_zone, dark_labels, np.arange(1, n_dark + 1)).astype(bool)
    dark_labels = np.where(np.isin(dark_labels, np.flatnonzero(is_shadow) + 1), 0, dark_labels)
    dark_boxes, dark_used = _vehicle_boxes(dark_labels > 0, dark_score, gsd_m, config)
    # cars with a light body and dark windows: bright and dark parts together, away from the
    # vehicles already found and from their shadows
    taken = ndi.binary_dilation(bright_used | dark_used | shadow_zone, iterations=1)
    mixed = ndi.binary_closing(bright | dark, structure=opening) & ~taken
    mixed_boxes, _ = _vehicle_boxes(
        mixed, np.abs(contrast).max(axis=0), gsd_m, config, max_length_m=config.large_from_m
    )
    return Boxes.concat([bright_boxes, dark_boxes, mixed_boxes])


def band_contrast(
    pixels: np.ndarray, gsd_m: float, background_m: float, cell_m: float
) -> np.ndarray:
    """Per band, (pixel - local surface) / local robust spread, as float32 ``(bands, r, c)``."""
    cell_px = max(1, round(cell_m / gsd_m))
    window_cells = max(3, round(background_m / (cell_px * gsd_m)))
    out = np.empty((min(3, pixels.shape[0]), *pixels.shape[1:]), dtype=np.float32)
    for b in range(out.shape[0]):  # at most three bands
        band = pixels[b].astype(np.float32)
        level, spread = coarse_background(band, cell_px, window_cells)
        low, high = np.percentile(band[:: max(1, band.shape[0] // 256)], [1, 99])
        floor = max(0.01 * float(high - low), 1e-6)
        out[b] = (band - level) / np.maximum(spread, floor)
    return out


def _vehicle_boxes(
    mask: np.ndarray, score_map: np.ndarray, gsd_m: float, c: VehicleConfig,
    max_length_m: float | None = None,
) -> tuple[Boxes, np.ndarray]:  # fmt: skip
    """Components of ``mask`` with a vehicle's size and shape, classed by length, and the mask
    of the components kept."""
    labels, count = ndi.label(mask)
    boxes = component_boxes(labels, count)
    if count == 0:
        return boxes, np.zeros(mask.shape, dtype=bool)
    area_px = label_sums(labels, count)
    mean_score = label_sums(labels, count, score_map) / area_px
    length_m, width_m = boxes.length_px * gsd_m, boxes.width_px * gsd_m
    fill = area_px / (boxes.length_px * boxes.width_px)
    keep = (
        (length_m >= c.min_length_m) & (length_m <= (max_length_m or c.max_length_m))
        & (width_m >= c.min_width_m) & (width_m <= c.max_width_m) & (fill >= c.min_fill)
    )  # fmt: skip
    score = np.clip(mean_score / (3 * c.contrast_sigma), 0.0, 1.0).astype(np.float32)
    cls = np.where(length_m >= c.large_from_m, "large-vehicle", "small-vehicle").astype(object)
    found = Boxes(
        boxes.x_px, boxes.y_px, boxes.length_px, boxes.width_px, boxes.angle_deg, score, cls
    )
    kept_mask = np.concatenate([[False], keep])[labels]
    return found.take(keep), kept_mask
