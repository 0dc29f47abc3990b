"""AIS gap detector: built tracks with known gaps, clean tracks, thresholds and stable ids."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import datetime, timedelta

import polars as pl
from builders import T0, track_points
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.config import NM_M, GapConfig
from harborwatch.events.base import DetectionContext, empty_frame
from harborwatch.events.gaps import _LAST_FRAME, UsablePoints, detect_ais_gaps
from harborwatch.schemas import COVERAGE

CTX = DetectionContext()


def covered_until(end: datetime) -> DetectionContext:
    """A context whose one source (the builder's, unnamed) records from T0 until ``end``."""
    coverage = pl.DataFrame(
        {"source": [""], "start_ts": [T0], "end_ts": [end]},
        schema=empty_frame(COVERAGE).schema,
    )
    return replace(CTX, coverage=coverage)


ONE_DEG_LAT_M = 111_195.0  # great-circle metres per degree on the 6371.0088 km sphere


def hourly(
    vessel: str, hours: range, lat: float = 33.0
) -> list[tuple[str, float, float, float, float]]:
    """A vessel sailing east at 10 kn, one position an hour (no gap reaches 6 h)."""
    return [(vessel, float(h), 20.0 + 0.003 * h, lat, 10.0) for h in hours]


def test_dark_offshore_gap_is_likely_intentional() -> None:
    # 16 hourly points, then 93 h of silence (SPARTA, 29 Dec - 2 Jan), reappearing 1 deg north.
    # Hours 3..15 (13 points) lie in the 12 h before the gap; one extra report at 14.5 h makes 14.
    extra = ("273", 14.5, 20.0435, 33.0, 10.0)
    rows = [*hourly("273", range(16)), extra, ("273", 15 + 93.0, 20.045, 34.0, 9.0)]
    events = detect_ais_gaps(track_points(rows), CTX)
    assert events.height == 1
    event = events.row(0, named=True)
    assert event["start_ts"] == T0 + timedelta(hours=15)
    assert event["end_ts"] == T0 + timedelta(hours=108)
    assert abs(event["duration_h"] - 93.0) < 1e-9
    assert event["confidence"] == 4
    assert (event["lon"], event["lat"]) == (20.045, 33.0)
    attributes = json.loads(event["attributes"])
    assert attributes["likely_intentional"] is True
    assert attributes["open"] is False
    assert attributes["positions_before"] == 14
    assert abs(attributes["distance_m"] - ONE_DEG_LAT_M) / ONE_DEG_LAT_M < 1e-3
    assert abs(attributes["implied_speed_knots"] - ONE_DEG_LAT_M / NM_M / 93.0) < 1e-3
    points = json.loads(event["evidence"])["points"]
    assert points["before_ts"].startswith("2024-12-28T15:00")
    assert (points["after_lat"], points["after_speed_knots"]) == (34.0, 9.0)


def test_welch_criteria_each_required() -> None:
    # 20 positions in the 12 h before a 13 h offshore gap: intentional.
    dense = [("1", h / 2, 20.0, 33.0, 5.0) for h in range(24)] + [("1", 11.5 + 13, 20.0, 33.0, 5.0)]
    assert _attributes(dense)[0]["likely_intentional"] is True
    # Same gap, 11 h long: recorded (>= 6 h) but too short to call intentional.
    short = [*dense[:-1], ("1", 11.5 + 11, 20.0, 33.0, 5.0)]
    assert _attributes(short)[0]["likely_intentional"] is False
    # Same gap, but only 12 positions before it.
    sparse = [("1", float(h), 20.0, 33.0, 5.0) for h in range(12)] + [("1", 24.0, 20.0, 33.0, 5.0)]
    assert _attributes(sparse)[0]["likely_intentional"] is False


def test_near_shore_gap_has_lower_confidence() -> None:
    rows = [*hourly("1", range(20)), ("1", 40.0, 20.1, 33.0, 10.0)]
    shore = [3 * NM_M] * len(rows)
    events = detect_ais_gaps(track_points(rows, shore_distance_m=shore), CTX)
    attributes = json.loads(events["attributes"][0])
    assert attributes["near_shore"] is True
    assert attributes["likely_intentional"] is False
    assert events["confidence"][0] == 2


def test_clean_tracks_have_no_gaps() -> None:
    rows = hourly("1", range(200)) + hourly("2", range(50, 250))
    end = T0 + timedelta(hours=249)  # vessel 1 falls silent 50 h before the end: open gap
    events = detect_ais_gaps(track_points(rows), covered_until(end))
    assert events["vessel_id"].to_list() == ["1"]
    assert json.loads(events["attributes"][0])["open"] is True
    near_end = T0 + timedelta(hours=204)  # 5 h after vessel 1's last point: nothing
    assert detect_ais_gaps(track_points(rows), covered_until(near_end)).height == 0


def test_gap_across_segments_and_noise_is_one_gap() -> None:
    rows = [*hourly("1", range(5)), ("1", 8.0, 50.0, 0.0, 102.3), ("1", 30.0, 20.0, 33.0, 10.0)]
    seg = ["a"] * 5 + [None, "b"]
    noise = [False] * 5 + [True, False]
    events = detect_ais_gaps(track_points(rows, seg_id=seg, noise=noise), CTX)
    assert events.height == 1
    assert events["duration_h"][0] == 26.0
    assert events["seg_id"][0] == "a"
    assert json.loads(events["attributes"][0])["seg_id_after"] == "b"


def test_open_gap_at_the_end_of_the_data() -> None:
    rows = hourly("1", range(10))
    end = T0 + timedelta(hours=30)
    events = detect_ais_gaps(track_points(rows), covered_until(end))
    assert events.height == 1
    assert events["start_ts"][0] == T0 + timedelta(hours=9)
    assert events["end_ts"][0] == end
    assert json.loads(events["attributes"][0])["open"] is True
    assert events["confidence"][0] == 2  # offshore (3), one lower for being open
    near_end = T0 + timedelta(hours=14)  # 5 h after the last point: not a gap yet
    assert detect_ais_gaps(track_points(rows), covered_until(near_end)).height == 0


def test_silence_the_data_does_not_cover_is_no_gap() -> None:
    """Two recordings of one source a week apart: the week between is a hole in the data."""
    rows = [*hourly("1", range(10)), *hourly("1", range(200, 210))]
    files = ["early"] * 10 + ["late"] * 10
    assert detect_ais_gaps(track_points(rows, file_id=files), CTX).height == 0
    # The same silence inside one continuous recording (another vessel heard throughout) is a gap.
    busy = hourly("2", range(0, 210, 3))
    both = track_points([*rows, *busy], file_id=files + ["busy"] * len(busy))
    events = detect_ais_gaps(both, CTX)
    assert events["vessel_id"].to_list() == ["1"] and events["duration_h"].to_list() == [191.0]


def test_open_gap_ends_where_its_source_stops_recording() -> None:
    rows = [*hourly("1", range(10)), *hourly("2", range(40))]
    sources = ["nmea"] * 10 + ["sbarc"] * 40  # vessel 1's source stops when vessel 1 does
    assert detect_ais_gaps(track_points(rows, source=sources), CTX).height == 0
    events = detect_ais_gaps(track_points(rows), CTX)  # one source heard until hour 39
    assert events["end_ts"].to_list() == [T0 + timedelta(hours=39)]


def _attributes(rows: list[tuple[str, float, float, float, float]]) -> list[dict[str, object]]:
    events = detect_ais_gaps(track_points(rows), CTX)
    return [json.loads(text) for text in events["attributes"]]


vessel_minutes = st.lists(st.integers(0, 12_000), min_size=1, max_size=30, unique=True)


@settings(max_examples=60, deadline=None)
@given(
    tracks=st.dictionaries(st.sampled_from(["1", "22", "333", "x"]), vessel_minutes, min_size=1),
    min_gap_h=st.sampled_from([0.5, 6.0, 24.0]),
)
def test_gap_properties(tracks: dict[str, list[int]], min_gap_h: float) -> None:
    # Whole minutes, so the oracle below compares exact integers.
    rows = [(v, m / 60, 20.0, 33.0, 1.0) for v, minutes in tracks.items() for m in sorted(minutes)]
    config = GapConfig(min_gap_h=min_gap_h)
    end_min = 12_600
    end = T0 + timedelta(minutes=end_min)
    events = detect_ais_gaps(track_points(rows), covered_until(end), config)
    # Every reported gap reaches the threshold, and each is a real silence of its vessel.
    assert (events["duration_h"] >= min_gap_h).all()
    expected = 0
    for minutes in tracks.values():
        times = [*sorted(minutes), end_min]
        expected += sum(1 for a, b in itertools.pairwise(times) if b - a >= min_gap_h * 60)
    assert events.height == expected
    # A vessel's gaps do not depend on the other vessels in the partition.
    for vessel in tracks:
        alone = [row for row in rows if row[0] == vessel]
        own = detect_ais_gaps(track_points(alone), covered_until(end), config)
        mine = events.filter(pl.col("vessel_id") == vessel)
        assert own.sort("start_ts").equals(mine.sort("start_ts"))
    # Ids are stable across runs and unique.
    again = detect_ais_gaps(track_points(rows), covered_until(end), config)
    assert again["event_id"].to_list() == events["event_id"].to_list()
    assert events["event_id"].n_unique() == events.height


def test_usable_points_found_once_per_frame() -> None:
    """Detectors run one after another on one frame share its usable points (read-only); a
    frame with other noise gets its own, and the shared arrays go with their frame."""
    points = track_points(
        [("1", 0.0, 0.0, 0.0, 5.0), ("1", 1.0, 0.0, 0.01, 5.0), ("2", 0.0, 0.0, 0.0, 5.0)]
    )
    first, again = UsablePoints(points), UsablePoints(points)
    assert first.rows is again.rows and first.starts is again.starts
    assert not first.rows.flags.writeable
    noisy = points.with_columns(pl.Series("noise", [False, True, False]))
    assert UsablePoints(noisy).rows.tolist() == [0, 2]
    assert UsablePoints(points).rows.tolist() == [0, 1, 2]
    assert UsablePoints(points).starts.tolist() == [True, False, True]
    del first, again, points, noisy
    assert not _LAST_FRAME
