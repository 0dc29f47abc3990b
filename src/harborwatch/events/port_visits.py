"""Port visits with hysteresis (GFW pipe-anchorages / port visits).

A vessel is in port from its first non-noise point within ``entry_distance_m`` of a port or
anchorage until its last point before one lies beyond ``exit_distance_m``; points in between the
two radii keep the previous state, so a vessel hovering at the edge makes one visit, not many.
Visits are found per ``vessel_id`` across segments (a vessel silent in port for more than a day
spans two segments but makes one visit). Inside a visit a stop starts below ``stop_start_knots``
and ends above ``stop_end_knots`` (the same hysteresis). An interval between two in-port points
longer than ``max_gap_in_port_h`` is a port gap: listed in the visit's ``port_gaps`` (the
``ais_gap`` detector also reports it as its own event when it reaches ``GapConfig.min_gap_h``).

The visit's port is the ``port_id`` of its closest point (``lon``/``lat`` are that point's).
Arrival and departure are the first and last in-port points; a visit whose first point is the
vessel's first point has no observed entry (``open_start``), one whose last point is the
vessel's last point no observed exit (``open_end``).

Confidence, after GFW's levels: 4 entry, stop or gap, and exit observed; 3 entry and exit, or a
stop or gap with entry or exit; 2 only one of entry, exit, stop or gap; 1 none (in port from the
first to the last point, moving).
"""

from __future__ import annotations

import numba
import numpy as np
import polars as pl

from harborwatch.config import PortVisitConfig
from harborwatch.events.base import DetectionContext, EventType, finish_events
from harborwatch.events.gaps import US_PER_H, UsablePoints

RULE = (
    "in port from the first position within entry_distance_m of a port or anchorage until the "
    "last before one beyond exit_distance_m; a stop starts below stop_start_knots and ends above "
    "stop_end_knots; intervals longer than max_gap_in_port_h in port are port gaps"
)

_ATTRIBUTES = (
    "port_id",
    "port_name",
    "arrival_ts",
    "departure_ts",
    "min_port_distance_m",
    "n_positions",
    "n_stops",
    "stop_duration_h",
    "n_port_gaps",
    "longest_port_gap_h",
    "port_gaps",
    "open_start",
    "open_end",
)
_EVIDENCE = tuple(
    f"{where}_{name}"
    for where in ("before", "arrival", "departure", "after")
    for name in ("ts", "lon", "lat", "speed_knots")
)
_COLUMNS = (
    "vessel_id",
    "mmsi",
    "seg_id",
    "ts",
    "lon",
    "lat",
    "speed_knots",
    "port_id",
    "port_distance_m",
)


def hysteresis(on: np.ndarray, off: np.ndarray, resets: np.ndarray) -> np.ndarray:
    """A boolean state that turns on where ``on``, off where ``off`` and otherwise keeps its
    previous value; it starts off at every ``resets`` row (one compiled pass)."""
    return _hysteresis(
        np.ascontiguousarray(on, bool),
        np.ascontiguousarray(off, bool),
        np.ascontiguousarray(resets, bool),
    )


@numba.njit(cache=True)
def _hysteresis(on: np.ndarray, off: np.ndarray, resets: np.ndarray) -> np.ndarray:
    state = np.empty(on.size, np.bool_)
    current = False
    for i in range(on.size):
        if on[i]:
            current = True
        elif off[i] or resets[i]:
            current = False
        state[i] = current
    return state


