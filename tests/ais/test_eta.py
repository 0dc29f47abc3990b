"""ETA year inference and unpacking (AIS ETAs carry no year)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from harborwatch.ais.eta import ETA_NOT_AVAILABLE_PACKED, eta_timestamps, unpack_eta


def _us(text: str) -> int:
    return int(np.datetime64(text, "us").astype(np.int64))


def test_year_follows_the_report_across_new_year() -> None:
    reports = [_us("2024-12-28T10:00"), _us("2025-01-02T13:13"), _us("2025-06-01T00:00")]
    etas = eta_timestamps([1, 12, 12], [3, 21, 21], [8, 6, 6], [0, 30, 30], reports)
    assert etas.to_pylist() == [
        datetime(2025, 1, 3, 8, 0, tzinfo=UTC),  # reported in late December: next January
        datetime(2024, 12, 21, 6, 30, tzinfo=UTC),  # reported in January: last December
        datetime(2024, 12, 21, 6, 30, tzinfo=UTC),  # a stale ETA: the nearest date, not +203 d
    ]


def test_not_available_and_impossible_dates_are_null() -> None:
    report = [_us("2025-01-01T00:00")] * 3
    etas = eta_timestamps([0, 2, 13], [0, 30, 1], [24, 0, 0], [60, 0, 0], report)
    assert etas.to_pylist() == [None, None, None]


def test_unknown_time_of_day_keeps_the_date() -> None:
    etas = eta_timestamps([1], [10], [24], [60], [_us("2025-01-01T00:00")])
    assert etas.to_pylist() == [datetime(2025, 1, 10, tzinfo=UTC)]


def test_unpack_matches_the_packed_layout() -> None:
    packed = ((6 * 32 + 1) * 32 + 19) * 64 + 0
    assert [int(v[0]) for v in unpack_eta([packed])] == [6, 1, 19, 0]
    assert [int(v[0]) for v in unpack_eta([ETA_NOT_AVAILABLE_PACKED])] == [0, 0, 24, 60]
