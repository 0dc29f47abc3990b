"""AIS gaps: a vessel unheard for at least ``GapConfig.min_gap_h`` (GFW pipe-gaps; Welch et al.
2022).

A gap is about the transmitter being unheard, so it is measured between consecutive non-noise
points of one ``vessel_id`` whatever their segments (the segmenter closes a segment after a day of
silence, so a per-segment rule would miss every gap longer than a day). Only silence the data
covers counts (:mod:`harborwatch.tracks.coverage`): the source of the point before the gap, or of
the point after it, must have been recording through the whole gap. A vessel whose last point lies
at least ``min_gap_h`` before the end of its source's coverage window has an *open* gap that ends
there.

Confidence: 4 likely intentional (Welch et al. 2022: at least 12 h, starting at least 50 nm from
shore, at least 14 positions in the 12 h before); 3 starting offshore; 2 starting within
``near_shore_distance_m`` of the coast (ships go dark near port for mundane reasons) or with no
shore distance known; open gaps one lower (their end is unknown), never below 1.
"""

from __future__ import annotations

import weakref

import numba
import numpy as np
import polars as pl

from harborwatch.config import NM_M, GapConfig
from harborwatch.events.base import DetectionContext, EventType, epoch_us, finish_events
from harborwatch.geo.distance import haversine_m
from harborwatch.tracks.coverage import coverage_windows, window_bounds

US_PER_H = 3_600_000_000
"""Microseconds in an hour: timestamps are compared as int64 microseconds."""

RULE = (
    "consecutive non-noise positions of one vessel at least min_gap_h apart while the data covers "
    "the time between, or the last position at least min_gap_h before its source's data ends "
    "(open); likely_intentional when at least "
    "intentional_min_gap_h long, starting at least intentional_min_shore_distance_m from shore "
    "with at least intentional_min_positions_before positions in the positions_before_window_h "
    "before (Welch et al. 2022)"
)

_ATTRIBUTES = (
    "distance_m",
    "implied_speed_knots",
    "shore_distance_start_m",
    "shore_distance_end_m",
    "positions_before",
    "likely_intentional",
    "near_shore",
    "open",
    "seg_id_after",
)
_EVIDENCE = (
    "before_ts",
    "before_lon",
    "before_lat",
    "before_speed_knots",
    "after_ts",
    "after_lon",
    "after_lat",
    "after_speed_knots",
)
_COLUMNS = ("vessel_id", "mmsi", "seg_id", "ts", "lon", "lat", "speed_knots", "shore_distance_m")


class UsablePoints:
    """The non-noise points of a ``vessel_id, ts``-sorted TRACK_POINTS frame, as NumPy arrays.

    Nothing is filtered or copied up front: ``rows`` indexes the usable rows of ``points``, and
    columns are gathered on demand (strings only at the few rows that make events). ``rows``,
    ``ts_us`` and ``starts`` are found once per frame and shared (read-only) by the detectors
    that run one after another on it: they are kept while the frame lives, by weak reference
    (Polars frames are not changed in place by the pipeline).
    """

    def __init__(self, points: pl.DataFrame) -> None:
        self.points = points
        held = _LAST_FRAME.get("held")
        if held is not None and held[0]() is points:
            self.rows, self.ts_us, self.starts = held[1]
            return
        noise = points["noise"].fill_null(False).to_numpy()
        n_usable = noise.size - int(np.count_nonzero(noise))
        # NumPy's allocations (huge pages), filled in one compiled pass.
        self.rows = np.empty(n_usable, np.int64)
        self.ts_us = np.empty(n_usable, np.int64)
        self.starts = np.empty(n_usable, bool)
        _usable_rows(
            noise,
            epoch_us(points["ts"]),
            points["vessel_id"].hash().to_numpy(),
            self.rows,
            self.ts_us,
            self.starts,
        )
        arrays = (self.rows, self.ts_us, self.starts)
        for array in arrays:
            array.flags.writeable = False
        _LAST_FRAME["held"] = (weakref.ref(points, _forget), arrays)

    @property
    def size(self) -> int:
        return int(self.rows.size)

    def ends(self) -> np.ndarray:
        """True at each vessel's last usable point."""
        return np.append(self.starts[1:], True) if self.size else self.starts

    def changes(self, name: str) -> np.ndarray:
        """True where a column's value differs from the previous usable row's (and at row 0).

        Compared by hash: adjacent rows with equal values share one, and a collision between
        two different neighbours (probability 2**-64) is the only way to miss a change.
        """
        changed = np.empty(self.rows.size, bool)  # NumPy's allocation: huge pages
        _changes_at(self.points[name].hash().to_numpy(), self.rows, changed)
        return changed

    def values(self, name: str, index: np.ndarray | None = None) -> np.ndarray:
        """A numeric column at the usable rows, or only at the usable points ``index`` (NaN for
        nulls in float columns, filled by Polars: faster than letting ``to_numpy`` do it)."""
        column = self.points[name]
        if column.dtype.is_float():
            column = column.fill_null(float("nan"))
        return np.asarray(column.to_numpy()[self.rows if index is None else self.rows[index]])

    def take(self, index: np.ndarray, columns: tuple[str, ...]) -> pl.DataFrame:
        """``columns`` of the usable points at positions ``index``."""
        return self.points.select(columns)[self.rows[index]]


