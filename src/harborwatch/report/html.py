"""One self-contained HTML page from a report document.

The page works offline and from a ``file://`` URL: CSS inline, drawings as inline SVG
(:mod:`harborwatch.report.svg`), images as ``data:`` URIs, no script and no external URL. A
Content-Security-Policy meta tag forbids scripts and every load but inline styles and ``data:``
images, so even a mistake in escaping could not run code. Every piece of text from the document
goes through :func:`html.escape` (AIS names and destinations are written by whoever transmits).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

from harborwatch import __version__
from harborwatch.report.document import (
    DARK_CANDIDATE,
    DARK_UNSEEN_COLUMNS,
    NO_AIS_COVERAGE,
)
from harborwatch.report.svg import (
    DARK_COLOUR,
    DETECTION_COLOUR,
    EVENT_COLOURS,
    UNCOVERED_COLOUR,
    counts_chart,
    map_svg,
    series_chart,
    track_colour,
)

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:960px;padding:0 16px 40px;color:#1b1b1b}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;border-bottom:1px solid #ccc;
padding-bottom:3px;margin-top:28px}
.banner{background:#b00020;color:#fff;font-weight:700;padding:8px 12px;margin:0 -16px;
letter-spacing:.04em}
.meta{color:#555;margin:0 0 8px}nav a{margin-right:12px}
table{border-collapse:collapse;width:100%;font-size:12px;margin:6px 0}
th,td{border-bottom:1px solid #e2e2e2;padding:3px 5px;text-align:left;vertical-align:top}
th{background:#f3f3f3}tr:target{background:#fff6bf}
td.text{max-width:320px;overflow-wrap:anywhere}
ol.statements li{margin:4px 0}.word{font-weight:600}
.evidence{font-size:11px}.evidence a,.evidence span{font:11px ui-monospace,monospace}
svg{display:block;max-width:100%;height:auto;margin:8px 0}
.sea{fill:#dbe9f6}.land{fill:#efe9dc;stroke:#a89f8a;stroke-width:.7}
.graticule{stroke:#8aa4bd;stroke-width:.4;fill:none;stroke-dasharray:3 3}
.grid-label{font-size:10px;fill:#4d6379}.site{fill:#d62728;fill-opacity:.12;stroke:#d62728;
stroke-width:1.5;stroke-dasharray:5 3}.track{fill:none;stroke-linejoin:round;
stroke-linecap:round;opacity:.85}.event{stroke:#fff;stroke-width:1.2}.scale text{font-size:11px}
.chart-title{font-size:12px;font-weight:600}.tick{font-size:10px;fill:#555}
.axis{stroke:#777;fill:none}.bar{fill:#4a78a8}.nodata{fill:#eee}
.change{stroke:#b00020;stroke-width:1.5;stroke-dasharray:4 3}
.change-label{font-size:10px;fill:#b00020;paint-order:stroke;stroke:#fff;stroke-width:3px}.count-line{fill:none;stroke-width:1.6}
.legend{font-size:10px}.swatch{display:inline-block;width:14px;height:4px;margin:0 4px 2px 10px;
vertical-align:middle}.swatch.dot{width:9px;height:9px;border-radius:50%}
.swatch.square{width:7px;height:7px;border:1px solid #222}
.chips{display:inline-block;width:440px;margin:6px 8px 6px 0;vertical-align:top}
.chips img{width:100%;border:1px solid #ccc}
.note{color:#666;font-size:12px}
"""

