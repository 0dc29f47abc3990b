"""The Santa Barbara hourly export reader, on all 168 real files and crafted bad rows."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from harborwatch.ais.batch import DecodedBatch, ReadContext, concat_batches
from harborwatch.ais.readers import sbarc
from harborwatch.ais.sources import open_input, sniff_format


def _read(path: Path, chunk_bytes: int = 1 << 26) -> DecodedBatch:
    ctx = ReadContext(path.name[10:19], path, chunk_bytes=chunk_bytes)  # file_id = YYMMDD-HH
    with open_input(path) as stream:
        return concat_batches(sbarc.read(stream, ctx))


def _read_text(text: str, name: str = "AIS_SBARC_180601-00.txt") -> DecodedBatch:
    ctx = ReadContext("0123456789abcdef", Path(name))
    return concat_batches(sbarc.read(io.BytesIO(text.encode()), ctx))


@pytest.fixture(scope="module")
def sbarc_dir(ais_dir: Path) -> Path:
    return ais_dir / "sbarc-santa-barbara" / "raw"


@pytest.fixture(scope="module")
def week(sbarc_dir: Path) -> DecodedBatch:
    files = sorted(sbarc_dir.glob("AIS_SBARC_*.txt.gz"))
    assert len(files) == 168
    return concat_batches(_read(path) for path in files)


def _row(table: pl.DataFrame, file_id: str, line_no: int) -> dict[str, Any]:
    rows = table.filter((pl.col("file_id") == file_id) & (pl.col("line_no") == line_no))
    assert rows.height == 1
    return rows.row(0, named=True)


def test_week_counts_match_the_data(week: DecodedBatch) -> None:
    # README: 685,531 positions, 15,005 type-5 reports; 10 of the position messages are rejected.
    assert week.type_counts == Counter(
        {1: 564_102, 2: 4, 3: 66_668, 18: 54_757, 5: 15_005, 24: 36_515}
    )
    assert week.positions.num_rows == 685_521
    reasons = Counter(week.quarantine.column("reason").to_pylist())
    assert reasons == Counter({"out_of_range": 9, "bad_mmsi": 1})
    positions = pl.from_arrow(week.positions)
    assert isinstance(positions, pl.DataFrame)
    # README says 790 MMSIs; the accepted positions hold 791 (789 with a usable fix).
    assert positions["mmsi"].n_unique() == 791
    assert positions.filter(pl.col("lon").is_null() | pl.col("lat").is_null()).height == 257
    assert positions["ts"].min() == datetime(2018, 6, 1, 0, 0, 0, 633000, tzinfo=UTC)
    # statics keep only changes: 15,005 type 5 and 36,515 type 24 reports become
    assert Counter(week.statics.column("msg_type").to_pylist()) == Counter({5: 6_296, 24: 12_765})


def test_known_position_rows(week: DecodedBatch) -> None:
    positions = pl.from_arrow(week.positions)
    assert isinstance(positions, pl.DataFrame)
    first = _row(positions, "180601-00", 1)
    assert first["mmsi"] == 355658000
    assert first["ts"] == datetime(2018, 6, 1, 0, 0, 0, 633000, tzinfo=UTC)
    assert first["lon"] == pytest.approx(-111.922780)
    assert first["lat"] == pytest.approx(21.958637)
    assert first["sog_knots"] == pytest.approx(18.0)
    assert first["cog_deg"] == pytest.approx(298.1)
    assert (first["heading_deg"], first["nav_status"], first["msg_type"]) == (300, 0, 1)
    class_b = _row(positions, "180601-00", 6)  # type 18: heading 511, no nav status
    assert (class_b["mmsi"], class_b["msg_type"], class_b["heading_deg"]) == (367640780, 18, None)
    assert class_b["lon"] == pytest.approx(-119.223383)
    assert class_b["nav_status"] is None
    # lon 181, lat 91, SOG 102.3, COG 360, heading 511: all "not available"
    unknown = _row(positions, "180602-00", 1424)
    assert unknown["mmsi"] == 367567020
    assert [unknown[c] for c in ("lon", "lat", "sog_knots", "cog_deg", "heading_deg")] == [None] * 5


def test_line_of_the_previous_hour_is_dated_the_previous_day(week: DecodedBatch) -> None:
    positions = pl.from_arrow(week.positions)
    assert isinstance(positions, pl.DataFrame)
    spill = _row(positions, "180606-00", 1)  # "23:59:59:645" in the 00 file of 6 June
    assert spill["ts"] == datetime(2018, 6, 5, 23, 59, 59, 645000, tzinfo=UTC)


def test_type5_and_type24_statics(week: DecodedBatch) -> None:
    statics = pl.from_arrow(week.statics)
    assert isinstance(statics, pl.DataFrame)
    cape = _row(statics, "180601-00", 149)
    assert cape["mmsi"] == 538090175
    assert (cape["imo"], cape["callsign"], cape["name"], cape["ship_type"]) == (
        9293129,
        "V7ID9",
        "CAPE BASTIA",
        80,
    )
    dims = [cape[c] for c in ("dim_bow_m", "dim_stern_m", "dim_port_m", "dim_starboard_m")]
    assert dims == [230, 44, 30, 18]
    assert cape["draught_m"] == pytest.approx(15.5)
    assert cape["eta"] == datetime(2018, 6, 1, 19, 0, tzinfo=UTC)  # packed 396480
    assert cape["destination"] == "LONG BEACH,USA"
    part_b = _row(statics, "180601-00", 8)  # 24;0;366948820;1;;37;;WDB7855;6;6;3;2;0
    assert (part_b["msg_type"], part_b["callsign"], part_b["ship_type"]) == (24, "WDB7855", 37)
    assert [part_b[c] for c in ("dim_bow_m", "dim_stern_m", "dim_port_m")] == [6, 6, 3]
    assert part_b["name"] is None
    part_a = _row(statics, "180601-00", 7)
    assert (part_a["name"], part_a["callsign"]) == ("M/Y BESO", None)


def test_semicolons_inside_text_fields(week: DecodedBatch) -> None:
    statics = pl.from_arrow(week.statics)
    assert isinstance(statics, pl.DataFrame)
    avalon = _row(statics, "180602-15", 2149)  # destination "LONG BEACH; AVALON", ETA 1596
    assert (avalon["name"], avalon["destination"], avalon["ship_type"]) == (
        "STARSHIP EXPRESS",
        "LONG BEACH; AVALON",
        40,
    )
    assert avalon["eta"] is None
    rainbow = _row(statics, "180601-13", 2762)  # name "RAINBOW STAR;" adds a field
    assert (rainbow["name"], rainbow["ship_type"], rainbow["destination"]) == (
        "RAINBOW STAR;",
        80,
        "ROSARITO, MEXICO",
    )
    assert rainbow["draught_m"] == pytest.approx(7.7)


def test_real_rejects_name_line_and_value(week: DecodedBatch) -> None:
    quarantine = pl.from_arrow(week.quarantine)
    assert isinstance(quarantine, pl.DataFrame)
    bad_mmsi = _row(quarantine, "180602-03", 904)
    assert bad_mmsi["reason"] == "bad_mmsi"
    assert bad_mmsi["raw"].startswith("03:17:41:558;NOT NAMED;00;31.19;117.4;3;0;1038628300;")
    assert "1038628300" in bad_mmsi["detail"]
    far = _row(quarantine, "180602-03", 2473)
    assert (far["reason"], far["detail"]) == ("out_of_range", "lat: -97.784833 is outside ±90")


def test_crafted_bad_rows() -> None:
    text = "\n".join(
        [
            "00:00:00:633;X;80;1;1;1;0;355658000;0;0;18;0;-111.9;21.9;298.1;300;14;0;0;0;0;0;22",
            "00:00:01:000;X;80;1;1;1;0;0;0;0;18;0;-111.9;21.9;298.1;300;14;0;0;0;0;0;22",
            "00:00:02:000;X;80;1;1;1;0;355658000;0;0;fast;0;-111.9;21.9;298.1;300;14;0;0;0;0;0;22",
            "00:00:03:000;garbage;with;few;fields",
            "99:00:03:000;X;80;1;1;1;0;355658000;0;0;18;0;-111.9;21.9;298.1;300;14;0;0;0;0;0;22",
            ";X;80;1;1;1;0;355658000;0;0;18;0;-111.9;21.9;298.1;300;14;0;0;0;0;0;22",
            "00:00:04:000;24;0;366948820;7;;37;;WDB7855;6;6;3;2;0",
        ]
    )
    batch = _read_text(text)
    assert batch.positions.column("line_no").to_pylist() == [1]
    rejects = {r["line_no"]: r for r in batch.quarantine.to_pylist()}
    assert {n: r["reason"] for n, r in rejects.items()} == {
        2: "bad_mmsi",
        3: "malformed",
        4: "malformed",
        5: "malformed",
        6: "no_timestamp",
        7: "malformed",
    }
    assert rejects[3]["detail"] == "sog: cannot parse 'fast'"
    assert rejects[4]["detail"] == "layout: 5 fields match no known message layout"
    assert rejects[5]["detail"] == "time: cannot parse '99:00:03:000'"
    assert rejects[7]["detail"] == "part: 7 is not 0 or 1"
    assert rejects[4]["raw"] == "00:00:03:000;garbage;with;few;fields"


def test_file_name_without_date_rejects_as_no_timestamp() -> None:
    line = "00:00:00:633;X;80;1;1;1;0;355658000;0;0;18;0;-111.9;21.9;298.1;300;14;0;0;0;0;0;22"
    batch = _read_text(line, name="export.txt")
    assert batch.positions.num_rows == 0
    assert batch.quarantine.column("reason").to_pylist() == ["no_timestamp"]


def test_chunk_size_does_not_change_the_tables(sbarc_dir: Path) -> None:
    path = sbarc_dir / "AIS_SBARC_180601-13.txt.gz"
    whole, pieces = _read(path), _read(path, chunk_bytes=4096)
    assert whole.positions.equals(pieces.positions)
    assert whole.statics.equals(pieces.statics)
    assert whole.quarantine.equals(pieces.quarantine)
    assert whole.type_counts == pieces.type_counts


def test_detect_format(sbarc_dir: Path) -> None:
    assert sniff_format(sbarc_dir / "AIS_SBARC_180601-00.txt.gz") == "sbarc"
