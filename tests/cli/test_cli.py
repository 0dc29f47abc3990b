"""The harborwatch command, driven through click's runner on real data."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from harborwatch import __version__
from harborwatch.cli.main import cli
from harborwatch.store import Store

SUEZ = "eastern-med/suez_2021_boat_positions.csv"


@pytest.fixture(scope="module")
def store_with_dma(ais_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the DMA folder (three logs, a stream example, and a licence file)."""
    store = tmp_path_factory.mktemp("cli") / "store"
    result = CliRunner().invoke(cli, ["ingest", str(ais_dir / "dma"), "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout


def test_version() -> None:
    code, out = _run("--version")
    assert code == 0 and __version__ in out


def test_ingest_reports_and_quarantines_a_file_it_does_not_know(
    ais_dir: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["ingest", str(ais_dir / "dma"), "--store", str(tmp_path / "s"), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["files"] == 6
    assert [Path(p).name for p in summary["unrecognised"]] == ["LICENSE-AisAbnormal"]
    assert summary["quarantined"]["unrecognised_format"] == 1
    assert summary["positions"] > 25_000
    assert "not an AIS file" in result.stderr


def test_strict_exits_3_on_rejects(ais_dir: Path, tmp_path: Path) -> None:
    bad = ais_dir / "odd-inputs/gfw-ais-tools/errors.nmea"
    code, _ = _run("-q", "ingest", str(bad), "--store", str(tmp_path / "s"), "--strict")
    assert code == 3


def test_usage_errors_exit_2(ais_dir: Path, tmp_path: Path) -> None:
    code, _ = _run("ingest", str(ais_dir / SUEZ), "--store", str(tmp_path), "--assume-date", "1/2")
    assert code == 2
    code, _ = _run("ingest", str(tmp_path / "missing.nmea"))
    assert code == 2


def test_stats_json_has_the_documented_keys(store_with_dma: Path) -> None:
    code, out = _run("stats", "--store", str(store_with_dma), "--json")
    stats = json.loads(out)
    assert code == 0
    for key in ("positions", "statics", "vessels", "quarantined", "files", "ts_min", "ts_max"):
        assert key in stats
    assert stats["files"] == 6 and stats["positions"] > 25_000


def test_vessels_json_lists_identity_and_flag(store_with_dma: Path) -> None:
    code, out = _run("vessels", "--store", str(store_with_dma), "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) > 1_500
    row = next(r for r in rows if r["name"] and r["imo"])
    assert {
        "vessel",
        "mmsi",
        "name",
        "imo",
        "callsign",
        "ship_type",
        "flag",
        "first_seen",
        "last_seen",
        "positions",
    } <= set(row)
    assert row["first_seen"] <= row["last_seen"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "geojson", "parquet"])
def test_track_formats(store_with_dma: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"track.{fmt}"
    code, _ = _run(
        "track", "538004030", "--store", str(store_with_dma), "--format", fmt, "--out", str(out)
    )
    assert code == 0
    if fmt == "parquet":
        table = pq.read_table(out)
        assert table.num_rows > 900
        times = table.column("ts").to_pylist()
        assert times == sorted(times)
    elif fmt == "geojson":
        features = json.loads(out.read_text())["features"]
        assert features[0]["geometry"]["type"] == "LineString"
        assert len(features) > 900
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(rows) > 900 and all(r["mmsi"] == 538004030 for r in rows)
    else:
        lines = out.read_text().splitlines()
        assert lines[0].startswith('"mmsi"') and len(lines) > 900


def test_track_window(store_with_dma: Path) -> None:
    code, out = _run(
        "track",
        "538004030",
        "--store",
        str(store_with_dma),
        "--format",
        "jsonl",
        "--since",
        "2014-09-28T17:00",
        "--until",
        "2014-09-28T17:30",
    )
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows
    assert all("2014-09-28T17:00" <= r["ts"] < "2014-09-28T17:30" for r in rows)


def test_quarantine_json_names_file_line_reason_raw(store_with_dma: Path) -> None:
    code, out = _run("quarantine", "--store", str(store_with_dma), "--json")
    rows = json.loads(out)
    assert code == 0 and rows
    assert {"file", "line_no", "reason", "raw", "detail"} <= set(rows[0])
    licence = next(r for r in rows if r["reason"] == "unrecognised_format")
    assert licence["file"].endswith("LICENSE-AisAbnormal") and licence["line_no"] == 1


def test_decode_writes_parquet_without_a_store(ais_dir: Path, tmp_path: Path) -> None:
    out, statics = tmp_path / "p.parquet", tmp_path / "s.parquet"
    code, _ = _run(
        "-q",
        "decode",
        str(ais_dir / "dma/ais-sample.txt.gz"),
        "--out",
        str(out),
        "--statics",
        str(statics),
    )
    assert code == 0
    assert pq.read_table(out).num_rows > 25_000
    assert pq.read_table(statics).num_rows > 100
    chunked = tmp_path / "chunked.parquet"
    code, _ = _run("-q", "decode", str(ais_dir / "dma/ais-sample.txt.gz"), "--out", str(chunked),
                   "--chunk-mb", "1")  # fmt: skip
    assert pq.read_table(chunked).to_pylist() == pq.read_table(out).to_pylist()


def test_any_csv_through_columns(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        "ship;when;x;y\n273396130;2024-12-29T16:19:00Z;35.87;34.91\n"
        "273396130;2025-01-02T13:13:00Z;35.80;34.95\n"
    )
    store = str(tmp_path / "s")
    args = ["ingest", str(export), "--store", store, "--format", "csv"]
    code, _ = _run(*args, "--columns", "mmsi=ship,ts=when,lon=x,lat=y")
    assert code == 0
    code, out = _run("track", "273396130", "--store", store, "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["ts"][:16] for r in rows] == ["2024-12-29T16:19", "2025-01-02T13:13"]
    code, _ = _run(*args, "--columns", "mmsi=ship,ts")
    assert code == 2


def test_reading_a_missing_store_says_how_to_make_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["stats", "--store", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "harborwatch ingest" in result.stderr


def test_untimed_sentences_need_assume_date_and_the_store_records_it(
    ais_dir: Path, tmp_path: Path
) -> None:
    greece = str(ais_dir / "eastern-med/greece_nmea_no_timestamps.txt")
    store = str(tmp_path / "s")
    code, out = _run("-q", "ingest", greece, "--store", store, "--json")
    summary = json.loads(out)
    assert code == 0 and summary["positions"] == 0
    assert summary["quarantined"]["no_timestamp"] > 700

    other = str(tmp_path / "t")
    code, out = _run(
        "-q", "ingest", greece, "--store", other, "--json", "--assume-date", "2024-12-29"
    )
    assert code == 0 and json.loads(out)["positions"] > 700
    con = Store(Path(other)).connect()
    assert con.sql("SELECT DISTINCT assumed_date FROM files").fetchall() == [("2024-12-29",)]
    assert con.sql("SELECT DISTINCT CAST(ts AS DATE)::VARCHAR FROM positions").fetchall() == [
        ("2024-12-29",)
    ]
