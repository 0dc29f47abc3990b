"""The readers' shared machinery: chunked line reading, CSV splitting, parsing, statics filter."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import polars as pl
import pytest

from harborwatch.ais.readers import common, labels

LINES = b"h1\nline two\r\n\nline four\nlast line without end"


@pytest.mark.parametrize("chunk_bytes", [1, 3, 7, 1 << 20])
def test_line_chunks_keep_whole_lines_and_their_numbers(chunk_bytes: int) -> None:
    frames = list(common.iter_lines_frames(io.BytesIO(LINES), chunk_bytes))
    lines = pl.concat(frames)
    assert lines.rows() == [
        (1, "h1"),
        (2, "line two"),
        (4, "line four"),
        (5, "last line without end"),
    ]
    if chunk_bytes == 1:
        assert len(frames) >= 4  # really read in pieces


def test_header_is_line_one_and_loses_its_bom() -> None:
    stream = io.BytesIO(b"\xef\xbb\xbfID,x\r\n1,2\n")
    assert common.read_header(stream) == "ID,x"
    assert pl.concat(list(common.iter_lines_frames(stream, 4, first_line_no=2))).rows() == [
        (2, "1,2")
    ]


def test_split_csv_rejects_wrong_field_counts_and_honours_quotes() -> None:
    lines = pl.DataFrame(
        {"line_no": [2, 3, 4], "raw": ['1,"a, b",c', "1,2", '2,"x",y']},
        schema={"line_no": pl.Int64, "raw": pl.String},
    )
    fields, rejects = common.split_csv(lines, ["n", "s", "t"], ",")
    assert fields.select("line_no", "n", "s", "t").rows() == [
        (2, "1", "a, b", "c"),
        (4, "2", "x", "y"),
    ]
    assert rejects.rows() == [(3, "1,2", "malformed", "expected 3 fields, found 2")]


def test_number_parses_what_it_can_and_flags_the_rest() -> None:
    raw = pl.Series("v", ["95.0", " 12 ", "None", "", "NaN", "abc", "95.5", None])
    frame = pl.DataFrame(raw).with_columns(
        i=common.number(pl.col("v"), pl.Int64),
        f=common.number(pl.col("v")),
    )
    assert frame["i"].to_list() == [95, 12, None, None, None, None, None, None]
    assert frame["f"].to_list()[:6] == [95.0, 12.0, None, None, None, None]
    bad = frame.select(common.unparsed(pl.col("v"), pl.col("i")))
    assert bad.to_series().to_list() == [False, False, False, False, False, True, True, False]


def test_position_columns_null_not_available_and_undefined_values() -> None:
    frame = pl.DataFrame(
        {
            "lon": [181.0, 10.0],
            "lat": [91.0, 55.0],
            "sog": [102.3, 12.5],
            "cog": [360.0, 396.9],
            "hdg": [511, 359],
        }
    )
    out = frame.select(
        common.position_columns(
            pl.col("lon"), pl.col("lat"), pl.col("sog"), pl.col("cog"), pl.col("hdg")
        )
    )
    assert out.rows() == [(None, None, None, None, None), (10.0, 55.0, 12.5, None, 359)]


def _statics(rows: list[tuple[int, str | None, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mmsi": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "draught_m": [r[2] for r in rows],
            "line_no": list(range(1, len(rows) + 1)),
            "ts": [datetime(2020, 1, 1, tzinfo=UTC)] * len(rows),
        }
    )


def test_statics_filter_keeps_changes_per_vessel_across_chunks() -> None:
    rows = [
        (1, "A", 5.0),
        (2, "B", None),
        (1, "A", 5.0),  # same as before: dropped
        (1, "A", 6.0),  # draught changed: kept
        (2, None, None),  # no static field: dropped
        (2, "B", None),  # same as vessel 2's last: dropped
        (1, "A", 6.0),
    ]
    whole = common.StaticsChangeFilter()(common._with_statics_dtypes(_statics(rows)))
    assert whole["line_no"].to_list() == [1, 2, 4]
    split = common.StaticsChangeFilter()
    parts = [split(common._with_statics_dtypes(_statics(rows).slice(i, 2))) for i in range(0, 7, 2)]
    assert pl.concat(parts)["line_no"].to_list() == [1, 2, 4]


def test_ship_type_labels_map_to_codes() -> None:
    names = pl.Series(["Cargo, Hazardous category A", "Fishing", "tanker", "Undefined", "Reserved"])
    codes = pl.select(labels.label_code(pl.lit(names), labels.SHIP_TYPE_CODES)).to_series()
    assert codes.to_list() == [71, 30, 80, None, 38]
