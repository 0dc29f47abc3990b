"""Object-level change between two scenes of a site: which objects stayed, left or arrived.

Detections of the before and the after scene are placed in one metric frame: local metres around the
site (equirectangular about the mean latitude, exact enough over a port) when both scenes are
georeferenced, whatever their CRSs; otherwise the before scene's pixels, the after detections moved
back by the phase-correlation shift between the two images and scaled by the before GSD.

Within each class and zone, objects are paired one to one by an optimal assignment (Hungarian
algorithm, :func:`scipy.optimize.linear_sum_assignment`) on centre distance; a pair is allowed only
within a gate of half the longer object's length, and at least ``GATE_PX`` before-scene pixels (the
centre noise of detectors and co-registration). Only candidate pairs are ever built (a k-d tree
finds them), and the assignment is solved per connected group of candidates, so a scene with
thousands of objects never needs a dense all-pairs matrix. A before object left unpaired is
``removed``, an after object ``added``.

Output rows follow :data:`~harborwatch.schemas.CHANGES`, plus columns the evidence chips need:
``x_px, y_px`` (centre in the before scene's pixels), ``before_pixel_wkt, after_pixel_wkt``,
``length_m`` and the pixel shift ``shift_dx_px, shift_dy_px`` (null when georeferenced).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
import shapely
import shapely.affinity
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from harborwatch.errors import InputError
from harborwatch.geo.distance import EARTH_RADIUS_M
from harborwatch.ids import row_ids
from harborwatch.imagery.change_map import Shift, estimate_shift, is_georeferenced
from harborwatch.imagery.scenes import lonlat_to_pixel, pixel_to_lonlat

Scene = Mapping[str, Any]

GATE_PX = 8.0
"""Smallest matching gate, in before-scene pixels: box centres of the same object drift by a few
pixels between detectors, labellers and imperfect co-registration."""
OUTSIDE_ZONE = "outside"
"""Zone of an object whose centre lies in none of the site's zones."""
WHOLE_SCENE = "all"
"""Zone of every object when the site has no zones (as ZONE_COUNTS)."""
_STATUSES = ("matched", "removed", "added")


def match_objects(
    before: pl.DataFrame,
    after: pl.DataFrame,
    before_scene: Scene,
    after_scene: Scene,
    max_offset_m: float | None = None,
    zones: pl.DataFrame | None = None,
    *,
    shift: Shift | None = None,
) -> pl.DataFrame:
    """CHANGES rows pairing the ``before`` and ``after`` DETECTIONS of two scenes.

    ``max_offset_m`` replaces the per-pair gate (half the longer object, at least ``GATE_PX``
    pixels). ``zones`` (ZONES rows) split the matching per zone; without them every object is in
    zone ``all``. For pixel-space pairs ``shift`` is estimated from the images unless given.
    """
    georeferenced = is_georeferenced(before_scene) and is_georeferenced(after_scene)
    if not georeferenced and shift is None:
        shift = estimate_shift(before_scene, after_scene)
    gsd_m = float(before_scene.get("gsd_m") or 1.0)
    objects = pl.concat(
        [
            _placed(before, before_scene, before_scene, None, "before"),
            _placed(after, after_scene, before_scene, None if georeferenced else shift, "after"),
        ],
        how="vertical_relaxed",
    )
    objects = objects.with_columns(
        _zones_of(
            objects, zones, before_scene, after_scene, None if georeferenced else shift
        ).alias("zone_id")
    )
    east_m, north_m = _metric_frame(objects, georeferenced, gsd_m)
    gate_m = _gates(objects, max_offset_m, GATE_PX * gsd_m)
    pairs = _assign(objects, east_m, north_m, gate_m)
    return _change_rows(objects, pairs, before_scene, after_scene, shift, georeferenced)


