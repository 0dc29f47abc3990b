"""Ships in SAR images: cell-averaging CFAR on intensity, kept where there is water.

For each pixel the clutter level is the mean intensity of a background ring (a square of
``background_m`` minus a guard square of ``guard_m`` that keeps the ship itself out), from two
uniform filters. Under exponentially distributed intensity (single-look speckle over sea, the
limit of the K model for smooth sea) with ``N`` ring cells, the threshold factor giving a false
alarm probability ``pfa`` is ``alpha = N · (pfa^(-1/N) - 1)``; a pixel is a hit when its intensity
exceeds ``alpha`` times the ring mean. The image's values are taken as amplitude (squared) unless
``amplitude=False``.

Land and port structures are bright and would light up everywhere, so hits count only inside
water: dark, homogeneous regions of the smoothed log-intensity (Otsu), with the ships inside them
filled in. Hits within ``cluster_m`` merge into one target (a ship's bright points are scattered);
targets are kept with a ship's size.
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
    component_boxes,
    detect_tiled,
    label_sums,
    make_config,
    otsu_threshold,
    to_frame,
)

NAME = "sar_ships"
VERSION = "1"


@dataclass(frozen=True)
class SarShipConfig:
    """CFAR and shape settings (lengths in metres)."""

    pfa: float = 1e-3
    """Probability of false alarm per pixel under the clutter model."""
    guard_m: float = 40.0
    """Guard square: larger than half the ships sought, so a ship does not raise its own level."""
    background_m: float = 100.0
    amplitude: bool = True
    """The image holds amplitude (intensity is its square); False for intensity images."""
    cluster_m: float = 3.0
    min_length_m: float = 8.0
    max_length_m: float = 450.0
    min_area_m2: float = 40.0
    water_smoothing_m: float = 8.0
    min_water_m2: float = 20000.0
    tile_px: int = 2048
    overlap_px: int = 256


def detect(scene_row: dict[str, Any], **options: Any) -> pl.DataFrame:
    """Ships in the SAR scene as a :data:`~harborwatch.schemas.DETECTIONS` table."""
    config = make_config(SarShipConfig, options, NAME)
    boxes = detect_tiled(
        scene_row, partial(detect_window, config=config),
        tile_px=config.tile_px, overlap_px=config.overlap_px, iou_max=0.2,
    )  # fmt: skip
    return to_frame(scene_row, boxes, f"harborwatch.{NAME}/{VERSION}")


def cfar_factor(pfa: float, cells: int) -> float:
    """CA-CFAR threshold factor for exponential intensity with ``cells`` averaged cells."""
    return float(cells * (pfa ** (-1.0 / cells) - 1.0))


def detect_window(
    pixels: np.ndarray, gsd_m: float, offset: tuple[int, int], config: SarShipConfig
) -> Boxes:
    """Ships in one window (first band), in window pixels (``offset`` unused)."""
    band = pixels[0].astype(np.float32)
    intensity = band * band if config.amplitude else band
    guard = max(3, round(config.guard_m / gsd_m) | 1)
    outer = max(guard + 4, round(config.background_m / gsd_m) | 1)
    cells = outer * outer - guard * guard
    ring_sum = ndi.uniform_filter(intensity, outer) * outer**2
    ring_sum -= ndi.uniform_filter(intensity, guard) * guard**2
    clutter = np.maximum(ring_sum / cells, 1e-6)
    hits = intensity > cfar_factor(config.pfa, cells) * clutter
    hits &= sea_mask(band, gsd_m, config)
    radius = max(1, round(config.cluster_m / gsd_m))
    targets = ndi.binary_closing(hits, iterations=radius) | hits
    targets = ndi.binary_fill_holes(targets)
    labels, count = ndi.label(targets)
    boxes = component_boxes(labels, count)
    if count == 0:
        return boxes
    area_px = label_sums(labels, count)
    area_m2 = area_px * gsd_m**2
    length_m = boxes.length_px * gsd_m
    keep = (length_m >= config.min_length_m) & (length_m <= config.max_length_m)
    keep &= area_m2 >= config.min_area_m2
    ratio = label_sums(labels, count, intensity / clutter) / area_px
    score = np.clip(np.log10(np.maximum(ratio, 1.0)) / 3.0, 0, 1).astype(np.float32)
    return Boxes(
        boxes.x_px, boxes.y_px, boxes.length_px, boxes.width_px, boxes.angle_deg, score,
        np.full(count, "ship", dtype=object),
    ).take(keep)  # fmt: skip


def sea_mask(band: np.ndarray, gsd_m: float, config: SarShipConfig) -> np.ndarray:
    """Water (dark after smoothing, large) with the bright ships inside it filled in."""
    level = ndi.gaussian_filter(np.log1p(band), max(1.0, config.water_smoothing_m / gsd_m))
    water = level < otsu_threshold(level)
    labels, count = ndi.label(water)
    if count == 0:
        return water
    area_m2 = label_sums(labels, count) * gsd_m**2
    water = np.concatenate([[False], area_m2 >= config.min_water_m2])[labels]
    return ndi.binary_fill_holes(water)
