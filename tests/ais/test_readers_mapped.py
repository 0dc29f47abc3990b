"""The generic CSV reader (format ``csv``) with a ``--columns`` mapping."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harborwatch.ais.batch import DecodedBatch, ReadContext, concat_batches
from harborwatch.ais.readers import mapped, marinecadastre
from harborwatch.errors import InputError

FILE_ID = "0123456789abcdef"
NOAA_COLUMNS = {
    "mmsi": "MMSI",
    "ts": "BaseDateTime",
    "lon": "LON",
    "lat": "LAT",
    "sog_knots": "SOG",
    "cog_deg": "COG",
    "heading_deg": "Heading",
    "name": "VesselName",
    "imo": "IMO",
    "callsign": "CallSign",
    "ship_type": "VesselType",
    "nav_status": "Status",
    "draught_m": "Draft",
}


def _read(data: bytes, columns: dict[str, str], chunk_bytes: int = 1 << 26) -> DecodedBatch:
    ctx = ReadContext(FILE_ID, Path("x.csv"), columns=columns, chunk_bytes=chunk_bytes)
    return concat_batches(mapped.read(io.BytesIO(data), ctx))


def test_mapping_marinecadastre_gives_what_its_own_reader_gives(ais_dir: Path) -> None:
    path = ais_dir / "noaa-spire" / "test_data_noaa_20230101.csv"
    data = path.read_bytes()
    generic = _read(data, NOAA_COLUMNS)
    own = concat_batches(marinecadastre.read(io.BytesIO(data), ReadContext(FILE_ID, path)))
    assert generic.positions.num_rows == 1000
    assert set(generic.positions.column("source").to_pylist()) == {"csv"}
    assert generic.positions.drop_columns("source").equals(own.positions.drop_columns("source"))
    assert generic.statics.drop_columns("source").equals(own.statics.drop_columns("source"))
    pieces = _read(data, NOAA_COLUMNS, chunk_bytes=8_000)
    assert pieces.positions.equals(generic.positions)
    assert pieces.statics.equals(generic.statics)


def test_times_separators_and_rejects() -> None:
    data = (
        b"Ship;When;X;Y;Speed\n"
        b"A;1622505600;10.5;55.1;3.5\n"  # unix seconds
        b"B;1622505600123;10.6;55.2;102.3\n"  # unix milliseconds; SOG not available
        b"C;2021-06-01T00:00:00+02:00;1;2;\n"  # zoned ISO
        b"D;2021-06-01 01:02:03.5;1;2;\n"  # naive ISO with space: UTC
        b";2021-06-01T00:00:00Z;1;2;\n"
        b"E;;1;2;\n"
        b"F;yesterday;1;2;\n"
        b"G;2021-06-01T00:00:00Z;1;-95;\n"
        b"H;2021-06-01T00:00:00Z;1;2\n"
    )
    batch = _read(
        data, {"vessel_key": "Ship", "ts": "When", "lon": "X", "lat": "Y", "sog_knots": "speed"}
    )
    rows = batch.positions.to_pylist()
    assert [(r["vessel_key"], r["ts"]) for r in rows] == [
        ("A", datetime(2021, 6, 1, tzinfo=UTC)),
        ("B", datetime(2021, 6, 1, 0, 0, 0, 123000, tzinfo=UTC)),
        ("C", datetime(2021, 5, 31, 22, tzinfo=UTC)),
        ("D", datetime(2021, 6, 1, 1, 2, 3, 500000, tzinfo=UTC)),
    ]
    assert [r["sog_knots"] for r in rows] == [3.5, None, None, None]
    assert {r["line_no"]: (r["reason"], r["detail"]) for r in batch.quarantine.to_pylist()} == {
        6: ("malformed", "vessel_key: no vessel id"),
        7: ("no_timestamp", "ts: no time given"),
        8: ("malformed", "ts: cannot parse 'yesterday'"),
        9: ("out_of_range", "lat: -95.0 is outside ±90"),
        10: ("malformed", "expected 5 fields, found 4"),
    }


def test_tab_separated_with_mmsi() -> None:
    data = (
        b"mmsi\tt\tlon\tlat\n"
        b"219000873\t2022-03-01T00:00:00\t10.3\t56.9\n"
        b"0\t2022-03-01T00:00:00\t1\t2\n"
    )
    batch = _read(data, {"mmsi": "MMSI", "ts": "t", "lon": "lon", "lat": "lat"})
    assert batch.positions.column("mmsi").to_pylist() == [219000873]
    assert batch.quarantine.column("reason").to_pylist() == ["bad_mmsi"]


def test_missing_mapping_names_the_field_and_an_example() -> None:
    with pytest.raises(InputError, match=r"lacks ts.*--columns mmsi=MMSI,ts=BaseDateTime"):
        _read(b"a,b,c\n", {"mmsi": "a", "lon": "b", "lat": "c"})
    with pytest.raises(InputError, match=r"mmsi \(or vessel_key\)"):
        _read(b"a,b,c\n", {"ts": "a", "lon": "b", "lat": "c"})
    with pytest.raises(InputError, match="unknown field"):
        _read(b"a,b,c\n", {"ts": "a", "lon": "b", "lat": "c", "mmsi": "a", "speed": "b"})
    with pytest.raises(InputError, match="'zz', which the header lacks"):
        _read(b"a,b,c\n", {"ts": "a", "lon": "b", "lat": "c", "mmsi": "zz"})


def test_statics_ship_type_label_and_values_too_large_for_ais() -> None:
    data = (
        b"m,t,x,y,imo,st,name\n"
        b"219000873,2022-03-01T00:00:00,10.3,56.9,99999999999,Cargo,FALKEN\n"
        b"219000873,2022-03-01T00:01:00,10.3,56.9,IMO9225859,71,FALKEN\n"
    )
    columns = {"mmsi": "m", "ts": "t", "lon": "x", "lat": "y", "imo": "imo", "ship_type": "st"}
    batch = _read(data, {**columns, "name": "name"})
    rows = batch.statics.to_pylist()
    assert [(r["imo"], r["ship_type"], r["name"]) for r in rows] == [
        (None, 70, "FALKEN"),  # an IMO the 30-bit field cannot hold is not stored
        (9225859, 71, "FALKEN"),
    ]
