"""The "removed" case, SIMULATED: paint labelled objects out of a real image.

No real two-date image pair with labelled objects exists in the data, so the test of object-level
change is made: a seeded random subset of the labelled objects of one class is painted out with the
surrounding ground, giving an "after" image in which exactly those objects are gone. Every output
says so: the file names carry ``SIMULATED``, the manifest lists exactly which labels were removed
(and ``"SIMULATED": true``), and the new SCENES row has ``simulated=true`` and a note.

Painting: each removed outline, grown by a margin that covers its shadow and the box's slack, is
filled by harmonic inpainting (the discrete Laplace equation solved with the surrounding ground as
boundary values, a diffusion from the border that leaves no seam), plus Gaussian noise with half the
fine-texture spread of that ground so the patch is not unnaturally smooth. Kept objects are never
painted over, and do not colour the fill, even when a removed object's margin reaches them.

The image is read whole: the labelled test images are small (DOTA tiles of a few megapixels).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import rasterio
import shapely
from PIL import Image
from rasterio.features import rasterize
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import spsolve

from harborwatch.errors import InputError
from harborwatch.ids import row_ids
from harborwatch.imagery.change_map import open_raster
from harborwatch.imagery.scenes import is_georeferenced, read_scene_metadata

SIMULATED = "SIMULATED"
METHOD = "harmonic inpainting from the surrounding ground + Gaussian noise at half its texture"


@dataclass(frozen=True)
class SimulatedRemoval:
    """What :func:`simulate_removal` wrote: the SIMULATED image, its manifest and SCENES row, the
    removed labels (of the original scene) and the kept labels re-issued for the new scene."""

    scene: dict[str, Any]
    image_path: Path
    manifest_path: Path
    removed: pl.DataFrame
    kept: pl.DataFrame


def simulate_removal(
    scene_row: dict[str, Any],
    detections: pl.DataFrame,
    out_dir: Path | str,
    *,
    fraction: float = 0.3,
    seed: int = 0,
    classes: Sequence[str] | None = None,
    acquired_ts: datetime | None = None,
    margin_frac: float = 0.25,
    noise_frac: float = 0.5,
) -> SimulatedRemoval:
    """Paint out ``fraction`` of the labelled objects (of ``classes``, default all) of a scene.

    The objects are drawn with ``numpy.random.default_rng(seed)`` from the candidates sorted by
    detection id, so the same labels and seed remove the same objects whatever the row order. The
    margin grown around each outline is ``margin_frac`` of its short side (at least 2 px).
    Kept objects of those classes are never painted over (other labels, such as a DOTA harbour
    polygon around the ships, are ground). ``acquired_ts`` dates the new scene (default: the
    original's time).
    """
    if not 0.0 < fraction <= 1.0:
        raise InputError(f"fraction={fraction} must be in (0, 1]: the share of objects to remove")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    removed, kept = _choose(detections, fraction, seed, classes)
    with open_raster(scene_row) as dataset:
        pixels = dataset.read()
        profile = dataset.profile
    rng = np.random.default_rng(seed)
    protected = kept.filter(pl.col("class").is_in(list(classes))) if classes else kept
    painted = paint_out(pixels, removed["pixel_wkt"].to_list(), protected["pixel_wkt"].to_list(),
                        rng, margin_frac, noise_frac)  # fmt: skip
    stem = Path(scene_row["path"]).stem
    name = f"{stem}_{SIMULATED}_removed-{removed.height}_seed-{seed}"
    image_path = _write_image(painted, profile, out_dir / name, is_georeferenced(scene_row))
    note = (
        f"{SIMULATED}: {removed.height} of {removed.height + _count(kept, classes)} labelled "
        f"{'/'.join(sorted(set(removed['class'].to_list())))} objects painted out (seed {seed}) "
        f"from {scene_row['path']}; see {name}.manifest.json"
    )
    scene = read_scene_metadata(
        image_path,
        scene_row["site_id"],
        acquired_ts or scene_row["acquired_ts"],
        scene_row.get("sensor"),
        scene_row.get("gsd_m"),
        simulated=True,
        note=note,
    )
    kept_after = _reissued(kept, scene["scene_id"])
    manifest_path = out_dir / f"{name}.manifest.json"
    manifest_path.write_text(
        json.dumps(_manifest(scene_row, scene, removed, seed, fraction, classes), indent=2)
    )
    return SimulatedRemoval(scene, image_path, manifest_path, removed, kept_after)


def _choose(
    detections: pl.DataFrame, fraction: float, seed: int, classes: Sequence[str] | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The removed objects and all the others, drawn reproducibly."""
    ordered = detections.sort("detection_id")
    eligible = (
        ordered["class"].is_in(list(classes)) if classes else pl.Series([True] * ordered.height)
    )
    candidates = np.flatnonzero(eligible.to_numpy())
    if candidates.size == 0:
        raise InputError(f"no labelled objects of classes {classes} to remove")
    n_removed = max(1, round(fraction * candidates.size))
    chosen = np.random.default_rng(seed).choice(candidates, size=n_removed, replace=False)
    is_removed = np.zeros(ordered.height, dtype=bool)
    is_removed[chosen] = True
    return ordered.filter(pl.Series(is_removed)), ordered.filter(~pl.Series(is_removed))


def _count(kept: pl.DataFrame, classes: Sequence[str] | None) -> int:
    return kept.filter(pl.col("class").is_in(list(classes))).height if classes else kept.height


def paint_out(
    pixels: np.ndarray,
    removed_wkt: Sequence[str],
    kept_wkt: Sequence[str],
    rng: np.random.Generator,
    margin_frac: float = 0.25,
    noise_frac: float = 0.5,
) -> np.ndarray:
    """A copy of ``pixels`` (bands, rows, cols) with the removed outlines (pixel WKT) inpainted;
    pixels under kept outlines are never changed."""
    height, width = pixels.shape[1:]
    removed_area = _grown_mask(removed_wkt, margin_frac, (height, width))
    kept_body = _grown_mask(kept_wkt, 0.0, (height, width), min_margin_px=0.0)
    kept_area = _grown_mask(kept_wkt, margin_frac, (height, width))
    fill = removed_area & ~kept_body
    out = pixels.astype(np.float64)
    labels, _ = ndimage.label(fill)
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        rows = slice(max(box[0].start - 3, 0), min(box[0].stop + 3, height))
        cols = slice(max(box[1].start - 3, 0), min(box[1].stop + 3, width))
        region = labels[rows, cols] == index
        crop = out[:, rows, cols]
        out[:, rows, cols] = _inpaint(crop, region, kept_area[rows, cols], rng, noise_frac)
    info = np.iinfo(pixels.dtype) if np.issubdtype(pixels.dtype, np.integer) else None
    if info is not None:
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(pixels.dtype)


def _grown_mask(
    wkt: Sequence[str], margin_frac: float, shape: tuple[int, int], min_margin_px: float = 2.0
) -> np.ndarray:
    """Pixels under the outlines grown by ``margin_frac`` of their short side."""
    if not wkt:
        return np.zeros(shape, dtype=bool)
    outlines = shapely.from_wkt(list(wkt))
    margin = np.maximum(min_margin_px, margin_frac * _short_sides(outlines))
    grown = shapely.buffer(outlines, margin) if margin.any() else outlines
    return rasterize(((g, 1) for g in grown), out_shape=shape, dtype="uint8") > 0


def _short_sides(outlines: np.ndarray) -> np.ndarray:
    """Short side of each outline's minimum rotated rectangle, in pixels."""
    rectangles = shapely.oriented_envelope(outlines)
    coords = shapely.get_coordinates(rectangles).reshape(len(outlines), -1, 2)[:, :3]
    sides = np.hypot(*np.moveaxis(np.diff(coords, axis=1), 2, 0))
    return np.asarray(sides.min(axis=1))


def _inpaint(
    crop: np.ndarray,
    region: np.ndarray,
    kept: np.ndarray,
    rng: np.random.Generator,
    noise_frac: float,
) -> np.ndarray:
    """Harmonic fill of ``region`` in ``crop`` (bands, rows, cols) from the ground around it.

    Pixels of kept objects (``kept``) do not set boundary values (zero-flux there instead), so a
    removed bus between two kept ones is filled with the asphalt, not the buses; only when a region
    touches nothing but kept objects are they used.
    """
    ground = ~region & ~kept
    ring = ndimage.binary_dilation(region, iterations=3) & ground
    if not ring.any():
        ground, ring = ~region, ndimage.binary_dilation(region, iterations=3) & ~region
    rows, cols = region.shape
    index = np.full(region.shape, -1, dtype=np.int64)
    unknown_r, unknown_c = np.nonzero(region)
    index[unknown_r, unknown_c] = np.arange(unknown_r.size)
    n = unknown_r.size
    diagonal = np.zeros(n)
    rhs = np.zeros((n, crop.shape[0]))
    entries_r, entries_c = [], []
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        nr, nc = unknown_r + dr, unknown_c + dc
        inside = (nr >= 0) & (nr < rows) & (nc >= 0) & (nc < cols)
        neighbour = np.full(n, -1)
        neighbour[inside] = index[nr[inside], nc[inside]]
        coupled = inside & (neighbour >= 0)
        known = inside & (neighbour < 0)
        known[known] = ground[nr[known], nc[known]]
        diagonal += coupled | known
        entries_r.append(np.flatnonzero(coupled))
        entries_c.append(neighbour[coupled])
        rhs[known] += crop[:, nr[known], nc[known]].T
    off_r, off_c = np.concatenate(entries_r), np.concatenate(entries_c)
    matrix = coo_matrix(
        (np.concatenate([diagonal + 1e-9, -np.ones(off_r.size)]),
         (np.concatenate([np.arange(n), off_r]), np.concatenate([np.arange(n), off_c]))),
        shape=(n, n),
    ).tocsc()  # fmt: skip
    solved = np.asarray(spsolve(matrix, rhs)).reshape(n, -1)
    noise = rng.normal(0.0, 1.0, size=solved.shape) * (noise_frac * _texture(crop, ring))
    out = crop.copy()
    out[:, unknown_r, unknown_c] = (solved + noise).T
    return out


def _texture(crop: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Per-band robust spread of the fine texture (difference from a 3 × 3 mean) in ``ring``."""
    detail = crop - ndimage.uniform_filter(crop, size=(1, 3, 3))
    values = detail[:, ring]
    median = np.median(values, axis=1, keepdims=True)
    return np.asarray(1.4826 * np.median(np.abs(values - median), axis=1))


def _write_image(
    pixels: np.ndarray, profile: dict[str, Any], base: Path, georeferenced: bool
) -> Path:
    """The painted image as a GeoTIFF (georeferenced scenes) or PNG (pixel-space scenes)."""
    if georeferenced:
        path = base.with_suffix(".tif")
        profile = {**profile, "driver": "GTiff"}
        with rasterio.open(path, "w", **profile) as dataset:
            dataset.write(pixels)
        return path
    path = base.with_suffix(".png")
    image = pixels[0] if pixels.shape[0] == 1 else np.moveaxis(pixels, 0, 2)
    Image.fromarray(image).save(path)
    return path


def _reissued(kept: pl.DataFrame, scene_id: str) -> pl.DataFrame:
    """The kept labels as detections of the new scene (new scene id, ids hashed from the old)."""
    keyed = kept.with_columns(pl.lit(scene_id).alias("_new_scene"))
    new_ids = row_ids(keyed, ["_new_scene", "detection_id"], "detection_id")
    return kept.with_columns(new_ids, pl.lit(scene_id).alias("scene_id"))


def _manifest(
    original: dict[str, Any],
    scene: dict[str, Any],
    removed: pl.DataFrame,
    seed: int,
    fraction: float,
    classes: Sequence[str] | None,
) -> dict[str, Any]:
    """The JSON record of exactly what was painted out of which image."""
    return {
        SIMULATED: True,
        "what": "objects painted out of a real image to test change detection; not a real scene",
        "source_image": original["path"],
        "source_sha256": original.get("sha256"),
        "source_scene_id": original.get("scene_id"),
        "image": scene["path"],
        "sha256": scene["sha256"],
        "scene_id": scene["scene_id"],
        "seed": seed,
        "fraction": fraction,
        "classes": list(classes) if classes else None,
        "method": METHOD,
        "removed_count": removed.height,
        "removed": removed.select("detection_id", "class", "x_px", "y_px", "pixel_wkt").to_dicts(),
    }
