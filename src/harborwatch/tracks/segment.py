"""Split each vessel's positions into segments, one per transmitter and stretch of coverage.

In the way of Global Fishing Watch's gpsdio-segment: per vessel, in time order, each point joins
the open segment it plausibly continues (the discrepancy between its position and the dead
reckoning of the segment's last point stays within ``max_implied_speed_knots`` times the padded
time; the best score wins), else it opens a new segment. Two transmitters sharing an MMSI thus
give two interleaved segments instead of a zig-zag. Segments close after ``max_gap_h`` without a
point. Noise is kept and marked, never deleted: sentinel speeds (51.2, 63, 102.3 kn), missing
positions, and short excursions that jump away and come back (``impossible_jump``). The kernel is
in :mod:`harborwatch.tracks._kernel`; this module shapes the tables around it.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numba import njit

from harborwatch.config import NM_M, SegmentConfig
from harborwatch.events.base import epoch_us
from harborwatch.tracks import _kernel
from harborwatch.tracks._kernel import NOISE_REASONS

TIE_BREAK_COLUMNS = (
    "lon",
    "lat",
    "sog_knots",
    "cog_deg",
    "heading_deg",
    "nav_status",
    "msg_type",
    "source",
    "receiver",
    "file_id",
    "line_no",
)
"""Columns that order points of one vessel with the same timestamp, so that the output (and the
segmentation, which reads points in that order) does not depend on the input order."""

SEGMENT_COLUMNS = (
    "seg_id",
    "noise",
    "noise_reason",
    "speed_knots",
    "course_deg",
    "implied_speed_knots",
)
"""Columns :func:`segment_tracks` adds (after ``vessel_id``, which it puts first)."""

_SEG_ID_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%.6fZ"  # GFW: 412331088-2021-01-01T00:04:22.000000Z


def segment_tracks(
    positions: pl.DataFrame, config: SegmentConfig = SegmentConfig()
) -> pl.DataFrame:
    """Segment ``positions`` (the ``positions`` columns, extra columns kept).

    Returns ``vessel_id`` (the MMSI as text, else ``vessel_key``), the input columns and
    ``seg_id, noise, noise_reason, speed_knots, course_deg, implied_speed_knots`` (see
    :data:`harborwatch.schemas.TRACK_POINTS`), sorted by ``vessel_id, ts`` and then
    :data:`TIE_BREAK_COLUMNS`. ``seg_id`` is ``vessel_id-<ISO time of the segment's first point>``
    (GFW's form; a millisecond is added when two segments of a vessel start at the same time).
    ``speed_knots``/``course_deg`` are SOG/COG, or derived from consecutive positions of the same
    segment where SOG/COG are missing (the Suez export has none).
    """
    points, starts, ts_us = _sorted_with_vessel_id(positions)
    vessel = points["vessel_id"]
    lon = _float_array(points["lon"])
    lat = _float_array(points["lat"])
    sog = _float_array(points["sog_knots"])
    cog = _float_array(points["cog_deg"])
    segment, noise, implied, seg_vessel, seg_first = _kernel.segment_points(
        starts,
        ts_us,
        lon,
        lat,
        sog,
        cog,
        points["msg_type"].eq_missing(27).to_numpy(),
        np.array(config.sentinel_speeds_knots, np.float64),
        np.array(
            [
                config.max_implied_speed_knots,
                config.max_gap_h,
                config.buffer_h,
                config.penalty_h,
                config.penalty_exponent,
                config.penalty_speed_knots,
                config.type27_min_gap_h,
                config.sentinel_tolerance_knots,
            ]
        ),
        config.max_open_segments,
        config.short_segment_points,
        config.jump_noise_window,
    )
    seg_ids = _segment_ids(vessel, ts_us, seg_vessel, seg_first)
    speed, course = _motion(points, segment, ts_us, lon, lat)
    noisy = np.flatnonzero(noise)
    noise_reason = pl.repeat(None, points.height, dtype=pl.String, eager=True).scatter(
        noisy, pl.Series(NOISE_REASONS, dtype=pl.String).gather(noise[noisy].astype(np.uint32))
    )
    return points.with_columns(
        seg_id=seg_ids.gather(pl.Series(segment).set(pl.Series(segment < 0), None)),
        noise=pl.Series(noise > 0),
        noise_reason=noise_reason,
        speed_knots=speed,
        course_deg=course,
        implied_speed_knots=pl.Series(implied).fill_nan(None),
    )


def _sorted_with_vessel_id(
    positions: pl.DataFrame,
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """``positions`` with ``vessel_id`` first, in the one order the segmenter reads them, the
    first row of each vessel (then the row count) and the times in microseconds.

    Sorted by ``vessel_id, ts`` (skipped when already so, as store queries return them); rows of
    one vessel with the same time are then ordered by :data:`TIE_BREAK_COLUMNS`, sorting only
    those rows.
    """
    runs = _vessel_runs(positions)
    if runs is None:
        positions = positions.sort(_VESSEL_ID, "ts", nulls_last=True)
        runs = _vessel_runs(positions, check=False)
        assert runs is not None
    vessel_id, starts, ts_us, tied = runs
    points = pl.DataFrame([vessel_id]).hstack(positions)
    if not tied.any():
        return points, starts, ts_us
    in_tie = np.zeros(points.height, bool)
    in_tie[1:] = tied
    in_tie[:-1] |= tied
    rows = np.flatnonzero(in_tie)
    keys = ["vessel_id", "ts", *(c for c in TIE_BREAK_COLUMNS if c in points.columns)]
    as_text = [
        pl.col(c).cast(pl.String) if points.schema[c] == pl.Categorical else pl.col(c) for c in keys
    ]
    tie_order = (
        points[rows].with_row_index("_row").sort(as_text, nulls_last=True)["_row"].to_numpy()
    )
    moved = tie_order != np.arange(rows.size)
    target, source = rows[moved], rows[tie_order[moved]]
    points = points.with_columns(_reordered(points[c], target, source) for c in points.columns)
    return points, starts, ts_us


_VESSEL_ID = pl.coalesce(pl.col("mmsi").cast(pl.String), pl.col("vessel_key").cast(pl.String))


def _vessel_runs(
    positions: pl.DataFrame, check: bool = True
) -> tuple[pl.Series, np.ndarray, np.ndarray, np.ndarray] | None:
    """``vessel_id`` of every row, the first row of each vessel (then the row count), the times
    in microseconds and, between each row and the next, whether both are of one vessel at one
    time; None when ``check`` finds the rows not sorted by ``vessel_id, ts``.

    The id text is built once per run of equal ``mmsi, vessel_key`` (store order keeps a vessel's
    rows together) and repeated, rather than formatted for every row.
    """
    n = positions.height
    key_change = positions.select(
        pl.col("mmsi").ne_missing(pl.col("mmsi").shift(1))
        | pl.col("vessel_key").ne_missing(pl.col("vessel_key").shift(1))
    ).to_series()
    run_first = np.flatnonzero(key_change.to_numpy())
    if n:
        run_first[0] = 0  # shift(1) leaves row 0 null: ne_missing says changed
    labels = positions[run_first].select(_VESSEL_ID).to_series().alias("vessel_id")
    if check and not labels.is_sorted(nulls_last=True):
        return None
    new_vessel = labels.ne_missing(labels.shift(1)).to_numpy()
    new_vessel[:1] = True  # a null first id equals the shift's null
    run_size = np.diff(np.append(run_first, n))
    vessel_id = labels.gather(np.repeat(np.arange(run_first.size, dtype=np.uint32), run_size))
    starts = np.append(run_first[new_vessel], n).astype(np.int64)
    ts_us = epoch_us(positions["ts"])
    tied = np.empty(max(n - 1, 0), bool)  # NumPy's allocation: huge pages
    if not _time_steps(ts_us, starts, tied) and check:
        return None
    return vessel_id, starts, ts_us, tied


@njit(cache=True, nogil=True)
def _time_steps(ts_us: np.ndarray, starts: np.ndarray, tied: np.ndarray) -> bool:
    """Fill ``tied[i]``: rows ``i`` and ``i + 1`` are of one vessel (``starts``: each vessel's
    first row, then the row count) at one time. Returns whether the times of each vessel never
    decrease."""
    ordered = True
    for v in range(starts.shape[0] - 1):
        if starts[v] > 0:
            tied[starts[v] - 1] = False  # between two vessels
        for i in range(starts[v], starts[v + 1] - 1):
            step = ts_us[i + 1] - ts_us[i]
            tied[i] = step == 0
            ordered = ordered and step >= 0
    return ordered


def _reordered(column: pl.Series, target: np.ndarray, source: np.ndarray) -> pl.Series:
    """``column`` with the values at rows ``source`` moved to rows ``target`` (a permutation of
    the same rows). Only the few tied rows move, so the column is patched rather than gathered
    whole, and left as is when the moved values are equal (columns constant within each tie)."""
    values = column.gather(source)
    if values.equals(column.gather(target)):
        return column
    return column.scatter(target, values)


def _float_array(column: pl.Series) -> np.ndarray:
    """``column`` as a float NumPy array (its own width), NaN for nulls (filled by Polars
    first: several times faster than letting ``to_numpy`` convert the nulls)."""
    if not column.dtype.is_float():
        column = column.cast(pl.Float64)
    return column.fill_null(float("nan")).to_numpy()


def _segment_ids(
    vessel: pl.Series, ts_us: np.ndarray, seg_vessel: np.ndarray, seg_first: np.ndarray
) -> pl.Series:
    """``vessel_id-ISO time`` of each segment's first point, made unique within a vessel."""
    id_ts = _unique_start_times(ts_us[seg_first], seg_vessel)
    when = pl.Series(id_ts).cast(pl.Datetime("us", "UTC")).dt.strftime(_SEG_ID_TS_FORMAT)
    return vessel.gather(seg_first) + "-" + when


@njit(cache=True, nogil=True)
def _unique_start_times(first_us: np.ndarray, seg_vessel: np.ndarray) -> np.ndarray:
    """Segment start times, bumped by 1 ms past the previous id time of the same vessel when
    equal (segments open in time order, so the times of one vessel never decrease)."""
    out = first_us.copy()
    for s in range(1, out.shape[0]):
        if seg_vessel[s] == seg_vessel[s - 1] and out[s] <= out[s - 1]:
            out[s] = out[s - 1] + 1000
    return out


def _motion(
    points: pl.DataFrame,
    segment: np.ndarray,
    ts_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
) -> tuple[pl.Series, pl.Series]:
    """``speed_knots`` and ``course_deg``: SOG/COG, derived from positions where missing."""
    sog = points["sog_knots"].cast(pl.Float32)
    cog = points["cog_deg"].cast(pl.Float32)
    if sog.null_count() == 0 and cog.null_count() == 0:
        return sog, cog
    need = (sog.is_null() | cog.is_null()).to_numpy()
    speed, course = _kernel.derive_motion(segment, ts_us, lon, lat, need)
    return (
        sog.fill_null(pl.Series(speed).fill_nan(None)),
        cog.fill_null(pl.Series(course).fill_nan(None)),
    )


def summarise_segments(points: pl.DataFrame) -> pl.DataFrame:
    """One row per segment of :func:`segment_tracks` output, in the ``segments`` schema.

    ``distance_m`` sums great-circle steps between consecutive points of the segment; ``flags``
    holds ``shared_mmsi`` when another segment of the same vessel overlaps it in time (two
    transmitters at once).
    """
    step_m = _step_distance_m(points.filter(pl.col("seg_id").is_not_null()))
    segments = (
        step_m.group_by("seg_id")
        .agg(
            pl.col("vessel_id").first(),
            pl.col("mmsi").first(),
            pl.col("ts").min().alias("first_ts"),
            pl.col("ts").max().alias("last_ts"),
            pl.len().cast(pl.Int64).alias("n_positions"),
            pl.col("step_m").sum().alias("distance_m"),
        )
        .sort("vessel_id", "first_ts", "seg_id")
    )
    return segments.with_columns(
        flags=pl.when(_overlaps_another()).then(pl.lit("shared_mmsi")).otherwise(pl.lit(""))
    ).select(
        "seg_id", "vessel_id", "mmsi", "first_ts", "last_ts", "n_positions", "distance_m", "flags"
    )


def _step_distance_m(points: pl.DataFrame) -> pl.DataFrame:
    """``points`` with ``step_m``, the haversine distance from the previous point of its segment."""
    rad = np.pi / 180.0
    lat1 = pl.col("lat").shift(1).over("seg_id") * rad
    lon1 = pl.col("lon").shift(1).over("seg_id") * rad
    lat2 = pl.col("lat") * rad
    lon2 = pl.col("lon") * rad
    a = ((lat2 - lat1) / 2).sin() ** 2 + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2).sin() ** 2
    radius_m = _kernel.EARTH_RADIUS_NM * NM_M
    step = (2 * radius_m * a.sqrt().clip(upper_bound=1.0).arcsin()).fill_null(0.0)
    return points.with_columns(step_m=step)


def _overlaps_another() -> pl.Expr:
    """Whether a segment's time span overlaps that of another segment of the same vessel.

    Segments are sorted by first time within a vessel: one overlaps an earlier one when it starts
    before the latest end so far, and a later one when the next starts before it ends.
    """
    latest_end_before = pl.col("last_ts").cum_max().shift(1).over("vessel_id")
    next_start = pl.col("first_ts").shift(-1).over("vessel_id")
    return (pl.col("first_ts") <= latest_end_before).fill_null(False) | (
        next_start <= pl.col("last_ts")
    ).fill_null(False)
