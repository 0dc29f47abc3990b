"""Scoring on hand-built baseline, injected-run and truth tables."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import polars as pl
import pytest
from builders import T0

from harborwatch.evaluation.inject import TRUTH_COLUMNS
from harborwatch.evaluation.score import SCORE_COLUMNS, recall_detail, score_events
from harborwatch.events.base import empty_frame
from harborwatch.schemas import EVENTS

Span = tuple[str, str, str | None, float, float]
"""(event_type, vessel_id, kind, start hours after T0, end hours after T0)."""


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def events(spans: list[Span]) -> pl.DataFrame:
    """An EVENTS frame; ``kind`` goes into the attributes JSON when not None."""
    rows = [
        {
            "event_id": f"e{k}",
            "event_type": event_type,
            "vessel_id": vessel_id,
            "start_ts": at(start),
            "end_ts": at(end),
            "attributes": json.dumps({} if kind is None else {"kind": kind}),
        }
        for k, (event_type, vessel_id, kind, start, end) in enumerate(spans)
    ]
    schema = empty_frame(EVENTS).schema
    return pl.DataFrame([{name: row.get(name) for name in schema} for row in rows], schema=schema)


def truth(spans: list[Span]) -> pl.DataFrame:
    rows = [
        {
            "truth_id": f"t{k}",
            "event_type": event_type,
            "vessel_id": vessel_id,
            "kind": kind,
            "start_ts": at(start),
            "end_ts": at(end),
            "lon": 0.0,
            "lat": 0.0,
            "detail": "{}",
        }
        for k, (event_type, vessel_id, kind, start, end) in enumerate(spans)
    ]
    return pl.DataFrame(rows, schema=TRUTH_COLUMNS)


TRUTH = [
    ("ais_gap", "1", "gap", 10.0, 22.0),
    ("ais_gap", "2", "gap", 30.0, 36.5),
    ("spoofing", "3", "teleport", 5.0, 5.0),
    ("spoofing", "4", "on_land", 7.0, 7.4),
    ("identity_change", "5", "simultaneous", 40.0, 46.0),
]
PERFECT = [
    ("ais_gap", "1", None, 10.0, 22.0),
    ("ais_gap", "2", None, 30.1, 36.4),  # detector's ends a few minutes off: within tolerance
    ("spoofing", "3", "teleport", 4.95, 5.05),
    ("spoofing", "4", "on_land", 7.0, 7.4),
    ("identity_change", "5", "simultaneous", 40.2, 45.9),
]
BASELINE = [
    ("ais_gap", "1", None, 50.0, 60.0),  # a real gap elsewhere on a faulty vessel
    ("ais_gap", "9", None, 10.0, 20.0),  # a real gap on an untouched vessel
    ("spoofing", "9", "same_spot", 1.0, 2.0),
]


def rows_by_kind(scores: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {row["kind"]: row for row in scores.iter_rows(named=True)}


def test_perfect_detector_scores_one() -> None:
    scores = score_events(events(BASELINE), events(BASELINE + PERFECT), truth(TRUTH))
    assert scores.columns == SCORE_COLUMNS
    assert scores["precision"].to_list() == [1.0] * 4
    assert scores["recall"].to_list() == [1.0] * 4
    by_kind = rows_by_kind(scores)
    assert by_kind["gap"]["truth"] == by_kind["gap"]["detected"] == 2
    assert "same_spot" not in by_kind  # baseline events are not attributable


def test_missed_truth_lowers_recall_only() -> None:
    found = [e for e in PERFECT if e[1] != "2"]
    scores = rows_by_kind(score_events(events(BASELINE), events(BASELINE + found), truth(TRUTH)))
    assert scores["gap"]["recall"] == 0.5
    assert scores["gap"]["precision"] == 1.0
    detail = recall_detail(events(found), truth(TRUTH))
    assert detail.filter(~pl.col("recalled"))["truth_id"].to_list() == ["t1"]


def test_extra_attributable_detection_lowers_precision() -> None:
    extra = [("spoofing", "7", "teleport", 20.0, 20.0)]
    scores = rows_by_kind(
        score_events(events(BASELINE), events(BASELINE + PERFECT + extra), truth(TRUTH))
    )
    assert scores["teleport"]["detected"] == 2
    assert scores["teleport"]["precision"] == 0.5
    assert scores["teleport"]["recall"] == 1.0


def test_event_of_the_wrong_kind_or_vessel_or_time_does_not_match() -> None:
    wrong = [
        ("spoofing", "3", "circling", 5.0, 5.0),  # right vessel and time, wrong kind
        ("ais_gap", "1", None, 23.0, 30.0),  # right vessel, an hour after the truth ends
        ("identity_change", "4", "simultaneous", 40.0, 46.0),  # wrong vessel
    ]
    scores = rows_by_kind(score_events(events([]), events(wrong), truth(TRUTH)))
    assert all(scores[kind]["true_positives"] == 0 for kind in ("gap", "teleport", "simultaneous"))
    assert scores["circling"]["truth"] == 0 and scores["circling"]["recall"] is None
    assert scores["circling"]["precision"] == 0.0
    # the circling event overlaps the teleport truth of its vessel: a side effect, not noise
    assert scores["circling"]["side_effects"] == 1
    assert scores["gap"]["side_effects"] == 0


def test_injected_event_matching_a_baseline_event_is_not_attributable() -> None:
    """A real gap that the injection merely lengthened is the baseline's, not a detection."""
    base = [("ais_gap", "8", None, 10.0, 16.0)]
    found = [("ais_gap", "8", None, 10.0, 18.0)]
    scores = score_events(events(base), events(found), truth(TRUTH))
    assert scores.filter(pl.col("kind") == "gap")["detected"].item() == 0


@pytest.mark.parametrize(("tolerance_min", "recalled"), [(30.0, 1.0), (5.0, 0.0)])
def test_tolerance_widens_the_match(tolerance_min: float, recalled: float) -> None:
    late = [("spoofing", "3", "teleport", 5.25, 5.25)]  # 15 minutes after the truth
    scores = rows_by_kind(score_events(events([]), events(late), truth(TRUTH), tolerance_min))
    assert scores["teleport"]["recall"] == recalled