_LAST_FRAME: dict[str, tuple[weakref.ref[pl.DataFrame], tuple[np.ndarray, ...]]] = {}
"""The last frame's usable-point arrays, while that frame lives."""


def _forget(frame: weakref.ref[pl.DataFrame]) -> None:
    """Drop the arrays of a frame that no longer exists."""
    held = _LAST_FRAME.get("held")
    if held is not None and held[0] is frame:
        del _LAST_FRAME["held"]


@numba.njit(cache=True)
def _usable_rows(
    noise: np.ndarray,
    ts_us: np.ndarray,
    vessel_hashes: np.ndarray,
    rows: np.ndarray,
    usable_ts_us: np.ndarray,
    starts: np.ndarray,
) -> None:
    """Fill ``rows`` with the rows without ``noise``, ``usable_ts_us`` with their times and
    ``starts`` with whether each starts a vessel (its vessel's hash differs from the previous
    usable row's, as :meth:`UsablePoints.changes` tells)."""
    k = 0
    previous = vessel_hashes[0] if noise.size else 0
    for i in range(noise.size):
        if noise[i]:
            continue
        current = vessel_hashes[i]
        rows[k] = i
        usable_ts_us[k] = ts_us[i]
        starts[k] = k == 0 or current != previous
        previous = current
        k += 1


@numba.njit(cache=True)
def _gaps_after(ts_us: np.ndarray, starts: np.ndarray, min_gap_us: int) -> np.ndarray:
    """The usable points that follow the previous point of their vessel by ``min_gap_us`` or
    more."""
    found = np.empty(ts_us.size, np.int64)  # untouched beyond the few gaps
    n = 0
    for k in range(1, ts_us.size):
        if not starts[k] and ts_us[k] - ts_us[k - 1] >= min_gap_us:
            found[n] = k
            n += 1
    return found[:n].copy()


@numba.njit(cache=True)
def _changes_at(hashes: np.ndarray, rows: np.ndarray, changed: np.ndarray) -> None:
    """``changed[k]``: whether ``hashes[rows[k]]`` differs from ``hashes[rows[k - 1]]`` (true at
    0); one pass, without gathering the hashes first."""
    previous = hashes[rows[0]] if rows.size else 0
    for k in range(rows.size):
        current = hashes[rows[k]]
        changed[k] = k == 0 or current != previous
        previous = current


@numba.njit(cache=True)
def _count_before(ts: np.ndarray, first: np.ndarray, ends: np.ndarray, window: int) -> np.ndarray:
    """For each gap start ``ends[k]``, the points of its vessel in ``[ts - window, ts]``.

    ``first[k]`` is the index of the vessel's first point; the times are sorted within a vessel,
    so a binary search between the two indices finds the window's first point.
    """
    counts = np.empty(ends.size, dtype=np.int64)
    for k in range(ends.size):
        end = ends[k]
        lo, hi = first[k], end
        bound = ts[end] - window
        while lo < hi:
            mid = (lo + hi) // 2
            if ts[mid] < bound:
                lo = mid + 1
            else:
                hi = mid
        counts[k] = end - lo + 1
    return counts


