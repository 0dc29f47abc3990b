"""``harborwatch report`` over stores: AIS text from the air stays inert in HTML and CSV, and a
real export (Suez 2021) gives a report of Port Said."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
from report_html import assert_inert, assert_links_resolve, read_page
from report_inputs import HOSTILE_DESTINATION, HOSTILE_MMSI, SITE_ID, SITES, run_cli

from harborwatch.cli.output import csv_safe, write_csv
from harborwatch.store import Store, queries
from harborwatch.store.report import write_site_report

SUEZ = "eastern-med/suez_2021_boat_positions.csv"


def _stored_identity(store: Path) -> tuple[str, str]:
    """The name and destination the decoder stored for the hostile vessel (AIS six-bit text
    holds 20 characters: longer text is cut, as on the air)."""
    row = (
        Store(store)
        .connect()
        .execute("SELECT name, destination FROM statics WHERE mmsi = ? LIMIT 1", [HOSTILE_MMSI])
        .fetchone()
    )
    assert row is not None
    return row[0], row[1]


def test_ais_names_are_inert_in_the_html_report(hostile_store: dict[str, Path]) -> None:
    name, destination = _stored_identity(hostile_store["store"])
    assert name.startswith("<SCRIPT>ALERT(1)") and destination.startswith('=HYPERLINK("')
    out = write_site_report(
        hostile_store["store"],
        SITE_ID,
        hostile_store["root"] / "report.html",
        sites=SITES,
        watchlist=hostile_store["watchlist"],
        geo_dir=hostile_store["geo"],
    )
    html = out.read_text(encoding="utf-8")
    page = read_page(html)
    assert_inert(page)
    assert_links_resolve(page)
    assert name not in html and "<SCRIPT" not in html.upper().replace("&LT;SCRIPT", "")
    assert name.replace("<", "&lt;").replace(">", "&gt;") in html
    text = "".join(page.text)
    assert name in text and destination in text  # shown to the reader as text
    assert "site_presence" in text  # the watchlist vessel was found at the piers


def test_csv_exports_start_the_hostile_cells_with_a_quote(hostile_store: dict[str, Path]) -> None:
    name, destination = _stored_identity(hostile_store["store"])
    store = str(hostile_store["store"])
    events_csv = run_cli("events", "--store", store, "--format", "csv")
    cells = [cell for row in csv.reader(io.StringIO(events_csv)) for cell in row]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    statics = queries.statics(Store(store).connect())
    buffer = io.BytesIO()
    write_csv(statics, buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue().decode("utf-8"))))
    hostile = [r for r in rows if r["mmsi"] == str(HOSTILE_MMSI)]
    assert hostile and all(r["destination"] == "'" + destination for r in hostile)
    assert all(r["name"] == name for r in hostile)  # "<" starts no formula: left as it is


def test_csv_guard_quotes_formula_starts_and_leaves_numbers() -> None:
    table = pa.table(
        {
            "text": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "-12.5", "+7", "ok", None],
            "number": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        }
    )
    safe = csv_safe(table).to_pydict()
    assert safe["text"] == [
        "'=1+1",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tx",
        "'\rx",
        "-12.5",
        "+7",
        "ok",
        None,
    ]
    assert safe["number"] == table["number"].to_pylist()
    assert HOSTILE_DESTINATION[0] == "="


def test_report_command_writes_json_and_prints_its_path(hostile_store: dict[str, Path]) -> None:
    out = hostile_store["root"] / "report.json"
    printed = run_cli(
        "report",
        "--site",
        SITE_ID,
        "--store",
        str(hostile_store["store"]),
        "--out",
        str(out),
        "--format",
        "json",
        "--sites",
        str(SITES),
        "--watchlist",
        str(hostile_store["watchlist"]),
        "--from",
        "2025-01-10",
        "--to",
        "2025-01-11",
    )
    assert printed.strip() == str(out)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["window"] == {"from": "2025-01-10", "to": "2025-01-11"}
    assert not document["simulated"]
    hostile = [t for t in document["map"]["tracks"] if t["vessel_id"] == str(HOSTILE_MMSI)]
    assert hostile and hostile[0]["watchlist_entry"] == "hostile"
    assert document["map"]["land"] == []  # no --geo-dir: no land, said on the page
    assert any(s["evidence"] for s in document["statements"])


def test_suez_export_reports_port_said(ais_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_cli("ingest", str(ais_dir / SUEZ), "--store", str(store))
    run_cli(
        "detect", "--store", str(store), "--geo-dir", str(data_dir / "geo"), "--sites", str(SITES)
    )
    started = time.perf_counter()
    out = write_site_report(
        store,
        "port-said",
        tmp_path / "port-said.json",
        date(2021, 3, 20),
        date(2021, 3, 24),
        sites=SITES,
        geo_dir=data_dir / "geo",
        fmt="json",
    )
    elapsed_s = time.perf_counter() - started
    document = json.loads(out.read_text(encoding="utf-8"))
    visits = [e for e in document["events"] if e["event_type"] == "port_visit"]
    assert len(visits) >= 10 and all(e["at_site"] for e in visits)
    assert document["map"]["land"] and len(document["map"]["tracks"]) >= 10
    thinned = [t["positions"] for t in document["map"]["tracks"]]
    assert max(thinned) <= 800 + 2 * 50  # thinned, part ends kept
    assert document["timeline"]["series"] and document["statements"]
    assert elapsed_s < 20, elapsed_s
