"""Loitering: one vessel slow at sea for hours (GFW loitering).

A loiter is a run of consecutive non-noise points of one segment, each slower than
``max_speed_knots`` and at least ``min_anchorage_distance_m`` from a port or anchorage (no port
within the lookup radius counts as far), lasting at least ``min_duration_h`` from its first to its
last point. An interval of ``max_gap_h`` or more breaks the run (the vessel was unheard, so the
loiter is not observed), and so does a change of segment: a loiter is one transmitter's behaviour.

Confidence says how densely the loiter was observed: 4 when no interval inside it exceeds 30
minutes, 3 up to 2 hours, 2 beyond.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from harborwatch.config import LoiteringConfig
from harborwatch.events.base import DetectionContext, EventType, finish_events
from harborwatch.events.gaps import US_PER_H, UsablePoints
from harborwatch.geo.distance import haversine_m

RULE = (
    "consecutive positions of one segment slower than max_speed_knots and at least "
    "min_anchorage_distance_m from an anchorage for at least min_duration_h, with no interval "
    "of max_gap_h or more"
)

_ATTRIBUTES = (
    "n_positions",
    "mean_speed_knots",
    "distance_m",
    "mean_shore_distance_m",
    "min_shore_distance_m",
    "max_interval_h",
)
_EVIDENCE = tuple(
    f"{where}_{name}"
    for where in ("before", "first", "last", "after")
    for name in ("ts", "lon", "lat", "speed_knots")
)
_COLUMNS = ("vessel_id", "mmsi", "seg_id", "ts", "lon", "lat", "speed_knots")
_DENSE_INTERVAL_H = 0.5  # confidence 4 up to this interval between positions
_SPARSE_INTERVAL_H = 2.0  # confidence 3 up to this one, 2 beyond


def detect_loitering(
    points: pl.DataFrame,
    context: DetectionContext,
    config: LoiteringConfig = LoiteringConfig(),
) -> pl.DataFrame:
    """Every loiter, one ``loitering`` event each. ``context`` is unused."""
    pts = UsablePoints(points)
    speed = pts.values("speed_knots")
    port_distance = np.nan_to_num(pts.values("port_distance_m"), nan=np.inf)
    slow = (speed < config.max_speed_knots) & (port_distance >= config.min_anchorage_distance_m)
    cut = pts.starts | pts.changes("seg_id")
    cut[1:] |= ~slow[:-1] | (np.diff(pts.ts_us) >= round(config.max_gap_h * US_PER_H))
    index = np.flatnonzero(slow)
    first = np.flatnonzero(cut[index])
    last = np.append(first[1:] - 1, index.size - 1) if index.size else first
    ts = pts.ts_us[index]
    long_enough = ts[last] - ts[first] >= round(config.min_duration_h * US_PER_H)
    first, last = first[long_enough], last[long_enough]
    rows = _run_rows(pts, index, first, last, cut)
    rows = rows.with_columns(_run_stats(pts, index, cut[index], first, last))
    interval = pl.col("max_interval_h")
    confidence = (
        pl.when(interval <= _DENSE_INTERVAL_H)
        .then(4)
        .when(interval <= _SPARSE_INTERVAL_H)
        .then(3)
        .otherwise(2)
    )
    return finish_events(
        rows.with_columns(confidence.cast(pl.Int8).alias("confidence")),
        event_type=EventType.LOITERING,
        rule=RULE,
        config=config,
        attributes=_ATTRIBUTES,
        evidence=_EVIDENCE,
    )


def _run_rows(
    pts: UsablePoints, index: np.ndarray, first: np.ndarray, last: np.ndarray, cut: np.ndarray
) -> pl.DataFrame:
    """One row per loiter: its first and last points and the points either side of the run
    (null where the run starts or ends its vessel)."""
    start, end = index[first], index[last]
    has_before = ~pts.starts[start]
    has_after = ~pts.ends()[end]
    sides = {
        "before": _take_or_null(pts, start - 1, has_before),
        "first": pts.take(start, _COLUMNS),
        "last": pts.take(end, _COLUMNS),
        "after": _take_or_null(pts, end + 1, has_after),
    }
    return pl.DataFrame(
        {
            "vessel_id": sides["first"]["vessel_id"],
            "mmsi": sides["first"]["mmsi"],
            "seg_id": sides["first"]["seg_id"],
            "start_ts": sides["first"]["ts"],
            "end_ts": sides["last"]["ts"],
            "n_positions": last - first + 1,
            **{
                f"{where}_{name}": frame[name]
                for where, frame in sides.items()
                for name in ("ts", "lon", "lat", "speed_knots")
            },
        }
    )


def _take_or_null(pts: UsablePoints, index: np.ndarray, keep: np.ndarray) -> pl.DataFrame:
    rows = pts.take(np.clip(index, 0, max(pts.size - 1, 0)), _COLUMNS)
    mask = pl.lit(pl.Series(keep, dtype=pl.Boolean))
    return rows.select(pl.when(mask).then(pl.col(name)).alias(name) for name in rows.columns)


def _run_stats(
    pts: UsablePoints, index: np.ndarray, run_start: np.ndarray, first: np.ndarray, last: np.ndarray
) -> list[pl.Series]:
    """Mean speed, distance travelled, shore distances, position (mean) and the longest interval
    of each run ``[first, last]`` of the slow points ``index``; sums by ``np.add.reduceat``."""
    if first.size == 0:
        names = ("mean_speed_knots", "distance_m", "mean_shore_distance_m", "min_shore_distance_m")
        return [
            pl.Series(name, [], pl.Float64) for name in (*names, "max_interval_h", "lon", "lat")
        ]
    lon, lat = pts.values("lon")[index], pts.values("lat")[index]
    ts = pts.ts_us[index]
    step_m = np.zeros(index.size)
    step_m[1:] = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    step_h = np.zeros(index.size)
    step_h[1:] = np.diff(ts) / US_PER_H
    step_m[run_start], step_h[run_start] = 0.0, 0.0
    # Runs are contiguous in ``index``; reduceat over [first, last + 1) sums each run.
    bounds = np.column_stack([first, last + 1]).ravel()
    n = (last - first + 1).astype(np.float64)
    shore = pts.values("shore_distance_m")[index]

    def per_run(ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        padded = np.append(values, 0.0)
        return np.asarray(ufunc.reduceat(padded, bounds)[::2])

    return [
        pl.Series("mean_speed_knots", per_run(np.add, pts.values("speed_knots")[index]) / n),
        pl.Series("distance_m", per_run(np.add, step_m)),
        pl.Series("mean_shore_distance_m", per_run(np.add, shore) / n).fill_nan(None),
        pl.Series("min_shore_distance_m", per_run(np.minimum, shore)).fill_nan(None),
        pl.Series("max_interval_h", per_run(np.maximum, step_h)),
        pl.Series("lon", per_run(np.add, lon) / n),
        pl.Series("lat", per_run(np.add, lat) / n),
    ]
