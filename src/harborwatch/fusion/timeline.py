"""A site's daily timeline and the significant shifts in it (drawdowns and buildups).

:func:`site_timeline` lays the stored evidence about one site on a grid of UTC days: watchlist
vessels present (``site_presence`` events), port visits begun and ended at the site, AIS gaps
beginning or ending near it, and imagery counts per zone and class on the days with a scene. Each
event series carries the ids of the events behind each day's value, imagery the scene ids, so an
assessment can cite them.

:func:`detect_shifts` finds changes of level in one daily series by binary segmentation on the
Poisson likelihood ratio (every series here is a count). The p-value of the best split of a
dense series (at least :attr:`TimelineConfig.permutation_min_points` observations) comes from a
permutation test of the maximum statistic, which stays valid when counts are over-dispersed;
sparse series (imagery: a handful of scene dates) have too few orderings for that, so their best
split is judged by the likelihood ratio's chi-square(1) law with a Bonferroni correction over the
candidate splits, and a segment may be one scene long (consecutive scenes are compared).

:func:`assess_site` turns the shifts into :data:`~harborwatch.schemas.ASSESSMENTS` rows: a
decrease is a ``drawdown``, an increase a ``buildup``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from harborwatch.config import NM_M, GapConfig
from harborwatch.events.base import US_PER_H, EventType, empty_frame
from harborwatch.geo.distance import haversine_m
from harborwatch.geo.sites import site_membership
from harborwatch.ids import row_ids
from harborwatch.schemas import ASSESSMENTS, SITES

ASSESSMENT_DTYPES = empty_frame(ASSESSMENTS).schema

EVENT_SERIES = {
    "vessels_present": "presence_ids",
    "visits_began": "visit_begin_ids",
    "visits_ended": "visit_end_ids",
    "gaps_began": "gap_begin_ids",
    "gaps_ended": "gap_end_ids",
}
"""Event series of the timeline and the column holding each day's event ids."""

IMAGERY_PREFIX = "img_"
SCENE_IDS = "scene_ids"


@dataclass(frozen=True)
class TimelineConfig:
    """Thresholds of the timeline and of the shift test."""

    gap_near_site_m: float = 20 * NM_M  # a gap starting or ending this close is the site's
    max_p_value: float = 0.05  # conventional significance level of one reported change
    min_relative_change: float = 0.2  # smaller changes of level are not worth an assessment
    min_segment_days: int = 2  # dense series: a one-day spike is not a change of level
    permutation_min_points: int = 10  # fewer observations: chi-square law, not permutations
    permutations: int = 999  # p-values down to 0.001 (confidence 4)
    max_changes: int = 5  # per series: binary segmentation stops after this many
    seed: int = 0  # permutations are seeded: a re-run gives the same assessments
    min_day_coverage: float = 0.95  # AIS recording this share of a day: its counts are whole
    min_gap_h: float = GapConfig.min_gap_h  # a gap ending in a day began this long before it


