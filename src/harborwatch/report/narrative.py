"""The report's assessment: short sentences written from the evidence rows of the document.

Each statement says one thing (a vessel at the site, a change of level in the timeline, a
claim checked, objects gone from the imagery), hedged with the calibrated word of its
confidence (:mod:`harborwatch.report.confidence`), and lists the ids it rests on with the anchor
of each id's row in the report's tables (None when the row is not in the report, such as a
track segment cited by a claim check). Statements are built from the document alone, never from
the store, so the JSON carries the same words as the page.
"""

from __future__ import annotations

import re
from typing import Any

from harborwatch.fusion.timeline import IMAGERY_PREFIX
from harborwatch.report.confidence import confidence_word

Statement = dict[str, Any]

_EVENT_PREDICATES = {
    "site_presence": "was at {site} from {start} to {end} ({hours} h)",
    "port_visit": "made a port visit near {site} from {start} to {end} ({hours} h)",
    "ais_gap": "stopped transmitting AIS near {site} for {hours} h, from {start} to {end}",
    "encounter": "met {other} near {site} for {hours} h from {start}",
    "loitering": "loitered near {site} for {hours} h from {start}",
    "spoofing": "broadcast implausible positions near {site} from {start}",
    "identity_change": "changed its declared identity near {site} at {start}",
    "voyage_change": "changed its declared destination near {site} at {start}",
}
_EVENT_GROUPS = {
    "site_presence": "was at {site} {n} times",
    "port_visit": "made {n} port visits near {site}",
    "ais_gap": "stopped transmitting AIS near {site} {n} times",
    "encounter": "met other vessels near {site} {n} times",
    "loitering": "loitered near {site} {n} times",
    "spoofing": "broadcast implausible positions near {site} {n} times",
    "identity_change": "changed its declared identity near {site} {n} times",
    "voyage_change": "changed its declared destination near {site} {n} times",
}
_CLAIM_PREDICATES = {
    "port_visit": "called at {site}",
    "departure": "left {site}",
    "ais_gap": "went dark near {site}",
    "voyage_change": "changed its destination near {site}",
    "loitering": "loitered near {site}",
}


def hedged(subject: str, predicate: str, level: int | None) -> tuple[str, str]:
    """``(sentence, word)``: ``subject`` and ``predicate`` joined with the scale word of
    ``level``, after a leading "was"/"is" ("SPARTA was very likely at ...", "SPARTA very likely
    stopped ..."); the weakest level reads "There is a roughly even chance that ..."."""
    step = confidence_word(level)
    if step.level == 1:
        return f"There is a {step.word} that {subject} {predicate}", step.word
    verb, _, rest = predicate.partition(" ")
    if verb in ("was", "is"):
        return f"{subject} {verb} {step.word} {rest}", step.word
    return f"{subject} {step.word} {predicate}", step.word


def assessment_statements(document: dict[str, Any], max_event_statements: int) -> list[Statement]:
    """The statements of a report document (see the module docstring), in reading order:
    what is simulated, events at the site, changes of level, claims, imagery change."""
    anchors = _anchors(document)
    site = document["site"].get("name") or document["site"]["site_id"]
    statements = _simulated(document)
    statements += _event_statements(document, site, anchors, max_event_statements)
    statements += [_change_statement(a, site, document, anchors) for a in document["assessments"]]
    statements += [_claim_statement(c, document, anchors) for c in document["claims"]]
    statements += _imagery_statements(document, anchors)
    if len(statements) == len(_simulated(document)):
        statements.append(
            _statement(
                f"No events, changes or claims about {site} in this window.", None, [], anchors
            )
        )
    return statements


def _anchors(document: dict[str, Any]) -> dict[str, str]:
    """Evidence id -> anchor of its row, over every table of the document."""
    found: dict[str, str] = {}
    for rows, key in (
        (document["events"], "event_id"),
        (document["assessments"], "assessment_id"),
        (document["claims"], "claim_id"),
        (document["imagery"]["scenes"], "scene_id"),
        (document["imagery"]["chips"], "change_id"),
    ):
        found.update({row[key]: row["anchor"] for row in rows})
    return found


def _statement(
    text: str, word: str | None, ids: list[str], anchors: dict[str, str], level: int | None = None
) -> Statement:
    evidence = [{"id": i, "anchor": anchors.get(i)} for i in dict.fromkeys(ids)]
    return {"text": text, "level": level, "word": word, "evidence": evidence}


def _simulated(document: dict[str, Any]) -> list[Statement]:
    if not document["simulated"]:
        return []
    text = "This report rests on SIMULATED inputs: " + "; ".join(document["simulated_sources"])
    return [{"text": text + ".", "level": None, "word": None, "evidence": []}]


