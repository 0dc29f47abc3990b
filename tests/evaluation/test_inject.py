"""Fault injection on built tracks: the truth table names exactly what was changed."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from builders import track_points

from harborwatch.errors import InputError
from harborwatch.evaluation.inject import (
    TRUTH_COLUMNS,
    InjectionPlan,
    inject_faults,
)
from harborwatch.geo.distance import haversine_m
from harborwatch.schemas import POSITIONS

COAST_LON = -123.0
"""Built world: land east of this meridian, sea west of it."""

N_VESSELS = 60
STEP_H = 5 / 60
HOURS = 72.0
SPEED_KNOTS = 10.0
ONE_DEG_LAT_M = 111_195.0


def is_land(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.asarray(lon) > COAST_LON


def built_positions() -> pl.DataFrame:
    """``N_VESSELS`` vessels sailing north at 10 kn off a straight coast, a report every
    5 minutes for three days, 5.5 km apart east-west (so some pairs are > 100 km apart)."""
    hours = np.arange(0.0, HOURS, STEP_H)
    dlat = hours * SPEED_KNOTS * 1852.0 / ONE_DEG_LAT_M
    rows = [
        (str(211_000_000 + k), float(h), -124.0 - 0.05 * k, 10.0 + float(d), SPEED_KNOTS)
        for k in range(N_VESSELS)
        for h, d in zip(hours, dlat, strict=True)
    ]
    return track_points(rows).select(POSITIONS.names)


PLAN = InjectionPlan(
    gap_lengths_h=(6.5, 8.0, 12.0, 24.0, 48.0),
    teleports=8,
    on_land_runs=4,
    second_transmitters=2,
)


@pytest.fixture(scope="module")
def original() -> pl.DataFrame:
    return built_positions()


@pytest.fixture(scope="module")
def injected(original: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return inject_faults(original, PLAN, seed=7, is_inland=is_land, is_land=is_land)


def vessel(frame: pl.DataFrame, vessel_id: str) -> pl.DataFrame:
    return frame.filter(pl.col("mmsi").cast(pl.String) == vessel_id).sort("ts")


def test_truth_table_has_one_row_per_fault_each_on_its_own_vessels(injected) -> None:
    _, truth = injected
    assert truth.columns == list(TRUTH_COLUMNS)
    counts = dict(truth.group_by("kind").len().iter_rows())
    assert counts == {"gap": 5, "teleport": 8, "on_land": 4, "simultaneous": 2}
    expected_types = {
        "gap": "ais_gap",
        "teleport": "spoofing",
        "on_land": "spoofing",
        "simultaneous": "identity_change",
    }
    assert all(expected_types[k] == t for k, t in truth.select("kind", "event_type").iter_rows())
    sources = [json.loads(d).get("source_vessel_id") for d in truth["detail"]]
    touched = truth["vessel_id"].to_list() + [s for s in sources if s]
    assert len(touched) == len(set(touched))
    assert truth["truth_id"].n_unique() == truth.height


def test_gaps_are_empty_and_bounded_by_kept_points(original, injected) -> None:
    faulty, truth = injected
    gaps = truth.filter(pl.col("kind") == "gap")
    assert sorted(json.loads(d)["gap_h"] for d in gaps["detail"]) == [6.5, 8.0, 12.0, 24.0, 48.0]
    for row in gaps.iter_rows(named=True):
        track = vessel(faulty, row["vessel_id"])
        inside = track.filter(pl.col("ts").is_between(row["start_ts"], row["end_ts"], "none"))
        assert inside.height == 0
        kept = track.filter(pl.col("ts").is_in([row["start_ts"], row["end_ts"]]))
        assert kept.height == 2
        length = timedelta(hours=json.loads(row["detail"])["gap_h"])
        assert length <= row["end_ts"] - row["start_ts"] <= length + timedelta(minutes=15)
        deleted = vessel(original, row["vessel_id"]).height - track.height
        assert deleted >= length / timedelta(hours=STEP_H) - 1


def test_teleports_move_one_point_far_and_keep_its_neighbours(original, injected) -> None:
    faulty, truth = injected
    for row in truth.filter(pl.col("kind") == "teleport").iter_rows(named=True):
        before, after = vessel(original, row["vessel_id"]), vessel(faulty, row["vessel_id"])
        assert before["ts"].equals(after["ts"])
        changed = (before["lon"] != after["lon"]) | (before["lat"] != after["lat"])
        assert changed.sum() == 1
        moved = after.filter(changed)
        assert moved["ts"][0] == row["start_ts"] == row["end_ts"]
        assert (moved["lon"][0], moved["lat"][0]) == (row["lon"], row["lat"])
        jump_m = haversine_m(
            before.filter(changed)["lon"][0],
            before.filter(changed)["lat"][0],
            row["lon"],
            row["lat"],
        )
        assert jump_m >= PLAN.teleport_min_distance_m
        # a 5-minute step over >= 100 km is > 50 kn many times over; and it lands at sea
        assert jump_m / 1852.0 / STEP_H > 50.0
        assert not is_land(np.array([row["lon"]]), np.array([row["lat"]]))[0]


def test_land_runs_are_consecutive_inland_positions(original, injected) -> None:
    faulty, truth = injected
    for row in truth.filter(pl.col("kind") == "on_land").iter_rows(named=True):
        before, after = vessel(original, row["vessel_id"]), vessel(faulty, row["vessel_id"])
        changed = (before["lon"] != after["lon"]) | (before["lat"] != after["lat"])
        run = after.filter(changed)
        assert run.height == PLAN.land_run_points
        assert run["ts"].min() == row["start_ts"] and run["ts"].max() == row["end_ts"]
        assert is_land(run["lon"].to_numpy(), run["lat"].to_numpy()).all()
        # consecutive: nothing unchanged between the first and last moved point
        between = after.filter(pl.col("ts").is_between(row["start_ts"], row["end_ts"]))
        assert between.height == PLAN.land_run_points


def test_second_transmitter_copies_another_vessel_far_away(original, injected) -> None:
    faulty, truth = injected
    for row in truth.filter(pl.col("kind") == "simultaneous").iter_rows(named=True):
        source = json.loads(row["detail"])["source_vessel_id"]
        window = pl.col("ts").is_between(row["start_ts"], row["end_ts"])
        copied = vessel(original, source).filter(window)
        assert copied.height == json.loads(row["detail"])["copied_positions"] > 0
        own = vessel(original, row["vessel_id"]).filter(window)
        heard = vessel(faulty, row["vessel_id"]).filter(window)
        assert heard.height == own.height + copied.height
        joined = own.join(copied, on="ts", suffix="_b")
        apart_m = haversine_m(
            joined["lon"].to_numpy(),
            joined["lat"].to_numpy(),
            joined["lon_b"].to_numpy(),
            joined["lat_b"].to_numpy(),
        )
        assert joined.height > 0 and apart_m.min() >= PLAN.second_transmitter_min_distance_m
        # the source vessel keeps its own track
        assert vessel(faulty, source).equals(vessel(original, source))


def test_untouched_vessels_are_unchanged(original, injected) -> None:
    faulty, truth = injected
    sources = [json.loads(d).get("source_vessel_id") for d in truth["detail"]]
    touched = set(truth["vessel_id"]) | {s for s in sources if s}
    keep = ~pl.col("mmsi").cast(pl.String).is_in(list(touched))
    assert faulty.filter(keep).sort("mmsi", "ts").equals(original.filter(keep).sort("mmsi", "ts"))
    assert faulty.columns == original.columns
    assert faulty.schema == original.schema


def test_same_seed_same_faults_whatever_the_input_order(original, injected) -> None:
    shuffled = original.sample(fraction=1.0, shuffle=True, seed=3)
    again = inject_faults(shuffled, PLAN, seed=7, is_inland=is_land, is_land=is_land)
    assert again[0].equals(injected[0])
    assert again[1].equals(injected[1])
    other = inject_faults(original, PLAN, seed=8, is_inland=is_land, is_land=is_land)
    assert not other[1].equals(injected[1])


def test_too_little_data_for_the_plan_is_an_input_error(original) -> None:
    with pytest.raises(InputError, match="100 h gap"):
        inject_faults(original, InjectionPlan(gap_lengths_h=(100.0,)), 1, is_inland=is_land)
    with pytest.raises(InputError, match="inland"):
        inject_faults(original, InjectionPlan(), 1)


def test_no_cut_next_to_a_natural_gap() -> None:
    """One vessel, silent for 7 h at hours 30-37: a 6.5 h cut must keep 6 h clear of it."""
    hours = [h for h in np.arange(0.0, 60.0, STEP_H) if not 30.0 < h < 37.0]
    rows = [("211000001", float(h), -124.0, 10.0 + h * 0.003, SPEED_KNOTS) for h in hours]
    positions = track_points(rows).select(POSITIONS.names)
    plan = InjectionPlan(gap_lengths_h=(6.5,), teleports=0, on_land_runs=0, second_transmitters=0)
    for seed in range(10):
        _, truth = inject_faults(positions, plan, seed)
        start_h = (truth["start_ts"][0] - positions["ts"][0]) / timedelta(hours=1)
        end_h = (truth["end_ts"][0] - positions["ts"][0]) / timedelta(hours=1)
        assert end_h <= 30.0 - 6.0 or start_h >= 37.0 + 6.0