def site_timeline(
    site: dict[str, Any],
    events: pl.DataFrame,
    counts: pl.DataFrame,
    start: date,
    end: date,
    config: TimelineConfig | None = None,
    coverage: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per UTC day from ``start`` to ``end`` (inclusive) of ``site`` (a SITES row).

    ``events`` follows EVENTS, ``counts`` ZONE_COUNTS, ``coverage`` COVERAGE (None: every day
    was recorded). Columns: ``date``; the counts of :data:`EVENT_SERIES` with their id lists,
    null on days the AIS data covers less than ``min_day_coverage`` of (a partly recorded day
    under-counts); ``img_<zone>_<class>`` (null on days without a scene; the day's latest scene
    when there are several) and ``scene_ids``.
    """
    config = config or TimelineConfig()
    days = pl.DataFrame({"date": pl.date_range(start, end, "1d", eager=True)})
    events = events.filter(pl.col("start_ts").dt.date() <= end, pl.col("end_ts").dt.date() >= start)
    timeline = days
    for series, frame in _event_days(site, events, config.gap_near_site_m).items():
        ids = EVENT_SERIES[series]
        daily = frame.group_by("date").agg(
            pl.col("vessel_id").n_unique().alias(series) if series == "vessels_present"
            else pl.len().alias(series),
            pl.col("event_id").unique().sort().alias(ids),
        )  # fmt: skip
        timeline = timeline.join(daily, on="date", how="left").with_columns(
            pl.col(series).fill_null(0).cast(pl.Int64),
            pl.col(ids).fill_null(pl.lit([], pl.List(pl.String))),
        )
    if coverage is not None:
        for series in EVENT_SERIES:
            lead_h = config.min_gap_h if series == "gaps_ended" else 0.0
            recorded = _recorded_days(days, coverage, config.min_day_coverage, lead_h)
            timeline = (
                timeline.join(recorded, on="date", how="left")
                .with_columns(pl.when(pl.col("_recorded")).then(pl.col(series)).alias(series))
                .drop("_recorded")
            )
    return timeline.join(_imagery_days(site, counts), on="date", how="left").sort("date")


def site_evidence_days(
    site: dict[str, Any], events: pl.DataFrame, counts: pl.DataFrame, config: TimelineConfig
) -> pl.Series:
    """The UTC days on which ``site``'s timeline has evidence: days its events count on (as in
    :func:`site_timeline`) and its scene dates, sorted and unique."""
    frames = [
        frame.select("date") for frame in _event_days(site, events, config.gap_near_site_m).values()
    ]
    scenes = counts.filter(pl.col("site_id") == site["site_id"])
    frames.append(scenes.select(pl.col("acquired_ts").dt.date().alias("date")))
    return pl.concat(frames)["date"].drop_nulls().unique().sort()


def _recorded_days(
    days: pl.DataFrame, coverage: pl.DataFrame, min_share: float, lead_h: float = 0.0
) -> pl.DataFrame:
    """``date, _recorded``: whether one coverage window holds at least ``min_share`` of the
    day and of the ``lead_h`` hours before it (a gap ending on the first recorded day began
    before the recording: it cannot be seen to end, so that day under-counts ends)."""
    lead = pl.duration(microseconds=round(lead_h * US_PER_H))
    span_start = pl.col("date").cast(pl.Datetime("us", "UTC")) - lead
    span_end = pl.col("date").cast(pl.Datetime("us", "UTC")) + pl.duration(days=1)
    overlap = pl.min_horizontal("end_ts", span_end) - pl.max_horizontal("start_ts", span_start)
    span_us = (24.0 + lead_h) * US_PER_H
    share = (
        days.join(coverage.select("start_ts", "end_ts"), how="cross")
        .group_by("date")
        .agg(((overlap.dt.total_microseconds() / span_us).max() >= min_share).alias("_recorded"))
    )
    return days.join(share, on="date", how="left").with_columns(
        pl.col("_recorded").fill_null(False)
    )


def _event_days(
    site: dict[str, Any], events: pl.DataFrame, near_m: float
) -> dict[str, pl.DataFrame]:
    """Per series, rows ``date, vessel_id, event_id``: the days each event counts on (gaps
    when they begin or end within ``near_m`` of the site)."""
    columns = ["date", "vessel_id", "event_id"]
    presence = events.filter(
        pl.col("event_type") == str(EventType.SITE_PRESENCE), pl.col("site_id") == site["site_id"]
    ).with_columns(date=pl.date_ranges(pl.col("start_ts").dt.date(), pl.col("end_ts").dt.date()))
    visits = events.filter(pl.col("event_type") == str(EventType.PORT_VISIT))
    inside = _inside_site(site, visits["lon"].to_numpy(), visits["lat"].to_numpy())
    visits = visits.filter(
        pl.Series(inside) | (pl.col("site_id") == site["site_id"]).fill_null(False)
    )
    gaps = events.filter(pl.col("event_type") == str(EventType.AIS_GAP))
    after_lon = gaps["evidence"].str.json_path_match("$.points.after_lon").cast(pl.Float64)
    after_lat = gaps["evidence"].str.json_path_match("$.points.after_lat").cast(pl.Float64)
    began = _distance_to_site_m(site, gaps["lon"].to_numpy(), gaps["lat"].to_numpy()) <= near_m
    ended = _distance_to_site_m(site, after_lon.to_numpy(), after_lat.to_numpy()) <= near_m
    start_day, end_day = pl.col("start_ts").dt.date(), pl.col("end_ts").dt.date()
    return {
        "vessels_present": presence.explode("date").select(columns),
        "visits_began": visits.with_columns(date=start_day).select(columns),
        "visits_ended": visits.with_columns(date=end_day).select(columns),
        "gaps_began": gaps.filter(pl.Series(began)).with_columns(date=start_day).select(columns),
        "gaps_ended": gaps.filter(pl.Series(ended)).with_columns(date=end_day).select(columns),
    }


def _inside_site(site: dict[str, Any], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Whether each position lies inside the site (False everywhere for a site without shape)."""
    inside = np.zeros(len(lon), dtype=bool)
    if site.get("lon") is None or len(lon) == 0:
        return inside
    sites = pl.DataFrame([site], schema=empty_frame(SITES).schema)
    inside[site_membership(sites, lon, lat)["row"].to_numpy()] = True
    return inside


