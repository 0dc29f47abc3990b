"""What every detector shares: tiled reading, oriented boxes of components, tile merging, and the
:data:`~harborwatch.schemas.DETECTIONS` table.

Pixel coordinates are continuous, ``(0, 0)`` at the top-left corner of the first pixel (as in
:mod:`harborwatch.imagery.scenes`). A detector works on one window at a time and returns
:class:`Boxes` in that window's pixels; :func:`detect_tiled` shifts them to scene pixels, keeps each
object once (the window whose centre is nearest along each axis owns it: overlapping windows
partition the scene by the midlines of their overlaps), drops objects cut by an inner window edge
(a neighbour sees them whole when they are smaller than the overlap) and suppresses what still
overlaps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import shapely
from scipy import ndimage as ndi

from harborwatch.errors import InputError
from harborwatch.ids import stable_ids
from harborwatch.imagery.scenes import open_scene, pixel_to_lonlat
from harborwatch.imagery.windows import iter_windows, window_starts
from harborwatch.schemas import DETECTIONS


@dataclass(frozen=True)
class Boxes:
    """Oriented boxes (one entry per object); lengths and centres in pixels."""

    x_px: np.ndarray
    y_px: np.ndarray
    length_px: np.ndarray
    width_px: np.ndarray
    angle_deg: np.ndarray
    """Orientation of the long side from the x axis, in [0, 180) (y down, clockwise on screen)."""
    score: np.ndarray
    cls: np.ndarray

    def __len__(self) -> int:
        return len(self.x_px)

    def take(self, keep: np.ndarray) -> Boxes:
        """The boxes selected by ``keep`` (a mask or indices)."""
        return Boxes(*(np.asarray(getattr(self, f))[keep] for f in _FIELDS))

    def shifted(self, dx: float, dy: float) -> Boxes:
        """The boxes moved by ``(dx, dy)`` pixels (window to scene coordinates)."""
        return Boxes(
            self.x_px + dx, self.y_px + dy, self.length_px, self.width_px,
            self.angle_deg, self.score, self.cls,
        )  # fmt: skip

    @staticmethod
    def empty() -> Boxes:
        z = np.zeros(0)
        return Boxes(z, z, z, z, z, z.astype(np.float32), np.zeros(0, dtype=object))

    @staticmethod
    def concat(parts: list[Boxes]) -> Boxes:
        if not parts:
            return Boxes.empty()
        return Boxes(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    def polygons(self) -> np.ndarray:
        """Shapely polygons of the boxes (corners in pixels)."""
        return shapely.polygons(box_corners(self))


_FIELDS = ("x_px", "y_px", "length_px", "width_px", "angle_deg", "score", "cls")


def box_corners(boxes: Boxes) -> np.ndarray:
    """Corners ``(n, 4, 2)`` of oriented boxes, in order around the box."""
    theta = np.deg2rad(boxes.angle_deg)
    ux, uy = np.cos(theta), np.sin(theta)
    half_l, half_w = boxes.length_px / 2, boxes.width_px / 2
    signs = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=float)
    dx = signs[:, 0] * (half_l * ux)[:, None] - signs[:, 1] * (half_w * uy)[:, None]
    dy = signs[:, 0] * (half_l * uy)[:, None] + signs[:, 1] * (half_w * ux)[:, None]
    return np.stack([boxes.x_px[:, None] + dx, boxes.y_px[:, None] + dy], axis=-1)


def component_boxes(labels: np.ndarray, count: int) -> Boxes:
    """Minimum-area rectangles of the labelled components ``1..count`` (class and score unset).

    The rectangle is fitted to the component's boundary pixel centres (shapely, vectorised over
    components) and widened by one pixel, so a single pixel is a 1 × 1 box.
    """
    if count == 0:
        return Boxes.empty()
    mask = labels > 0
    edge = mask & ~ndi.binary_erosion(mask, structure=np.ones((3, 3), bool))
    rows, cols = np.nonzero(edge)
    ids = labels[rows, cols] - 1
    order = np.argsort(ids, kind="stable")
    xy = np.column_stack([cols[order] + 0.5, rows[order] + 0.5])
    points = shapely.multipoints(xy, indices=ids[order])
    rects = shapely.minimum_rotated_rectangle(points)
    return _rect_boxes(rects, count)


def _rect_boxes(rects: np.ndarray, count: int) -> Boxes:
    """Centre, sides and long-side angle of shapely rectangles (or degenerate lines/points)."""
    coords, index = shapely.get_coordinates(rects, return_index=True)
    starts = np.searchsorted(index, np.arange(count))
    n_pts = np.bincount(index, minlength=count)
    p0 = coords[starts]
    p1 = coords[np.minimum(starts + 1, starts + n_pts - 1)]
    p2 = coords[np.minimum(starts + 2, starts + n_pts - 1)]
    centre = shapely.get_coordinates(shapely.centroid(shapely.envelope(rects)))
    centre = np.where(n_pts[:, None] >= 5, (p0 + p2) / 2, centre)
    side_a, side_b = p1 - p0, p2 - p1
    len_a, len_b = np.hypot(*side_a.T), np.hypot(*side_b.T)
    long_side = np.where((len_a >= len_b)[:, None], side_a, side_b)
    angle = np.rad2deg(np.arctan2(long_side[:, 1], long_side[:, 0])) % 180.0
    length = np.maximum(len_a, len_b) + 1.0
    width = np.minimum(len_a, len_b) + 1.0
    return Boxes(
        centre[:, 0], centre[:, 1], length, width, angle,
        np.ones(count, dtype=np.float32), np.full(count, "", dtype=object),
    )  # fmt: skip


def owned_by_window(
    x_px: np.ndarray, y_px: np.ndarray, col_off: int, row_off: int, scene: dict[str, Any],
    size: int, overlap: int,
) -> np.ndarray:  # fmt: skip
    """True where the window at ``(col_off, row_off)`` is the one owning the centre: along each
    axis, the window whose centre is nearest (ties to the first)."""
    keep = np.ones(len(x_px), dtype=bool)
    for coord, offset, length in (
        (x_px, col_off, scene["width_px"]),
        (y_px, row_off, scene["height_px"]),
    ):
        starts = np.asarray(window_starts(length, size, overlap), dtype=float)
        centres = starts + min(size, length) / 2
        owner = np.argmin(np.abs(coord[:, None] - centres[None, :]), axis=1)
        keep &= starts[owner] == offset
    return keep


def cut_by_inner_edge(boxes: Boxes, window: Any, scene: dict[str, Any]) -> np.ndarray:
    """True for boxes reaching a window edge that is not the scene's edge: the object may go on
    beyond it. One smaller than the overlap lies whole in the neighbour, which owns its centre."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=bool)
    corners = box_corners(boxes)
    x0, y0 = window.col_off, window.row_off
    x1, y1 = x0 + window.width, y0 + window.height
    margin = 1.0
    cut = np.zeros(len(boxes), dtype=bool)
    if x0 > 0:
        cut |= corners[..., 0].min(axis=1) < x0 + margin
    if y0 > 0:
        cut |= corners[..., 1].min(axis=1) < y0 + margin
    if x1 < scene["width_px"]:
        cut |= corners[..., 0].max(axis=1) > x1 - margin
    if y1 < scene["height_px"]:
        cut |= corners[..., 1].max(axis=1) > y1 - margin
    return cut


