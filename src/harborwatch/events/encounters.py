"""Encounters: two vessels side by side, slow, at sea for hours (GFW encounters).

Scales without comparing all points with all points:

1. Each vessel's non-noise points slower than ``max_speed_knots`` and at least
   ``min_anchorage_distance_m`` from an anchorage are averaged per ``time_bin_min`` bin of a
   common grid (bin = epoch time // bin width), one position per vessel and bin.
2. Positions fall in spatial cells at least ``max_distance_m`` wide: latitude bands of
   ``max_distance_m`` and, in each band, longitude steps widened by the band's poleward cosine.
   Two positions within ``max_distance_m`` therefore lie in the same or neighbouring cells.
3. A hash join on (bin, cell) of every position with the 3 x 3 cells around every other position
   gives the candidate pairs; the great-circle distance keeps those within ``max_distance_m``.
4. Per vessel pair, matched bins form runs; a silence of up to ``max_bin_gap_min`` without a
   matched bin does not break a run. A run lasting ``min_duration_h`` (from the later of the two
   vessels' first reports in its first bin to the earlier of their last reports in its last bin)
   is an encounter.

One event per run, ``vessel_id < other_vessel_id``. Longitudes are not wrapped at +-180 deg.
Confidence: 4 when pairs matched in at least 90 % of the run's bins, 3 from 50 %, 2 below.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from harborwatch.config import EncounterConfig
from harborwatch.events.base import DetectionContext, EventType, finish_events
from harborwatch.events.gaps import US_PER_H, UsablePoints
from harborwatch.geo.distance import METRES_PER_DEG_LAT, haversine_m

RULE = (
    "two vessels within max_distance_m on a common time_bin_min grid for at least "
    "min_duration_h, both slower than max_speed_knots and at least min_anchorage_distance_m "
    "from an anchorage; silences up to max_bin_gap_min bridged"
)


_ATTRIBUTES = (
    "median_distance_m",
    "min_distance_m",
    "mean_speed_knots",
    "other_mean_speed_knots",
    "n_bins",
    "bin_coverage",
)
_EVIDENCE = tuple(
    f"{who}_{when}_{name}"
    for who in ("vessel", "other")
    for when in ("first", "last")
    for name in ("ts", "lon", "lat", "speed_knots")
)


def detect_encounters(
    points: pl.DataFrame,
    context: DetectionContext,
    config: EncounterConfig = EncounterConfig(),
) -> pl.DataFrame:
    """Every encounter between two vessels of ``points``, one ``encounter`` event each.

    ``context`` is unused. Partition-local as long as both vessels of a pair are in ``points``
    (a Dask run partitions by spatial cell and time window, with overlap, rather than by vessel).
    """
    pts = UsablePoints(points)
    bins = _vessel_bins(pts, config)
    pairs = _close_pairs(bins, config)
    runs = _pair_runs(pairs, config)
    vessels = _vessel_table(pts)
    runs = runs.join(vessels, left_on="a", right_on="vessel_no").join(
        vessels.rename({"vessel_id": "other_vessel_id", "mmsi": "other_mmsi"}),
        left_on="b",
        right_on="vessel_no",
    )
    coverage = pl.col("bin_coverage")
    confidence = pl.when(coverage >= 0.9).then(4).when(coverage >= 0.5).then(3).otherwise(2)
    runs = runs.with_columns(confidence.cast(pl.Int8).alias("confidence")).sort(
        "vessel_id", "start_ts", "other_vessel_id"
    )
    return finish_events(
        runs,
        event_type=EventType.ENCOUNTER,
        rule=RULE,
        config=config,
        attributes=_ATTRIBUTES,
        evidence=_EVIDENCE,
    )


def _vessel_bins(pts: UsablePoints, config: EncounterConfig) -> pl.DataFrame:
    """One row per vessel and time bin: the mean position and speed of its eligible points, and
    the first and last report times in the bin. ``vessel_no`` numbers vessels in input order."""
    vessel_no = np.cumsum(pts.starts) - 1
    speed = pts.values("speed_knots")
    port_distance = np.nan_to_num(pts.values("port_distance_m"), nan=np.inf)
    eligible = (speed < config.max_speed_knots) & (port_distance >= config.min_anchorage_distance_m)
    index = np.flatnonzero(eligible)
    bin_us = round(config.time_bin_min * 60e6)
    ts = pts.ts_us[index]
    vessel, bins = vessel_no[index], ts // bin_us
    # Points are sorted by vessel and time, so each (vessel, bin) is a contiguous block.
    first = np.flatnonzero(np.diff(vessel, prepend=-1) | np.diff(bins, prepend=-1))
    last = np.append(first[1:] - 1, index.size - 1) if index.size else first
    count = np.diff(np.append(first, index.size))

    def mean(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, first) / count if first.size else values[:0]

    return pl.DataFrame(
        {
            "vessel_no": vessel[first],
            "bin": bins[first],
            "lon": mean(pts.values("lon")[index]),
            "lat": mean(pts.values("lat")[index]),
            "speed_knots": mean(speed[index].astype(np.float64)),
            "first_us": ts[first],
            "last_us": ts[last],
        }
    )


def _cells(lon: pl.Expr, lat: pl.Expr, band_offset: int, config: EncounterConfig) -> pl.Expr:
    """Cell key (band, longitude step) of a position, looked up in the band ``band_offset``
    rows away from its own, so neighbours are found across bands of different widths."""
    dlat = config.max_distance_m / METRES_PER_DEG_LAT
    band = (lat / dlat).floor().cast(pl.Int64) + band_offset
    poleward = pl.max_horizontal((band * dlat).abs(), ((band + 1) * dlat).abs()).clip(0.0, 89.0)
    dlon = dlat / poleward.radians().cos()
    step = (lon / dlon).floor().cast(pl.Int64)
    return band * (1 << 32) + step


def _close_pairs(bins: pl.DataFrame, config: EncounterConfig) -> pl.DataFrame:
    """Pairs of vessels (``a < b``) in the same bin within ``max_distance_m`` of each other."""
    own = bins.with_columns(_cells(pl.col("lon"), pl.col("lat"), 0, config).alias("cell"))
    around = pl.concat(
        [
            bins.select(
                "vessel_no",
                "bin",
                (_cells(pl.col("lon"), pl.col("lat"), band, config) + step).alias("cell"),
            )
            for band in (-1, 0, 1)
            for step in (-1, 0, 1)
        ]
    )
    pairs = (
        around.join(own.select("vessel_no", "bin", "cell"), on=("bin", "cell"), suffix="_b")
        .filter(pl.col("vessel_no") < pl.col("vessel_no_b"))
        .select(pl.col("vessel_no").alias("a"), pl.col("vessel_no_b").alias("b"), "bin")
    )
    side = bins.select("vessel_no", "bin", "lon", "lat", "speed_knots", "first_us", "last_us")
    pairs = pairs.join(side, left_on=("a", "bin"), right_on=("vessel_no", "bin")).join(
        side, left_on=("b", "bin"), right_on=("vessel_no", "bin"), suffix="_b"
    )
    distance_m = haversine_m(
        pairs["lon"].to_numpy(),
        pairs["lat"].to_numpy(),
        pairs["lon_b"].to_numpy(),
        pairs["lat_b"].to_numpy(),
    )
    pairs = pairs.with_columns(pl.Series("distance_m", distance_m))
    return pairs.filter(pl.col("distance_m") <= config.max_distance_m).sort("a", "b", "bin")


def _pair_runs(pairs: pl.DataFrame, config: EncounterConfig) -> pl.DataFrame:
    """Runs of matched bins per pair, their times, distances, speeds and end positions."""
    max_step = 1 + int(config.max_bin_gap_min // config.time_bin_min)
    new_run = (
        (pl.col("a") != pl.col("a").shift(1))
        | (pl.col("b") != pl.col("b").shift(1))
        | (pl.col("bin") - pl.col("bin").shift(1) > max_step)
    ).fill_null(True)
    pairs = pairs.with_columns(new_run.cum_sum().alias("run"))
    as_ts = pl.Datetime("us", "UTC")
    runs = pairs.group_by("run", maintain_order=True).agg(
        pl.col("a").first(),
        pl.col("b").first(),
        pl.max_horizontal("first_us", "first_us_b").first().cast(as_ts).alias("start_ts"),
        pl.min_horizontal("last_us", "last_us_b").last().cast(as_ts).alias("end_ts"),
        ((pl.col("lon") + pl.col("lon_b")) / 2).mean().alias("lon"),
        ((pl.col("lat") + pl.col("lat_b")) / 2).mean().alias("lat"),
        pl.col("distance_m").median().alias("median_distance_m"),
        pl.col("distance_m").min().alias("min_distance_m"),
        pl.col("speed_knots").mean().alias("mean_speed_knots"),
        pl.col("speed_knots_b").mean().alias("other_mean_speed_knots"),
        pl.len().alias("n_bins"),
        (pl.len() / (pl.col("bin").last() - pl.col("bin").first() + 1)).alias("bin_coverage"),
        *_ends("vessel", ""),
        *_ends("other", "_b"),
    )
    duration_h = (pl.col("end_ts") - pl.col("start_ts")).dt.total_microseconds() / US_PER_H
    return runs.filter(duration_h >= config.min_duration_h).drop("run")


def _ends(who: str, suffix: str) -> list[pl.Expr]:
    """Evidence: one vessel's mean position, speed and first report time in the run's first and
    last bins."""
    as_ts = pl.Datetime("us", "UTC")
    columns = {"ts": "first_us", "lon": "lon", "lat": "lat", "speed_knots": "speed_knots"}
    return [
        getattr(pl.col(source + suffix), when)()
        .cast(as_ts if name == "ts" else pl.Float64)
        .alias(f"{who}_{when}_{name}")
        for when in ("first", "last")
        for name, source in columns.items()
    ]


def _vessel_table(pts: UsablePoints) -> pl.DataFrame:
    """``vessel_no`` (as numbered by :func:`_vessel_bins`) to ``vessel_id`` and ``mmsi``."""
    firsts = np.flatnonzero(pts.starts)
    table = pts.take(firsts, ("vessel_id", "mmsi"))
    return table.with_columns(pl.Series("vessel_no", np.arange(firsts.size)))
