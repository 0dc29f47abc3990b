"""Turn AIS's year-less ETA (month, day, hour, minute) into UTC timestamps.

AIS static reports (type 5) carry an ETA without a year. The year is inferred from the time of the
report: the ETA is taken in the report's year, then moved a year forward or back when that puts it
within half a year of the report (a ship reporting in late December with ETA 3 January means next
January). Month 0 or day 0 means "not available" and gives null. Hour 24 or minute 60 ("not
available") with a valid date give 00 for that part: the date is kept, the time of day is unknown.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from harborwatch.schemas import UTC_TS

_HALF_YEAR_US = np.int64(183 * 86_400 * 1_000_000)

ETA_NOT_AVAILABLE_PACKED = 1596
"""The packed value ((0*32 + 0)*32 + 24)*64 + 60 that means "no ETA"."""


def unpack_eta(packed: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split ETAs packed as ((month*32 + day)*32 + hour)*64 + minute into their four parts."""
    value = np.asarray(packed, dtype=np.int64)
    return (value >> 16) & 0xF, (value >> 11) & 0x1F, (value >> 6) & 0x1F, value & 0x3F


def eta_timestamps(
    month: npt.ArrayLike,
    day: npt.ArrayLike,
    hour: npt.ArrayLike,
    minute: npt.ArrayLike,
    report_ts_us: npt.ArrayLike,
) -> pa.TimestampArray:
    """ETA timestamps (UTC, µs) for parallel arrays of ETA parts and report times (µs since epoch).

    Vectorised over millions of rows. Impossible dates (month 13, 30 February) give null.
    """
    month = np.asarray(month, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    hour = np.asarray(hour, dtype=np.int64)
    minute = np.asarray(minute, dtype=np.int64)
    report = np.asarray(report_ts_us, dtype=np.int64)
    hour = np.where((hour >= 0) & (hour < 24), hour, 0)
    minute = np.where((minute >= 0) & (minute < 60), minute, 0)
    report_year = report.astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    best = np.zeros(report.shape, dtype=np.int64)
    best_distance = np.full(report.shape, np.iinfo(np.int64).max)
    for shift in (-1, 0, 1):
        candidate, ok = _compose(report_year + shift, month, day, hour, minute, valid)
        distance = np.where(ok, np.abs(candidate - report), np.iinfo(np.int64).max)
        take = distance < best_distance
        best = np.where(take, candidate, best)
        best_distance = np.where(take, distance, best_distance)
    found = best_distance <= _HALF_YEAR_US + 86_400 * 1_000_000
    timestamps: pa.TimestampArray = pa.array(best, type=pa.int64(), mask=~found).cast(UTC_TS)
    return timestamps


def _compose(
    year: np.ndarray,
    month: np.ndarray,
    day: np.ndarray,
    hour: np.ndarray,
    minute: np.ndarray,
    valid: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since epoch of the given calendar parts, and whether the date exists."""
    safe_month = np.where(valid, month, 1)
    safe_day = np.where(valid, day, 1)
    month_start = (year - 1970) * 12 + (safe_month - 1)
    first = month_start.astype("datetime64[M]").astype("datetime64[D]")
    next_first = (month_start + 1).astype("datetime64[M]").astype("datetime64[D]")
    days_in_month = (next_first - first).astype(np.int64)
    ok = valid & (safe_day <= days_in_month)
    date_days = first.astype(np.int64) + safe_day - 1
    micros = ((date_days * 24 + hour) * 60 + minute) * 60_000_000
    return micros, ok