def _distance_to_site_m(site: dict[str, Any], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Great-circle distance from the site's edge (its centre less its radius; polygons are
    taken from their centroid), +inf for unknown positions or a site without position."""
    if site.get("lon") is None or len(lon) == 0:
        return np.full(len(lon), np.inf)
    distance_m = haversine_m(
        np.asarray(lon, np.float64), np.asarray(lat, np.float64), site["lon"], site["lat"]
    )
    distance_m = np.maximum(distance_m - (site.get("radius_m") or 0.0), 0.0)
    return np.where(np.isnan(distance_m), np.inf, distance_m)


def _imagery_days(site: dict[str, Any], counts: pl.DataFrame) -> pl.DataFrame:
    """``date``, ``scene_ids`` and one ``img_<zone>_<class>`` column per zone and class."""
    counts = counts.filter(pl.col("site_id") == site["site_id"]).with_columns(
        date=pl.col("acquired_ts").dt.date()
    )
    scenes = counts.group_by("date").agg(
        pl.col("scene_id").unique().sort().alias(SCENE_IDS),
        pl.col("acquired_ts").max().alias("_latest"),
    )
    if counts.is_empty():
        return scenes.drop("_latest")
    latest = counts.join(scenes, on="date").filter(pl.col("acquired_ts") == pl.col("_latest"))
    wide = latest.with_columns(
        name=pl.concat_str(pl.lit(IMAGERY_PREFIX), "zone_id", pl.lit("_"), "class")
    ).pivot(on="name", index="date", values="count", aggregate_function="sum")
    return scenes.drop("_latest").join(wide, on="date", how="left")


def detect_shifts(series: pl.DataFrame, column: str, config: TimelineConfig) -> pl.DataFrame:
    """Significant changes of level in ``series[column]`` (non-negative counts; nulls are days
    without an observation and are skipped), as rows ``date`` (first observation at the new
    level), ``before_date`` (last one at the old), ``before_mean``, ``after_mean``,
    ``relative_change`` (null from a zero level), ``direction`` (decrease/increase),
    ``p_value`` and ``confidence`` (1-4)."""
    observed = series.select("date", column).drop_nulls(column).sort("date")
    values = observed[column].cast(pl.Float64).to_numpy()
    if np.any(values < 0):
        raise ValueError(f"{column}: the shift test needs non-negative counts")
    sparse = len(values) < config.permutation_min_points
    min_segment = 1 if sparse else config.min_segment_days
    rng = np.random.default_rng(config.seed)
    found: list[tuple[int, float]] = []
    pending = [(0, len(values))]
    while pending and len(found) < config.max_changes:
        lo, hi = pending.pop()
        split = _best_split(values[lo:hi], min_segment, sparse, config.permutations, rng)
        if split is not None and split[1] <= config.max_p_value:
            found.append((lo + split[0], split[1]))
            pending += [(lo, lo + split[0]), (lo + split[0], hi)]
    return _shift_rows(observed["date"], values, sorted(found), config)


def _shift_rows(
    dates: pl.Series, values: np.ndarray, found: list[tuple[int, float]], config: TimelineConfig
) -> pl.DataFrame:
    """One row per change point, the means taken between neighbouring change points."""
    bounds = [0, *(k for k, _ in found), len(values)]
    rows = []
    for i, (k, p_value) in enumerate(found):
        before = float(values[bounds[i] : k].mean())
        after = float(values[k : bounds[i + 2]].mean())
        relative = (after - before) / before if before > 0 else None
        if relative is not None and abs(relative) < config.min_relative_change:
            continue
        rows.append(
            {
                "date": dates[k],
                "before_date": dates[k - 1],
                "before_mean": before,
                "after_mean": after,
                "relative_change": relative,
                "direction": "decrease" if after < before else "increase",
                "p_value": p_value,
                "confidence": confidence_of(p_value),
            }
        )
    schema = {"date": pl.Date, "before_date": pl.Date, "before_mean": pl.Float64,
              "after_mean": pl.Float64, "relative_change": pl.Float64, "direction": pl.String,
              "p_value": pl.Float64, "confidence": pl.Int8}  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def confidence_of(p_value: float) -> int:
    """1 (weak, p < 0.1) to 4 (strong, p <= 0.001) from a change's p-value."""
    return 4 - int(np.searchsorted([0.001, 0.01, 0.05], p_value, side="left"))