def _placed(
    detections: pl.DataFrame, scene: Scene, frame_scene: Scene, shift: Shift | None, side: str
) -> pl.DataFrame:
    """The detections with lon/lat filled from pixels when missing, and their centre in the frame
    scene's pixels (``fx_px, fy_px``)."""
    missing = [name for name in ("lon", "lat", "length_m", "pixel_wkt") if name not in detections]
    frame = detections.with_columns(pl.lit(None, pl.Float64).alias(name) for name in missing)
    frame = frame.select(
        "detection_id", "class", "x_px", "y_px", "lon", "lat", "length_m", "pixel_wkt",
        *(["zone_id"] if "zone_id" in frame.columns else []),
    ).with_columns(pl.lit(side).alias("side"))  # fmt: skip
    x = frame["x_px"].cast(pl.Float64).to_numpy()
    y = frame["y_px"].cast(pl.Float64).to_numpy()
    lonlat = pixel_to_lonlat(dict(scene), x, y)
    if lonlat is not None:
        frame = frame.with_columns(
            pl.col("lon").fill_null(pl.Series(lonlat[0])),
            pl.col("lat").fill_null(pl.Series(lonlat[1])),
        )
    if shift is not None:
        fx, fy = x - shift.dx_px, y - shift.dy_px
    elif scene is frame_scene or lonlat is None:
        fx, fy = x, y
    else:
        placed = lonlat_to_pixel(
            dict(frame_scene), frame["lon"].to_numpy(), frame["lat"].to_numpy()
        )
        assert placed is not None  # georeferenced pair: both scenes map to lon/lat
        fx, fy = placed
    return frame.with_columns(
        pl.Series("fx_px", np.asarray(fx, dtype=float)),
        pl.Series("fy_px", np.asarray(fy, dtype=float)),
        pl.col("lon").cast(pl.Float64),
        pl.col("lat").cast(pl.Float64),
        pl.col("length_m").cast(pl.Float64),
    )


def zone_polygons_px(zones: pl.DataFrame, scene: Scene) -> list[tuple[str, Any]]:
    """Zones usable in ``scene``, as ``(zone_id, polygon in the scene's pixels)``: lon/lat zones
    when the scene is georeferenced, and pixel zones drawn in this scene."""
    found: list[tuple[str, Any]] = []
    for row in zones.iter_rows(named=True):
        if row.get("geometry_wkt") and is_georeferenced(scene):
            polygon = shapely.from_wkt(row["geometry_wkt"])
            found.append((row["zone_id"], shapely.transform(polygon, _to_pixels(scene))))
        elif row.get("pixel_wkt") and row.get("scene_id") in (None, scene.get("scene_id")):
            found.append((row["zone_id"], shapely.from_wkt(row["pixel_wkt"])))
    return found


def _to_pixels(scene: Scene) -> Any:
    def convert(lonlat: np.ndarray) -> np.ndarray:
        placed = lonlat_to_pixel(dict(scene), lonlat[:, 0], lonlat[:, 1])
        assert placed is not None
        return np.column_stack(placed)

    return convert


def _zones_of(
    objects: pl.DataFrame,
    zones: pl.DataFrame | None,
    before_scene: Scene,
    after_scene: Scene,
    shift: Shift | None,
) -> pl.Series:
    """Zone of each object: the detection's own ``zone_id`` when given, else the first zone whose
    polygon holds its centre (in the before frame; pixel zones drawn in the after scene are moved by
    the shift), ``outside`` when none, ``all`` without zones."""
    given = objects["zone_id"] if "zone_id" in objects.columns else None
    if zones is None or zones.height == 0:
        default = pl.Series([WHOLE_SCENE] * objects.height, dtype=pl.String)
        return given.fill_null(default) if given is not None else default
    polygons = zone_polygons_px(zones, before_scene)
    if shift is not None:
        drawn_after = zones.filter(pl.col("scene_id") == after_scene.get("scene_id"))
        polygons += [
            (zone_id, shapely.affinity.translate(polygon, -shift.dx_px, -shift.dy_px))
            for zone_id, polygon in zone_polygons_px(drawn_after, after_scene)
        ]
    zone = np.full(objects.height, OUTSIDE_ZONE, dtype=object)
    x, y = objects["fx_px"].to_numpy(), objects["fy_px"].to_numpy()
    for zone_id, polygon in reversed(polygons):
        zone[shapely.contains_xy(polygon, x, y)] = zone_id
    found = pl.Series(zone.tolist(), dtype=pl.String)
    return given.fill_null(found) if given is not None else found


