"""Unsupervised pixel change map between two co-registered scenes of a site.

Change-vector analysis (CVA): both images are brought onto the before scene's pixel grid
(reprojected through a warped VRT when both are georeferenced, in any CRS; shifted by the
phase-correlation offset when they are plain pixel images of the same place), each band is
normalised to zero mean and unit variance per image (so a global brightness or contrast difference
between dates is not change), and the change magnitude is the Euclidean length of the per-pixel
difference vector, smoothed a little. An automatic threshold (Otsu's, on a subsample of the
magnitudes) separates change from no change; a 3 × 3 opening and a minimum blob size remove
speckle.

Memory: the pair is processed in windows with a halo. A first pass gathers a strided sample of
pixels (band statistics and threshold come from it); a second pass thresholds and cleans each
window and writes its core into the output (a tiled GeoTIFF written window by window, or one uint8
array: the only full-size copy).

Images are opened through :func:`open_raster`, which a later change swaps for the scene reader of
``harborwatch.imagery.scenes``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning
from rasterio.features import geometry_mask
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window
from scipy import ndimage

from harborwatch.errors import InputError

Scene = Mapping[str, Any]
"""A row of the SCENES table as a mapping (``path``, ``crs``, ``transform``, ``gsd_m``, ...)."""

_GDAL_CACHE_MB = 256
"""GDAL's block cache while a map is made: windows are read once each, and GDAL's default (5 % of
the machine's memory) alone would break the 2 GB goal on a large machine."""
_SAMPLE_PIXELS = 2_000_000
"""Pixels sampled for the threshold: enough for a stable histogram, small beside a 10k² scene."""


# --- scenes as rasters ----------------------------------------------------------------------------


def open_raster(scene: Scene) -> Any:
    """Open the scene's image with rasterio, silencing the warning plain PNG/JPEG files raise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        try:
            return rasterio.open(scene["path"])
        except rasterio.RasterioIOError as exc:
            raise InputError(
                f"cannot read image {scene['path']!r} of scene {scene.get('scene_id')!r}: {exc}; "
                "re-register the scene with an existing image file"
            ) from exc


def scene_crs(scene: Scene) -> CRS | None:
    """The scene's CRS, or None for pixel-space images."""
    crs = scene.get("crs")
    return CRS.from_user_input(crs) if crs else None


def scene_transform(scene: Scene) -> Affine:
    """Pixel → CRS affine transform of the scene (identity for pixel-space images)."""
    values = scene.get("transform")
    if values is None or len(values) < 6 or scene_crs(scene) is None:
        return Affine.identity()
    return Affine(*[float(v) for v in values[:6]])


def is_georeferenced(scene: Scene) -> bool:
    """True when the scene has a CRS, so its pixels map to the ground."""
    return scene_crs(scene) is not None


def scene_shape(scene: Scene) -> tuple[int, int]:
    """``(height_px, width_px)`` from the row, or from the file when the row lacks them."""
    if scene.get("width_px") and scene.get("height_px"):
        return int(scene["height_px"]), int(scene["width_px"])
    with open_raster(scene) as dataset:
        return int(dataset.height), int(dataset.width)


# --- co-registration of pixel-space images --------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """Offset of the after image against the before image: a feature at before pixel ``(x, y)``
    appears at after pixel ``(x + dx_px, y + dy_px)``. ``peak`` is the phase-correlation peak
    height (1 for identical content, near 0 for unrelated images)."""

    dx_px: float
    dy_px: float
    peak: float


def phase_correlation(before: np.ndarray, after: np.ndarray) -> Shift:
    """Translation between two same-size grey images by phase correlation (Kuglin & Hines 1975).

    A Hann window damps the image borders (whose wrap-around would otherwise create a spurious zero
    shift); a parabola through the peak and its neighbours gives a sub-pixel estimate.
    """
    if before.shape != after.shape:
        raise InputError(
            f"phase correlation needs equal shapes, got {before.shape} and {after.shape}"
        )
    height, width = before.shape
    window = np.outer(np.hanning(height), np.hanning(width)).astype(np.float32)
    spectrum_b = np.fft.rfft2((before - before.mean()) * window)
    spectrum_a = np.fft.rfft2((after - after.mean()) * window)
    cross = spectrum_a * np.conj(spectrum_b)
    cross /= np.abs(cross) + 1e-12
    surface = np.fft.irfft2(cross, s=before.shape)
    iy, ix = np.unravel_index(int(np.argmax(surface)), surface.shape)
    dy = iy + _parabola_offset(
        surface[(iy - 1) % height, ix], surface[iy, ix], surface[(iy + 1) % height, ix]
    )
    dx = ix + _parabola_offset(
        surface[iy, (ix - 1) % width], surface[iy, ix], surface[iy, (ix + 1) % width]
    )
    dy = dy - height if dy > height / 2 else dy
    dx = dx - width if dx > width / 2 else dx
    return Shift(float(dx), float(dy), float(surface[iy, ix]))


def _parabola_offset(left: float, centre: float, right: float) -> float:
    """Sub-pixel position of a peak from three samples, in (-0.5, 0.5)."""
    denominator = left - 2.0 * centre + right
    if denominator >= 0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / denominator, -0.5, 0.5))


def estimate_shift(before_scene: Scene, after_scene: Scene, max_size_px: int = 2048) -> Shift:
    """Shift between two pixel-space scenes of the same place, from a central crop of both.

    The crop (at most ``max_size_px`` square, common to both images) is read once per image;
    shifts up to about a quarter of the crop are recovered.
    """
    height = min(scene_shape(before_scene)[0], scene_shape(after_scene)[0])
    width = min(scene_shape(before_scene)[1], scene_shape(after_scene)[1])
    crop_h, crop_w = min(height, max_size_px), min(width, max_size_px)
    window = Window((width - crop_w) // 2, (height - crop_h) // 2, crop_w, crop_h)
    greys = []
    for scene in (before_scene, after_scene):
        with open_raster(scene) as dataset:
            bands = list(range(1, min(dataset.count, 3) + 1))
            greys.append(dataset.read(bands, window=window).astype(np.float32).mean(axis=0))
    return phase_correlation(greys[0], greys[1])


# --- windows --------------------------------------------------------------------------------------


def _windows(width: int, height: int, size: int) -> Iterator[Window]:
    """Non-overlapping windows of at most ``size`` square covering the image, row by row."""
    for row in range(0, height, size):
        for col in range(0, width, size):
            yield Window(col, row, min(size, width - col), min(size, height - row))


def _grow(window: Window, halo: int, width: int, height: int) -> Window:
    """``window`` grown by ``halo`` pixels on each side, clipped to the image."""
    col0, row0 = max(0, int(window.col_off) - halo), max(0, int(window.row_off) - halo)
    col1 = min(width, int(window.col_off + window.width) + halo)
    row1 = min(height, int(window.row_off + window.height) + halo)
    return Window(col0, row0, col1 - col0, row1 - row0)


def read_padded(
    dataset: Any, window: Window, dx: int, dy: int, bands: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of ``dataset`` under ``window`` moved by ``(dx, dy)``: zeros (and not valid) where
    the window leaves the image."""
    height, width = int(window.height), int(window.width)
    out = np.zeros((len(bands), height, width), dtype=np.float32)
    valid = np.zeros((height, width), dtype=bool)
    col0, row0 = int(window.col_off) + dx, int(window.row_off) + dy
    c0, r0 = max(col0, 0), max(row0, 0)
    c1, r1 = min(col0 + width, dataset.width), min(row0 + height, dataset.height)
    if c1 > c0 and r1 > r0:
        part = dataset.read(bands, window=Window(c0, r0, c1 - c0, r1 - r0))
        out[:, r0 - row0 : r1 - row0, c0 - col0 : c1 - col0] = part
        valid[r0 - row0 : r1 - row0, c0 - col0 : c1 - col0] = True
    return out, valid


class _Pair:
    """The before image and the after image resampled onto the before grid, read by window."""

    def __init__(self, before_scene: Scene, after_scene: Scene, shift: Shift | None) -> None:
        self.before = open_raster(before_scene)
        self.after_file = open_raster(after_scene)
        self.bands = list(range(1, min(self.before.count, self.after_file.count, 3) + 1))
        self.width, self.height = int(self.before.width), int(self.before.height)
        self.shift = (0, 0)
        self.after: Any = self.after_file
        if is_georeferenced(before_scene) and is_georeferenced(after_scene):
            self.after = WarpedVRT(
                self.after_file,
                src_crs=scene_crs(after_scene),
                src_transform=scene_transform(after_scene),
                crs=scene_crs(before_scene),
                transform=scene_transform(before_scene),
                width=self.width,
                height=self.height,
                resampling=Resampling.bilinear,
                add_alpha=True,
            )
        elif shift is not None:
            self.shift = (round(shift.dx_px), round(shift.dy_px))

    def read(self, window: Window) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(before, after, valid)`` of a window: float32 bands and the pixels both images see."""
        before = self.before.read(self.bands, window=window).astype(np.float32)
        if isinstance(self.after, WarpedVRT):
            after = self.after.read(self.bands, window=window).astype(np.float32)
            valid = self.after.read(self.after.count, window=window) > 0
        else:
            after, valid = read_padded(self.after, window, *self.shift, self.bands)
        return before, after, valid

    def close(self) -> None:
        if self.after is not self.after_file:
            self.after.close()
        self.after_file.close()
        self.before.close()


# --- thresholds -----------------------------------------------------------------------------------


def otsu_threshold(values: np.ndarray, bins: int = 512) -> float:
    """Otsu's threshold (1979): the cut maximising the between-class variance of a histogram."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.inf
    high = float(np.quantile(values, 0.999))
    counts, edges = np.histogram(values, bins=bins, range=(0.0, max(high, 1e-6)))
    centres = 0.5 * (edges[:-1] + edges[1:])
    weight0 = np.cumsum(counts).astype(np.float64)
    weight1 = weight0[-1] - weight0
    sum0 = np.cumsum(counts * centres)
    mean0 = sum0 / np.maximum(weight0, 1)
    mean1 = (sum0[-1] - sum0) / np.maximum(weight1, 1)
    between = weight0 * weight1 * (mean0 - mean1) ** 2
    return float(edges[int(np.argmax(between)) + 1])


# --- the change map -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeMap:
    """Result of :func:`change_map`.

    ``mask`` is the uint8 change mask (1 = changed) on the before scene's grid when no output path
    was given; ``path`` the file written otherwise. ``zones``: zone_id, valid_px, changed_px,
    changed_fraction, changed_area_m2 (null without a GSD); zone ``all`` is the whole overlap.
    """

    mask: np.ndarray | None
    path: Path | None
    threshold: float
    shift: Shift | None
    zones: pl.DataFrame


@dataclass
class _Stats:
    """A strided sample of the valid pixels of both images (bands of before, then of after): the
    band statistics and the threshold come from it (2 million pixels pin both down)."""

    samples: list[np.ndarray]

    def add(self, before: np.ndarray, after: np.ndarray, valid: np.ndarray, stride: int) -> None:
        pick = valid[::stride, ::stride]
        both = np.concatenate([before[:, ::stride, ::stride], after[:, ::stride, ::stride]])
        self.samples.append(both[:, pick])

    def pixels(self, n_bands: int) -> np.ndarray:
        return np.concatenate(self.samples, axis=1) if self.samples else np.zeros((2 * n_bands, 0))

    def normaliser(self, n_bands: int) -> tuple[np.ndarray, np.ndarray]:
        pixels = self.pixels(n_bands).astype(np.float64)
        mean = pixels.mean(axis=1) if pixels.shape[1] else np.zeros(2 * n_bands)
        std = np.sqrt(np.maximum(pixels.var(axis=1) if pixels.shape[1] else 1.0, 1e-6))
        return mean.astype(np.float32), np.broadcast_to(std, mean.shape).astype(np.float32)


def _magnitude(
    before: np.ndarray, after: np.ndarray, mean: np.ndarray, std: np.ndarray
) -> np.ndarray:
    """Change-vector magnitude of z-scored bands; ``before``/``after`` are (bands, ...) arrays."""
    n = before.shape[0]
    shape = (n,) + (1,) * (before.ndim - 1)
    z_before = (before - mean[:n].reshape(shape)) / std[:n].reshape(shape)
    z_after = (after - mean[n:].reshape(shape)) / std[n:].reshape(shape)
    return np.sqrt(((z_before - z_after) ** 2).sum(axis=0))


def _clean(changed: np.ndarray, min_blob_px: int) -> np.ndarray:
    """Opening with a 3 × 3 square, then blobs smaller than ``min_blob_px`` removed."""
    opened = ndimage.binary_opening(changed, structure=np.ones((3, 3), dtype=bool))
    labels, n = ndimage.label(opened)
    if n == 0:
        return opened
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_blob_px
    keep[0] = False
    return keep[labels]


def change_map(
    before_scene: Scene,
    after_scene: Scene,
    out_path: Path | None = None,
    *,
    zones: pl.DataFrame | None = None,
    shift: Shift | None = None,
    window_px: int = 2048,
    min_blob_px: int = 16,
    smooth_px: float = 2.0,
    threshold: float | None = None,
    min_magnitude: float = 1.0,
) -> ChangeMap:
    """Unsupervised change mask of ``after_scene`` against ``before_scene`` on the before grid.

    Pixel-space pairs are co-registered by :func:`estimate_shift` unless ``shift`` is given;
    georeferenced pairs are reprojected (any two CRSs). ``smooth_px`` is the Gaussian sigma applied
    to the magnitude (0 to disable): it suppresses the speckle of slightly misregistered edges.
    ``threshold`` overrides Otsu's; ``min_magnitude`` floors it (in standard deviations: Otsu always
    splits a histogram in two, so without it a pair with no change would report its noise).
    ``out_path`` ending in .tif writes a tiled GeoTIFF window by window; .png writes a PNG (0/255);
    None returns the mask in memory.
    """
    pair_shift = None
    if not (is_georeferenced(before_scene) and is_georeferenced(after_scene)):
        pair_shift = shift if shift is not None else estimate_shift(before_scene, after_scene)
    with rasterio.Env(GDAL_CACHEMAX=_GDAL_CACHE_MB):
        return _change_map(before_scene, after_scene, out_path, zones, pair_shift, window_px,
                           min_blob_px, smooth_px, threshold, min_magnitude)  # fmt: skip


def _change_map(
    before_scene: Scene,
    after_scene: Scene,
    out_path: Path | None,
    zones: pl.DataFrame | None,
    pair_shift: Shift | None,
    window_px: int,
    min_blob_px: int,
    smooth_px: float,
    threshold: float | None,
    min_magnitude: float,
) -> ChangeMap:
    """:func:`change_map` once the pixel shift is known."""
    pair = _Pair(before_scene, after_scene, pair_shift)
    try:
        halo = int(3 * smooth_px) + 4 + int(math.sqrt(min_blob_px))
        windows = list(_windows(pair.width, pair.height, window_px))
        stats = _gather(pair, windows)
        n_bands = len(pair.bands)
        mean, std = stats.normaliser(n_bands)
        samples = stats.pixels(n_bands)
        cut = threshold
        if cut is None:
            sample_magnitude = _magnitude(samples[:n_bands], samples[n_bands:], mean, std)
            cut = max(otsu_threshold(sample_magnitude), min_magnitude)
        zone_masks = _ZoneRaster(zones, before_scene)
        writer = _MaskWriter(out_path, before_scene, pair.width, pair.height)
        for window in windows:
            grown = _grow(window, halo, pair.width, pair.height)
            before, after, valid = pair.read(grown)
            magnitude = _magnitude(before, after, mean, std)
            if smooth_px > 0:
                magnitude = ndimage.gaussian_filter(magnitude, smooth_px)
            changed = _clean((magnitude > cut) & valid, min_blob_px)
            core = (
                slice(
                    int(window.row_off - grown.row_off),
                    int(window.row_off - grown.row_off + window.height),
                ),
                slice(
                    int(window.col_off - grown.col_off),
                    int(window.col_off - grown.col_off + window.width),
                ),
            )
            zone_masks.add(window, changed[core], valid[core])
            writer.write(window, changed[core])
        mask = writer.close()
    finally:
        pair.close()
    gsd_m = before_scene.get("gsd_m")
    return ChangeMap(
        mask=mask,
        path=out_path,
        threshold=float(cut),
        shift=pair_shift,
        zones=zone_masks.table(float(gsd_m) if gsd_m else None),
    )


def _gather(pair: _Pair, windows: list[Window]) -> _Stats:
    """First pass: a strided sample of the overlap for the band statistics and the threshold."""
    stride = max(1, math.ceil(math.sqrt(pair.width * pair.height / _SAMPLE_PIXELS)))
    stats = _Stats([])
    for window in windows:
        before, after, valid = pair.read(window)
        stats.add(before, after, valid, stride)
    return stats


class _MaskWriter:
    """Collects mask windows into a GeoTIFF (window by window), a PNG or an in-memory array."""

    def __init__(self, out_path: Path | None, scene: Scene, width: int, height: int) -> None:
        self.out_path = out_path
        self.dataset: Any = None
        self.array: np.ndarray | None = None
        if out_path is not None and out_path.suffix.lower() in (".tif", ".tiff"):
            georeferencing = (
                {"crs": scene_crs(scene), "transform": scene_transform(scene)}
                if is_georeferenced(scene)
                else {}
            )
            self.dataset = rasterio.open(
                out_path, "w", driver="GTiff", width=width, height=height, count=1,
                dtype="uint8", tiled=True, blockxsize=256, blockysize=256, compress="deflate",
                nbits=1, **georeferencing,
            )  # fmt: skip
        else:
            self.array = np.zeros((height, width), dtype=np.uint8)

    def write(self, window: Window, changed: np.ndarray) -> None:
        if self.dataset is not None:
            self.dataset.write(changed.astype(np.uint8), 1, window=window)
        elif self.array is not None:
            rows = slice(int(window.row_off), int(window.row_off + window.height))
            cols = slice(int(window.col_off), int(window.col_off + window.width))
            self.array[rows, cols] = changed

    def close(self) -> np.ndarray | None:
        if self.dataset is not None:
            self.dataset.close()
            return None
        if self.out_path is not None and self.array is not None:
            from PIL import Image

            Image.fromarray(self.array * 255).save(self.out_path)
            return None
        return self.array


class _ZoneRaster:
    """Counts valid and changed pixels per zone, rasterising zone outlines window by window."""

    def __init__(self, zones: pl.DataFrame | None, scene: Scene) -> None:
        self.names = ["all"]
        self.shapes: list[Any] = [None]
        if zones is not None and zones.height:
            from harborwatch.imagery.change import zone_polygons_px

            for zone_id, polygon in zone_polygons_px(zones, scene):
                self.names.append(zone_id)
                self.shapes.append(polygon)
        self.valid = np.zeros(len(self.names), dtype=np.int64)
        self.changed = np.zeros(len(self.names), dtype=np.int64)

    def add(self, window: Window, changed: np.ndarray, valid: np.ndarray) -> None:
        transform = Affine.translation(window.col_off, window.row_off)
        for index, shape in enumerate(self.shapes):
            inside = valid
            if shape is not None:
                inside = valid & geometry_mask(
                    [shape], out_shape=valid.shape, transform=transform, invert=True
                )
            self.valid[index] += int(inside.sum())
            self.changed[index] += int((changed & inside).sum())

    def table(self, gsd_m: float | None) -> pl.DataFrame:
        fraction = self.changed / np.maximum(self.valid, 1)
        area = self.changed * gsd_m**2 if gsd_m else [None] * len(self.names)
        return pl.DataFrame(
            {
                "zone_id": self.names,
                "valid_px": self.valid,
                "changed_px": self.changed,
                "changed_fraction": fraction,
                "changed_area_m2": area,
            },
            schema_overrides={"changed_area_m2": pl.Float64},
        )


def score_mask(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pixel precision, recall and F1 of a binary change mask against a reference mask."""
    predicted, truth = predicted.astype(bool), truth.astype(bool)
    true_positive = int((predicted & truth).sum())
    precision = true_positive / max(int(predicted.sum()), 1)
    recall = true_positive / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
