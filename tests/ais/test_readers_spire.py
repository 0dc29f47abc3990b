"""The 139-column full-field provider CSV reader, on the real sample."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harborwatch.ais.batch import DecodedBatch, ReadContext, concat_batches
from harborwatch.ais.readers import spire

FILE_ID = "0123456789abcdef"


def _read(path: Path, chunk_bytes: int = 1 << 26) -> DecodedBatch:
    with open(path, "rb") as stream:
        return concat_batches(
            spire.read(stream, ReadContext(FILE_ID, path, chunk_bytes=chunk_bytes))
        )


@pytest.fixture(scope="module")
def spire_path(ais_dir: Path) -> Path:
    path = ais_dir / "noaa-spire" / "test_data_20210701.csv"
    assert path.is_file()
    return path


@pytest.fixture(scope="module")
def batch(spire_path: Path) -> DecodedBatch:
    return _read(spire_path)


def _by_line(table: object) -> dict[int, dict[str, Any]]:
    return {row["line_no"]: row for row in table.to_pylist()}  # type: ignore[attr-defined]


def test_counts(batch: DecodedBatch) -> None:
    assert sum(batch.type_counts.values()) == 2498
    assert batch.type_counts[1] == 1062 and batch.type_counts[27] == 978
    # positions: types 1/2/3/4/18/19/27 less one MMSI 0
    assert batch.positions.num_rows == 1062 + 206 + 19 + 85 + 41 + 978 - 1
    assert batch.statics.num_rows == 31 + 41 + 33  # types 5, 19, 24: all differ
    reasons = Counter(batch.quarantine.column("reason").to_pylist())
    assert reasons == Counter({"unsupported_type": 43, "bad_mmsi": 1})


def test_known_positions(batch: DecodedBatch) -> None:
    positions = _by_line(batch.positions)
    first = positions[2]  # "432905000","1","0","20210701_185151","680",...
    assert (first["mmsi"], first["msg_type"], first["nav_status"]) == (432905000, 1, 0)
    assert first["ts"] == datetime(2021, 7, 1, 18, 51, 51, 680000, tzinfo=UTC)
    assert first["lon"] == pytest.approx(-103.63687)
    assert first["lat"] == pytest.approx(8.87747666667)
    assert first["sog_knots"] == pytest.approx(13.6)
    assert (first["heading_deg"], first["source"]) == (315, "spire")
    long_range = positions[6]  # type 27: COG "None", no heading
    assert (long_range["msg_type"], long_range["cog_deg"], long_range["heading_deg"]) == (
        27,
        None,
        None,
    )
    assert long_range["lat"] == pytest.approx(53.0066666667)
    unknown = positions[426]  # lon 181.0, lat 91.0, SOG/COG/heading "None"
    assert [unknown[c] for c in ("lon", "lat", "sog_knots", "cog_deg", "heading_deg")] == [None] * 5
    assert positions[60]["msg_type"] == 4  # base station report


def test_known_statics(batch: DecodedBatch) -> None:
    statics = _by_line(batch.statics)
    zonda = statics[105]
    assert (zonda["mmsi"], zonda["msg_type"], zonda["name"], zonda["callsign"]) == (
        538007407,
        5,
        "GH ZONDA",
        "V7MF3",
    )
    assert (zonda["imo"], zonda["ship_type"], zonda["destination"]) == (9436472, 71, "BLUFF")
    dims = [zonda[c] for c in ("dim_bow_m", "dim_stern_m", "dim_port_m", "dim_starboard_m")]
    assert dims == [182, 49, 24, 8]
    assert zonda["draught_m"] == pytest.approx(8.7)  # Draught "87" in 0.1 m
    assert zonda["eta"] == datetime(2021, 6, 30, 19, 0, tzinfo=UTC)
    part_b = statics[27]  # type 24 part 1
    assert (part_b["msg_type"], part_b["callsign"], part_b["ship_type"], part_b["name"]) == (
        24,
        "BZVA6",
        30,
        None,
    )


def test_rejects_keep_the_raw_line(batch: DecodedBatch, spire_path: Path) -> None:
    lines = spire_path.read_text().splitlines()
    rejects = _by_line(batch.quarantine)
    assert rejects[88]["reason"] == "unsupported_type"
    assert rejects[88]["detail"] == "Message_ID: type 21 is not decoded"
    assert rejects[88]["raw"] == lines[87]
    assert rejects[678]["reason"] == "bad_mmsi"
    assert rejects[678]["raw"].startswith('"0","18","0","20210701_005129"')


def test_crafted_bad_values(spire_path: Path) -> None:
    lines = spire_path.read_text().splitlines()
    header, row = lines[0], lines[1]
    bad_lon = row.replace('"-103.63687"', '"west"')
    far_lat = row.replace('"8.87747666667"', '"-93.5"')
    no_time = row.replace('"20210701_185151"', '""')
    data = "\n".join([header, row, bad_lon, far_lat, no_time]).encode()
    batch = concat_batches(spire.read(io.BytesIO(data), ReadContext(FILE_ID, Path("x.csv"))))
    assert batch.positions.column("line_no").to_pylist() == [2]
    assert {n: (r["reason"], r["detail"]) for n, r in _by_line(batch.quarantine).items()} == {
        3: ("malformed", "Longitude: cannot parse 'west'"),
        4: ("out_of_range", "Latitude: -93.5 is outside ±90"),
        5: ("no_timestamp", "Time: no time given"),
    }


def test_chunk_size_invariant(batch: DecodedBatch, spire_path: Path) -> None:
    pieces = _read(spire_path, chunk_bytes=20_000)
    assert batch.positions.equals(pieces.positions)
    assert batch.statics.equals(pieces.statics)
    assert batch.quarantine.equals(pieces.quarantine)
    assert batch.type_counts == pieces.type_counts