def _metric_frame(
    objects: pl.DataFrame, georeferenced: bool, gsd_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """East and north metres of every object in one frame (see the module docstring)."""
    if not georeferenced:
        return objects["fx_px"].to_numpy() * gsd_m, -objects["fy_px"].to_numpy() * gsd_m
    lon, lat = objects["lon"].to_numpy(), objects["lat"].to_numpy()
    if np.isnan(lon).any() or np.isnan(lat).any():
        raise InputError(
            "georeferenced detections need lon/lat or pixel centres; some have neither"
        )
    lat0 = math.radians(float(np.mean(lat))) if lat.size else 0.0
    lon0 = float(np.mean(lon)) if lon.size else 0.0
    east = np.radians(lon - lon0) * math.cos(lat0) * EARTH_RADIUS_M
    return east, np.radians(lat - float(np.mean(lat))) * EARTH_RADIUS_M


def _gates(objects: pl.DataFrame, max_offset_m: float | None, floor_m: float) -> np.ndarray:
    """Per-object half length (at least ``floor_m``), or ``max_offset_m`` for every object."""
    if max_offset_m is not None:
        if not max_offset_m > 0:
            raise InputError(f"max_offset_m={max_offset_m} must be a positive distance in metres")
        return np.full(objects.height, float(max_offset_m))
    half_length = 0.5 * objects["length_m"].fill_null(0.0).fill_nan(0.0).to_numpy()
    return np.maximum(half_length, floor_m)


def _assign(
    objects: pl.DataFrame, east_m: np.ndarray, north_m: np.ndarray, gate_m: np.ndarray
) -> np.ndarray:
    """Optimal one-to-one pairs ``(before_index, after_index, distance_m)`` within the gates, per
    class and zone; indices are rows of ``objects``."""
    is_before = (objects["side"] == "before").to_numpy()
    b_idx, a_idx = np.flatnonzero(is_before), np.flatnonzero(~is_before)
    if b_idx.size == 0 or a_idx.size == 0:
        return np.zeros((0, 3))
    points = np.column_stack([east_m, north_m])
    tree_b, tree_a = cKDTree(points[b_idx]), cKDTree(points[a_idx])
    candidates = tree_b.sparse_distance_matrix(
        tree_a, float(gate_m.max()), output_type="coo_matrix"
    )
    rows, cols, distance = candidates.row, candidates.col, candidates.data
    if rows.size == 0:
        return np.zeros((0, 3))
    group = (objects["class"].cast(pl.String).fill_null("") + "|" + objects["zone_id"]).to_numpy()
    gate = np.maximum(gate_m[b_idx[rows]], gate_m[a_idx[cols]])
    keep = (group[b_idx[rows]] == group[a_idx[cols]]) & (distance <= gate)
    rows, cols, distance = rows[keep], cols[keep], distance[keep]
    n_b = b_idx.size
    graph = coo_matrix((np.ones(rows.size), (rows, cols + n_b)), shape=(n_b + a_idx.size,) * 2)
    _, component = connected_components(graph, directed=False)
    edge_component = component[rows]
    pairs = [
        _solve_component(rows[m], cols[m], distance[m]) for m in _component_masks(edge_component)
    ]
    found = np.concatenate(pairs) if pairs else np.zeros((0, 3))
    return np.column_stack(
        [b_idx[found[:, 0].astype(int)], a_idx[found[:, 1].astype(int)], found[:, 2]]
    )


def _component_masks(edge_component: np.ndarray) -> list[np.ndarray]:
    """Edge positions of each connected group of candidates, grouped by one sort."""
    order = np.argsort(edge_component, kind="stable")
    bounds = np.flatnonzero(np.diff(edge_component[order])) + 1
    return np.split(order, bounds)


def _solve_component(rows: np.ndarray, cols: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Minimum-distance assignment among one group's candidate pairs; as many pairs as possible
    first (a forbidden pair costs more than any sum of allowed ones), then least total distance."""
    if rows.size == 1:
        return np.array([[rows[0], cols[0], distance[0]]])
    row_ids, row_pos = np.unique(rows, return_inverse=True)
    col_ids, col_pos = np.unique(cols, return_inverse=True)
    forbidden = float(distance.sum() + 1.0) * 2.0
    cost = np.full((row_ids.size, col_ids.size), forbidden)
    cost[row_pos, col_pos] = distance
    r, c = linear_sum_assignment(cost)
    allowed = cost[r, c] < forbidden
    return np.column_stack([row_ids[r[allowed]], col_ids[c[allowed]], cost[r, c][allowed]])


def _change_rows(
    objects: pl.DataFrame,
    pairs: np.ndarray,
    before_scene: Scene,
    after_scene: Scene,
    shift: Shift | None,
    georeferenced: bool,
) -> pl.DataFrame:
    """CHANGES rows (and the evidence columns) from the objects and their pairs."""
    before_ids, after_ids = pairs[:, 0].astype(int), pairs[:, 1].astype(int)
    paired = np.zeros(objects.height, dtype=bool)
    paired[before_ids] = paired[after_ids] = True
    side = objects["side"].to_numpy()
    first = np.concatenate([before_ids, np.flatnonzero(~paired & (side == "before"))])
    second = np.concatenate([after_ids, np.flatnonzero(~paired & (side == "after"))])
    n_matched, n_removed = before_ids.size, first.size - before_ids.size
    status = (
        ["matched"] * n_matched + ["removed"] * n_removed + ["added"] * (second.size - n_matched)
    )
    b = objects[first]
    a = objects[second]
    lead = pl.concat([b, a[n_matched:]], how="vertical_relaxed")
    null_b = pl.DataFrame(
        {"detection_id": [None] * (a.height - n_matched)}, schema={"detection_id": pl.String}
    )
    null_a = pl.DataFrame({"detection_id": [None] * n_removed}, schema={"detection_id": pl.String})
    before_det = pl.concat([b.select("detection_id", "pixel_wkt"), null_b], how="diagonal_relaxed")
    after_det = pl.concat(
        [
            a[:n_matched].select("detection_id", "pixel_wkt"),
            null_a,
            a[n_matched:].select("detection_id", "pixel_wkt"),
        ],
        how="diagonal_relaxed",
    )
    offset = np.concatenate([pairs[:, 2], np.full(lead.height - n_matched, np.nan)])
    no_position = pl.Series([None] * lead.height, dtype=pl.Float64)
    rows = pl.DataFrame(
        {
            "site_id": [before_scene.get("site_id")] * lead.height,
            "before_scene_id": [before_scene.get("scene_id")] * lead.height,
            "after_scene_id": [after_scene.get("scene_id")] * lead.height,
            "zone_id": lead["zone_id"],
            "class": lead["class"].cast(pl.String),
            "status": status,
            "before_detection_id": before_det["detection_id"],
            "after_detection_id": after_det["detection_id"],
            "lon": lead["lon"] if georeferenced else no_position,
            "lat": lead["lat"] if georeferenced else no_position,
            "offset_m": pl.Series(offset).fill_nan(None),
            "x_px": lead["fx_px"],
            "y_px": lead["fy_px"],
            "before_pixel_wkt": before_det["pixel_wkt"],
            "after_pixel_wkt": after_det["pixel_wkt"],
            "length_m": lead["length_m"],
            "shift_dx_px": [shift.dx_px if shift else None] * lead.height,
            "shift_dy_px": [shift.dy_px if shift else None] * lead.height,
        },
        schema_overrides={"shift_dx_px": pl.Float64, "shift_dy_px": pl.Float64,
                          "site_id": pl.String, "before_scene_id": pl.String,
                          "after_scene_id": pl.String},
    )  # fmt: skip
    rows = rows.with_columns(pl.Series("change_id", _change_ids(rows), pl.String))
    order = pl.col("status").replace_strict(
        {s: i for i, s in enumerate(_STATUSES)}, return_dtype=pl.Int8
    )
    rows = rows.sort(
        order, "zone_id", "class", "before_detection_id", "after_detection_id", nulls_last=True
    )
    return rows.select("change_id", pl.exclude("change_id"))


def _change_ids(rows: pl.DataFrame) -> list[str]:
    """Deterministic ids: hash of both scenes and both detections (empty when absent)."""
    keys = ("before_scene_id", "after_scene_id", "before_detection_id", "after_detection_id")
    return row_ids(rows, keys, "change_id").to_list()


def summarise_changes(changes: pl.DataFrame) -> dict[str, Any]:
    """The JSON object of a change between two scenes: top-level ``removed``, ``added`` and
    ``matched``, each with its ``count``, counts ``by_zone_class`` and the ``objects``."""
    summary: dict[str, Any] = {
        "site_id": _first(changes, "site_id"),
        "before_scene_id": _first(changes, "before_scene_id"),
        "after_scene_id": _first(changes, "after_scene_id"),
    }
    fields = ["change_id", "zone_id", "class", "before_detection_id", "after_detection_id",
              "lon", "lat", "offset_m", "x_px", "y_px"]  # fmt: skip
    for status in _STATUSES:
        part = changes.filter(pl.col("status") == status)
        counts = part.group_by("zone_id", "class").len("count").sort("zone_id", "class")
        summary[status] = {
            "count": part.height,
            "by_zone_class": counts.to_dicts(),
            "objects": part.select(fields).to_dicts(),
        }
    return summary


def _first(frame: pl.DataFrame, column: str) -> Any:
    return frame[column][0] if frame.height and column in frame.columns else None


def change_counts(changes: pl.DataFrame, statuses: Sequence[str] = _STATUSES) -> pl.DataFrame:
    """One row per zone and class: how many objects were matched, removed and added."""
    wide = changes.group_by("zone_id", "class").agg(
        (pl.col("status") == status).sum().cast(pl.Int64).alias(status) for status in statuses
    )
    return wide.sort("zone_id", "class")