def suppress_overlaps(boxes: Boxes, iou_max: float = 0.3) -> Boxes:
    """Greedy non-maximum suppression on oriented boxes (intersection over union, by score).

    Candidate pairs come from a shapely STRtree, so the cost grows with the overlapping pairs,
    not with the square of the box count.
    """
    if len(boxes) < 2:
        return boxes
    polys = boxes.polygons()
    tree = shapely.STRtree(polys)
    left, right = tree.query(polys, predicate="intersects")
    pair = left < right
    left, right = left[pair], right[pair]
    if len(left) == 0:
        return boxes
    inter = shapely.area(shapely.intersection(polys[left], polys[right]))
    union = shapely.area(polys[left]) + shapely.area(polys[right]) - inter
    iou = inter / np.maximum(union, 1e-9)
    left, right = left[iou > iou_max], right[iou > iou_max]
    order = np.argsort(-boxes.score, kind="stable")
    rank = np.empty(len(boxes), dtype=np.int64)
    rank[order] = np.arange(len(boxes))
    # orient each pair strong -> weak; a weak box dies only if its stronger partner survives
    strong = np.where(rank[left] < rank[right], left, right)
    weak = np.where(rank[left] < rank[right], right, left)
    alive = np.ones(len(boxes), dtype=bool)
    by_weak = np.argsort(rank[weak], kind="stable")
    strong, weak = strong[by_weak], weak[by_weak]
    for s, w in zip(strong.tolist(), weak.tolist(), strict=True):  # overlapping pairs only
        if alive[s]:
            alive[w] = False
    return boxes.take(alive)


