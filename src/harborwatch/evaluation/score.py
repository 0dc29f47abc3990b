"""Scoring detectors against injected ground truth (:mod:`harborwatch.evaluation.inject`).

Events are detected twice: on the original positions (the *baseline*) and on the positions with
faults (the *injected* run). Real data has real gaps, jumps and shared MMSIs, so only injected-run
events that the baseline does not have are *attributable* to the injection; precision is measured
on those alone. Two events (or an event and a truth row) *match* when they have the same vessel,
event type and kind, and their time ranges overlap once widened by a tolerance.

- recall: truth rows matched by at least one injected-run event, over truth rows;
- precision: attributable events matching a truth row of their type and kind, over attributable
  events. ``side_effects`` counts the unmatched attributable events that overlap a truth row of
  another kind on the same vessel: detections the fault caused but that the truth table does not
  name (a run of positions moved onto land is also an impossible jump).
"""

from __future__ import annotations

import polars as pl

from harborwatch.events.base import EventType

MATCH_KEYS = ["vessel_id", "event_type", "kind"]
SCORE_COLUMNS = [
    "event_type",
    "kind",
    "truth",
    "detected",
    "true_positives",
    "matched",
    "side_effects",
    "precision",
    "recall",
]
"""The score table: one row per event type and kind found in the truth or the detections."""

_DEFAULT_KINDS = {str(EventType.AIS_GAP): "gap"}
"""Kinds of events whose attributes carry none."""


def event_keys(events: pl.DataFrame) -> pl.DataFrame:
    """``_id, vessel_id, event_type, kind, start_ts, end_ts`` of events in the EVENTS layout;
    ``kind`` comes from the attributes JSON (``gap`` for AIS gaps, ``other`` when absent)."""
    kind = pl.col("attributes").str.json_path_match("$.kind")
    default = pl.col("event_type").replace_strict(_DEFAULT_KINDS, default="other")
    return events.with_row_index("_id").select(
        "_id",
        pl.col("vessel_id").cast(pl.String),
        pl.col("event_type").cast(pl.String),
        pl.coalesce(kind, default).alias("kind"),
        "start_ts",
        pl.coalesce("end_ts", "start_ts").alias("end_ts"),
    )


def overlapping(
    left: pl.DataFrame, right: pl.DataFrame, tolerance_min: float, on: list[str]
) -> pl.DataFrame:
    """Pairs of rows of ``left`` and ``right`` (right columns suffixed ``_r``) that agree on
    ``on`` and whose ``[start_ts, end_ts]`` ranges overlap once widened by ``tolerance_min``."""
    tolerance = pl.duration(microseconds=round(tolerance_min * 60e6))
    pairs = left.join(right, on=on, suffix="_r")
    return pairs.filter(
        (pl.col("start_ts") <= pl.col("end_ts_r") + tolerance)
        & (pl.col("end_ts") >= pl.col("start_ts_r") - tolerance)
    )


def attributable_events(
    baseline: pl.DataFrame, injected: pl.DataFrame, tolerance_min: float = 30.0
) -> pl.DataFrame:
    """Keys (:func:`event_keys`) of the injected-run events no baseline event matches."""
    base, found = event_keys(baseline), event_keys(injected)
    explained = overlapping(found, base, tolerance_min, MATCH_KEYS).select("_id").unique()
    return found.join(explained, on="_id", how="anti")


def recall_detail(
    injected: pl.DataFrame, truth: pl.DataFrame, tolerance_min: float = 30.0
) -> pl.DataFrame:
    """The truth table with ``recalled`` (an injected-run event matches the row) and
    ``n_events`` (how many do)."""
    found = event_keys(injected)
    hits = (
        overlapping(truth, found, tolerance_min, MATCH_KEYS)
        .group_by("truth_id")
        .agg(pl.len().cast(pl.Int64).alias("n_events"))
    )
    return (
        truth.join(hits, on="truth_id", how="left", maintain_order="left")
        .with_columns(pl.col("n_events").fill_null(0))
        .with_columns((pl.col("n_events") > 0).alias("recalled"))
    )


def score_events(
    baseline: pl.DataFrame,
    injected: pl.DataFrame,
    truth: pl.DataFrame,
    tolerance_min: float = 30.0,
) -> pl.DataFrame:
    """Precision and recall per event type and kind (:data:`SCORE_COLUMNS`).

    ``baseline`` and ``injected`` are events (EVENTS layout) detected on the original and the
    faulty positions; ``truth`` is :func:`~harborwatch.evaluation.inject.inject_faults`' table.
    Precision and recall are null where nothing was detected or injected.
    """
    attributable = attributable_events(baseline, injected, tolerance_min)
    own = overlapping(attributable, truth, tolerance_min, MATCH_KEYS).select("_id").unique()
    other = (
        overlapping(
            attributable.join(own, on="_id", how="anti"),
            truth.select("vessel_id", "start_ts", "end_ts"),
            tolerance_min,
            ["vessel_id"],
        )
        .select("_id")
        .unique()
    )
    detections = attributable.with_columns(
        pl.col("_id").is_in(own["_id"].implode()).alias("_matched"),
        pl.col("_id").is_in(other["_id"].implode()).alias("_side"),
    )
    detected = detections.group_by("event_type", "kind").agg(
        pl.len().alias("detected"),
        pl.col("_matched").sum().alias("matched"),
        pl.col("_side").sum().alias("side_effects"),
    )
    recalled = (
        recall_detail(injected, truth, tolerance_min)
        .group_by("event_type", "kind")
        .agg(pl.len().alias("truth"), pl.col("recalled").sum().alias("true_positives"))
    )
    counts = ["truth", "detected", "true_positives", "matched", "side_effects"]
    table = recalled.join(detected, on=["event_type", "kind"], how="full", coalesce=True)
    return (
        table.with_columns(pl.col(name).fill_null(0).cast(pl.Int64) for name in counts)
        .with_columns(
            _ratio("matched", "detected").alias("precision"),
            _ratio("true_positives", "truth").alias("recall"),
        )
        .select(SCORE_COLUMNS)
        .sort("event_type", "kind")
    )


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator))