def detect_ais_gaps(
    points: pl.DataFrame,
    context: DetectionContext,
    config: GapConfig = GapConfig(),
) -> pl.DataFrame:
    """Every AIS gap of at least ``config.min_gap_h``, one ``ais_gap`` event each.

    Coverage comes from ``context.coverage``; when that is empty it is computed from ``points``,
    which is only right for the whole data set (runs over partitions pass the whole data's).
    Shore distances come with the points.
    """
    pts = UsablePoints(points)
    ts, starts = pts.ts_us, pts.starts
    min_gap_us = round(config.min_gap_h * US_PER_H)
    coverage = context.coverage
    if coverage.height == 0:
        coverage = coverage_windows(points, config.min_gap_h)
    after = _gaps_after(ts, starts, min_gap_us)
    _, window_end = _bounds(pts, coverage, after - 1)
    window_start, _ = _bounds(pts, coverage, after)
    covered = (window_end >= ts[after]) | (window_start <= ts[after - 1])
    after = after[covered]
    last = np.flatnonzero(pts.ends())
    _, last_end = _bounds(pts, coverage, last)
    is_open = last_end - ts[last] >= min_gap_us
    open_last, open_end = last[is_open], last_end[is_open]
    before = np.concatenate([after - 1, open_last])
    vessel_first = np.flatnonzero(starts)
    first = vessel_first[np.searchsorted(vessel_first, before, side="right") - 1]
    window_us = round(config.positions_before_window_h * US_PER_H)
    rows = _gap_rows(pts.take(before, _COLUMNS), pts.take(after, _COLUMNS), open_end)
    rows = rows.with_columns(
        pl.Series("positions_before", _count_before(ts, first, before, window_us), pl.Int64)
    )
    return finish_events(
        _classify(rows, config),
        event_type=EventType.AIS_GAP,
        rule=RULE,
        config=config,
        attributes=_ATTRIBUTES,
        evidence=_EVIDENCE,
    )


def _bounds(
    pts: UsablePoints, coverage: pl.DataFrame, index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (µs) of the coverage window holding each usable point at ``index``."""
    rows = pts.take(index, ("source", "ts"))
    return window_bounds(coverage, rows["source"], rows["ts"])


def _gap_rows(prev: pl.DataFrame, nxt: pl.DataFrame, open_end_us: np.ndarray) -> pl.DataFrame:
    """One row per gap: the point before it, the point after (null for open gaps, which end at
    ``open_end_us``), distances.

    Durations are computed in NumPy (exact division), so a gap's figures do not depend on which
    other rows share the frame.
    """
    n_closed = nxt.height
    nxt = pl.concat([nxt, nxt.clear(prev.height - n_closed)])
    distance_m = haversine_m(
        prev["lon"].to_numpy(), prev["lat"].to_numpy(), nxt["lon"].to_numpy(), nxt["lat"].to_numpy()
    )
    open_end = pl.Series(np.concatenate([np.zeros(n_closed, np.int64), open_end_us]))
    end_ts = nxt["ts"].fill_null(open_end.cast(pl.Datetime("us", "UTC")))
    duration_h = (epoch_us(end_ts) - epoch_us(prev["ts"])) / US_PER_H
    return pl.DataFrame(
        {
            "vessel_id": prev["vessel_id"],
            "mmsi": prev["mmsi"],
            "seg_id": prev["seg_id"],
            "start_ts": prev["ts"],
            "end_ts": end_ts,
            "duration_h": duration_h,
            "lon": prev["lon"],
            "lat": prev["lat"],
            "distance_m": pl.Series(distance_m).fill_nan(None),
            "shore_distance_start_m": prev["shore_distance_m"],
            "shore_distance_end_m": nxt["shore_distance_m"],
            "open": np.arange(prev.height) >= n_closed,
            "seg_id_after": nxt["seg_id"],
            **{f"before_{name}": prev[name] for name in ("ts", "lon", "lat", "speed_knots")},
            **{f"after_{name}": nxt[name] for name in ("ts", "lon", "lat", "speed_knots")},
        }
    )


def _classify(rows: pl.DataFrame, config: GapConfig) -> pl.DataFrame:
    """Implied speed, the Welch et al. criteria and the confidence of each gap."""
    shore = pl.col("shore_distance_start_m")
    rows = rows.with_columns(
        (pl.col("distance_m") / NM_M / pl.col("duration_h")).alias("implied_speed_knots"),
        (shore < config.near_shore_distance_m).fill_null(False).alias("near_shore"),
        (
            (pl.col("duration_h") >= config.intentional_min_gap_h)
            & (shore >= config.intentional_min_shore_distance_m).fill_null(False)
            & (pl.col("positions_before") >= config.intentional_min_positions_before)
        ).alias("likely_intentional"),
    )
    base = (
        pl.when(pl.col("likely_intentional"))
        .then(4)
        .when(pl.col("near_shore") | shore.is_null())
        .then(2)
        .otherwise(3)
    )
    confidence = pl.max_horizontal(base - pl.col("open").cast(pl.Int8), pl.lit(1))
    return rows.with_columns(confidence.cast(pl.Int8).alias("confidence"))
