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
    points = _sorted_with_vessel_id(positions)
    vessel = points["vessel_id"]
    starts = np.flatnonzero(vessel.ne_missing(vessel.shift(1)).fill_null(True).to_numpy())
    starts = np.append(starts, points.height).astype(np.int64)
    ts_us = points["ts"].dt.cast_time_unit("us").to_physical().to_numpy()
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


def _sorted_with_vessel_id(positions: pl.DataFrame) -> pl.DataFrame:
    """``positions`` with ``vessel_id`` first, in the one order the segmenter reads them.

    Sorted by ``vessel_id, ts`` (skipped when already so, as store queries return them); rows of
    one vessel with the same time are then ordered by :data:`TIE_BREAK_COLUMNS`, sorting only
    those rows.
    """
    vessel_id = pl.coalesce(pl.col("mmsi").cast(pl.String), pl.col("vessel_key"))
    points = positions.select(vessel_id.alias("vessel_id"), pl.all())
    same_vessel = pl.col("vessel_id") == pl.col("vessel_id").shift(1)
    in_order = (pl.col("vessel_id") > pl.col("vessel_id").shift(1)) | (
        same_vessel & (pl.col("ts") >= pl.col("ts").shift(1))
    )
    if not points.select(in_order.fill_null(True).all()).item():
        points = points.sort("vessel_id", "ts", nulls_last=True)
    tied = (same_vessel & (pl.col("ts") == pl.col("ts").shift(1))).fill_null(False)
    in_tie = points.select(tied | tied.shift(-1, fill_value=False)).to_series()
    if not in_tie.any():
        return points
    rows = np.flatnonzero(in_tie.to_numpy())
    keys = ["vessel_id", "ts", *(c for c in TIE_BREAK_COLUMNS if c in points.columns)]
    as_text = [
        pl.col(c).cast(pl.String) if points.schema[c] == pl.Categorical else pl.col(c) for c in keys
    ]
    tie_order = (
        points[rows].with_row_index("_row").sort(as_text, nulls_last=True)["_row"].to_numpy()
    )
    order = np.arange(points.height)
    order[rows] = rows[tie_order]
    return points[order]


def _float_array(column: pl.Series) -> np.ndarray:
    """``column`` as a float NumPy array (its own width), NaN for nulls."""
    if not column.dtype.is_float():
        column = column.cast(pl.Float64)
    return column.to_numpy()


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
