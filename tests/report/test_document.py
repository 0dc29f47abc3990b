"""The report document and its HTML page, built in memory from every kind of input."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from report_html import assert_inert, assert_links_resolve, read_page
from report_inputs import HOSTILE_DESTINATION, HOSTILE_NAME, PIERS, T0, event_row

from harborwatch.fusion.timeline import confidence_of
from harborwatch.report import (
    CONFIDENCE_SCALE,
    ReportConfig,
    ReportInputs,
    build_report,
    confidence_word,
    render_html,
)


@pytest.fixture(scope="module")
def document(rich_inputs: ReportInputs) -> dict[str, Any]:
    return build_report(rich_inputs)


@pytest.fixture(scope="module")
def html(document: dict[str, Any]) -> str:
    return render_html(document)


def test_the_document_is_plain_json_with_every_section(document: dict[str, Any]) -> None:
    again = json.loads(json.dumps(document))
    assert again == document
    map_ = document["map"]
    assert map_["land"] and map_["site_outline"] and map_["events"]
    assert {t["vessel_id"] for t in map_["tracks"]} >= {"273000001", "273000002"}
    assert map_["tracks"][0]["watchlist_entry"] == "hostile"  # watchlist vessels first
    assert {s["series"] for s in document["timeline"]["series"]} >= {
        "vessels_present",
        "img_piers_small-vehicle",
    }
    assert [c["count"] for c in document["imagery"]["counts"]] == [40, 38, 15, 12]
    assert document["imagery"]["chips"][0]["png_base64"]
    assert {c["verdict"] for c in document["claims"]} == {"supported", "contradicted", "no_data"}
    assert document["forecasts"][0]["port_name"] == "Baltiysk"
    names = {v["vessel_id"]: v for v in document["vessels"]}
    assert names["273000001"]["destination"] == HOSTILE_DESTINATION


def test_a_simulated_scene_marks_title_banner_and_first_statement(
    document: dict[str, Any], html: str
) -> None:
    assert document["simulated"]
    assert document["title"].startswith("SIMULATED")
    assert "scene3" in document["simulated_sources"][0]
    assert document["statements"][0]["text"].startswith("This report rests on SIMULATED")
    page = read_page(html)
    banner = [a for t, a in page.tags if t == "div" and a.get("class") == "banner"]
    assert banner
    assert re.search(r"<title>SIMULATED", html)


def test_real_inputs_are_not_labelled_simulated(rich_inputs: ReportInputs) -> None:
    real = ReportInputs(
        **{**rich_inputs.__dict__, "scenes": rich_inputs.scenes.filter(~pl.col("simulated"))}
    )
    document = build_report(real)
    assert not document["simulated"] and "SIMULATED" not in document["title"]
    assert 'class="banner"' not in render_html(document)
    flagged = ReportInputs(**{**real.__dict__, "simulated_positions": 12})
    assert build_report(flagged)["title"].startswith("SIMULATED")


def test_every_evidence_link_lands_on_a_row(document: dict[str, Any], html: str) -> None:
    page = read_page(html)
    assert_links_resolve(page)
    anchors = [e["anchor"] for s in document["statements"] for e in s["evidence"]]
    assert anchors and all(a in page.ids for a in anchors if a is not None)
    # every id a statement cites is a row of the report, except track segments of claim checks
    unresolved = [e["id"] for s in document["statements"] for e in s["evidence"] if not e["anchor"]]
    assert all(i.startswith("273000001") for i in unresolved), unresolved


def test_statements_use_the_word_of_their_level(document: dict[str, Any]) -> None:
    words = {step.word for step in CONFIDENCE_SCALE}
    hedged = [s for s in document["statements"] if s["level"] is not None]
    assert len(hedged) >= 5
    for statement in hedged:
        assert statement["word"] == confidence_word(statement["level"]).word
        assert statement["word"] in statement["text"]
        assert statement["word"] in words
    events = {e["event_id"]: e for e in document["events"]}
    for statement in hedged:
        first = statement["evidence"][0]["id"]
        if first in events:
            assert statement["level"] == events[first]["confidence"]


def test_the_drawdown_is_stated_with_numbers_and_p_value(document: dict[str, Any]) -> None:
    drawdowns = [a for a in document["assessments"] if a["series"] == "vessels_present"]
    assert len(drawdowns) == 1 and drawdowns[0]["kind"] == "drawdown"
    row = drawdowns[0]
    (statement,) = [
        s
        for s in document["statements"]
        if s["evidence"][:1] == [{"id": row["assessment_id"], "anchor": row["anchor"]}]
    ]
    assert "Watchlist vessels present" in statement["text"]
    assert "fell from 3 to 1 per day" in statement["text"]
    assert statement["level"] == confidence_of(row["p_value"])
    assert len(statement["evidence"]) > 1  # the events behind the change


def test_claims_are_stated_with_their_verdicts(document: dict[str, Any]) -> None:
    texts = {
        c["verdict"]: s["text"]
        for c in document["claims"]
        for s in document["statements"]
        if s["evidence"] and s["evidence"][0]["id"] == c["claim_id"]
    }
    assert re.search(r"is (likely|very likely|almost certainly) true", texts["supported"])
    assert re.search(r"is (likely|very likely|almost certainly) false", texts["contradicted"])
    assert "cannot be checked" in texts["no_data"]


def test_attacker_text_is_escaped_and_nothing_loads(html: str) -> None:
    page = read_page(html)
    assert_inert(page)
    text = "".join(page.text)
    assert HOSTILE_NAME in text and HOSTILE_DESTINATION in text  # shown, as text
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in html
    assert HOSTILE_NAME not in html
    assert 'onerror="alert(2)"' not in html and "<b>" not in html
    assert "Content-Security-Policy" in html and "script-src" not in html


def test_a_site_without_position_has_no_map(rich_inputs: ReportInputs) -> None:
    site = {
        "site_id": "tartus-naval",
        "name": "tartus-naval",
        "kind": "site",
        "lon": None,
        "lat": None,
        "radius_m": None,
        "geometry_wkt": None,
    }
    document = build_report(ReportInputs(**{**rich_inputs.__dict__, "site": site}))
    assert document["map"] is None
    assert any(e["event_type"] == "site_presence" for e in document["events"])
    assert "No map" in render_html(document)


def test_window_limits_events_and_scenes(rich_inputs: ReportInputs) -> None:
    narrow = ReportInputs(
        **{**rich_inputs.__dict__, "start": date(2025, 1, 25), "end": date(2025, 1, 26)}
    )
    document = build_report(narrow)
    here = [e for e in document["events"] if e["at_site"]]
    assert here and all(e["start_ts"] < "2025-01-27" and e["end_ts"] >= "2025-01-25" for e in here)
    assert document["imagery"]["scenes"] == []


def test_busy_traffic_is_summed_up_per_kind(rich_inputs: ReportInputs) -> None:
    """With no room for one sentence per vessel, the vessels off the watchlist are summed up per
    kind of event ("Other vessels: N port visits by M vessels ..."), citing every one of their
    events; the watchlist vessels keep their own sentences."""
    traffic = [
        event_row(kind, vessel, T0 + timedelta(days=day, hours=i), 3 + i, *PIERS)
        for i, vessel in enumerate(("211000001", "211000002", "211000003"))
        for day, kind in ((1, "port_visit"), (2, "port_visit"), (3, "loitering"))
    ]
    events = pl.concat([rich_inputs.events, pl.DataFrame(traffic)], how="diagonal_relaxed")
    inputs = dataclasses.replace(rich_inputs, events=events)
    document = build_report(inputs, ReportConfig(max_event_statements=2))
    sums = [s for s in document["statements"] if s["text"].startswith("Other vessels: ")]
    assert [s["text"].split(" near ")[0] for s in sums] == [
        "Other vessels: 6 port visits by 3 vessels",
        "Other vessels: 3 loitering episodes by 3 vessels",
    ]
    assert all(s["word"] is None for s in sums)
    cited = sorted(ev["id"] for s in sums for ev in s["evidence"])
    assert cited == sorted(row["event_id"] for row in traffic)
    own = [s for s in document["statements"] if "was very likely at Tartus" in s["text"]]
    assert len(own) == 2, "the watchlist vessels keep their own sentences, up to the limit"