EVENT_COLUMNS = [
    "event_type",
    "vessel",
    "start_ts",
    "end_ts",
    "duration_h",
    "confidence",
    "site_id",
    "other_vessel",
    "lon",
    "lat",
    "at_site",
    "attributes",
]
ASSESSMENT_COLUMNS = [
    "series",
    "kind",
    "date",
    "before_date",
    "before",
    "after",
    "relative_change",
    "p_value",
    "confidence",
    "evidence_ids",
    "note",
]
CLAIM_COLUMNS = [
    "vessel_name",
    "event_kind",
    "site_id",
    "start_ts",
    "end_ts",
    "source",
    "text",
    "verdict",
    "evidence_ids",
    "reason",
]
MAX_EVIDENCE_LINKS = 8
"""Ids linked after a statement on the page (the JSON lists them all; the rows cite the rest)."""
VESSEL_COLUMNS = ["name", "callsign", "imo", "destination", "watchlist_entry", "positions_drawn"]
SCENE_COLUMNS = [
    "acquired_ts",
    "sensor",
    "gsd_m",
    "width_px",
    "height_px",
    "source",
    "simulated",
    "note",
]
DARK_SCENE_COLUMNS = [
    "acquired_ts",
    "simulated",
    "ships",
    "unmatched",
    "candidates",
    "ais_in_scene",
    "unseen",
    "ais_vessels_nearby",
    "ais_recorded",
]
CANDIDATE_TABLE_COLUMNS = [
    "scene_id",
    "lon",
    "lat",
    "length_m",
    "near_shore",
    "nearest_ais_m",
    "nearest_vessel_id",
    "status",
]
DEGREE_COLUMNS = ("lon", "lat")
"""Shown to five decimals (about a metre), not to four significant digits."""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def render_html(document: dict[str, Any]) -> str:
    """The page of ``document`` (from :func:`~harborwatch.report.document.build_report`)."""
    anchors = _anchor_ids(document)
    body = [
        _header(document),
        _statements(document),
        _map(document),
        _timeline(document),
        _imagery(document, anchors),
        _dark(document, anchors),
        _section("events", "Events", _table(document["events"], EVENT_COLUMNS, anchors)),
        _section(
            "vessels",
            "Vessels (as they declare themselves)",
            _table(document["vessels"], VESSEL_COLUMNS, anchors),
        ),
        _section(
            "assessments",
            "Changes of level (assessments)",
            _table(document["assessments"], ASSESSMENT_COLUMNS, anchors),
        ),
        _section("claims", "Claims checked", _table(document["claims"], CLAIM_COLUMNS, anchors)),
    ]
    if document["forecasts"] is not None:
        columns = list(document["forecasts"][0]) if document["forecasts"] else []
        body.append(
            _section("forecasts", "Forecasts", _table(document["forecasts"], columns, anchors))
        )
    body.append(
        f'<p class="note">harborwatch {_e(__version__)}, report format {_e(document["version"])}. '
        f"Confidence words: {_e(document['confidence_scale']['source'])}.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(document['title'])}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def _anchor_ids(document: dict[str, Any]) -> dict[str, str]:
    rows = [
        *document["events"],
        *document["assessments"],
        *document["claims"],
        *document["imagery"]["scenes"],
        *document["imagery"]["chips"],
        *document["dark_vessels"]["candidates"],
    ]
    keys = ("event_id", "assessment_id", "claim_id", "detection_id", "scene_id", "change_id")
    return {row[k]: row["anchor"] for row in rows for k in keys if k in row and "anchor" in row}


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{content}</section>'


def _header(document: dict[str, Any]) -> str:
    site, window = document["site"], document["window"]
    parts = []
    if document["simulated"]:
        parts.append(
            '<div class="banner" role="alert">SIMULATED — this report uses generated data: '
            + _e("; ".join(document["simulated_sources"]))
            + "</div>"
        )
    where = ""
    if site.get("lon") is not None:
        where = f", {site['lat']:.4f} N {site['lon']:.4f} E"
        where += f", radius {site['radius_m']:g} m" if site.get("radius_m") else ""
    parts += [
        f"<h1>{_e(document['title'])}</h1>",
        f'<p class="meta">Site {_e(site["site_id"])} ({_e(site.get("kind") or "site")}{_e(where)})'
        f" · {_e(window['from'])} to {_e(window['to'])} (UTC days) · "
        f"{len(document['events'])} events, {len(document['assessments'])} changes of level, "
        f"{len(document['claims'])} claims, {len(document['imagery']['scenes'])} scenes, "
        f"{_dark_candidates(document)} dark-vessel candidates</p>",
        '<nav><a href="#assessment">Assessment</a><a href="#map">Map</a>'
        '<a href="#timeline">Timeline</a><a href="#imagery">Imagery</a>'
        '<a href="#dark-vessels">Dark vessels</a><a href="#events">Events</a>'
        '<a href="#vessels">Vessels</a><a href="#assessments">Changes</a>'
        '<a href="#claims">Claims</a></nav>',
    ]
    return "".join(parts)


def _statements(document: dict[str, Any]) -> str:
    items = []
    for statement in document["statements"]:
        text = _e(statement["text"])
        if statement.get("word"):
            word = _e(statement["word"])
            text = text.replace(word, f'<span class="word">{word}</span>', 1)
        shown = statement["evidence"][:MAX_EVIDENCE_LINKS]
        links = " ".join(
            f'<a href="#{_e(ev["anchor"])}">{_e(ev["id"])}</a>'
            if ev["anchor"]
            else f'<span title="not a row of this report">{_e(ev["id"])}</span>'
            for ev in shown
        )
        if len(statement["evidence"]) > len(shown):
            links += f" and {len(statement['evidence']) - len(shown)} more in the tables"
        evidence = f' <span class="evidence">(evidence: {links})</span>' if links else ""
        items.append(f"<li>{text}{evidence}</li>")
    scale = "".join(
        f"<tr><td>{level['level']}</td><td>{_e(level['word'])}</td>"
        f"<td>{level['probability'][0]:.0%}–{level['probability'][1]:.0%}</td>"
        f"<td>{_e(level['basis'])}</td></tr>"
        for level in document["confidence_scale"]["levels"]
    )
    return _section(
        "assessment",
        "Assessment",
        f'<ol class="statements">{"".join(items)}</ol><details><summary>Confidence words</summary>'
        "<table><tr><th>level</th><th>word</th><th>probability</th><th>basis</th></tr>"
        f'{scale}</table><p class="note">{_e(document["confidence_scale"]["source"])}</p>'
        "</details>",
    )


def _map(document: dict[str, Any]) -> str:
    section = document["map"]
    if section is None:
        return _section(
            "map",
            "Map",
            '<p class="note">No map: the site has no position (give '
            "--sites with the site's shape).</p>",
        )
    legend = "".join(
        f'<span class="swatch" style="background:{track_colour(i)}"></span>{_e(t["label"])}'
        + (f" (watchlist: {_e(t['watchlist_entry'])})" if t.get("watchlist_entry") else "")
        for i, t in enumerate(section["tracks"])
    )
    kinds = sorted({m["event_type"] for m in section["events"]})
    legend += "<br>" + "".join(
        f'<span class="swatch dot" style="background:{EVENT_COLOURS.get(k, "#333")}"></span>{_e(k)}'
        for k in kinds
    )
    found = section["detections"]
    for label, colour, status in (
        ("imagery detection", DETECTION_COLOUR, None),
        ("dark-vessel candidate (no AIS while AIS heard others)", DARK_COLOUR, DARK_CANDIDATE),
        ("ship without AIS where AIS heard nothing", UNCOVERED_COLOUR, NO_AIS_COVERAGE),
    ):
        if any(m["status"] == status for m in found):
            legend += f'<span class="swatch square" style="background:{colour}"></span>{label}'
    notes = [] if section["land"] else ["no land polygons (give --geo-dir)"]
    notes.append(f"{len(section['tracks'])} tracks, {len(section['events'])} events at the site")
    if found:
        notes.append(f"{len(found)} imagery detections")
    if section["detections_left_out"]:
        notes.append(f"{section['detections_left_out']} more detections not drawn")
    return _section(
        "map",
        "Map",
        map_svg(section) + f'<p class="note">{legend}</p><p class="note">{_e("; ".join(notes))}'
        ". Dashed red: the site. Dots: events; squares: imagery detections (click for the row)."
        "</p>",
    )


def _timeline(document: dict[str, Any]) -> str:
    timeline = document["timeline"]
    charts = (
        [series_chart(timeline["dates"], s) for s in timeline["series"]]
        if timeline["dates"]
        else []
    )
    empty = timeline["empty_series"]
    note = f'<p class="note">No counts in: {_e(", ".join(empty))}.</p>' if empty else ""
    if not charts:
        note = '<p class="note">No series with counts in this window.</p>' + note
    return _section("timeline", "Timeline (daily, UTC)", "".join(charts) + note)


def _imagery(document: dict[str, Any], anchors: dict[str, str]) -> str:
    imagery = document["imagery"]
    parts = (
        [counts_chart(imagery["counts"])]
        if imagery["counts"]
        else ['<p class="note">No imagery counts for this site.</p>']
    )
    for chip in imagery["chips"]:
        parts.append(
            f'<figure class="chips" id="{_e(chip["anchor"])}"><img alt="{_e(chip["caption"])}" '
            f'src="data:image/png;base64,{chip["png_base64"]}"><figcaption class="note">'
            f"{_e(chip['caption'])}</figcaption></figure>"
        )
    if imagery["chips_left_out"]:
        parts.append(f'<p class="note">{imagery["chips_left_out"]} more chips not embedded.</p>')
    parts.append(_table(imagery["scenes"], ["scene_id", *SCENE_COLUMNS], anchors))
    return _section("imagery", "Imagery", "".join(parts))


def _dark(document: dict[str, Any], anchors: dict[str, str]) -> str:
    """Per checked scene the matching in numbers, the candidates and the AIS vessels without
    a detection; the scenes that could not be checked and why."""
    dark = {
        key: [{**row, "scene_id": [row["scene_id"]]} for row in rows]  # a link to the scene row
        for key, rows in document["dark_vessels"].items()
    }
    parts = [
        '<p class="note">Ship detections matched one to one with AIS positions interpolated to '
        "the scene time; a detection with no AIS vessel within the gate is a candidate only "
        "where AIS heard vessels inside the footprint within 1 h of the scene time.</p>",
        _table(dark["scenes"], ["scene_id", *DARK_SCENE_COLUMNS], anchors, keyed=False),
        "<h3>Ship detections no AIS vessel accounts for</h3>",
        _table(dark["candidates"], CANDIDATE_TABLE_COLUMNS, anchors),
        "<h3>AIS vessels inside a scene without a detection</h3>",
        _table(dark["unseen"], DARK_UNSEEN_COLUMNS, anchors, keyed=False),
    ]
    if dark["not_checked"]:
        skipped = "; ".join(f"{row['scene_id'][0]}: {row['reason']}" for row in dark["not_checked"])
        parts.append(f'<p class="note">Scenes not checked: {_e(skipped)}.</p>')
    return _section("dark-vessels", "Dark-vessel candidates", "".join(parts))


def _dark_candidates(document: dict[str, Any]) -> int:
    """Ships without AIS where AIS heard others: the dark-vessel candidates proper."""
    return sum(c["status"] == DARK_CANDIDATE for c in document["dark_vessels"]["candidates"])


def _table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    anchors: dict[str, str],
    keyed: bool = True,
) -> str:
    """Rows with their anchors as ids (``keyed``: the first column is the row's own id; else
    the rows are another view of rows shown elsewhere and carry no id); id lists link to the
    rows they name."""
    if not rows:
        return '<p class="note">None.</p>'
    head = "".join(f"<th>{_e(c)}</th>" for c in (["id", *columns] if keyed else columns))
    body = []
    for row in rows:
        if not keyed:
            cells = [_cell(row.get(c), anchors, c) for c in columns]
            body.append(f"<tr>{''.join(cells)}</tr>")
            continue
        key = row.get("anchor")
        keys = ("event_id", "assessment_id", "claim_id", "detection_id", "scene_id")
        ident = next((row[k] for k in keys if k in row), "")
        cells = [f"<td>{_e(ident)}</td>", *(_cell(row.get(c), anchors, c) for c in columns)]
        attribute = f' id="{_e(key)}"' if key else ""
        body.append(f"<tr{attribute}>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _cell(value: Any, anchors: dict[str, str], column: str = "") -> str:
    if value is None:
        return "<td></td>"
    if column in DEGREE_COLUMNS and isinstance(value, float):
        return f"<td>{value:.5f}</td>"
    if isinstance(value, list):
        return "<td>" + " ".join(_link(v, anchors) for v in value) + "</td>"
    if isinstance(value, float):
        return f"<td>{value:.4g}</td>"
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    return f'<td class="text">{_e(value)}</td>'


def _link(identifier: Any, anchors: dict[str, str]) -> str:
    target = anchors.get(str(identifier))
    if target is None:
        return f"<span>{_e(identifier)}</span>"
    return f'<a href="#{_e(target)}">{_e(identifier)}</a>'
