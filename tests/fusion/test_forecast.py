"""Destination forecast: ranking logic on a tiny made-up sea, declared-destination matching, and
the Santa Barbara week scored against the next port visit actually made."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from harborwatch.ais.batch import ReadContext, concat_batches
from harborwatch.ais.sources import read_file
from harborwatch.cli.forecast import forecast_command
from harborwatch.events.base import DetectionContext, EventType
from harborwatch.events.detect import build_track_points, detect_events
from harborwatch.fusion.forecast import (
    ForecastConfig,
    PortGazetteer,
    evaluate_forecasts,
    forecast_destinations,
    forecast_figures,
    sea_distance_m,
)
from harborwatch.geo.distance import haversine_m
from harborwatch.geo.reference import load_geography
from harborwatch.store import Store
from harborwatch.store.jobs import run_detection

T0 = datetime(2024, 1, 1, tzinfo=UTC)
AT = T0 + timedelta(hours=3)
PORTS = pl.DataFrame(
    {
        "port_id": ["p:a", "p:b", "p:c", "p:d", "p:lgb", "p:said"],
        "name": ["Alpha", "Bravo", "Charlie", "Delta", "Long Beach", "Port Said"],
        "kind": "port",
        "country": None,
        "lon": [1.0, 1.0, -1.0, -0.5, -118.2, 32.3],
        "lat": [0.05, -0.05, 0.0, 0.0, 33.75, 31.25],
        "source": "test",
    }
)
"""Alpha and Bravo lie ahead of an eastbound vessel at the same distance and angle, Charlie and
Delta astern; Long Beach and Port Said are far away (for name matching)."""


def eastbound(hours: int = 4) -> pl.DataFrame:
    """Hourly points along the equator at 10 kn (1/6 degree an hour) from 0.5 W."""
    return pl.DataFrame(
        {
            "vessel_id": "1",
            "ts": [T0 + timedelta(hours=h) for h in range(hours)],
            "lon": [-0.5 + h / 6 for h in range(hours)],
            "lat": 0.0,
            "speed_knots": 10.0,
            "course_deg": 90.0,
        }
    )


def statics(*rows: tuple[float, str]) -> pl.DataFrame:
    """Static reports of vessel 1: (hours after T0, destination)."""
    return pl.DataFrame(
        {
            "vessel_id": "1",
            "ts": [T0 + timedelta(hours=h) for h, _ in rows],
            "destination": [text for _, text in rows],
        },
        schema={"vessel_id": pl.String, "ts": pl.Datetime("us", "UTC"), "destination": pl.String},
    )


def visits(*rows: tuple[str, str, float]) -> pl.DataFrame:
    """Port calls: (vessel, port name, start hours after T0), one hour long with one stop each."""
    return pl.DataFrame(
        {
            "event_type": "port_visit",
            "vessel_id": [vessel for vessel, _, _ in rows],
            "site_id": [f"p:{name[0].lower()}" for _, name, _ in rows],
            "start_ts": [T0 + timedelta(hours=h) for _, _, h in rows],
            "end_ts": [T0 + timedelta(hours=h + 1) for _, _, h in rows],
            "attributes": [json.dumps({"port_name": name, "n_stops": 1}) for _, name, _ in rows],
        },
        schema_overrides={
            "vessel_id": pl.String,
            "site_id": pl.String,
            "start_ts": pl.Datetime("us", "UTC"),
            "end_ts": pl.Datetime("us", "UTC"),
            "attributes": pl.String,
        },
    )


NO_VISITS = visits()


def ranking(forecast: pl.DataFrame) -> list[str]:
    return forecast.filter(pl.col("rank").is_not_null())["port_key"].to_list()


def test_declared_destination_consistent_with_course_wins() -> None:
    forecast = forecast_destinations(eastbound(), statics((0, "BRAVO")), NO_VISITS, PORTS, AT)
    assert ranking(forecast)[0] == "BRAVO"
    assert forecast["probability"].sum() == pytest.approx(1.0)
    assert forecast.filter(pl.col("port_name") == "other")["probability"].item() > 0
    best = forecast.row(0, named=True)
    assert best["declared"] and best["probability"] > 0.5
    # Bravo lies 111 km ahead; by sea at least 1.3 times that, at 10 kn (18.52 km/h).
    assert best["distance_km"] >= 1.3 * haversine_m(0.0, 0.0, 1.0, -0.05) / 1e3 - 1e-6
    assert best["eta_h"] == pytest.approx(best["distance_km"] / 18.52, rel=1e-6)
    assert best["eta_ts"] == AT + timedelta(hours=best["eta_h"])


def test_history_prior_breaks_the_tie_between_ports_equally_ahead() -> None:
    # Vessel 1 last called at Delta; other vessels went Delta -> Alpha twice, Delta -> Bravo once.
    history = visits(
        ("1", "Delta", -5),
        ("2", "Delta", -20),
        ("2", "Alpha", -10),
        ("3", "Delta", -20),
        ("3", "Alpha", -8),
        ("4", "Delta", -20),
        ("4", "Bravo", -9),
    )
    forecast = forecast_destinations(eastbound(), statics(), history, PORTS, AT)
    assert ranking(forecast)[:2] == ["ALPHA", "BRAVO"]
    assert forecast["history_count"].to_list()[:2] == [2, 1]
    # Without history the two are a tie, broken by name only.
    plain = forecast_destinations(eastbound(), statics(), NO_VISITS, PORTS, AT)
    probability = plain["probability"].to_list()
    assert probability[0] == pytest.approx(probability[1])
    # Transitions that become known after `at` are not counted.
    late = visits(("1", "Delta", -5), ("2", "Delta", 10), ("2", "Bravo", 20))
    assert forecast_destinations(eastbound(), statics(), late, PORTS, AT)["history_count"][0] == 0


def test_for_orders_gives_no_declared_candidate() -> None:
    forecast = forecast_destinations(eastbound(), statics((0, "FOR ORDERS")), NO_VISITS, PORTS, AT)
    assert not forecast["declared"].any()
    plain = forecast_destinations(eastbound(), statics(), NO_VISITS, PORTS, AT)
    assert forecast["probability"].to_list() == plain["probability"].to_list()
    assert "CHARLIE" not in ranking(plain)  # astern, outside the cone, not declared


def test_the_future_is_hidden() -> None:
    # After `at` the vessel turns back west and declares Charlie: none of it may count.
    track = eastbound(4)
    turned = pl.DataFrame(
        {
            "vessel_id": "1",
            "ts": [AT + timedelta(hours=h) for h in (1, 2)],
            "lon": [-1.0, -2.0],
            "lat": 0.0,
            "speed_knots": 30.0,
            "course_deg": 270.0,
        }
    )
    future = forecast_destinations(
        pl.concat([track, turned]), statics((0, "BRAVO"), (4, "CHARLIE")), NO_VISITS, PORTS, AT
    )
    present = forecast_destinations(track, statics((0, "BRAVO")), NO_VISITS, PORTS, AT)
    assert future.equals(present)


def test_no_position_before_at_gives_an_empty_forecast() -> None:
    forecast = forecast_destinations(eastbound(), statics(), NO_VISITS, PORTS, T0 - timedelta(1))
    assert forecast.is_empty()


def test_far_ports_get_the_sea_lane_distance() -> None:
    # Tartus to Baltiysk (DESIGN.md) is 2,517 km as the crow flies, but by sea it runs through
    # Gibraltar, round France and Denmark: over 7,000 km. Tartus to Latakia (80 km) stays direct.
    tartus = (35.867, 34.900)
    to_lon, to_lat = np.array([19.90, 35.77]), np.array([54.633, 35.52])
    direct_km = haversine_m(*tartus, to_lon, to_lat) / 1e3
    sea_km = sea_distance_m(*tartus, to_lon, to_lat, ForecastConfig()) / 1e3
    assert direct_km[0] == pytest.approx(2517, abs=5)
    assert 7_000 < sea_km[0] < 9_000
    assert sea_km[1] == pytest.approx(direct_km[1] * ForecastConfig().detour_factor)


@pytest.mark.parametrize(
    ("declared", "key"),
    [
        ("USLGB", "LONG BEACH"),
        ("US LGB", "LONG BEACH"),
        ("LONG BEACH", "LONG BEACH"),
        ("LONG BEACH CA", "LONG BEACH"),
        ("LONGBEACH", "LONG BEACH"),
        ("CNNGB>>USLGB", "LONG BEACH"),
        ("PORT SAID", "PORT SAID"),
        ("PORT SAIDD", "PORT SAID"),
        ("FOR ORDERS", None),
        ("", None),
        ("SOMEWHERE ELSE", None),
    ],
)
def test_declared_destination_matching(declared: str, key: str | None) -> None:
    assert PortGazetteer(PORTS).match(declared) == key


@pytest.fixture(scope="module")
def santa_barbara(data_dir: Path) -> tuple[pl.DataFrame, ...]:
    files = sorted((data_dir / "ais" / "sbarc-santa-barbara" / "raw").glob("AIS_SBARC_*.txt.gz"))
    assert len(files) == 168
    batch = concat_batches(b for f in files for b in read_file(f, ReadContext(f.name, f)))
    positions, history = pl.from_arrow(batch.positions), pl.from_arrow(batch.statics)
    assert isinstance(positions, pl.DataFrame) and isinstance(history, pl.DataFrame)
    geography = load_geography(data_dir / "geo")
    points = build_track_points(positions.sort("mmsi", "ts"), geography)
    history = history.with_columns(pl.col("mmsi").cast(pl.String).alias("vessel_id"))
    context = DetectionContext(statics=history, ports=geography.ports)
    port_visits = detect_events(points, context, types=[EventType.PORT_VISIT])
    return points, history, port_visits, geography.ports


def test_santa_barbara_week_next_port(santa_barbara: tuple[pl.DataFrame, ...]) -> None:
    evaluation = evaluate_forecasts(*santa_barbara)
    figures, cases = evaluation.figures, evaluation.departures
    # About 190 departures from a port call followed by another call more than an hour later
    # within the week (transits past anchorages are not calls); over half are returns to the
    # same port (Avalon boats, platform supply runs).
    assert figures["n_departures"] >= 150
    assert figures["top1"] >= 0.55
    assert figures["top3"] >= 0.72
    assert figures["median_eta_error_h"] <= 2.0
    # Probabilities mean what they say: the top candidate's averages within 0.1 of how often
    # it is right, on the days the temperature was chosen on and on the held-out days.
    assert abs(figures["mean_top1_probability"] - figures["top1"]) <= 0.1
    # The weights were chosen on departures before June 4: the later ones are held out.
    held_out = forecast_figures(cases.filter(pl.col("at") >= datetime(2018, 6, 4, tzinfo=UTC)))
    assert held_out["n_departures"] >= 100
    assert held_out["top1"] >= 0.6 and held_out["top3"] >= 0.8
    assert abs(held_out["mean_top1_probability"] - held_out["top1"]) <= 0.12
    # Not only returns: voyages to another port are in the top 3 more often than not.
    onward = cases.filter(pl.col("from_key") != pl.col("next_key"))
    assert onward.height >= 60 and (onward["hit_rank"] <= 3).sum() >= 0.5 * onward.height
    # Few of these vessels declare a port (most are class B or leave it blank), so trusting
    # the declared destination alone gets few right; the forecast does much better.
    assert figures["baseline_top1"] <= figures["declared_share"] < 0.3
    assert figures["top1"] > 3 * figures["baseline_top1"]
    # Where the vessel declared a port, the forecast's top 3 hold the next call at least as
    # often as the text names it (its top 1 does not: an hour out, the port just left and the
    # usual next call can outrank a declared port; 8 against 10 of 15 in this week).
    declaring = cases.filter(pl.col("declared_key").is_not_null())
    assert (declaring["hit_rank"] <= 3).sum() >= declaring["declared_hit"].sum()


def test_forecast_command_on_a_stored_day(data_dir: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    raw = data_dir / "ais" / "sbarc-santa-barbara" / "raw"
    for path in sorted(raw.glob("AIS_SBARC_180601-*.txt.gz")):
        store.ingest(path)
    geography = load_geography(data_dir / "geo")
    run_detection(store, geography, types=[EventType.PORT_VISIT])
    # A vessel that declared Port Hueneme by its LOCODE (USNTD) during the day.
    con = store.connect()
    vessel = con.execute(
        "SELECT CAST(mmsi AS VARCHAR) FROM statics WHERE replace(destination, ' ', '') = 'USNTD' "
        "ORDER BY mmsi LIMIT 1"
    ).fetchone()
    assert vessel is not None
    args = [vessel[0], "--store", str(tmp_path / "store"), "--geo-dir", str(data_dir / "geo")]
    result = CliRunner().invoke(forecast_command, [*args, "--format", "json", "--top", "3"])
    assert result.exit_code == 0, result.output
    candidates = json.loads(result.stdout)["candidates"]
    assert [row["rank"] for row in candidates] == [*range(1, len(candidates)), None]
    assert len(candidates) <= 4
    assert sum(row["probability"] for row in candidates) == pytest.approx(1.0)
    assert any(row["declared"] and row["port_key"] == "PORT HUENEME" for row in candidates)
    table = CliRunner().invoke(forecast_command, [*args, "--at", "2018-06-01T12:00"])
    assert table.exit_code == 0, table.output
    missing = CliRunner().invoke(forecast_command, ["1", "--store", str(tmp_path / "store")])
    assert missing.exit_code != 0 and "no positions" in str(missing.exception or missing.output)
