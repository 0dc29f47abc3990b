"""The Global Fishing Watch JSON lines reader, on the 56 real segmenter test files."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from harborwatch.ais.batch import DecodedBatch, ReadContext, concat_batches
from harborwatch.ais.readers import gfw
from harborwatch.ais.sources import open_input

FILE_ID = "0123456789abcdef"


def _read(path: Path, chunk_bytes: int = 1 << 26) -> DecodedBatch:
    ctx = ReadContext(path.name.removesuffix(".json.gz"), path, chunk_bytes=chunk_bytes)
    with open_input(path) as stream:
        return concat_batches(gfw.read(stream, ctx))


def _read_lines(lines: list[str]) -> DecodedBatch:
    data = ("\n".join(lines) + "\n").encode()
    return concat_batches(gfw.read(io.BytesIO(data), ReadContext(FILE_ID, Path("x.json"))))


def _row(table: object, file_id: str, line_no: int) -> dict[str, Any]:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    rows = frame.filter((pl.col("file_id") == file_id) & (pl.col("line_no") == line_no))
    assert rows.height == 1
    return rows.row(0, named=True)


@pytest.fixture(scope="module")
def gfw_dir(ais_dir: Path) -> Path:
    return ais_dir / "gfw-segment-golden"


@pytest.fixture(scope="module")
def golden(gfw_dir: Path) -> DecodedBatch:
    files = sorted(gfw_dir.glob("regr_*.json.gz"))
    assert len(files) == 56
    return concat_batches(_read(path) for path in files)


def test_counts(golden: DecodedBatch) -> None:
    assert golden.type_counts == Counter(
        {1: 54_546, 3: 9_685, 5: 12_562, 18: 6_966, 19: 710, 24: 3_643, 27: 771}
    )
    assert sum(golden.type_counts.values()) == 88_883
    assert golden.positions.num_rows == 54_546 + 9_685 + 6_966 + 710 + 771
    assert golden.quarantine.num_rows == 0
    assert golden.statics.num_rows == 2_566  # changes only, of 12,562 + 710 + 3,643 reports
    assert golden.positions.schema.names[-2:] == ["expected", "receiver_type"]
    assert golden.positions.column("mmsi").null_count == 0


def test_known_position(golden: DecodedBatch) -> None:
    row = _row(golden.positions, "regr_412331088", 1)
    assert (row["mmsi"], row["msg_type"], row["nav_status"]) == (412331088, 1, 15)
    assert row["ts"] == datetime(2021, 1, 1, 0, 4, 22, tzinfo=UTC)
    assert row["lon"] == pytest.approx(-67.0347016667)
    assert row["sog_knots"] == pytest.approx(9.3)
    assert (row["cog_deg"], row["heading_deg"]) == (37.0, 44)
    assert (row["receiver"], row["receiver_type"]) == ("rORBCOMM999", "satellite")
    assert row["expected"] == "412331088-2021-01-01T00:04:22.000000Z"
    long_range = _row(golden.positions, "regr_209515000", 494)  # AIS.27, heading NaN
    assert (long_range["msg_type"], long_range["heading_deg"], long_range["nav_status"]) == (
        27,
        None,
        5,
    )
    class_b = _row(golden.positions, "regr_200000010", 1)  # AIS.18, heading 511, status NaN
    assert (class_b["heading_deg"], class_b["nav_status"]) == (None, None)


def test_known_static(golden: DecodedBatch) -> None:
    row = _row(golden.statics, "regr_209515000", 1)
    assert (row["mmsi"], row["msg_type"], row["name"], row["callsign"]) == (
        209515000,
        5,
        "CONTAINERSHIPS POLAR",
        "5BEG5",
    )
    assert (row["imo"], row["ship_type"], row["destination"]) == (
        9814002,
        71,  # "Cargo, Hazardous category A"
        "HAPPY NEW YEAR!",
    )


def _message(**changes: object) -> str:
    base: dict[str, object] = {
        "type": "AIS.1",
        "ssvid": "412331088",
        "timestamp": "2021-01-01T00:04:22+00:00",
        "lon": -67.03,
        "lat": -51.42,
        "speed": 9.3,
        "course": 37.0,
        "heading": 44.0,
        "status": 15.0,
        "receiver": "r1",
        "receiver_type": "satellite",
        "expected": "seg",
    }
    base.update(changes)
    return json.dumps(base)


def test_crafted_bad_lines() -> None:
    lines = [
        _message(),
        '{"type": "AIS.1", "ssvid": "1", "lon": NaN, "lat": NaN, "broken',
        _message(ssvid="0"),
        _message(ssvid="abc"),
        _message(timestamp=None),
        _message(lon=200.5),
        _message(type="AIS.8"),
        _message(speed="fast"),
        _message(ssvid=412331088, lon=float("nan")),  # number id, NaN longitude: accepted
    ]
    batch = _read_lines(lines)
    assert batch.positions.column("line_no").to_pylist() == [1, 9]
    assert batch.positions.column("lon")[1].as_py() is None
    rejects = {r["line_no"]: r for r in batch.quarantine.to_pylist()}
    assert {n: (r["reason"], r["detail"]) for n, r in rejects.items()} == {
        2: ("malformed", "line: not a JSON object"),
        3: ("bad_mmsi", "ssvid: '0' is not 1..999999999"),
        4: ("bad_mmsi", "ssvid: 'abc' is not 1..999999999"),
        5: ("no_timestamp", "timestamp: no time given"),
        6: ("out_of_range", "lon: 200.5 is outside ±180"),
        7: ("unsupported_type", "type: AIS.8 is not decoded"),
        8: ("malformed", "speed: cannot parse 'fast'"),
    }
    assert rejects[2]["raw"] == lines[1]


def test_chunk_size_invariant(gfw_dir: Path) -> None:
    path = gfw_dir / "regr_209515000.json.gz"
    whole, pieces = _read(path), _read(path, chunk_bytes=50_000)
    assert whole.positions.equals(pieces.positions)
    assert whole.statics.equals(pieces.statics)
    assert whole.type_counts == pieces.type_counts
