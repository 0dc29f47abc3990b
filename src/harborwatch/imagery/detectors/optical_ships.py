"""Ships in optical images without a model: bright objects on or beside water.

1. Water is dark and smooth: the luminance, smoothed over ~1 m, below its Otsu threshold, with a
   local texture (standard deviation over ~5 m) below its own Otsu threshold, in connected regions
   of at least ``min_water_m2``. When the scene is georeferenced and ``land_geojson`` is given,
   pixels inside land polygons are never water.
2. The search zone is the non-water within ``near_water_m`` of water: a moored boat's far end is
   one boat length from open water. Non-water that water encloses (with the scene's no-data fill,
   zero in every band) is searched whole up to ``max_enclosed_m2``: the middle of a ship at anchor
   is half its beam from the water, more than ``near_water_m`` at 5 m GSD.
3. The water level and spread are local means over water pixels only (normalised convolution,
   ``level_window_m``); ships are pixels brighter than the level by ``bright_fraction`` of the
   way to the zone's Otsu threshold (bright hulls and decks against water and grey quays).
4. Components are measured by their minimum-area rectangle and kept with a ship's size and
   elongation. Boats moored side by side, hull against hull, and the pier they lie on make one
   blob: such a row counts as one object or, when longer than a ship, none. This is what limits
   the count in dense marinas (see docs/EVALUATION.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import shapely
from scipy import ndimage as ndi

from harborwatch.errors import InputError
from harborwatch.imagery.detectors._common import (
    Boxes,
    component_boxes,
    detect_tiled,
    label_sums,
    luminance,
    make_config,
    otsu_threshold,
    to_frame,
)
from harborwatch.imagery.scenes import lonlat_to_pixel

NAME = "optical_ships"
VERSION = "1"


@dataclass(frozen=True)
class OpticalShipConfig:
    """Thresholds of the optical ship detector (lengths in metres)."""

    min_length_m: float = 4.0
    """Shortest vessel kept: DOTA labels marina boats from ~5 m (8 m would drop a quarter)."""
    max_length_m: float = 400.0
    min_elongation: float = 1.2
    """Length over width: hulls are 2.5-4 long for 1 wide, but a hull cut by a dark deck or cover
    leaves stubbier bright pieces (P0706: 1.5 -> 1.2 with ``bright_fraction`` 0.7 -> 0.55 found
    429 ships for 531 instead of 369, precision 0.78 instead of 0.80)."""
    min_width_m: float = 1.2
    near_water_m: float = 20.0
    min_water_m2: float = 2000.0
    max_enclosed_m2: float = 30_000.0
    """Non-water surrounded by water up to this area is searched whole, however far from the
    water its middle lies: a 400 × 60 m tanker is 24,000 m². Larger islands keep their shore."""
    level_window_m: float = 60.0
    bright_fraction: float = 0.55
    """Where between the water level (0) and the zone's Otsu threshold (1) a ship pixel starts:
    lower takes in greyer hulls (0.5 found fewer on P0706, 423, and lost precision on P0861)."""
    land_geojson: str | None = None
    """GeoJSON of land polygons in lon/lat (e.g. Natural Earth), used when georeferenced."""
    tile_px: int = 2048
    overlap_px: int = 256


def detect(scene_row: dict[str, Any], **options: Any) -> pl.DataFrame:
    """Ships in the scene as a :data:`~harborwatch.schemas.DETECTIONS` table."""
    config = make_config(OpticalShipConfig, options, NAME)
    land = _land_polygons(scene_row, config.land_geojson)
    boxes = detect_tiled(
        scene_row, partial(_detect_window, config=config, land=land),
        tile_px=config.tile_px, overlap_px=config.overlap_px, iou_max=0.2,
    )  # fmt: skip
    return to_frame(scene_row, boxes, f"harborwatch.{NAME}/{VERSION}")


def _detect_window(
    pixels: np.ndarray, gsd_m: float, offset: tuple[int, int], config: OpticalShipConfig, land: Any
) -> Boxes:
    """Ships in one window ``(bands, rows, cols)`` at ``offset`` (col, row), in window pixels."""
    gray = luminance(pixels)
    land_mask = _rasterise(land, offset, gray.shape)
    water = water_mask(gray, gsd_m, config.min_water_m2) & ~land_mask
    if not water.any():
        return Boxes.empty()
    no_data = (pixels == 0).all(axis=0)  # fill outside an orthorectified footprint
    zone = search_zone(water, no_data, gsd_m, config) & ~land_mask
    level = _water_level(gray, water, round(config.level_window_m / gsd_m))
    if not zone.any():
        return Boxes.empty()
    threshold = otsu_threshold(gray[zone])
    ships = (gray > level + config.bright_fraction * (threshold - level)) & zone
    ships = ndi.binary_opening(ships, structure=np.ones((3, 3), bool))
    ships = ndi.binary_fill_holes(ships)
    labels, count = ndi.label(ships)
    boxes = component_boxes(labels, count)
    length_m, width_m = boxes.length_px * gsd_m, boxes.width_px * gsd_m
    keep = (length_m >= config.min_length_m) & (width_m >= config.min_width_m)
    keep &= (length_m <= config.max_length_m) & (length_m >= config.min_elongation * width_m)
    contrast = label_sums(labels, count, gray - level) / np.maximum(label_sums(labels, count), 1)
    score = np.clip(contrast / max(2 * (threshold - float(np.median(level))), 1e-6), 0, 1)
    return Boxes(
        boxes.x_px, boxes.y_px, boxes.length_px, boxes.width_px, boxes.angle_deg,
        score.astype(np.float32), np.full(count, "ship", dtype=object),
    ).take(keep)  # fmt: skip


def search_zone(
    water: np.ndarray, no_data: np.ndarray, gsd_m: float, config: OpticalShipConfig
) -> np.ndarray:
    """Non-water within ``near_water_m`` of water, and whatever water (or water and the scene's
    no-data fill) encloses up to ``max_enclosed_m2``: the middle of a ship at anchor wider than
    twice ``near_water_m`` (45 m at 5 m GSD) is farther from the water than that, and without it
    the hull falls apart into strips along its sides (RapidEye SF Bay: 12 pieces of 4 ships)."""
    near = ndi.binary_dilation(water, iterations=max(1, round(config.near_water_m / gsd_m)))
    near &= ~water & ~no_data
    enclosed = ndi.binary_fill_holes(near | water | no_data) & ~near & ~water & ~no_data
    labels, count = ndi.label(enclosed)
    if count == 0:
        return near
    small = label_sums(labels, count) * gsd_m * gsd_m <= config.max_enclosed_m2
    return near | np.concatenate([[False], small])[labels]


def water_mask(gray: np.ndarray, gsd_m: float, min_water_m2: float) -> np.ndarray:
    """Dark, smooth, large regions: Otsu on the smoothed level and on the local texture."""
    smooth = ndi.gaussian_filter(gray, max(0.5, 1.0 / gsd_m))
    size = max(3, round(5.0 / gsd_m))
    mean = ndi.uniform_filter(gray, size)
    texture = np.sqrt(np.maximum(ndi.uniform_filter(gray * gray, size) - mean * mean, 0))
    water = (smooth < otsu_threshold(smooth)) & (texture < otsu_threshold(texture))
    water = ndi.binary_opening(water, iterations=2)
    labels, count = ndi.label(water)
    if count == 0:
        return water
    area_m2 = label_sums(labels, count) * gsd_m * gsd_m
    return np.concatenate([[False], area_m2 >= min_water_m2])[labels]


def _water_level(gray: np.ndarray, water: np.ndarray, window_px: int) -> np.ndarray:
    """Local mean of water pixels (normalised convolution), the global water mean where none."""
    weight = water.astype(np.float32)
    size = max(3, window_px)
    total = ndi.uniform_filter(gray * weight, size)
    share = ndi.uniform_filter(weight, size)
    fallback = float(gray[water].mean())
    return np.where(share > 1e-3, total / np.maximum(share, 1e-3), fallback).astype(np.float32)


def _land_polygons(scene_row: dict[str, Any], path: str | None) -> Any:
    """Land polygons in scene pixels (one shapely geometry), or None."""
    if path is None:
        return None
    if not scene_row.get("crs"):
        raise InputError("land_geojson needs a georeferenced scene; this one is in pixel space")
    try:
        features = json.loads(Path(path).read_text())["features"]
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(f"cannot read land polygons from {path!r}: {exc}") from exc
    land = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in features])
    footprint = (
        shapely.from_wkt(scene_row["footprint_wkt"]) if scene_row.get("footprint_wkt") else None
    )
    if footprint is not None:
        land = shapely.intersection(land, footprint.buffer(0.01))
    if land.is_empty:
        return None

    def to_pixels(coords: np.ndarray) -> np.ndarray:
        pixel = lonlat_to_pixel(scene_row, coords[:, 0], coords[:, 1])
        assert pixel is not None
        return np.column_stack(pixel)

    return shapely.transform(land, to_pixels)


def _rasterise(land: Any, offset: tuple[int, int], shape: tuple[int, ...]) -> np.ndarray:
    """Pixels of a window whose centres lie inside the land geometry."""
    if land is None:
        return np.zeros(shape, dtype=bool)
    rows, cols = shape[0], shape[1]
    step = 4  # test every 4th pixel centre and fill the blocks: land edges are coarse anyway
    yy, xx = np.mgrid[0:rows:step, 0:cols:step]
    inside = shapely.contains_xy(land, xx + offset[0] + 0.5, yy + offset[1] + 0.5)
    return np.repeat(np.repeat(inside, step, 0), step, 1)[:rows, :cols]
