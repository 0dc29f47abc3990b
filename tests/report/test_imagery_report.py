"""What the report says about imagery: counts per zone and class as statements, the detections
on the map, and the dark-vessel check of georeferenced scenes (the same as ``harborwatch
dark``), read against whether AIS heard anything there."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from report_html import assert_inert, assert_links_resolve, read_page
from report_inputs import SCENE_AT, SF_SITE_ID, SHARED_SITES, UNSEEN_MMSI

from harborwatch.cli.dark import dark_command
from harborwatch.report import ReportInputs, build_report, confidence_word
from harborwatch.store.report import gather_report_inputs, write_site_report


def _statements(document: dict[str, Any], pattern: str) -> list[dict[str, Any]]:
    return [s for s in document["statements"] if re.search(pattern, s["text"])]


def _report(scene_store: dict[str, Any], tmp_path: Path, fmt: str = "json") -> Path:
    day = SCENE_AT.date()
    return write_site_report(
        scene_store["store"],
        SF_SITE_ID,
        tmp_path / f"report.{fmt}",
        day,
        day,
        sites=SHARED_SITES,
        geo_dir=scene_store["geo"],
        fmt=fmt,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def ais_document(ais_scene_store: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = _report(ais_scene_store, tmp_path_factory.mktemp("ais-report"))
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- imagery counts


def test_counts_over_several_scenes_are_stated_first_to_last(rich_inputs: ReportInputs) -> None:
    document = build_report(rich_inputs)
    counts = [c for c in document["imagery"]["counts"] if c["zone_id"] == "piers"]
    first, last = counts[0], counts[-1]
    (statement,) = _statements(document, r"^Imagery: small-vehicle in zone piers .*; counted by")
    assert f"fell from {first['count']} in scene {first['scene_id']}" in statement["text"]
    assert f"to {last['count']} in scene {last['scene_id']} (SIMULATED)" in statement["text"]
    assert "analyst annotations" in statement["text"]
    assert statement["word"] is None  # a measurement: no probability word
    anchors = {e["id"]: e["anchor"] for e in statement["evidence"]}
    assert anchors == {first["scene_id"]: "sc-scene0", last["scene_id"]: "sc-scene3"}


def test_one_scene_in_the_window_gives_its_count(rich_inputs: ReportInputs) -> None:
    day = date(2025, 1, 22)  # scene2 only
    document = build_report(ReportInputs(**{**rich_inputs.__dict__, "start": day, "end": day}))
    (count,) = document["imagery"]["counts"]
    (statement,) = _statements(document, r"^Imagery: .*; counted by")
    assert f"counted {count['count']} in scene scene2 on 2025-01-22" in statement["text"]
    assert "SIMULATED" not in statement["text"]
    assert not _statements(document, "No events, changes")


def test_the_detector_is_named_and_the_store_scene_is_not_silent(ais_document: Any) -> None:
    (statement,) = _statements(ais_document, r"^Imagery: ship in zone all")
    assert ais_document["imagery"]["counts"][0]["count"] == 3  # the three ship detections
    assert "counted 3 in scene" in statement["text"]
    assert "the detector optical_ships" in statement["text"]
    assert ais_document["imagery"]["scenes"][0]["source"] == "optical_ships"
    assert not _statements(ais_document, "No events, changes")


# --------------------------------------------------------------------------- dark vessels


def test_ais_recording_makes_unmatched_ships_candidates(
    ais_document: Any, ais_scene_store: dict[str, Any]
) -> None:
    dark = ais_document["dark_vessels"]
    (scene,) = dark["scenes"]
    assert scene["ais_recorded"] and scene["ais_vessels_nearby"] == 2  # the far one is outside
    assert scene["ships"] == 3 and scene["candidates"] == 2 and scene["ais_in_scene"] == 2
    assert [c["detection_id"] for c in dark["candidates"]] == ["d-dark-east", "d-dark-west"]
    assert {c["status"] for c in dark["candidates"]} == {"dark_candidate"}
    assert all(c["nearest_ais_m"] > 200 for c in dark["candidates"])
    assert [u["vessel_id"] for u in dark["unseen"]] == [str(UNSEEN_MMSI)]
    (statement,) = _statements(ais_document, "did not transmit AIS")
    assert statement["level"] in (1, 2)
    assert statement["word"] == confidence_word(statement["level"]).word
    assert statement["word"] in statement["text"] and "2 of 3 ships" in statement["text"]
    cited = {e["id"]: e["anchor"] for e in statement["evidence"]}
    scene_id = ais_scene_store["scene"]["scene_id"]
    assert cited == {
        scene_id: f"sc-{scene_id}",
        "d-dark-east": "dv-d-dark-east",
        "d-dark-west": "dv-d-dark-west",
    }
    (unseen,) = _statements(ais_document, "AIS vessel placed inside")
    assert unseen["text"].startswith("1 AIS vessel ")


def test_the_report_and_the_dark_command_agree(
    ais_document: Any, ais_scene_store: dict[str, Any]
) -> None:
    store = ais_scene_store["store"]
    args = ["--scene", ais_scene_store["scene"]["scene_id"], "--store", str(store.root)]
    args += ["--geo-dir", str(ais_scene_store["geo"]), "--format", "json"]
    result = CliRunner().invoke(dark_command, args)
    assert result.exit_code == 0, result.output
    command = json.loads(result.output)
    dark = ais_document["dark_vessels"]
    assert [c["detection_id"] for c in command["candidates"]] == [
        c["detection_id"] for c in dark["candidates"]
    ]
    assert [c["near_shore"] for c in command["candidates"]] == [
        c["near_shore"] for c in dark["candidates"]
    ]
    assert [u["vessel_id"] for u in command["unseen"]] == [u["vessel_id"] for u in dark["unseen"]]


def test_without_ais_the_report_says_it_cannot_tell(
    silent_scene_store: dict[str, Any], tmp_path: Path
) -> None:
    document = json.loads(_report(silent_scene_store, tmp_path).read_text(encoding="utf-8"))
    (scene,) = document["dark_vessels"]["scenes"]
    assert not scene["ais_recorded"] and scene["ais_positions_nearby"] == 0
    assert scene["unmatched"] == scene["ships"] == 3 and scene["candidates"] == 0
    statuses = {c["status"] for c in document["dark_vessels"]["candidates"]}
    assert statuses == {"no_ais_coverage"}  # not candidates: AIS cannot tell
    assert {m["status"] for m in document["map"]["detections"]} == {"no_ais_coverage"}
    (statement,) = _statements(document, "no AIS position within 200 m")
    assert "holds no AIS of that area at that time" in statement["text"]
    assert "cannot confirm or rule them out" in statement["text"]
    assert statement["word"] is None and statement["level"] is None
    assert not _statements(document, "did not transmit AIS")
    assert document["dark_vessels"]["unseen"] == []


def test_scenes_without_georeferencing_are_listed_as_not_checked(
    rich_inputs: ReportInputs,
) -> None:
    dark = build_report(rich_inputs)["dark_vessels"]
    assert dark["scenes"] == [] and dark["candidates"] == []
    assert [r["scene_id"] for r in dark["not_checked"]] == ["scene0", "scene1", "scene2", "scene3"]
    assert all("not georeferenced" in r["reason"] for r in dark["not_checked"])


# --------------------------------------------------------------------------- map and page


def test_detections_are_drawn_and_the_map_holds_them(
    ais_document: Any, rich_inputs: ReportInputs
) -> None:
    markers = {m["detection_id"]: m for m in ais_document["map"]["detections"]}
    assert set(markers) == {"d-matched", "d-dark-east", "d-dark-west"}
    assert markers["d-dark-east"]["status"] == "dark_candidate"
    assert markers["d-dark-east"]["anchor"] == "dv-d-dark-east"
    assert markers["d-matched"]["status"] is None
    assert markers["d-matched"]["anchor"] == ais_document["imagery"]["scenes"][0]["anchor"]
    # a detection far east of the site: the map grows to hold it
    far = rich_inputs.detections.head(1).with_columns(lon=pl.lit(36.6), lat=pl.lit(35.2))
    document = build_report(ReportInputs(**{**rich_inputs.__dict__, "detections": far}))
    west, south, east, north = document["map"]["box"]
    assert west < 36.6 < east and south < 35.2 < north
    plain = build_report(rich_inputs)["map"]["box"]
    assert plain[2] < 36.6  # without it the box ends short of it


def test_the_page_shows_the_dark_vessel_section_inert(
    ais_scene_store: dict[str, Any], tmp_path: Path
) -> None:
    html = _report(ais_scene_store, tmp_path, "html").read_text(encoding="utf-8")
    page = read_page(html)
    assert_inert(page)
    assert_links_resolve(page)
    assert {"dark-vessels", "dv-d-dark-east", "dv-d-dark-west"} <= page.ids
    squares = [a for t, a in page.tags if t == "rect" and "detection" in (a.get("class") or "")]
    assert len(squares) == 3
    text = "".join(page.text)
    assert "dark-vessel candidate (no AIS while AIS heard others)" in text
    assert "2 dark-vessel candidates" in text


def test_the_scene_time_of_day_is_said_when_unknown(silent_scene_store: dict[str, Any]) -> None:
    day = SCENE_AT.date()
    inputs = gather_report_inputs(
        silent_scene_store["store"], SF_SITE_ID, day, day, SHARED_SITES, geo_dir=None
    )
    (timed,) = _statements(build_report(inputs), "no AIS position within 200 m")
    assert "time of day" not in timed["text"]
    to_date = pl.col("acquired_ts").dt.truncate("1d")
    document = build_report(
        replace(
            inputs,
            scenes=inputs.scenes.with_columns(to_date),
            dark_scenes=inputs.dark_scenes.with_columns(to_date),
        )
    )
    (statement,) = _statements(document, "no AIS position within 200 m")
    assert "time of day is not recorded" in statement["text"]
    assert "on 2017-03-08 have" in statement["text"]  # the date, no invented 00:00
