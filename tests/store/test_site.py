"""What a store knows about one site: the AIS coverage of the sources heard near it, and the
days of its own evidence (not those of every stored event)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from harborwatch.errors import InputError
from harborwatch.events.base import empty_frame
from harborwatch.geo.sites import load_sites
from harborwatch.schemas import EVENTS, ZONE_COUNTS
from harborwatch.store import Store
from harborwatch.store.site import evidence_span, recorded_coverage, site_row

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE = {"site_id": "harbour", "name": "Harbour", "kind": "port", "lon": 20.0, "lat": 35.0,
        "radius_m": 2000.0, "geometry_wkt": None}  # fmt: skip
T0 = datetime(2015, 6, 1, tzinfo=UTC)


def _debs(path: Path, lon: float, lat: float, days: int) -> Path:
    """A DEBS 2018 export (one reader) of one ship reporting hourly for ``days`` days."""
    rows = ["SHIP_ID,SPEED,LON,LAT,COURSE,HEADING,TIMESTAMP,DEPARTURE_PORT_NAME,REPORTED_DRAUGHT"]
    for hour in range(24 * days):
        ts = (T0 + timedelta(hours=hour)).strftime("%d-%m-%y %H:%M")
        rows.append(f"0xabc,0,{lon},{lat},0,511,{ts},X,")
    path.write_text("\n".join(rows) + "\n")
    return path


def _csv(path: Path, lon: float, lat: float, days: int) -> Path:
    """A plain CSV (another reader) of one vessel reporting hourly for ``days`` days."""
    rows = ["ship,when,x,y"]
    for hour in range(24 * days):
        ts = (T0 + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(f"211000001,{ts},{lon},{lat}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_coverage_is_that_of_the_sources_heard_near_the_site(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.ingest(_debs(tmp_path / "near.csv", 20.01, 35.01, days=3))
    far = _csv(tmp_path / "far.csv", -119.0, 34.0, days=10)  # another ocean, ten days
    store.ingest(far, fmt="csv", columns={"mmsi": "ship", "ts": "when", "lon": "x", "lat": "y"})
    con = store.connect()
    coverage = recorded_coverage(con, SITE, near_m=37_040.0)
    assert coverage is not None
    assert coverage["source"].to_list() == ["debs"]
    assert coverage["end_ts"].max() < T0 + timedelta(days=3)  # type: ignore[operator]
    nowhere = {**SITE, "lon": None, "lat": None}
    everything = recorded_coverage(con, nowhere, near_m=37_040.0)
    assert everything is not None and sorted(everything["source"]) == ["csv", "debs"]


def _visit(event_id: str, lon: float, day: int) -> dict[str, object]:
    start = T0 + timedelta(days=day)
    return {"event_id": event_id, "event_type": "port_visit", "vessel_id": "1", "lon": lon,
            "lat": 35.0, "start_ts": start, "end_ts": start + timedelta(hours=5),
            "attributes": json.dumps({"n_stops": 1}), "evidence": "{}"}  # fmt: skip


def test_evidence_span_is_the_sites_own() -> None:
    events = pl.concat(
        [
            empty_frame(EVENTS),
            pl.DataFrame(
                [_visit("here", 20.0, 2), _visit("here2", 20.0, 4), _visit("far", 25.0, 30)]
            ),
        ],
        how="diagonal_relaxed",
    )
    counts = empty_frame(ZONE_COUNTS)
    assert evidence_span(SITE, events, counts, None, None) == (date(2015, 6, 3), date(2015, 6, 5))
    assert evidence_span(SITE, events, counts, date(2015, 5, 1), None)[0] == date(2015, 5, 1)
    with pytest.raises(InputError, match="no stored events or scenes at site 'harbour'"):
        evidence_span(SITE, events.filter(pl.col("event_id") == "far"), counts, None, None)


def test_real_sources_count_only_near_their_own_sites(tmp_path: Path, ais_dir: Path) -> None:
    """A Santa Barbara hour and the Suez export in one store: Port Hueneme's days are recorded
    by the Santa Barbara receiver only, Port Said's by the Suez export only."""
    store = Store(tmp_path / "store")
    store.ingest(ais_dir / "eastern-med" / "suez_2021_boat_positions.csv")
    store.ingest(next((ais_dir / "sbarc-santa-barbara" / "raw").glob("AIS_SBARC_180603-12*")))
    sites = load_sites(REPO_ROOT / "examples" / "sites" / "shared-data.toml")
    said = load_sites(REPO_ROOT / "examples" / "sites" / "eastern-med.toml")
    con = store.connect()
    hueneme = recorded_coverage(con, site_row("port-hueneme", sites), near_m=37_040.0)
    port_said = recorded_coverage(con, site_row("port-said", said), near_m=37_040.0)
    assert hueneme is not None and set(hueneme["source"]) == {"sbarc"}
    assert port_said is not None and set(port_said["source"]) == {"suez"}