def _best_split(
    values: np.ndarray, min_segment: int, sparse: bool, permutations: int, rng: np.random.Generator
) -> tuple[int, float] | None:
    """Index and p-value of the split maximising the Poisson likelihood ratio, None when the
    segment is too short to split or constant."""
    n = len(values)
    if n < 2 * min_segment or np.all(values == values[0]):
        return None
    ratios = _split_ratios(values[None, :], min_segment)[0]
    k = int(np.argmax(ratios))
    observed = ratios[k]
    if sparse:
        p_value = min(1.0, float(stats.chi2.sf(observed, df=1)) * len(ratios))
    else:
        shuffled = rng.permuted(np.broadcast_to(values, (permutations, n)), axis=1)
        null_max = _split_ratios(shuffled, min_segment).max(axis=1)
        p_value = (1 + int(np.sum(null_max >= observed - 1e-9))) / (permutations + 1)
    return k + min_segment, p_value


def _split_ratios(values: np.ndarray, min_segment: int) -> np.ndarray:
    """Poisson log-likelihood ratio statistics (2 log LR) of every split ``k`` in
    ``[min_segment, n - min_segment]`` of each row of ``values`` (rows, n), vectorised."""
    n = values.shape[1]
    sums = np.cumsum(values, axis=1)
    k = np.arange(min_segment, n - min_segment + 1)
    left, total = sums[:, k - 1], sums[:, -1:]
    right = total - left
    return 2 * (_xlogmean(left, k) + _xlogmean(right, n - k) - _xlogmean(total, n))


def _xlogmean(total: np.ndarray, count: np.ndarray | int) -> np.ndarray:
    """``S log(S / n)`` with ``0 log 0 = 0``: a segment's Poisson log-likelihood up to terms
    that cancel in the ratio."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, total * np.log(total / count), 0.0)


def assess_site(
    site: dict[str, Any],
    events: pl.DataFrame,
    counts: pl.DataFrame,
    start: date,
    end: date,
    config: TimelineConfig | None = None,
    coverage: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """ASSESSMENTS rows for every significant shift of every series of the site's timeline
    (:func:`site_timeline`, whose days outside ``coverage`` are skipped)."""
    config = config or TimelineConfig()
    timeline = site_timeline(site, events, counts, start, end, config, coverage)
    return assess_timeline(timeline, site["site_id"], config)


def assess_timeline(
    timeline: pl.DataFrame, site_id: str, config: TimelineConfig | None = None
) -> pl.DataFrame:
    """ASSESSMENTS rows for every significant shift of every series of a site's ``timeline``
    (from :func:`site_timeline`).

    A change's evidence is the ids behind the last observation before it and the first after
    it: the events counted on those days, or the two scenes compared.
    """
    config = config or TimelineConfig()
    series = [*EVENT_SERIES, *(c for c in timeline.columns if c.startswith(IMAGERY_PREFIX))]
    found = []
    for column in series:
        ids = EVENT_SERIES.get(column, SCENE_IDS)
        shifts = detect_shifts(timeline, column, config)
        evidence = timeline.select("date", pl.col(ids).alias("_ids"))
        found.append(
            shifts.join(evidence, on="date", how="left")
            .join(evidence.rename({"date": "before_date", "_ids": "_before_ids"}), on="before_date")
            .with_columns(
                series=pl.lit(column),
                evidence_ids=pl.concat_list("_before_ids", "_ids").list.unique().list.sort(),
            )
        )
    if not found:
        return empty_frame(ASSESSMENTS)
    return _assessment_rows(pl.concat(found), site_id)


def _assessment_rows(shifts: pl.DataFrame, site_id: str) -> pl.DataFrame:
    """Shifts as ASSESSMENTS rows with deterministic ids and a note in words."""
    kind = pl.when(pl.col("direction") == "decrease").then(pl.lit("drawdown"))
    rows = shifts.with_columns(
        site_id=pl.lit(site_id),
        kind=kind.otherwise(pl.lit("buildup")),
        before=pl.col("before_mean"),
        after=pl.col("after_mean"),
        note=pl.format(
            "{} went from {} (to {}) to {} (from {}), p = {}",
            "series",
            pl.col("before_mean").round(2),
            "before_date",
            pl.col("after_mean").round(2),
            "date",
            pl.col("p_value").round(4),
        ),
    )
    rows = rows.with_columns(row_ids(rows, ["site_id", "series", "date", "kind"], "assessment_id"))
    return rows.select(pl.col(name).cast(dtype) for name, dtype in ASSESSMENT_DTYPES.items()).sort(
        "date", "series"
    )
