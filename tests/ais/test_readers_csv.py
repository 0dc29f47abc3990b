"""The fixed-layout CSV readers: DMA aisdk, MarineCadastre, DEBS 2018, Suez."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
import pytest

from harborwatch.ais.batch import DecodedBatch, ReadContext, concat_batches
from harborwatch.ais.readers import debs, dma, marinecadastre, suez
from harborwatch.ais.sources import detect_format, open_input, sniff_format
from harborwatch.errors import InputError

Reader = Callable[[BinaryIO, ReadContext], Iterator[DecodedBatch]]
FILE_ID = "0123456789abcdef"


def _read(reader: Reader, path: Path, chunk_bytes: int = 1 << 26) -> DecodedBatch:
    with open_input(path) as stream:
        return concat_batches(reader(stream, ReadContext(FILE_ID, path, chunk_bytes=chunk_bytes)))


def _read_bytes(reader: Reader, data: bytes, chunk_bytes: int = 1 << 26) -> DecodedBatch:
    ctx = ReadContext(FILE_ID, Path("fixture.csv"), chunk_bytes=chunk_bytes)
    return concat_batches(reader(io.BytesIO(data), ctx))


def _frame(table: object) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _by_line(table: object) -> dict[int, dict[str, Any]]:
    return {row["line_no"]: row for row in _frame(table).iter_rows(named=True)}


def _assert_chunk_invariant(
    reader: Reader, read: Callable[..., DecodedBatch], src: object, chunk_bytes: int = 200
) -> None:
    whole, pieces = read(reader, src), read(reader, src, chunk_bytes=chunk_bytes)
    assert pieces.quarantine.num_rows or pieces.positions.column("line_no").num_chunks > 1
    assert whole.positions.equals(pieces.positions)
    assert whole.statics.equals(pieces.statics)
    assert whole.quarantine.equals(pieces.quarantine)


# --------------------------------------------------------------------------- DMA (fixture)

DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,"
    "IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,"
    "Destination,ETA,Data source type,A,B,C,D"
)
DMA_ROWS = [
    # 2: a cargo ship under way, every field given
    "01/03/2022 00:00:00,Class A,219000873,56.990910,10.304543,Under way using engine,0.0,10.2,"
    "30.2,49,9225859,OXPL2,FALKEN,Cargo,Category X,12,80,GPS,5.4,AARHUS,03/03/2022 12:00:00,AIS,"
    "60,20,6,6",
    # 3: same static data again: no new statics row
    "01/03/2022 00:00:10,Class A,219000873,56.991000,10.304600,Under way using engine,0.0,10.1,"
    "30.0,49,9225859,OXPL2,FALKEN,Cargo,Category X,12,80,GPS,5.4,AARHUS,03/03/2022 12:00:00,AIS,"
    "60,20,6,6",
    # 4: a base station: Unknown placeholders, no statics
    "01/03/2022 00:00:11,Base Station,2190068,55.500000,11.000000,Unknown value,,,,,Unknown,"
    "Unknown,,Undefined,,,,Surveyed,,Unknown,,AIS,,,,",
    # 5: a moored tanker with lat/lon not available and SOG/COG/heading not available
    "01/03/2022 00:00:12,Class A,211234560,91.000000,181.000000,Moored,,102.3,360.0,511,"
    "Unknown,DABC,NORDIC TANKER,Tanker,No additional information,20,120,GPS,7.5,HAMBURG,"
    ",AIS,100,20,10,10",
    # 6: bad MMSI
    "01/03/2022 00:00:13,Class A,0,56.1,10.1,Under way using engine,,5.0,10.0,10,Unknown,"
    "Unknown,,Undefined,,,,GPS,,Unknown,,AIS,,,,",
    # 7: no timestamp
    ",Class A,219000873,56.1,10.1,Under way using engine,,5.0,10.0,10,Unknown,"
    "Unknown,,Undefined,,,,GPS,,Unknown,,AIS,,,,",
    # 8: latitude out of range
    "01/03/2022 00:00:15,Class A,219000873,95.5,10.1,Under way using engine,,5.0,10.0,10,"
    "Unknown,Unknown,,Undefined,,,,GPS,,Unknown,,AIS,,,,",
    # 9: unparsable SOG
    "01/03/2022 00:00:16,Class A,219000873,56.1,10.1,Under way using engine,,fast,10.0,10,"
    "Unknown,Unknown,,Undefined,,,,GPS,,Unknown,,AIS,,,,",
    # 10: a field missing
    "01/03/2022 00:00:17,Class A,219000873,56.1,10.1",
    # 11: a class B pleasure craft at anchor, cargo type absent
    "01/03/2022 00:00:18,Class B,211999999,54.2,10.9,At anchor,,0.1,200.5,,Unknown,DK1234,"
    "SEA BREEZE,Pleasure,,3,10,GPS,,Unknown,,AIS,5,5,1,2",
]
DMA_FILE = ("\n".join([DMA_HEADER, *DMA_ROWS]) + "\n").encode()


def test_dma_positions_statics_and_rejects() -> None:
    batch = _read_bytes(dma.read, DMA_FILE)
    positions, statics, rejects = (
        _by_line(batch.positions),
        _by_line(batch.statics),
        _by_line(batch.quarantine),
    )
    assert sorted(positions) == [2, 3, 4, 5, 11]
    falken = positions[2]
    assert falken["mmsi"] == 219000873
    assert falken["ts"] == datetime(2022, 3, 1, tzinfo=UTC)
    assert (falken["lat"], falken["lon"]) == (56.990910, 10.304543)
    assert falken["sog_knots"] == pytest.approx(10.2)
    assert (falken["heading_deg"], falken["nav_status"], falken["source"]) == (49, 0, "dma")
    assert positions[4]["nav_status"] == 15
    assert positions[11]["nav_status"] == 1
    assert [positions[5][c] for c in ("lon", "lat", "sog_knots", "cog_deg", "heading_deg")] == [
        None
    ] * 5
    assert positions[5]["nav_status"] == 5
    assert sorted(statics) == [2, 5, 11]
    falken_static = statics[2]
    assert (falken_static["imo"], falken_static["callsign"], falken_static["name"]) == (
        9225859,
        "OXPL2",
        "FALKEN",
    )
    assert falken_static["ship_type"] == 71  # Cargo, Category X = hazardous category A
    dims = [falken_static[c] for c in ("dim_bow_m", "dim_stern_m", "dim_port_m", "dim_starboard_m")]
    assert dims == [60, 20, 6, 6]
    assert falken_static["draught_m"] == pytest.approx(5.4)
    assert falken_static["eta"] == datetime(2022, 3, 3, 12, tzinfo=UTC)
    assert falken_static["destination"] == "AARHUS"
    tanker = statics[5]
    assert (tanker["imo"], tanker["ship_type"], tanker["eta"]) == (None, 89, None)
    assert statics[11]["ship_type"] == 37
    assert {n: (r["reason"], r["detail"]) for n, r in rejects.items()} == {
        6: ("bad_mmsi", "MMSI: '0' is not 1..999999999"),
        7: ("no_timestamp", "# Timestamp: no time given"),
        8: ("out_of_range", "Latitude: 95.5 is outside ±90"),
        9: ("malformed", "SOG: cannot parse 'fast'"),
        10: ("malformed", "expected 26 fields, found 5"),
    }
    assert rejects[10]["raw"] == DMA_ROWS[8]
    assert all(r["file_id"] == FILE_ID for r in rejects.values())


def test_dma_chunk_size_invariant() -> None:
    _assert_chunk_invariant(dma.read, _read_bytes, DMA_FILE)


def test_dma_detected() -> None:
    assert detect_format(DMA_FILE[:4096], "aisdk-2022-03-01.csv") == "dma"


def test_dma_rejects_a_foreign_header() -> None:
    with pytest.raises(InputError, match="header lacks column"):
        _read_bytes(dma.read, b"a,b,c\n1,2,3\n")


# --------------------------------------------------------------------------- MarineCadastre


@pytest.fixture(scope="module")
def noaa_path(ais_dir: Path) -> Path:
    path = ais_dir / "noaa-spire" / "test_data_noaa_20230101.csv"
    assert path.is_file()
    return path


def test_marinecadastre_real_file(noaa_path: Path) -> None:
    batch = _read(marinecadastre.read, noaa_path)
    assert batch.positions.num_rows == 1000
    assert batch.quarantine.num_rows == 0
    assert batch.statics.num_rows == 998
    positions, statics = _by_line(batch.positions), _by_line(batch.statics)
    # 636021061,2023-01-11T00:00:00,26.09241,-80.04806,8.8,272.7,270.0,MSC NAISHA III,IMO9307839,
    # 5LCB4,70,8.0,208.0,30.0,8.0,70.0,A
    naisha = positions[3]
    assert (naisha["mmsi"], naisha["ts"]) == (636021061, datetime(2023, 1, 11, tzinfo=UTC))
    assert (naisha["lat"], naisha["lon"]) == (26.09241, -80.04806)
    assert naisha["cog_deg"] == pytest.approx(272.7)
    assert (naisha["heading_deg"], naisha["nav_status"]) == (270, 8)
    assert (statics[3]["imo"], statics[3]["name"], statics[3]["ship_type"]) == (
        9307839,
        "MSC NAISHA III",
        70,
    )
    assert statics[3]["draught_m"] == pytest.approx(8.0)
    assert statics[3]["dim_bow_m"] is None  # Length/Width do not place the antenna
    # 367752440,...,0.0,360.0,95.0,SAN JOSE,,WDI9818,31,0.0,...: COG 360 is not available
    assert (positions[2]["cog_deg"], positions[2]["heading_deg"]) == (None, 95)
    assert statics[2]["imo"] is None
    heading_na = _frame(batch.positions).filter(pl.col("heading_deg").is_null()).height
    assert heading_na == 426  # the rows with Heading 511.0


def test_marinecadastre_crafted_rejects() -> None:
    data = (
        b"MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        b"Length,Width,Draft,Cargo,TransceiverClass\n"
        b"367752440,2023-01-11T00:00:00,43.07917,-70.75733,0.0,360.0,95.0,SAN JOSE,,WDI9818,31,"
        b"0.0,,,,52.0,A\n"
        b"abc,2023-01-11T00:00:00,43.0,-70.7,0.0,360.0,95.0,,,,,,,,,,A\n"
        b"1000000000,2023-01-11T00:00:00,43.0,-70.7,0.0,360.0,95.0,,,,,,,,,,A\n"
        b"367752440,2023-13-11T00:00:00,43.0,-70.7,0.0,360.0,95.0,,,,,,,,,,A\n"
        b"367752440,2023-01-11T00:00:00,43.0,-190.7,0.0,360.0,95.0,,,,,,,,,,A\n"
        b"367752440,2023-01-11T00:00:00,43.0,-70.7,0.0,360.0,95.0,,IMOX,,,,,,,,A\n"
    )
    batch = _read_bytes(marinecadastre.read, data)
    assert batch.positions.column("line_no").to_pylist() == [2]
    rejects = _by_line(batch.quarantine)
    assert {n: (r["reason"], r["detail"]) for n, r in rejects.items()} == {
        3: ("bad_mmsi", "MMSI: 'abc' is not 1..999999999"),
        4: ("bad_mmsi", "MMSI: '1000000000' is not 1..999999999"),
        5: ("malformed", "BaseDateTime: cannot parse '2023-13-11T00:00:00'"),
        6: ("out_of_range", "LON: -190.7 is outside ±180"),
        7: ("malformed", "IMO: cannot parse 'IMOX'"),
    }


def test_marinecadastre_chunk_size_invariant(noaa_path: Path) -> None:
    _assert_chunk_invariant(marinecadastre.read, _read, noaa_path, chunk_bytes=10_000)


# --------------------------------------------------------------------------- DEBS 2018


@pytest.fixture(scope="module")
def debs_paths(ais_dir: Path) -> list[Path]:
    paths = [
        ais_dir / "debs2018" / n for n in ("1000rowspublic_fixed.csv", "vessel24hpublic_fixed.csv")
    ]
    assert all(p.is_file() for p in paths)
    return paths


def test_debs_real_files(debs_paths: list[Path]) -> None:
    thousand, day = (_read(debs.read, p) for p in debs_paths)
    assert (thousand.positions.num_rows, day.positions.num_rows) == (1000, 689)
    assert thousand.quarantine.num_rows == day.quarantine.num_rows == 0
    positions = _frame(thousand.positions)
    assert positions["mmsi"].null_count() == 1000
    assert positions["vessel_key"].n_unique() == 51
    # 0x0fe9...,146,23.694910,37.313620,13,15,01-06-15 0:00,SALERNO,88: SPEED 146 = 14.6 kn
    row = _by_line(thousand.positions)[3]
    assert row["vessel_key"] == "debs:0x0fe9acdb3675a8a2942fafbd4af61bc37e44c0ec"
    assert row["ts"] == datetime(2015, 6, 1, tzinfo=UTC)
    assert row["sog_knots"] == pytest.approx(14.6)
    assert (row["cog_deg"], row["heading_deg"]) == (13.0, 15)
    assert _by_line(thousand.positions)[2]["heading_deg"] is None  # 511
    # the one-vessel day: draught 88 (8.8 m) throughout, so one statics row
    assert day.statics.num_rows == 1
    assert day.statics.column("draught_m")[0].as_py() == pytest.approx(8.8)
    assert _by_line(day.positions)[2]["ts"] == datetime(2015, 5, 30, 4, 35, tzinfo=UTC)
    assert max(positions["sog_knots"].to_list()) == pytest.approx(20.5)


def test_debs_crafted_rejects() -> None:
    data = (
        b"SHIP_ID,SPEED,LON,LAT,COURSE,HEADING,TIMESTAMP,DEPARTURE_PORT_NAME,REPORTED_DRAUGHT\n"
        b"0xabc,20,15.2,37.2,163,511,01-06-15 0:00,AUGUSTA,\n"
        b"0xabc,20,15.2,37.2,163,511,,AUGUSTA,\n"
        b"0xabc,20,15.2,37.2,163,511,32-06-15 0:00,AUGUSTA,\n"
        b",20,15.2,37.2,163,511,01-06-15 0:00,AUGUSTA,\n"
        b"0xabc,20,15.2,37.2,163,511,01-06-15 0:00,AUGUSTA,deep\n"
    )
    batch = _read_bytes(debs.read, data)
    assert batch.positions.column("line_no").to_pylist() == [2]
    assert {n: (r["reason"], r["detail"]) for n, r in _by_line(batch.quarantine).items()} == {
        3: ("no_timestamp", "TIMESTAMP: no time given"),
        4: ("malformed", "TIMESTAMP: cannot parse '32-06-15 0:00'"),
        5: ("malformed", "SHIP_ID: no id given"),
        6: ("malformed", "REPORTED_DRAUGHT: cannot parse 'deep'"),
    }


def test_debs_chunk_size_invariant(debs_paths: list[Path]) -> None:
    _assert_chunk_invariant(debs.read, _read, debs_paths[0], chunk_bytes=5_000)


# --------------------------------------------------------------------------- Suez


@pytest.fixture(scope="module")
def suez_path(ais_dir: Path) -> Path:
    path = ais_dir / "eastern-med" / "suez_2021_boat_positions.csv"
    assert path.is_file()
    return path


def test_suez_real_file(suez_path: Path) -> None:
    batch = _read(suez.read, suez_path)
    assert batch.positions.num_rows == 22_287
    assert batch.quarantine.num_rows == batch.statics.num_rows == 0
    positions = _frame(batch.positions)
    assert positions["vessel_key"].n_unique() == 256
    assert positions["mmsi"].null_count() == 22_287
    first = _by_line(batch.positions)[2]  # 1,20/03/2021 00:22,32.32925,31.4386 (after the BOM)
    assert first["vessel_key"] == "suez:1"
    assert first["ts"] == datetime(2021, 3, 20, 0, 22, tzinfo=UTC)
    assert (first["lon"], first["lat"]) == (32.32925, 31.4386)
    in_days = pl.col("ts").is_between(
        datetime(2021, 3, 20, tzinfo=UTC), datetime(2021, 3, 25, tzinfo=UTC)
    )
    assert positions.filter(in_days).height == 22_287


def test_suez_crafted_rejects() -> None:
    data = (
        "\ufeffID,ais_pos_timestamp,longitude,latitude\n"
        "1,20/03/2021 00:22,32.32925,31.4386\n"
        "1,,32.3,31.4\n"
        "1,20/03/2021 00:23,east,31.4\n"
        "1,20/03/2021 00:24,32.3,-91.5\n"
    ).encode()
    batch = _read_bytes(suez.read, data)
    assert batch.positions.column("line_no").to_pylist() == [2]
    assert {n: r["reason"] for n, r in _by_line(batch.quarantine).items()} == {
        3: "no_timestamp",
        4: "malformed",
        5: "out_of_range",
    }
    assert _by_line(batch.quarantine)[4]["detail"] == "longitude: cannot parse 'east'"


def test_suez_chunk_size_invariant(suez_path: Path) -> None:
    _assert_chunk_invariant(suez.read, _read, suez_path, chunk_bytes=50_000)


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("relative", "fmt"),
    [
        ("noaa-spire/test_data_noaa_20230101.csv", "marinecadastre"),
        ("debs2018/1000rowspublic_fixed.csv", "debs"),
        ("debs2018/vessel24hpublic_fixed.csv", "debs"),
        ("eastern-med/suez_2021_boat_positions.csv", "suez"),
        ("noaa-spire/test_data_20210701.csv", "spire"),
        ("gfw-segment-golden/regr_412331088.json.gz", "gfw"),
        ("sbarc-santa-barbara/raw/AIS_SBARC_180603-12.txt.gz", "sbarc"),
    ],
)
def test_detect_format_on_real_files(ais_dir: Path, relative: str, fmt: str) -> None:
    assert sniff_format(ais_dir / relative) == fmt