def _event_statements(
    document: dict[str, Any], site: str, anchors: dict[str, str], limit: int
) -> list[Statement]:
    """One sentence per vessel and kind of event at the site (watchlist vessels first, then by
    first time), at most ``limit``. Several events of one kind read "N times between ...",
    hedged by the strongest of them: it is at least that likely that one of them happened."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in document["events"]:
        if event["at_site"]:
            groups.setdefault((event["vessel"], event["event_type"]), []).append(event)
    ordered = sorted(
        groups.values(),
        key=lambda g: (g[0].get("watchlist_entry") is None, g[0]["start_ts"] or ""),
    )
    statements = []
    for events in ordered[:limit]:
        level = max(e.get("confidence") or 1 for e in events)
        text, word = hedged(events[0]["vessel"], _event_predicate(events, site), level)
        ids = [e["event_id"] for e in events]
        statements.append(_statement(text + ".", word, ids, anchors, level))
    if len(ordered) > limit:
        rest = sum(len(g) for g in ordered[limit:])
        statements.append(
            _statement(f"{rest} more events at {site} are in the event table.", None, [], anchors)
        )
    return statements


def _event_predicate(events: list[dict[str, Any]], site: str) -> str:
    """What one vessel's events of one kind say: the one event, or how many and when."""
    first, last = events[0], events[-1]
    if len(events) > 1:
        hours = sum(e.get("duration_h") or 0.0 for e in events)
        label = _EVENT_GROUPS.get(first["event_type"], first["event_type"] + " events")
        return (
            f"{label.format(site=site, n=len(events))} between {_when(first['start_ts'])} and "
            f"{_when(last['end_ts'])} ({_number(hours)} h in all)"
        )
    template = _EVENT_PREDICATES.get(first["event_type"], first["event_type"] + " from {start}")
    return template.format(
        site=site,
        start=_when(first["start_ts"]),
        end=_when(first["end_ts"]),
        hours=_number(first.get("duration_h")),
        other=first.get("other_vessel") or "another vessel",
    )


def _change_statement(
    row: dict[str, Any], site: str, document: dict[str, Any], anchors: dict[str, str]
) -> Statement:
    """A drawdown or buildup of one timeline series, hedged by its p-value's level."""
    labels = {s["series"]: s["label"] for s in document["timeline"]["series"]}
    label = labels.get(row["series"], row["series"])
    verb = "fell" if row["kind"] == "drawdown" else "rose"
    step = confidence_word(row.get("confidence"))
    judged = (
        f"a {step.word} that this is a real change of level"
        if step.level == 1
        else f"{step.word} a real change of level, not chance"
    )
    text = (
        f"{label} at {site} {verb} from {_number(row['before'])} to {_number(row['after'])} "
        f"{'per scene' if row['series'].startswith(IMAGERY_PREFIX) else 'per day'}, the new "
        f"level from {row['date']} ({row['kind']}, "
        f"p = {_p(row.get('p_value'))}): {judged}."
    )
    ids = [row["assessment_id"], *(row.get("evidence_ids") or [])]
    return _statement(text, step.word, ids, anchors, step.level)


def _claim_statement(
    row: dict[str, Any], document: dict[str, Any], anchors: dict[str, str]
) -> Statement:
    """A claim with its verdict: supported claims are "true", contradicted ones "false", with
    the strongest confidence among the events that decide it; unchecked ones say so."""
    template = _CLAIM_PREDICATES.get(row["event_kind"], row["event_kind"] + " at {site}")
    if row.get("site_id"):
        what = template.format(site=row["site_id"])
    else:
        what = re.sub(r"\s*(at |near )?\{site\}", "", template)
    when = f" between {_when(row.get('start_ts'))} and {_when(row.get('end_ts'))}"
    source = row.get("source") or "unknown source"
    claim = f"the claim ({source}) that {row['vessel_name']} {what}{when}"
    ids = [row["claim_id"], *(row.get("evidence_ids") or [])]
    verdict = row.get("verdict")
    reason = f": {row['reason']}" if row.get("reason") else ""
    if verdict not in ("supported", "contradicted"):
        state = "was not checked" if verdict is None else "cannot be checked against the data"
        return _statement(f"{_capital(claim)} {state}{reason}.", None, ids, anchors)
    levels = [e.get("confidence") or 1 for e in document["events"] if e["event_id"] in ids]
    level = max(levels, default=2)
    truth = "is true" if verdict == "supported" else "is false"
    text, word = hedged(claim, truth, level)
    return _statement(_capital(text) + reason + ".", word, ids, anchors, level)


def _imagery_statements(document: dict[str, Any], anchors: dict[str, str]) -> list[Statement]:
    """Objects removed and added between two scenes, per class, citing the chips."""
    chips = document["imagery"]["chips"]
    if not chips:
        return []
    tally: dict[tuple[str, str], int] = {}
    for chip in chips:
        tally[(chip["status"], chip["class"])] = tally.get((chip["status"], chip["class"]), 0) + 1
    parts = [f"{n} {cls} {status}" for (status, cls), n in sorted(tally.items())]
    more = document["imagery"]["chips_left_out"]
    extra = f" (and {more} more changes not shown)" if more else ""
    scenes = [s["scene_id"] for s in document["imagery"]["scenes"]]
    text = (
        f"Object-level change between the site's scenes: {', '.join(parts)}{extra}, "
        "as detected or annotated (a measurement, not a probability)."
    )
    ids = [c["change_id"] for c in chips] + scenes
    return [_statement(text, None, ids, anchors)]


def _when(value: str | None) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM UTC`` (dates as they are)."""
    if not value:
        return "?"
    return value[:16].replace("T", " ") + " UTC" if "T" in value else value


def _number(value: Any) -> str:
    if value is None:
        return "?"
    return f"{float(value):.3g}" if abs(float(value)) < 1000 else f"{float(value):,.0f}"


def _p(value: Any) -> str:
    return "?" if value is None else f"{float(value):.2g}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
