"""The SIMULATED Tartus scenario, end to end: the pipeline finds what the story says.

One run of ``harborwatch demo tartus`` (through the CLI runner, JSON output) feeds every test; the
assertions read the JSON summary and the store it wrote.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from harborwatch.cli.main import cli
from harborwatch.fusion.forecast import port_calls
from harborwatch.geo.distance import haversine_m
from harborwatch.scenarios import tartus
from harborwatch.store import Store, queries

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
TARTUS = (35.866667, 34.9)


def _run_demo(out: Path, data_dir: Path) -> Any:
    return CliRunner().invoke(
        cli,
        [
            "demo", "tartus", "--out", str(out), "--data-dir", str(data_dir),
            "--geo-dir", str(data_dir / "geo"),
            "--sites", str(EXAMPLES / "sites" / "eastern-med.toml"),
            "--watchlist", str(EXAMPLES / "watchlists" / "syrian-express.toml"),
            "--claims", str(EXAMPLES / "claims" / "tartus-2024-2025.yaml"),
            "--format", "json",
        ],
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("demo")
    result = _run_demo(out, data_dir)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), out


def _events(out: Path, event_type: str, ship: tartus.Ship) -> pl.DataFrame:
    con = Store(out / "store").connect()
    events = pl.DataFrame(pl.from_arrow(queries.events(con, event_type=event_type)))
    return events.filter(pl.col("mmsi") == ship.mmsi)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_every_output_says_simulated(demo: tuple[dict[str, Any], Path]) -> None:
    summary, out = demo
    assert summary["SIMULATED"] is True and "made-up MMSIs" in summary["note"]
    assert summary["stored"]["rejected"] == 0 and summary["stored"]["positions"] > 100_000
    files = sorted((out / "ais").iterdir())
    assert files and all(f.name.startswith("SIMULATED_") for f in files)
    sample = files[len(files) // 2].read_text().splitlines()
    assert sample and all(line.startswith("\\s:SIMULATED,c:") for line in sample)
    con = Store(out / "store").connect()
    for table in ("positions", "statics"):
        receivers = con.sql(f"SELECT DISTINCT receiver FROM {table}").fetchall()
        assert receivers == [("SIMULATED",)]
    scenes = pl.DataFrame(pl.from_arrow(con.sql("SELECT * FROM scenes").to_arrow_table()))
    assert scenes.height == 5 and scenes["simulated"].all()
    assert all("SIMULATED" in Path(p).name for p in scenes["path"])
    assert all("not tartus-naval" in note for note in scenes["note"])
    report = Path(summary["report"])
    assert report == out / "report.html"
    page = report.read_text(encoding="utf-8")
    assert "<title>SIMULATED" in page and '<div class="banner" role="alert">SIMULATED' in page


def test_the_report_states_the_story(demo: tuple[dict[str, Any], Path]) -> None:
    """The report's assessment states both ships' port visits and SPARTA II's loitering at the
    facility with calibrated words, and the vehicle drawdown; its forecasts include Baltiysk."""
    _, out = demo
    text = re.sub(r"<[^>]+>", "", (out / "report.html").read_text(encoding="utf-8"))
    for ship in (tartus.SPARTA, tartus.SPARTA_II):
        assert re.search(
            rf"{ship.name} \({ship.mmsi}\) almost certainly made \d+ port visits", text
        )
    assert re.search(rf"SPARTA II \({tartus.SPARTA_II.mmsi}\) almost certainly loitered", text)
    assert re.search(r"vehicle[^.]*fell from", text), "no vehicle drawdown statement"
    assert "Baltiysk" in text


def test_both_ships_call_at_tartus_on_21_22_january(demo: tuple[dict[str, Any], Path]) -> None:
    _, out = demo
    for ship in (tartus.SPARTA, tartus.SPARTA_II):
        calls = port_calls(_events(out, "port_visit", ship)).filter(
            pl.col("attributes").str.json_path_match("$.port_name") == "Tartus"
        )
        assert calls.height == 1, ship.name
        call = calls.row(0, named=True)
        assert _utc(2025, 1, 21) <= call["start_ts"] < _utc(2025, 1, 23)
        assert call["duration_h"] >= 24


def test_sparta_is_silent_about_93_hours(demo: tuple[dict[str, Any], Path]) -> None:
    _, out = demo
    gaps = _events(out, "ais_gap", tartus.SPARTA)
    assert gaps.height == 1
    gap = gaps.row(0, named=True)
    assert abs(gap["duration_h"] - 93) <= 2
    assert abs((gap["start_ts"] - tartus.DARK_START).total_seconds()) <= 600


def test_sparta_declares_for_orders_on_28_december(demo: tuple[dict[str, Any], Path]) -> None:
    _, out = demo
    changes = _events(out, "voyage_change", tartus.SPARTA).with_columns(
        old=pl.col("attributes").str.json_path_match("$.old"),
        new=pl.col("attributes").str.json_path_match("$.new"),
    )
    found = changes.filter((pl.col("old") == "PORT SAID") & (pl.col("new") == "FOR ORDERS"))
    assert found.height == 1
    assert found["start_ts"][0].date() == _utc(2024, 12, 28).date()


def test_sparta_ii_loiters_off_tartus_5_to_8_january(demo: tuple[dict[str, Any], Path]) -> None:
    _, out = demo
    loiters = _events(out, "loitering", tartus.SPARTA_II).filter(
        (pl.col("start_ts") < _utc(2025, 1, 9)) & (pl.col("end_ts") > _utc(2025, 1, 5))
    )
    assert loiters["duration_h"].sum() >= 72
    off_nm = haversine_m(loiters["lon"].to_numpy(), loiters["lat"].to_numpy(), *TARTUS) / 1852
    assert (off_nm < 20).all()


def test_vehicle_drawdown_at_the_naval_facility(demo: tuple[dict[str, Any], Path]) -> None:
    summary, _ = demo
    imagery = [
        a for a in summary["assessments"]
        if a["kind"] == "drawdown" and a["series"].startswith("img_")
    ]  # fmt: skip
    assert imagery
    assert all(a["date"] > "2025-01-22" for a in imagery)


def _ranked(summary: dict[str, Any], vessel: str, when: str) -> list[str]:
    rows = [f for f in summary["forecasts"] if f["vessel"] == vessel and f["when"] == when]
    return [f["port_name"] for f in sorted(rows, key=lambda f: f["rank"])]


@pytest.mark.parametrize("vessel", ["SPARTA", "SPARTA II"])
def test_forecast_moves_from_libya_and_russia_to_baltiysk(
    demo: tuple[dict[str, Any], Path], vessel: str
) -> None:
    summary, _ = demo
    first = _ranked(summary, vessel, "after leaving Tartus")[:3]
    assert {"Tobruk", "Benghazi"} & set(first) and {"Novorossiysk", "Baltiysk"} & set(first)
    assert _ranked(summary, vessel, "after Gibraltar")[0] == "Baltiysk"
    assert _ranked(summary, vessel, "after the English Channel")[0] == "Baltiysk"


def test_claims_of_january_are_supported(demo: tuple[dict[str, Any], Path]) -> None:
    summary, _ = demo
    verdicts = {
        (c["vessel_name"], c["event_kind"], c["start_ts"][:10]): c["verdict"]
        for c in summary["claims"]
    }
    assert verdicts[("SPARTA", "ais_gap", "2024-12-29")] == "supported"
    assert verdicts[("SPARTA", "voyage_change", "2024-12-28")] == "supported"
    assert verdicts[("SPARTA II", "loitering", "2025-01-05")] == "supported"
    assert verdicts[("SPARTA", "port_visit", "2025-01-21")] == "supported"
    assert verdicts[("SPARTA II", "port_visit", "2025-01-21")] == "supported"
    assert verdicts[("SPARTA II", "departure", "2025-01-22")] == "supported"
    # The one report dating the docking 21-22 Dec: SPARTA was heard elsewhere then.
    assert verdicts[("SPARTA", "port_visit", "2024-12-21")] == "contradicted"


def test_the_same_seed_makes_the_same_ais() -> None:
    first = tartus.sparta_ii(np.random.default_rng(3)).positions()
    again = tartus.sparta_ii(np.random.default_rng(3)).positions()
    assert first.equals(again) and first.height > 1000


def test_a_second_run_into_the_same_folder_is_refused(
    demo: tuple[dict[str, Any], Path], data_dir: Path
) -> None:
    _, out = demo
    result = _run_demo(out, data_dir)
    assert result.exit_code == 2 and "writes a fresh store" in result.output
