"""The SIMULATED Tartus scenario run end to end into a store (``harborwatch demo tartus``).

Generates the scenario's AIS (:mod:`harborwatch.scenarios.tartus`) and scenes
(:mod:`harborwatch.scenarios.scenes`), then runs the ordinary pipeline on them: ingest, detect,
register scenes and their labels, assess the naval facility's timeline, forecast both ships'
destinations at three points of their voyage, and check the example claims. Returns a summary of
what the pipeline found; every part of it says SIMULATED.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from harborwatch.errors import InputError
from harborwatch.fusion.claims import load_claims
from harborwatch.fusion.forecast import (
    ForecastConfig,
    Forecaster,
    PortGazetteer,
    port_calls,
    visit_keys,
)
from harborwatch.geo.reference import load_geography
from harborwatch.geo.sites import load_sites
from harborwatch.geo.watchlists import load_watchlist
from harborwatch.scenarios import scenes as scenario_scenes
from harborwatch.scenarios import tartus
from harborwatch.store import imagery as stored
from harborwatch.store import queries
from harborwatch.store.jobs import check_claims_in_store, run_detection
from harborwatch.store.report import write_site_report
from harborwatch.store.site import assess_stored_site, site_row
from harborwatch.store.store import Store
from harborwatch.tracks.segment import segment_tracks

SITE = "tartus-naval"
FORECAST_TIMES = {
    "after leaving Tartus": datetime(2025, 2, 1, 6, tzinfo=UTC),
    "after Gibraltar": datetime(2025, 2, 9, 6, tzinfo=UTC),
    "after the English Channel": datetime(2025, 2, 13, 18, tzinfo=UTC),
}
"""Forecast times: 5 h after SPARTA leaves, a day after both pass Gibraltar (8 Feb), hours after
both pass the Strait of Dover (13 Feb 12-15 h)."""
_FORECAST_COLUMNS = (
    "vessel", "when", "at", "rank", "port_name", "probability", "eta_ts", "distance_km"
)  # fmt: skip
"""The forecast columns the report shows."""
IMAGE_PLACE = (
    "DOTA v1.0 tile P1888 (Google Earth; a bus and truck yard, place not published by DOTA)"
)


@dataclass(frozen=True)
class DemoInputs:
    """Files the demo reads: reference geography, sites, watchlist, claims, a labelled image."""

    geo_dir: Path | None
    sites: Path
    watchlist: Path
    claims: Path
    image: Path
    labels: Path


def run_tartus_demo(
    out_dir: Path,
    inputs: DemoInputs,
    seed: int = 0,
    step: Callable[[str], None] = lambda _name: None,
) -> dict[str, Any]:
    """Generate the SIMULATED scenario under ``out_dir`` (``ais/``, ``scenes/``), run the pipeline
    into ``out_dir/store`` and return the summary (see :func:`summarise`)."""
    started = time.perf_counter()
    store = Store(out_dir / "store")
    if store.root.exists():
        raise InputError(
            f"{str(store.root)!r} exists; the demo writes a fresh store: remove {str(out_dir)!r} "
            "or give another --out"
        )
    sites = load_sites(inputs.sites)
    watchlist = load_watchlist(inputs.watchlist)
    step("generating SIMULATED AIS")
    positions, statics = tartus.simulate_tartus_ais(seed)
    files = tartus.write_nmea(positions, statics, out_dir / "ais")
    step("ingesting")
    for path in files:
        store.ingest(path)
    step("detecting events")
    geography = load_geography(inputs.geo_dir)
    detection = run_detection(store, geography, sites, watchlist)
    step("making SIMULATED scenes")
    made = scenario_scenes.drawdown_scenes(
        inputs.image, inputs.labels, out_dir / "scenes", SITE, IMAGE_PLACE, seed=seed
    )
    for scene in made:
        stored.register_scene(store, scene.scene)
        sources = scene.detections["source"].unique().to_list()
        stored.replace_detections(store, scene.scene["scene_id"], scene.detections, sources)
    step("assessing the site")
    assessments, _, _ = assess_stored_site(
        store, site_row(SITE, sites), tartus.START.date(), tartus.END.date()
    )
    step("forecasting destinations")
    forecasts = forecast_voyages(store, geography.ports)
    step("checking claims")
    claims = load_claims(inputs.claims, watchlist, sites)
    checked = check_claims_in_store(store, claims, watchlist, sites)
    step("writing the report")
    report = write_site_report(
        store,
        SITE,
        out_dir / "report.html",
        tartus.START.date(),
        tartus.END.date(),
        sites,
        watchlist,
        inputs.geo_dir,
        forecasts=forecasts.select(_FORECAST_COLUMNS),
    )
    summary = summarise(
        store,
        files,
        detection.as_dict(),
        assessments,
        forecasts,
        checked,
        round(time.perf_counter() - started, 1),
    )
    return {**summary, "report": str(report)}


def forecast_voyages(store: Store, ports: pl.DataFrame, top: int = 5) -> pl.DataFrame:
    """Destination forecasts of SPARTA and SPARTA II at each of :data:`FORECAST_TIMES` among
    ``ports`` (a PORTS table), learnt from the stored port calls
    (:func:`~harborwatch.fusion.forecast.port_calls`): one row per vessel, time and candidate."""
    con = store.connect()
    visits = _frame(queries.events(con, event_type="port_visit"))
    statics = _frame(queries.statics(con))
    config = ForecastConfig()
    forecaster = Forecaster(PortGazetteer(ports, config), visit_keys(visits), config)
    rows = []
    for ship in (tartus.SPARTA, tartus.SPARTA_II):
        vessel = str(ship.mmsi)
        points = segment_tracks(_frame(queries.track(con, vessel)))
        own = statics.filter(pl.col("vessel_id") == vessel)
        for label, at in FORECAST_TIMES.items():
            ranked = forecaster.forecast(points, own, at, top).filter(pl.col("rank").is_not_null())
            rows.append(
                ranked.with_columns(
                    vessel=pl.lit(ship.name),
                    mmsi=pl.lit(ship.mmsi),
                    when=pl.lit(label),
                    at=pl.lit(at),
                )
            )
    return pl.concat(rows)


def summarise(
    store: Store,
    files: list[Path],
    detection: dict[str, Any],
    assessments: pl.DataFrame,
    forecasts: pl.DataFrame,
    claims: pl.DataFrame,
    elapsed_s: float,
) -> dict[str, Any]:
    """What the pipeline found in the SIMULATED scenario, as plain data."""
    con = store.connect()
    events = _frame(queries.events(con))
    ships = {ship.mmsi: ship.name for ship in (tartus.SPARTA, tartus.SPARTA_II)}
    story = events.filter(pl.col("mmsi").is_in(list(ships))).with_columns(
        vessel=pl.col("mmsi").replace_strict(ships, return_dtype=pl.String)
    )
    receivers = con.sql("SELECT DISTINCT receiver FROM positions").fetchall()
    scenes = stored.scenes(store, SITE)
    return {
        "SIMULATED": True,
        "note": (
            "SIMULATED scenario replaying public reporting on the Syrian Express (Dec 2024 - Feb "
            "2025): generated AIS with made-up MMSIs "
            f"({', '.join(f'{n} {m}' for m, n in ships.items())}) and background traffic; "
            f"scenes are a real image of {IMAGE_PLACE} with vehicles painted out, not Tartus"
        ),
        "store": str(store.root),
        "files": {
            "count": len(files),
            "all_named_SIMULATED": all(f.name.startswith(tartus.SIMULATED) for f in files),
        },
        "stored": {k: v for k, v in queries.stats(con).items() if k in _STATS},
        "receivers": sorted(str(r[0]) for r in receivers),
        "detection": detection,
        "port_visits_tartus": _rows(
            port_calls(story).filter(
                pl.col("attributes").str.json_path_match("$.port_name") == "Tartus"
            ),
            ["vessel", "start_ts", "end_ts", "duration_h"],
        ),
        "ais_gaps": _rows(
            story.filter(pl.col("event_type") == "ais_gap"),
            ["vessel", "start_ts", "end_ts", "duration_h", "confidence"],
        ),
        "voyage_changes": _rows(
            story.filter(pl.col("event_type") == "voyage_change").with_columns(
                old=pl.col("attributes").str.json_path_match("$.old"),
                new=pl.col("attributes").str.json_path_match("$.new"),
            ),
            ["vessel", "start_ts", "old", "new"],
        ),
        "loitering": _rows(
            story.filter(pl.col("event_type") == "loitering"),
            ["vessel", "start_ts", "end_ts", "duration_h", "lon", "lat"],
        ),
        "scenes": _rows(scenes, ["scene_id", "acquired_ts", "simulated", "note"]),
        "assessments": _rows(
            assessments,
            ["kind", "series", "date", "before", "after", "relative_change", "confidence"],
        ),
        "forecasts": _rows(
            forecasts,
            ["vessel", "when", "at", "rank", "port_name", "probability", "distance_km", "eta_ts"],
        ),
        "claims": _rows(claims, ["vessel_name", "event_kind", "site_id", "start_ts", "verdict"]),
        "elapsed_s": elapsed_s,
    }


_STATS = ("positions", "statics", "vessels", "rejected", "files", "ts_min", "ts_max")


def _rows(frame: pl.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    return frame.select(columns).to_dicts()


def _frame(table: Any) -> pl.DataFrame:
    return pl.DataFrame(pl.from_arrow(table))