TileDetector = Callable[[np.ndarray, float, tuple[int, int]], Boxes]
"""A detector on one window: ``(pixels (bands, rows, cols), gsd_m, (col_off, row_off))`` ->
:class:`Boxes` in window pixels (the offset places scene-wide masks such as land)."""


def detect_tiled(
    scene_row: dict[str, Any], detect_tile: TileDetector, *, tile_px: int = 2048,
    overlap_px: int = 128, iou_max: float = 0.3,
) -> Boxes:  # fmt: skip
    """Run ``detect_tile`` over the scene window by window and merge into scene pixels."""
    gsd_m = scene_gsd(scene_row)
    parts = []
    with open_scene(scene_row) as reader:
        for window in iter_windows(reader.width, reader.height, tile_px, overlap_px):
            pixels = reader.read_window(window)
            offset = (int(window.col_off), int(window.row_off))
            found = detect_tile(pixels, gsd_m, offset).shifted(window.col_off, window.row_off)
            keep = owned_by_window(
                found.x_px, found.y_px, window.col_off, window.row_off, scene_row,
                tile_px, overlap_px,
            )  # fmt: skip
            keep &= ~cut_by_inner_edge(found, window, scene_row)
            parts.append(found.take(keep))
    return suppress_overlaps(Boxes.concat(parts), iou_max)