@numba.njit(cache=True)
def _in_port_runs(
    dist: np.ndarray, entry_m: float, exit_m: float, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The in-port points (in port from a point within ``entry_m`` until one beyond ``exit_m``
    or unknown, out of port at each vessel's first point otherwise: :func:`hysteresis`), then
    per in-port point whether a visit starts there, and where among them each visit (a run of
    consecutive in-port points of one vessel) starts and ends. One pass."""
    n = dist.size
    index = np.empty(n, np.int64)
    entering = np.empty(n, np.bool_)
    first = np.empty(n, np.int64)
    last = np.empty(n, np.int64)
    m = n_visits = 0
    current = previous = False
    for i in range(n):
        if dist[i] <= entry_m:
            current = True
        elif not dist[i] <= exit_m or starts[i]:
            current = False
        if current:
            enter = starts[i] or not previous
            if enter:
                if previous:  # the previous vessel's visit ends at its last point
                    last[n_visits - 1] = m - 1
                first[n_visits] = m
                n_visits += 1
            index[m] = i
            entering[m] = enter
            m += 1
        elif previous:
            last[n_visits - 1] = m - 1
        previous = current
    if previous:
        last[n_visits - 1] = m - 1
    return index[:m], entering[:m], first[:n_visits], last[:n_visits]


@numba.njit(cache=True)
def _visit_stats(
    ts: np.ndarray,
    dist: np.ndarray,
    stopped: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    max_gap_us: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per visit ``[first, last]`` (indices into in-port arrays): closest point, stop time,
    stops started, port gaps and the longest one (microseconds)."""
    n = first.size
    closest = np.empty(n, np.int64)
    stop_us = np.zeros(n, np.int64)
    n_stops = np.zeros(n, np.int64)
    n_gaps = np.zeros(n, np.int64)
    longest = np.zeros(n, np.int64)
    for k in range(n):
        best = first[k]
        for i in range(first[k], last[k] + 1):
            if dist[i] < dist[best]:
                best = i
            if stopped[i] and (i == first[k] or not stopped[i - 1]):
                n_stops[k] += 1
            if i < last[k]:
                dt = ts[i + 1] - ts[i]
                if stopped[i]:
                    stop_us[k] += dt
                if dt > max_gap_us:
                    n_gaps[k] += 1
                    longest[k] = max(longest[k], dt)
        closest[k] = best
    return closest, stop_us, n_stops, n_gaps, longest


def detect_port_visits(
    points: pl.DataFrame,
    context: DetectionContext,
    config: PortVisitConfig = PortVisitConfig(),
) -> pl.DataFrame:
    """Every port visit, one ``port_visit`` event each; port names come from ``context.ports``."""
    pts = UsablePoints(points)
    dist = pts.values("port_distance_m")  # NaN (unknown) counts as out of port
    starts, ends = pts.starts, pts.ends()
    index, entering, first, last = _in_port_runs(
        dist, config.entry_distance_m, config.exit_distance_m, starts
    )
    speed = pts.values("speed_knots", index)
    stopped = hysteresis(speed < config.stop_start_knots, speed > config.stop_end_knots, entering)
    max_gap_us = round(config.max_gap_in_port_h * US_PER_H)
    ts = pts.ts_us[index]
    closest, stop_us, n_stops, n_gaps, longest = _visit_stats(
        ts, dist[index], stopped, first, last, max_gap_us
    )
    arrival, departure = index[first], index[last]
    rows = _visit_rows(pts, arrival, departure, index[closest], starts[arrival], ends[departure])
    rows = rows.with_columns(
        pl.Series("stop_duration_h", stop_us / US_PER_H),
        pl.Series("n_stops", n_stops),
        pl.Series("n_port_gaps", n_gaps),
        pl.Series("longest_port_gap_h", longest / US_PER_H),
        _port_gaps(pts, index, first, last, max_gap_us).alias("port_gaps"),
    )
    rows = _with_port_names(rows, context.ports)
    return finish_events(
        _confidence(rows),
        event_type=EventType.PORT_VISIT,
        rule=RULE,
        config=config,
        attributes=_ATTRIBUTES,
        evidence=_EVIDENCE,
    )


def _visit_rows(
    pts: UsablePoints,
    arrival: np.ndarray,
    departure: np.ndarray,
    closest: np.ndarray,
    open_start: np.ndarray,
    open_end: np.ndarray,
) -> pl.DataFrame:
    """One row per visit: times, the closest point and the positions on either side."""
    near = pts.take(closest, _COLUMNS)
    sides = {
        "before": _take_or_null(pts, arrival - 1, ~open_start),
        "arrival": pts.take(arrival, _COLUMNS),
        "departure": pts.take(departure, _COLUMNS),
        "after": _take_or_null(pts, departure + 1, ~open_end),
    }
    return pl.DataFrame(
        {
            "vessel_id": near["vessel_id"],
            "mmsi": near["mmsi"],
            "seg_id": sides["arrival"]["seg_id"],
            "site_id": near["port_id"],
            "port_id": near["port_id"],
            "start_ts": sides["arrival"]["ts"],
            "end_ts": sides["departure"]["ts"],
            "arrival_ts": sides["arrival"]["ts"],
            "departure_ts": sides["departure"]["ts"],
            "lon": near["lon"],
            "lat": near["lat"],
            "min_port_distance_m": near["port_distance_m"],
            "n_positions": departure - arrival + 1,
            "open_start": open_start,
            "open_end": open_end,
            **{
                f"{where}_{name}": frame[name]
                for where, frame in sides.items()
                for name in ("ts", "lon", "lat", "speed_knots")
            },
        }
    )


def _take_or_null(pts: UsablePoints, index: np.ndarray, keep: np.ndarray) -> pl.DataFrame:
    """Usable points at ``index`` where ``keep``, null rows elsewhere (``index`` may then be
    out of range)."""
    rows = pts.take(np.clip(index, 0, max(pts.size - 1, 0)), _COLUMNS)
    mask = pl.lit(pl.Series(keep, dtype=pl.Boolean))
    return rows.select(pl.when(mask).then(pl.col(name)).alias(name) for name in rows.columns)


def _port_gaps(
    pts: UsablePoints, index: np.ndarray, first: np.ndarray, last: np.ndarray, max_gap_us: int
) -> pl.Series:
    """Per visit, the list of its port gaps as ``{start_ts, end_ts, duration_h}``."""
    ts = pts.ts_us[index]
    inside = np.ones(index.size, bool)
    inside[last] = False  # the interval after a visit's last point lies outside it
    gap_at = np.flatnonzero(inside[:-1] & (np.diff(ts) > max_gap_us))
    start_us, end_us = ts[gap_at], ts[gap_at + 1]
    gaps = pl.DataFrame(
        {
            "visit": np.searchsorted(first, gap_at, side="right") - 1,
            "start_ts": pl.Series(start_us).cast(pl.Datetime("us", "UTC")),
            "end_ts": pl.Series(end_us).cast(pl.Datetime("us", "UTC")),
            "duration_h": (end_us - start_us) / US_PER_H,
        }
    )
    listed = gaps.group_by("visit").agg(pl.struct("start_ts", "end_ts", "duration_h").alias("gaps"))
    visits = pl.DataFrame({"visit": np.arange(first.size)})
    joined = visits.join(listed, on="visit", how="left", maintain_order="left")["gaps"]
    return joined.fill_null(pl.lit([], dtype=listed["gaps"].dtype))


def _with_port_names(rows: pl.DataFrame, ports: pl.DataFrame) -> pl.DataFrame:
    """The port's name from the reference table (null when the port is not listed). Only the
    visited ports are made unique: the table may list hundreds of thousands."""
    visited = ports.filter(pl.col("port_id").is_in(rows["port_id"].drop_nulls().implode()))
    names = visited.select("port_id", pl.col("name").alias("port_name")).unique(
        "port_id", keep="first"
    )
    return rows.join(names, on="port_id", how="left", maintain_order="left")


def _confidence(rows: pl.DataFrame) -> pl.DataFrame:
    """GFW-style levels from what was observed: entry, exit, a stop or a port gap."""
    entry, exit_ = ~pl.col("open_start"), ~pl.col("open_end")
    stop_or_gap = (pl.col("n_stops") > 0) | (pl.col("n_port_gaps") > 0)
    level = (
        pl.when(entry & exit_ & stop_or_gap)
        .then(4)
        .when((entry & exit_) | (stop_or_gap & (entry | exit_)))
        .then(3)
        .when(entry | exit_ | stop_or_gap)
        .then(2)
        .otherwise(1)
    )
    return rows.with_columns(level.cast(pl.Int8).alias("confidence"))
