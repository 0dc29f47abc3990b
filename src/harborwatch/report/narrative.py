"""The report's assessment: short sentences written from the evidence rows of the document.

Each statement says one thing (a vessel at the site, a change of level in the timeline, a
claim checked, what the imagery counted, objects gone from the imagery, ships the imagery shows
that AIS does not), hedged with the calibrated word of its
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
_TRAFFIC_NOUNS = {
    "site_presence": "stays",
    "port_visit": "port visits",
    "ais_gap": "AIS gaps",
    "encounter": "encounters",
    "loitering": "loitering episodes",
    "spoofing": "spoofing episodes",
    "identity_change": "identity changes",
    "voyage_change": "destination changes",
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
    what is simulated, events at the site, changes of level, claims, imagery counts, imagery
    change, dark vessels."""
    anchors = _anchors(document)
    site = document["site"].get("name") or document["site"]["site_id"]
    statements = _simulated(document)
    statements += _event_statements(document, site, anchors, max_event_statements)
    statements += [_change_statement(a, site, document, anchors) for a in document["assessments"]]
    statements += [_claim_statement(c, document, anchors) for c in document["claims"]]
    statements += _count_statements(document, anchors)
    statements += _imagery_statements(document, anchors)
    statements += _dark_statements(document, anchors)
    if len(statements) == len(_simulated(document)):
        statements.append(
            _statement(
                f"No events, changes, claims or imagery about {site} in this window.",
                None,
                [],
                anchors,
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
        (document["dark_vessels"]["candidates"], "detection_id"),
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
    """One sentence per vessel and kind of event at the site, watchlist vessels first, then by
    first time, at most ``limit``. Several events of one kind read "N times between ...",
    hedged by the strongest of them: it is at least that likely that one of them happened.
    When the vessels off the watchlist would not fit in the sentences left, they are summed up
    instead: one sentence per kind of event (a busy port's traffic is not a finding each)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in document["events"]:
        if event["at_site"]:
            groups.setdefault((event["vessel"], event["event_type"]), []).append(event)
    ordered = sorted(
        groups.values(),
        key=lambda g: (g[0].get("watchlist_entry") is None, g[0]["start_ts"] or ""),
    )
    watched = [g for g in ordered if g[0].get("watchlist_entry") is not None]
    others = ordered[len(watched) :]
    room = max(limit - len(watched), 0)
    statements = [_vessel_statement(events, site, anchors) for events in watched[:limit]]
    if len(others) <= room:
        return statements + [_vessel_statement(events, site, anchors) for events in others]
    if len(watched) > limit:
        rest = sum(len(g) for g in watched[limit:])
        statements.append(
            _statement(
                f"{rest} more events of watchlist vessels at {site} are in the event table.",
                None,
                [],
                anchors,
            )
        )
    return statements + _traffic_statements(others, site, anchors)


def _vessel_statement(
    events: list[dict[str, Any]], site: str, anchors: dict[str, str]
) -> Statement:
    level = max(e.get("confidence") or 1 for e in events)
    text, word = hedged(events[0]["vessel"], _event_predicate(events, site), level)
    return _statement(text + ".", word, [e["event_id"] for e in events], anchors, level)


def _traffic_statements(
    groups: list[list[dict[str, Any]]], site: str, anchors: dict[str, str]
) -> list[Statement]:
    """Per kind of event, how many the other vessels had at the site, when, and how long they
    lasted: counts of detections (each with its own confidence in the table), not a judgement."""
    by_kind: dict[str, list[list[dict[str, Any]]]] = {}
    for events in groups:
        by_kind.setdefault(events[0]["event_type"], []).append(events)
    statements = []
    for kind, vessel_groups in by_kind.items():
        events = sorted((e for g in vessel_groups for e in g), key=lambda e: e["start_ts"] or "")
        hours = sorted(e.get("duration_h") or 0.0 for e in events)
        noun = _TRAFFIC_NOUNS.get(kind, kind + " events")
        median_h = hours[len(hours) // 2]
        lasting = f" (median {_number(median_h)} h)" if median_h > 0 else ""
        text = (
            f"Other vessels: {len(events)} {noun} by {len(vessel_groups)} vessels near {site} "
            f"between {_when(events[0]['start_ts'])} and {_when(events[-1]['end_ts'])}{lasting}."
        )
        statements.append(_statement(text, None, [e["event_id"] for e in events], anchors))
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


def _count_statements(document: dict[str, Any], anchors: dict[str, str]) -> list[Statement]:
    """Per zone and class, the count in the window's latest scene, and how it moved from the
    first when there are several, naming what counted (a detector or analyst annotations) and
    which scenes are SIMULATED. Counts are measurements: no confidence word."""
    scenes = {s["scene_id"]: s for s in document["imagery"]["scenes"]}
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in document["imagery"]["counts"]:
        series.setdefault((row["zone_id"], row["class"]), []).append(row)
    statements = []
    for (zone_id, object_class), rows in sorted(series.items()):
        rows = sorted(rows, key=lambda r: (r["acquired_ts"], r["scene_id"]))
        first, last = rows[0], rows[-1]
        label = f"Imagery: {object_class} in zone {zone_id}"
        if len(rows) == 1:
            what = f"counted {last['count']} in {_scene_words(last, scenes)}"
        else:
            a, b = first["count"], last["count"]
            moved = "fell" if b < a else "rose" if b > a else "stayed"
            what = (
                f"{moved} from {a} in {_scene_words(first, scenes)} to {b} in "
                f"{_scene_words(last, scenes)} ({len(rows)} scenes)"
                if moved != "stayed"
                else f"stayed at {b} from {_scene_words(first, scenes)} to "
                f"{_scene_words(last, scenes)} ({len(rows)} scenes)"
            )
        counted = _source_words([scenes.get(first["scene_id"]), scenes.get(last["scene_id"])])
        text = f"{label} {what}; counted by {counted} (a measurement, not a probability)."
        ids = [first["scene_id"], last["scene_id"]]
        statements.append(_statement(text, None, ids, anchors))
    return statements


def _scene_words(row: dict[str, Any], scenes: dict[str, dict[str, Any]]) -> str:
    """``scene ID on DATE``, with ``(SIMULATED)`` when the scene is."""
    scene = scenes.get(row["scene_id"]) or {}
    flag = " (SIMULATED)" if scene.get("simulated") else ""
    stamp = row["acquired_ts"] or ""
    day = stamp[:10] if stamp[10:19] in ("T00:00:00", "") else _when(stamp)
    return f"scene {row['scene_id']}{flag} on {day}"


def _source_words(scenes: list[dict[str, Any] | None]) -> str:
    """What found the objects of ``scenes``, in words."""
    kinds = {k for s in scenes if s for k in (s.get("source") or "").split(" and ") if k}
    if not kinds:
        return "an unrecorded source"
    named = ["analyst annotations" if k == "annotations" else f"the detector {k}" for k in kinds]
    return " and ".join(sorted(named))


def _dark_statements(document: dict[str, Any], anchors: dict[str, str]) -> list[Statement]:
    """Per checked scene with ship detections: how many no AIS vessel accounts for, read
    against whether AIS heard anything in the footprint around the scene time, and the AIS
    vessels the imagery does not show."""
    section = document["dark_vessels"]
    statements = []
    for scene in section["scenes"]:
        candidates = [c for c in section["candidates"] if c["scene_id"] == scene["scene_id"]]
        if scene["ships"]:
            statements.append(_dark_statement(scene, candidates, anchors))
        if scene["unseen"]:
            text = (
                f"{_plural(scene['unseen'], 'AIS vessel')} placed inside "
                f"{_scene_words(scene, {scene['scene_id']: scene})} at the scene time "
                f"{'has' if scene['unseen'] == 1 else 'have'} no ship detection within "
                f"{_number(scene['max_distance_m'])} m (missed by the detector, under cloud, or "
                "a false position)."
            )
            statements.append(_statement(text, None, [scene["scene_id"]], anchors))
    return statements


def _dark_statement(
    scene: dict[str, Any], candidates: list[dict[str, Any]], anchors: dict[str, str]
) -> Statement:
    """One scene's ship detections against AIS. Without AIS heard in the footprint the
    detections say nothing either way (no word); with it, unmatched ships are candidates:
    "likely" not transmitting when one lies offshore, a "roughly even chance" when all lie near
    the shore (harbour structures, small craft that need not carry AIS)."""
    where = _scene_words(scene, {scene["scene_id"]: scene})
    gate = f"{_number(scene['max_distance_m'])} m"
    clock = (
        ""
        if scene["time_of_day_known"]
        else " The scene's time of day is not recorded (its date stands as 00:00 UTC), so AIS "
        "was placed at that hour, not necessarily at the moment of the image."
    )
    ids = [scene["scene_id"], *(c["detection_id"] for c in candidates)]
    n = len(candidates)
    heard = (
        f"AIS heard {_plural(scene['ais_vessels_nearby'], 'vessel')} inside the footprint within "
        "1 h of the scene time"
    )
    if not n:
        text = (
            f"All {_plural(scene['ships'], 'ship')} detected in {where} match an AIS vessel "
            f"within {gate} at the scene time ({heard})."
        )
        return _statement(text + clock, None, ids, anchors)
    ships = f"{n} of {_plural(scene['ships'], 'ship')} detected in {where}"
    if not scene["ais_recorded"]:
        text = (
            f"{ships} {'has' if n == 1 else 'have'} no AIS position within {gate} at the scene "
            "time; the store holds no AIS of that area at that time (no position inside the "
            "footprint within 1 h), so AIS coverage cannot confirm or rule them out."
        )
        return _statement(text + clock, None, ids, anchors)
    shore = scene["near_shore_candidates"]
    level = 1 if shore == n else 2
    subject = f"the {ships} with no AIS position within {gate} at the scene time"
    text, word = hedged(subject, "did not transmit AIS then (dark-vessel candidates)", level)
    near = (
        f"; {shore} of them lie within {_number(scene['near_shore_m'])} m of the shore, where "
        "harbour structures and small craft without AIS are common"
        if shore
        else ""
    )
    return _statement(f"{_capital(text)}: {heard}{near}.{clock}", word, ids, anchors, level)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
