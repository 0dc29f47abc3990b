"""site_presence on built tracks around the example sites (Tartus piers inside Tartus port)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from harborwatch.config import SitePresenceConfig
from harborwatch.events.base import DetectionContext, EventType, empty_frame
from harborwatch.events.site_presence import detect_site_presence
from harborwatch.geo.sites import load_sites
from harborwatch.geo.watchlists import load_watchlist
from harborwatch.schemas import EVENTS, STATICS
from tests.builders import T0, track_points
from tests.conftest import REPO_ROOT

SITES = load_sites(REPO_ROOT / "examples" / "sites" / "eastern-med.toml")
WATCHLIST = load_watchlist(REPO_ROOT / "examples" / "watchlists" / "syrian-express.toml")
SEA = (35.70, 34.95)  # ~15 km west of Tartus
PIERS = (35.874, 34.915)  # inside tartus-naval and tartus-port
HARBOUR = (35.862, 34.897)  # inside tartus-port only


def _statics(vessel_id: str, name: str, imo: int | None = None) -> pl.DataFrame:
    frame = empty_frame(STATICS).with_columns(pl.lit(None, pl.String).alias("vessel_id"))
    row = pl.DataFrame(
        {"vessel_id": [vessel_id], "mmsi": [int(vessel_id)], "name": [name], "imo": [imo]}
    )
    return pl.concat([frame, row], how="diagonal_relaxed")


def _context(statics: pl.DataFrame | None = None) -> DetectionContext:
    context = DetectionContext(sites=SITES, watchlist=WATCHLIST)
    return (
        context
        if statics is None
        else DetectionContext(statics=statics, sites=SITES, watchlist=WATCHLIST)
    )


def _events(rows: list[tuple[str, float, float, float, float]], **kwargs: object) -> pl.DataFrame:
    return detect_site_presence(track_points(rows), **kwargs)  # type: ignore[arg-type]


def test_visit_to_the_piers_is_in_both_overlapping_sites() -> None:
    v = "273396130"  # URSA MAJOR, matched by MMSI directly (no statics)
    rows = [(v, 0, *SEA, 10), (v, 2, *HARBOUR, 3), (v, 3, *PIERS, 0), (v, 20, *PIERS, 0),
            (v, 21, *HARBOUR, 3), (v, 23, *SEA, 10)]  # fmt: skip
    events = _events(rows, context=_context())
    assert events.columns == EVENTS.names
    assert events["event_type"].unique().to_list() == [str(EventType.SITE_PRESENCE)]
    by_site = {r["site_id"]: r for r in events.to_dicts()}
    assert set(by_site) == {"tartus-naval", "tartus-port"}
    naval, port = by_site["tartus-naval"], by_site["tartus-port"]
    assert (naval["start_ts"] - T0).total_seconds() == 3 * 3600
    assert (naval["end_ts"] - T0).total_seconds() == 20 * 3600
    assert (port["start_ts"] - T0).total_seconds() == 2 * 3600
    assert (port["end_ts"] - T0).total_seconds() == 21 * 3600
    attributes = json.loads(naval["attributes"])
    assert attributes["entry_id"] == "ursa-major" and attributes["matched_on"] == "mmsi"
    assert attributes["entry_observed"] and attributes["exit_observed"]
    assert not attributes["open_at_start"] and not attributes["open_at_end"]
    assert attributes["n_positions"] == 2
    evidence = json.loads(naval["evidence"])["points"]
    assert (evidence["before"]["lon"], evidence["before"]["lat"]) == HARBOUR  # just outside
    assert (evidence["after"]["lon"], evidence["after"]["lat"]) == HARBOUR
    assert port["confidence"] == 4


def test_only_watchlist_vessels_and_matched_by_name() -> None:
    rows = [("111111111", 0, *PIERS, 0), ("111111111", 1, *PIERS, 0),
            ("222222222", 0, *PIERS, 0), ("222222222", 1, *PIERS, 0)]  # fmt: skip
    statics = pl.concat([_statics("111111111", "Sparta-II"), _statics("222222222", "SPARTA V")])
    events = _events(rows, context=_context(statics))
    assert set(events["vessel_id"]) == {"111111111"}
    assert {json.loads(a)["entry_id"] for a in events["attributes"]} == {"sparta-ii"}


def test_gap_splits_a_stay_and_edges_open_at_data_limits() -> None:
    v = "273396130"
    rows = [(v, 0, *PIERS, 0), (v, 1, *PIERS, 0), (v, 40, *PIERS, 0), (v, 41, *SEA, 8)]
    config = SitePresenceConfig(max_gap_h=24.0)
    naval = _events(rows, context=_context(), config=config).filter(site_id="tartus-naval")
    assert naval.height == 2
    first, second = (json.loads(a) for a in naval.sort("start_ts")["attributes"])
    assert first["open_at_start"] and not first["entry_observed"]
    assert not first["exit_observed"] and first["exit_gap_h"] == pytest.approx(39.0)
    assert not second["entry_observed"] and second["exit_observed"]
    merged = _events(rows, context=_context(), config=SitePresenceConfig(max_gap_h=48.0))
    assert merged.filter(site_id="tartus-naval").height == 1


def test_no_watchlist_or_no_sites_gives_no_events() -> None:
    rows = [("273396130", 0, *PIERS, 0)]
    assert _events(rows, context=DetectionContext(sites=SITES)).is_empty()
    assert _events(rows, context=DetectionContext(watchlist=WATCHLIST)).is_empty()


def test_event_ids_do_not_depend_on_input_order() -> None:
    v = "273396130"
    rows = [(v, 0, *SEA, 10), (v, 2, *PIERS, 0), (v, 5, *PIERS, 0), (v, 7, *SEA, 10)]
    forward = _events(rows, context=_context())
    backward = detect_site_presence(track_points(rows).reverse(), _context())
    assert forward["event_id"].to_list() == backward["event_id"].to_list()