def scene_gsd(scene_row: dict[str, Any]) -> float:
    """The scene's ground sample distance; detectors size their objects in metres."""
    gsd_m = scene_row.get("gsd_m")
    if gsd_m is None or not gsd_m > 0:
        raise InputError(
            f"scene {scene_row.get('scene_id')!r} has no ground sample distance; "
            "register it with --gsd-m so object sizes can be judged in metres"
        )
    return float(gsd_m)


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold: the cut of a histogram that maximises the between-class variance."""
    counts, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts).astype(float)
    mass = np.cumsum(counts * centres)
    total_w, total_m = weight[-1], mass[-1]
    between = (total_m * weight - mass * total_w) ** 2 / np.maximum(weight * (total_w - weight), 1)
    return float(centres[np.argmax(between)])


def luminance(pixels: np.ndarray) -> np.ndarray:
    """Mean of the first three bands (or the only band) as float32 ``(rows, cols)``."""
    return pixels[: min(3, pixels.shape[0])].astype(np.float32).mean(axis=0)


def coarse_background(
    band: np.ndarray, cell_px: int, window_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """Local background level and robust spread (median and 1.4826·MAD) of ``band``.

    Computed on a grid of ``cell_px``-pixel cell means with a ``window_cells`` median window, then
    interpolated back: objects covering less than half the window do not move the median, and the
    cost is that of the coarse grid (a 10,000² scene at 2 m cells is 1.4 Mpx).
    """
    rows, cols = band.shape
    cell = max(1, cell_px)
    pad_r, pad_c = (-rows) % cell, (-cols) % cell
    padded = np.pad(band, ((0, pad_r), (0, pad_c)), mode="edge")
    coarse = padded.reshape(padded.shape[0] // cell, cell, padded.shape[1] // cell, cell)
    coarse = coarse.mean(axis=(1, 3))
    win = max(3, window_cells | 1)
    level = _separable_median(coarse, win)
    spread = _separable_median(np.abs(coarse - level), win) * 1.4826
    return _upsample(level, cell, rows, cols), _upsample(spread, cell, rows, cols)


def _separable_median(values: np.ndarray, size: int) -> np.ndarray:
    """Median of row medians over a ``size`` square: close to the 2-D median for a background,
    at ``2·size`` instead of ``size²`` comparisons per cell."""
    rows = ndi.median_filter(values, size=(1, size), mode="reflect")
    return ndi.median_filter(rows, size=(size, 1), mode="reflect")


def _upsample(coarse: np.ndarray, cell: int, rows: int, cols: int) -> np.ndarray:
    """Bilinear interpolation of cell values (at cell centres) back to the pixel grid."""
    r = (np.arange(rows) + 0.5) / cell - 0.5
    c = (np.arange(cols) + 0.5) / cell - 0.5
    r = np.clip(r, 0, coarse.shape[0] - 1)
    c = np.clip(c, 0, coarse.shape[1] - 1)
    r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
    r1 = np.minimum(r0 + 1, coarse.shape[0] - 1)
    c1 = np.minimum(c0 + 1, coarse.shape[1] - 1)
    fr, fc = (r - r0)[:, None].astype(np.float32), (c - c0)[None, :].astype(np.float32)
    by_row = coarse[r0] * (1 - fr) + coarse[r1] * fr  # (rows, coarse columns): small
    return (by_row[:, c0] * (1 - fc) + by_row[:, c1] * fc).astype(np.float32)


def label_sums(labels: np.ndarray, count: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per component ``1..count``: pixel count, or the sum of ``weights`` (one bincount pass)."""
    flat = None if weights is None else weights.ravel()
    return np.bincount(labels.ravel(), weights=flat, minlength=count + 1)[1:]


def to_frame(scene_row: dict[str, Any], boxes: Boxes, source: str) -> pl.DataFrame:
    """The boxes as a :data:`~harborwatch.schemas.DETECTIONS` table with deterministic ids."""
    gsd_m = scene_row.get("gsd_m")
    scale = float(gsd_m) if gsd_m else np.nan
    polygons = boxes.polygons()
    wkt = shapely.to_wkt(polygons, rounding_precision=2, trim=True)
    lonlat = pixel_to_lonlat(scene_row, boxes.x_px, boxes.y_px)
    nulls = np.full(len(boxes), np.nan)
    lon, lat = lonlat if lonlat is not None else (nulls, nulls)
    scene_id = str(scene_row.get("scene_id") or "")
    ids = stable_ids(pl.Series([f"{scene_id}|{source}|{w}" for w in wkt.tolist()])).to_arrow()
    table = pa.table(
        {
            "detection_id": ids,
            "scene_id": [scene_id] * len(boxes),
            "class": boxes.cls.astype(str).tolist(),
            "score": pa.array(boxes.score.astype(np.float32)),
            "pixel_wkt": wkt.tolist(),
            "x_px": boxes.x_px.astype(float),
            "y_px": boxes.y_px.astype(float),
            "lon": pa.array(lon, from_pandas=True),
            "lat": pa.array(lat, from_pandas=True),
            "length_m": boxes.length_px * scale,
            "width_m": boxes.width_px * scale,
            "angle_deg": boxes.angle_deg.astype(float),
            "source": [source] * len(boxes),
        },
        schema=DETECTIONS,
    )
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def make_config(config_type: Any, options: dict[str, Any], detector: str) -> Any:
    """``config_type(**options)``, naming the unknown option and the known ones on error."""
    known = {f.name for f in fields(config_type)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InputError(
            f"detector {detector!r} has no option {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    return config_type(**options)
