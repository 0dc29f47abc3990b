"""harborwatch detect / events / vessel / sites on real data, through the main command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harborwatch.cli.main import cli

SUEZ = "eastern-med/suez_2021_boat_positions.csv"
REPO = Path(__file__).resolve().parents[2]
SITES = REPO / "examples" / "sites" / "eastern-med.toml"
REQUIRED = {
    "event_id",
    "event_type",
    "mmsi",
    "start_ts",
    "end_ts",
    "duration_h",
    "lon",
    "lat",
    "site_id",
    "confidence",
    "attributes",
    "evidence",
}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout + (result.stderr if result.stderr_bytes else "")


@pytest.fixture(scope="module")
def suez_store(ais_dir: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Suez 2021 export ingested and run through detection once."""
    store = tmp_path_factory.mktemp("events") / "store"
    code, out = _run("ingest", str(ais_dir / SUEZ), "--store", str(store))
    assert code == 0, out
    code, out = _run("detect", "--store", str(store), "--geo-dir", str(data_dir / "geo"), "--json")
    assert code == 0, out
    return store


def _events(store: Path, *args: str) -> list[dict[str, object]]:
    code, out = _run("events", "--store", str(store), "--format", "jsonl", *args)
    assert code == 0, out
    return [json.loads(line) for line in out.splitlines()]


def test_detect_finds_port_visits_at_port_said_and_suez(suez_store: Path) -> None:
    visits = _events(suez_store, "--type", "port_visit")
    names = {v["attributes"]["port_name"] for v in visits}  # type: ignore[index]
    assert {"Port Said", "Suez Port"} <= names
    assert all(set(v) >= REQUIRED for v in visits)
    assert all(v["event_type"] == "port_visit" for v in visits)


def test_rerun_replaces_instead_of_duplicating(suez_store: Path, data_dir: Path) -> None:
    before = sorted(str(e["event_id"]) for e in _events(suez_store))
    code, out = _run("detect", "--store", str(suez_store), "--geo-dir", str(data_dir / "geo"))
    assert code == 0, out
    assert sorted(str(e["event_id"]) for e in _events(suez_store)) == before


def test_windowed_rerun_of_one_type_keeps_the_rest(suez_store: Path, data_dir: Path) -> None:
    everything = _events(suez_store)
    code, out = _run(
        "detect",
        "--store",
        str(suez_store),
        "--geo-dir",
        str(data_dir / "geo"),
        "--type",
        "ais_gap",
        "--since",
        "2021-03-22",
        "--until",
        "2021-03-23",
    )
    assert code == 0, out
    after = _events(suez_store)
    untouched = [e for e in everything if e["event_type"] != "ais_gap"]
    assert all(e in after for e in untouched)
    # Gaps starting outside the window survive; those inside were found again from that day only.
    outside = [
        e
        for e in everything
        if e["event_type"] == "ais_gap" and not "2021-03-22" <= str(e["start_ts"]) < "2021-03-23"
    ]
    assert all(e in after for e in outside)


def test_event_formats(suez_store: Path) -> None:
    code, out = _run("events", "--store", str(suez_store), "--format", "geojson")
    assert code == 0
    collection = json.loads(out)
    assert collection["type"] == "FeatureCollection" and collection["features"]
    assert {"event_id", "event_type"} <= set(collection["features"][0]["properties"])
    code, out = _run("events", "--store", str(suez_store), "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith('"event_id"')
    code, out = _run("events", "--store", str(suez_store), "--type", "loitering")
    assert code == 0 and "loitering" in out


def test_vessel_shows_segments_and_events(suez_store: Path) -> None:
    visit = _events(suez_store, "--type", "port_visit")[0]
    code, out = _run("vessel", str(visit["vessel_id"]), "--store", str(suez_store), "--json")
    assert code == 0, out
    profile = json.loads(out)
    assert profile["segments"] and any(
        e["event_id"] == visit["event_id"] for e in profile["events"]
    )


def test_stats_count_events(suez_store: Path) -> None:
    code, out = _run("stats", "--store", str(suez_store), "--json")
    stats = json.loads(out)
    assert code == 0 and stats["events"]["port_visit"] > 0 and stats["segments"] > 0


def test_sites_lists_the_example_sites() -> None:
    code, out = _run("sites", "--sites", str(SITES), "--format", "json")
    assert code == 0, out
    ids = {site["site_id"] for site in json.loads(out)}
    assert {"tartus-naval", "tartus-port", "tobruk", "baltiysk"} <= ids


def test_detect_without_a_store_names_the_fix(tmp_path: Path) -> None:
    code, out = _run("detect", "--store", str(tmp_path / "nothing"))
    assert code == 1 and "harborwatch ingest" in out
