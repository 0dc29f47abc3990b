"""Claims: reading claims files, extracting claims from text, checking them against events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
import polars as pl
import pyarrow as pa
import pytest
from click.testing import CliRunner

from harborwatch.cli.claims import claims_group
from harborwatch.errors import InputError
from harborwatch.events.base import empty_frame
from harborwatch.fusion.claims import (
    ClaimCheckConfig,
    check_claims,
    extract_claims,
    load_claims,
    parse_claims,
    split_sentences,
    watched_vessel_ids,
)
from harborwatch.geo.sites import load_sites
from harborwatch.geo.watchlists import load_watchlist
from harborwatch.schemas import CLAIMS, EVENTS, SEGMENTS
from harborwatch.store import Store
from harborwatch.store.jobs import check_claims_in_store, stored_claims

REPO = Path(__file__).resolve().parents[2]
SITES_FILE = REPO / "examples" / "sites" / "eastern-med.toml"
WATCHLIST_FILE = REPO / "examples" / "watchlists" / "syrian-express.toml"
CLAIMS_FILE = REPO / "examples" / "claims" / "tartus-2024-2025.yaml"
EXAMPLE = (
    "On December 21 and 22, Russian vessels, identified as Sparta and Sparta II, docked at Tartous."
)
TARTUS = {"tartus-port", "tartus-naval"}


@pytest.fixture(scope="module")
def sites() -> pl.DataFrame:
    return load_sites(SITES_FILE)


@pytest.fixture(scope="module")
def watchlist() -> pl.DataFrame:
    return load_watchlist(WATCHLIST_FILE)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _extract(text: str, sites: pl.DataFrame, watchlist: pl.DataFrame, **kw: object) -> pl.DataFrame:
    kw.setdefault("published", date(2024, 12, 30))
    return extract_claims(text, sites, watchlist, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- extraction


def test_example_sentence_gives_both_ships_docking_at_tartus(sites, watchlist) -> None:
    claims = _extract(EXAMPLE, sites, watchlist, source="report A")
    assert claims.schema == empty_frame(CLAIMS).schema
    assert sorted(claims["vessel_name"]) == ["SPARTA", "SPARTA II"]
    assert sorted(claims["entry_id"]) == ["sparta", "sparta-ii"]
    assert set(claims["site_id"]) <= TARTUS and claims["site_id"].null_count() == 0
    assert set(claims["event_kind"]) == {"port_visit"}
    # 21 and 22 December of the publication year: [21 Dec 00:00, 23 Dec 00:00)
    assert set(claims["start_ts"]) == {_utc(2024, 12, 21)}
    assert set(claims["end_ts"]) == {_utc(2024, 12, 23)}
    assert set(claims["text"]) == {EXAMPLE}
    assert set(claims["source"]) == {"report A"}
    assert claims["claim_id"].n_unique() == 2


@pytest.mark.parametrize(
    "place, expected",
    [
        # a bare place name shared by two sites names the port (the wider one, holding the piers)
        ("Tartous", {"tartus-port"}),
        ("Tartous port", {"tartus-port"}),
        ("TARTOUS", {"tartus-port"}),
        ("the Tartus naval facility", {"tartus-naval"}),
        ("Tobruq", {"tobruk"}),
        ("Tarsus", {None}),  # a Turkish city one letter away: not Tartus
    ],
)
def test_place_spellings_resolve_to_sites(sites, watchlist, place: str, expected: set) -> None:
    claims = _extract(f"On 5 December SPARTA docked at {place}.", sites, watchlist)
    assert set(claims["site_id"].to_list()) == expected


def test_vessel_names_are_read_with_spelling_and_numerals(sites, watchlist) -> None:
    text = "On 3 Dec the SPARTA-II, Sparta 2, sparta iv and Ursa  Major docked at Tartus."
    claims = _extract(text, sites, watchlist)
    assert sorted(claims["entry_id"]) == ["sparta-ii", "sparta-iv", "ursa-major"]


def test_conflicting_dates_from_two_reports_are_both_kept(sites, watchlist) -> None:
    december = _extract(EXAMPLE, sites, watchlist, source="report A")
    january = _extract(
        "Sparta and Sparta II docked at Tartus on 21–22 January.",
        sites,
        watchlist,
        source="report B",
        published=date(2025, 1, 25),
    )
    both = pl.concat([december, january])
    assert both["claim_id"].n_unique() == 4
    for vessel in ("sparta", "sparta-ii"):
        rows = both.filter(pl.col("entry_id") == vessel).sort("start_ts")
        assert rows["source"].to_list() == ["report A", "report B"]
        assert rows["start_ts"].to_list() == [_utc(2024, 12, 21), _utc(2025, 1, 21)]


def test_the_two_ships_are_the_ones_named_before(sites, watchlist) -> None:
    text = (
        "Sparta and Sparta II sailed from Novorossiysk. The two ships docked at Tartus on 21 Jan. "
        "A ship docked at Latakia on 22 Jan."
    )
    claims = _extract(text, sites, watchlist, published=date(2025, 1, 25))
    assert claims.select("entry_id", "site_id").sort("entry_id").rows() == [
        ("sparta", "tartus-port"),
        ("sparta-ii", "tartus-port"),
    ]


def test_same_claim_twice_from_one_source_is_one_row(sites, watchlist) -> None:
    claims = _extract(f"{EXAMPLE} {EXAMPLE}", sites, watchlist, source="A")
    assert claims.height == 2


@pytest.mark.parametrize(
    "phrase, start, end",
    [
        ("on Dec. 28", _utc(2024, 12, 28), _utc(2024, 12, 29)),
        ("on 21–22 January", _utc(2025, 1, 21), _utc(2025, 1, 23)),
        ("on January 5-8", _utc(2025, 1, 5), _utc(2025, 1, 9)),
        ("on 2025-01-21", _utc(2025, 1, 21), _utc(2025, 1, 22)),
        ("on December 30, 2023", _utc(2023, 12, 30), _utc(2023, 12, 31)),
        # a range over the new year; times as written
        (
            "from 29 Dec 16:19 UTC → 2 Jan 13:13 UTC",
            _utc(2024, 12, 29, 16, 19),
            _utc(2025, 1, 2, 13, 13),
        ),
    ],
)
def test_dates_and_ranges(sites, watchlist, phrase: str, start: datetime, end: datetime) -> None:
    claims = _extract(f"SPARTA went dark {phrase}.", sites, watchlist, published=date(2025, 1, 25))
    assert claims.select("start_ts", "end_ts").rows() == [(start, end)]


def test_year_is_the_nearest_not_after_publication(sites, watchlist) -> None:
    text = "SPARTA docked at Tartus on 20 January. SPARTA II docked at Tartus on 20 December."
    claims = _extract(text, sites, watchlist, published=date(2025, 1, 25)).sort("entry_id")
    assert claims["start_ts"].to_list() == [_utc(2025, 1, 20), _utc(2024, 12, 20)]


def test_date_without_year_needs_publication(sites, watchlist) -> None:
    with pytest.raises(InputError, match="published"):
        extract_claims(EXAMPLE, sites, watchlist)


def test_kinds_from_verbs(sites, watchlist) -> None:
    text = (
        "SPARTA left Tartus on 27 Jan. SPARTA circled off Tartus on 6 Jan. "
        "On 28 Dec SPARTA changed its AIS destination from PORT SAID to FOR ORDERS. "
        "SPARTA switched off its transponder on 29 Dec. SPARTA was seen at Tartus on 3 Jan. "
        "SPARTA sailed to Tobruk on 4 Jan."
    )
    claims = _extract(text, sites, watchlist, published=date(2025, 1, 30))
    kinds = dict(zip(claims["event_kind"], claims["site_id"], strict=True))
    # the named destination is not where the change happened; "was seen" and "sailed to" claim
    # no kind
    assert kinds == {
        "departure": "tartus-port",
        "loitering": "tartus-port",
        "voyage_change": None,
        "ais_gap": None,
    }


def test_sentences_do_not_break_after_month_abbreviations() -> None:
    text = "SPARTA docked on Dec. 28 at Tartus. It left.\n\nNew paragraph"
    assert split_sentences(text) == [
        "SPARTA docked on Dec. 28 at Tartus.",
        "It left.",
        "New paragraph",
    ]


# ----------------------------------------------------------------------------- claims files


def test_example_claims_file_loads_with_both_docking_dates(sites, watchlist) -> None:
    claims = load_claims(CLAIMS_FILE, watchlist, sites)
    docking = claims.filter(pl.col("event_kind") == "port_visit")
    assert sorted(docking["start_ts"].unique()) == [_utc(2024, 12, 21), _utc(2025, 1, 21)]
    assert docking["source"].n_unique() == 2
    gap = claims.filter(pl.col("event_kind") == "ais_gap").row(0, named=True)
    assert (gap["end_ts"] - gap["start_ts"]).total_seconds() / 3600 == pytest.approx(92.9, abs=0.1)


def test_extracted_yaml_reads_back(sites, watchlist, tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(EXAMPLE + " Sparta went dark from 29 Dec 16:19 UTC → 2 Jan 13:13 UTC.")
    args = ["extract", str(article), "--sites", str(SITES_FILE), "--watchlist", str(WATCHLIST_FILE)]
    result = CliRunner().invoke(
        claims_group, [*args, "--published", "2025-01-10", "--format", "yaml"]
    )
    assert result.exit_code == 0, result.output
    read = parse_claims(result.output, "out", watchlist, sites)
    direct = extract_claims(
        article.read_text(), sites, watchlist, source="article.txt", published=date(2025, 1, 10)
    )
    assert read.sort("claim_id").equals(direct.sort("claim_id"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("- {vessel: SPARTA, event_kind: sunk, start: 2025-01-01, source: x}", "event_kind 'sunk'"),
        ("- {vessel: SPARTA, event_kind: docked, start: 2025-01-01}", "no source"),
        ("- {vessel: SPARTA, event_kind: docked, start: 21 Jan, source: x}", "start = '21 Jan'"),
        ("- {vessel: SPARTA V, event_kind: docked, start: 2025-01-01, source: x}", "'SPARTA V'"),
        (
            "- {vessel: SPARTA, site: tartous, kind: docked, start: 2025-01-01, source: x}",
            "'tartous'",
        ),
        (
            "- {vessel: SPARTA, kind: docked, start: 2025-01-02, end: 2025-01-01, source: x}",
            "not after",
        ),
        ("- {vesel: SPARTA, kind: docked, start: 2025-01-01, source: x}", "unknown key"),
        ("{vessel: SPARTA}", "list of claims"),
        ("- [unclosed", "cannot read claims"),
    ],
)
def test_bad_claims_name_the_value(sites, watchlist, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_claims(text, "claims.yaml", watchlist, sites)


def test_missing_claims_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_claims(tmp_path / "none.yaml")


def test_json_claims_without_watchlist_use_name_slugs(tmp_path: Path) -> None:
    path = tmp_path / "claims.json"
    path.write_text(json.dumps([{"vessel": "Sparta II", "kind": "dark", "start": "2025-01-01T06:00",
                                 "source": "x", "published": "2025-01-05"}]))  # fmt: skip
    row = load_claims(path).row(0, named=True)
    assert (row["entry_id"], row["event_kind"], row["published"]) == (
        "sparta-ii", "ais_gap", date(2025, 1, 5),
    )  # fmt: skip
    assert row["start_ts"] == _utc(2025, 1, 1, 6) and row["end_ts"] == _utc(2025, 1, 2)


# ----------------------------------------------------------------------------- checking

NAVAL = (35.874, 34.915)  # the Russian piers: inside tartus-naval and tartus-port
OFF_TARTUS = (35.78, 34.93)  # ~8.5 km west of the port: outside it, within 20 nm
LATAKIA = (35.766667, 35.533333)


def _event(event_id: str, kind: str, vessel: str, start: datetime, hours: float,
           where: tuple[float, float], site_id: str | None = None) -> dict:  # fmt: skip
    return {
        "event_id": event_id, "event_type": kind, "vessel_id": vessel, "site_id": site_id,
        "start_ts": start, "end_ts": start + timedelta(hours=hours), "lon": where[0],
        "lat": where[1],
    }  # fmt: skip


def _events(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=empty_frame(EVENTS).schema)


def _claims(sites, watchlist, *lines: str) -> pl.DataFrame:
    return parse_claims("\n".join(lines), "test", watchlist, sites)


VESSELS = pl.DataFrame({"vessel_id": ["111", "222"], "entry_id": ["sparta", "sparta-ii"]})
JANUARY = "- {vessel: SPARTA, site: tartus-naval, kind: port_visit, start: 2025-01-21, end: 2025-01-22, source: B}"  # noqa: E501
DECEMBER = "- {vessel: SPARTA, site: tartus-naval, kind: port_visit, start: 2024-12-21, end: 2024-12-22, source: A}"  # noqa: E501


def test_port_visit_supported_by_an_event_inside_the_site(sites, watchlist) -> None:
    events = _events(
        _event("pv1", "port_visit", "111", _utc(2025, 1, 21, 9), 30, NAVAL, "wpi:45003")
    )
    checked = check_claims(_claims(sites, watchlist, JANUARY), events, VESSELS, sites)
    row = checked.row(0, named=True)
    assert (row["verdict"], row["evidence_ids"]) == ("supported", ["pv1"])
    assert "1 event(s)" in row["reason"]


def test_conflicting_claims_one_supported_one_contradicted(sites, watchlist) -> None:
    """The January docking is in the data; in December the vessel was tracked elsewhere."""
    events = _events(
        _event("pv1", "port_visit", "111", _utc(2025, 1, 21, 9), 30, NAVAL, "wpi:45003"),
        _event("pv0", "port_visit", "111", _utc(2024, 12, 20), 72, LATAKIA, "wpi:45010"),
    )
    checked = check_claims(_claims(sites, watchlist, DECEMBER, JANUARY), events, VESSELS, sites)
    assert checked["verdict"].to_list() == ["contradicted", "supported"]
    assert checked["evidence_ids"].to_list() == [["pv0"], ["pv1"]]
    assert "latakia" in checked["reason"][0] and "tartus-naval" in checked["reason"][0]


def test_tracked_without_an_event_contradicts_and_unheard_is_no_data(sites, watchlist) -> None:
    tracks = pl.DataFrame(
        {"vessel_id": ["111", "222"], "seg_id": ["111-a", "222-a"],
         "first_ts": [_utc(2024, 12, 1)] * 2, "last_ts": [_utc(2025, 2, 1)] * 2},
        schema_overrides={"first_ts": pl.Datetime("us", "UTC"),
                          "last_ts": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    # SPARTA II was dark (an 80 h gap) over the whole of its claimed December docking
    gap = _event("gap", "ais_gap", "222", _utc(2024, 12, 20), 80, OFF_TARTUS)
    claims = _claims(sites, watchlist, DECEMBER, DECEMBER.replace("SPARTA,", "SPARTA II,"))
    checked = check_claims(claims, _events(gap), VESSELS, sites, tracks)
    assert checked["verdict"].to_list() == ["contradicted", "no_data"]
    assert checked["evidence_ids"].to_list() == [["111-a"], []]
    assert "heard for 100%" in checked["reason"][0]
    assert "heard for 0%" in checked["reason"][1]


def test_vessel_missing_from_the_data_is_no_data(sites, watchlist) -> None:
    claims = _claims(sites, watchlist, JANUARY.replace("SPARTA,", "URSA MAJOR,"))
    checked = check_claims(claims, _events(), VESSELS, sites)
    assert checked["verdict"].to_list() == ["no_data"]
    assert "ursa-major" in checked["reason"][0]


@pytest.mark.parametrize("hours_late, verdict", [(20, "supported"), (30, "no_data")])
def test_tolerance_around_the_claimed_time(sites, watchlist, hours_late, verdict) -> None:
    start = _utc(2025, 1, 23) + timedelta(hours=hours_late)  # the claim ends 23 Jan 00:00
    events = _events(_event("pv", "port_visit", "111", start, 5, NAVAL, "wpi:45003"))
    checked = check_claims(_claims(sites, watchlist, JANUARY), events, VESSELS, sites)
    assert checked["verdict"].to_list() == [verdict]


def test_offshore_counts_for_loitering_not_for_a_port_visit(sites, watchlist) -> None:
    events = _events(
        _event("lo", "loitering", "222", _utc(2025, 1, 6), 30, OFF_TARTUS),
        _event("pv", "port_visit", "111", _utc(2025, 1, 21), 30, OFF_TARTUS, "wpi:0"),
    )
    claims = _claims(
        sites, watchlist, JANUARY,
        "- {vessel: SPARTA II, site: tartus-port, kind: circling, start: 2025-01-05, end: 2025-01-08, source: A}",  # noqa: E501
    )  # fmt: skip
    checked = check_claims(claims, events, VESSELS, sites)
    assert checked["verdict"].to_list() == ["no_data", "supported"]
    # with "near" shrunk to 1 km the loitering is elsewhere; so is the port stay 8.5 km away,
    # which now contradicts the claimed docking at the naval piers
    strict = check_claims(claims, events, VESSELS, sites, config=ClaimCheckConfig(near_site_m=1000))
    assert strict["verdict"].to_list() == ["contradicted", "no_data"]
    assert strict["evidence_ids"].to_list() == [["pv"], []]


def test_site_presence_event_carries_the_site(sites, watchlist) -> None:
    """A site stay is placed by its site id even without a position."""
    events = _events(
        _event("sp", "site_presence", "111", _utc(2025, 1, 21), 30, (float("nan"),) * 2,
               "tartus-naval"),
    )  # fmt: skip
    checked = check_claims(_claims(sites, watchlist, JANUARY), events, VESSELS, sites)
    assert checked["evidence_ids"].to_list() == [["sp"]]


def test_watched_vessel_ids_by_identity_and_mmsi(watchlist) -> None:
    statics = pl.DataFrame({"vessel_id": ["999"], "name": ["Sparta  II"], "imo": [None]})
    events = _events(_event("e", "port_visit", "273396130", _utc(2025, 1, 1), 1, NAVAL))
    events = events.with_columns(pl.lit(273396130, pl.UInt32).alias("mmsi"))
    found = watched_vessel_ids(watchlist, statics, events)
    assert found.rows() == [("999", "sparta-ii"), ("273396130", "ursa-major")]


# ----------------------------------------------------------------------------- CLI


def _claims_store(tmp_path: Path) -> tuple[Store, Path]:
    """A store holding one port visit and one segment of SPARTA, and its watchlist."""
    watch = tmp_path / "watch.toml"
    watch.write_text(
        '[[vessel]]\nid = "sparta"\nname = "SPARTA"\nimo = 9268710\nmmsi = [273000111]\n'
    )
    store = Store(tmp_path / "store")
    event = _event("pv1", "port_visit", "273000111", _utc(2025, 1, 21, 9), 30, NAVAL, "wpi:45003")
    events = _events(event).with_columns(pl.lit(273000111, pl.UInt32).alias("mmsi"))
    store.replace_derived("events", events.to_arrow().cast(EVENTS))
    segments = pa.table(
        {"seg_id": ["s"], "vessel_id": ["273000111"], "first_ts": [_utc(2024, 12, 1)],
         "last_ts": [_utc(2025, 2, 1)]}
    )  # fmt: skip
    store.replace_derived(
        "segments", segments.cast(pa.schema([SEGMENTS.field(n) for n in segments.column_names]))
    )
    return store, watch


def _run_claims(store: Store, *args: str) -> list[dict]:
    group = click.Group(commands={"claims": claims_group})
    result = CliRunner().invoke(
        group, ["claims", *args, "--store", str(store.root), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_cli_check_against_a_store(tmp_path: Path) -> None:
    """Claims checked through the command against a store holding one port visit."""
    store, watch = _claims_store(tmp_path)
    claims = tmp_path / "claims.yaml"
    claims.write_text(f"{JANUARY}\n{DECEMBER}\n")
    checks = ["check", str(claims), "--sites", str(SITES_FILE), "--watchlist", str(watch)]
    records = _run_claims(store, *checks)
    assert [(r["start_ts"][:10], r["verdict"], r["evidence_ids"]) for r in records] == [
        ("2025-01-21", "supported", ["pv1"]),
        ("2024-12-21", "contradicted", ["s"]),
    ]
    # issue #5: the checked claims are stored; a re-check replaces them instead of adding rows
    assert sorted(_run_claims(store, "list"), key=lambda r: r["claim_id"]) == sorted(
        records, key=lambda r: r["claim_id"]
    )
    _run_claims(store, *checks)
    stored = store.connect().sql("SELECT claim_id, verdict, evidence_ids FROM claims").pl()
    assert stored.height == 2 and stored["claim_id"].n_unique() == 2


def test_recheck_replaces_the_verdict_and_keeps_other_claims(tmp_path: Path) -> None:
    """Checking one claim again after the visit it rested on moved to Latakia updates its row;
    a claim from an earlier check that is not re-checked stays stored."""
    store, watch = _claims_store(tmp_path)
    watchlist = load_watchlist(watch)
    sites = load_sites(SITES_FILE)
    check_claims_in_store(store, parse_claims(f"{JANUARY}\n{DECEMBER}", "t", watchlist, sites),
                          watchlist, sites)  # fmt: skip
    moved = _event("pv2", "port_visit", "273000111", _utc(2025, 1, 21, 9), 30, LATAKIA, "wpi:0")
    moved_events = _events(moved).with_columns(pl.lit(273000111, pl.UInt32).alias("mmsi"))
    store.replace_derived("events", moved_events.to_arrow().cast(EVENTS))
    january = parse_claims(JANUARY, "t", watchlist, sites)
    check_claims_in_store(store, january, watchlist, sites)
    stored = stored_claims(store)
    assert stored.height == 2
    by_id = {r["claim_id"]: r for r in stored.iter_rows(named=True)}
    rechecked = by_id[january["claim_id"][0]]
    assert (rechecked["verdict"], rechecked["evidence_ids"]) == ("contradicted", ["pv2"])
    (kept,) = (r for cid, r in by_id.items() if cid != january["claim_id"][0])
    assert (kept["verdict"], kept["evidence_ids"]) == ("contradicted", ["s"])
    # one claim given twice (two claims files read together) is stored once
    check_claims_in_store(store, pl.concat([january, january]), watchlist, sites)
    assert stored_claims(store).height == 2
