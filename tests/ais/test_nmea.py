"""Tests of the columnar NMEA decoder: every reject reason, times, multipart, chunking."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import find_data_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harborwatch import schemas
from harborwatch.ais.batch import DecodedBatch, ReadContext, concat_batches
from harborwatch.ais.nmea import NmeaDecoder, read_nmea
from harborwatch.ais.sources import read_file

FILE_ID = "feedfacecafebeef"


def checksum(body: str) -> int:
    """NMEA checksum: XOR of the characters between the start character and ``*``."""
    return reduce(lambda acc, ch: acc ^ ord(ch), body, 0)


def bits(*fields: tuple[int, int]) -> str:
    """Bit string of (value, width) fields; negative values in two's complement."""
    return "".join(format(value & ((1 << width) - 1), f"0{width}b") for value, width in fields)


def armour(bit_string: str) -> tuple[str, int]:
    """6-bit armoured payload and fill bits of a bit string."""
    fill = -len(bit_string) % 6
    padded = bit_string + "0" * fill
    chars = []
    for i in range(0, len(padded), 6):
        value = int(padded[i : i + 6], 2)
        chars.append(chr(value + 48 if value < 40 else value + 56))
    return "".join(chars), fill


def sentence(
    payload: str, fill: int, total: int = 1, num: int = 1, seq: str = "", chan: str = "A"
) -> str:
    body = f"AIVDM,{total},{num},{seq},{chan},{payload},{fill}"
    return f"!{body}*{checksum(body):02X}"


def tag(content: str) -> str:
    return f"\\{content}*{checksum(content):02X}\\"


def pghp(y: int, mo: int, d: int, h: int, mi: int, s: int, ms: int, station: str) -> str:
    body = f"PGHP,1,{y},{mo},{d},{h},{mi},{s},{ms},219,,{station},1,00"
    return f"${body}*{checksum(body):02X}"


def type1(
    mmsi: int = 219_000_001,
    lon_deg: float = 10.5,
    lat_deg: float = 55.25,
    sog_raw: int = 123,
    cog_raw: int = 2345,
    heading: int = 234,
    nav: int = 5,
) -> str:
    """A 168-bit type 1 payload (armoured; fill 0) from degrees and raw AIS units."""
    payload, fill = armour(
        bits(
            (1, 6), (0, 2), (mmsi, 30), (nav, 4), (0, 8), (sog_raw, 10), (1, 1),
            (round(lon_deg * 600_000), 28), (round(lat_deg * 600_000), 27), (cog_raw, 12),
            (heading, 9), (0, 6), (0, 2), (0, 3), (0, 1), (0, 19),
        )
    )  # fmt: skip
    assert fill == 0
    return payload


def type27(
    mmsi: int = 219_000_002, lon_deg: float = -70.5, lat_deg: float = 41.25, sog: int = 63,
    cog: int = 511, nav: int = 0,
) -> tuple[str, int]:  # fmt: skip
    """A 96-bit type 27 payload: lon/lat in 1/10 minute, SOG knots, COG degrees."""
    return armour(
        bits(
            (27, 6), (0, 2), (mmsi, 30), (0, 1), (0, 1), (nav, 4), (round(lon_deg * 600), 18),
            (round(lat_deg * 600), 17), (sog, 6), (cog, 9), (0, 1), (0, 1),
        )
    )  # fmt: skip


def decode(
    text: str | bytes, assume_date: date | None = None, chunks: list[int] | None = None
) -> DecodedBatch:
    """Decode ``text`` whole (or cut at the ``chunks`` offsets) and finish."""
    data = text.encode() if isinstance(text, str) else text
    decoder = NmeaDecoder(ReadContext(FILE_ID, Path("test.nmea"), assume_date=assume_date))
    cuts = [0, *sorted(chunks or []), len(data)]
    batches = [decoder.feed(data[a:b]) for a, b in pairwise(cuts)]
    return concat_batches([*batches, decoder.finish()])


def only_row(table: pa.Table) -> dict[str, Any]:
    assert table.num_rows == 1, table.to_pylist()
    return table.to_pylist()[0]


def reasons(batch: DecodedBatch) -> list[str]:
    return batch.quarantine.column("reason").to_pylist()


T0 = 1_600_000_000
"""A fixed Unix time (2020-09-13 12:26:40 UTC) for crafted tag blocks."""
TS0 = datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)


def timed(payload: str, fill: int = 0, receiver: str = "rx1", **kwargs: Any) -> str:
    return tag(f"c:{T0},s:{receiver}") + sentence(payload, fill, **kwargs)


# ---------------------------------------------------------------- tables and fields


def test_tables_match_the_declared_schemas(ais_dir: Path) -> None:
    batch = decode((ais_dir / "odd-inputs/libais/tagblock.nmea").read_bytes())
    assert batch.positions.schema == schemas.POSITIONS
    assert batch.statics.schema == schemas.STATICS
    assert batch.quarantine.schema == schemas.QUARANTINE


def test_type1_fields_units_and_provenance() -> None:
    text = "# a comment\n\n" + timed(type1()) + "\r\n"
    row = only_row(decode(text).positions)
    assert row["mmsi"] == 219_000_001
    assert row["vessel_key"] is None
    assert row["ts"] == TS0
    assert row["lon"] == pytest.approx(10.5)
    assert row["lat"] == pytest.approx(55.25)
    assert row["sog_knots"] == pytest.approx(12.3)
    assert row["cog_deg"] == pytest.approx(234.5)
    assert row["heading_deg"] == 234
    assert row["nav_status"] == 5
    assert row["msg_type"] == 1
    assert (row["source"], row["receiver"], row["file_id"], row["line_no"]) == (
        "nmea", "rx1", FILE_ID, 3,
    )  # fmt: skip


def test_not_available_values_become_null() -> None:
    payload = type1(lon_deg=181, lat_deg=91, sog_raw=1023, cog_raw=3600, heading=511)
    row = only_row(decode(timed(payload)).positions)
    assert [row[c] for c in ("lon", "lat", "sog_knots", "cog_deg", "heading_deg")] == [None] * 5


def test_invalid_cog_and_heading_are_null_but_the_fix_is_kept() -> None:
    row = only_row(decode(timed(type1(cog_raw=3700, heading=400))).positions)
    assert row["cog_deg"] is None and row["heading_deg"] is None
    assert row["lon"] == pytest.approx(10.5)


def test_type27_uses_tenth_minute_positions_and_knots() -> None:
    payload, fill = type27(sog=12, cog=45)
    row = only_row(decode(timed(payload, fill)).positions)
    assert (row["lon"], row["lat"], row["sog_knots"], row["cog_deg"]) == (-70.5, 41.25, 12, 45)
    payload, fill = type27(lon_deg=181, lat_deg=91)
    row = only_row(decode(timed(payload, fill)).positions)
    assert [row[c] for c in ("lon", "lat", "sog_knots", "cog_deg")] == [None] * 4


def test_type5_static_and_voyage_data(ais_dir: Path) -> None:
    with gzip.open(ais_dir / "dma/ais-sample.txt.gz") as stream:
        statics = decode(stream.read()).statics
    row = next(r for r in statics.to_pylist() if r["mmsi"] == 265858000)
    assert (row["name"], row["callsign"], row["imo"], row["destination"]) == (
        "BRISTOL", "SDQT", 9214484, "SKAGEN",
    )  # fmt: skip
    assert (row["ship_type"], row["dim_bow_m"], row["dim_stern_m"]) == (30, 29, 15)
    assert (row["dim_port_m"], row["dim_starboard_m"], row["msg_type"]) == (5, 5, 5)
    assert row["draught_m"] == pytest.approx(6.4)
    assert row["receiver"] == "2190074"
    with_eta = [r for r in statics.to_pylist() if r["eta"] is not None]
    assert with_eta and all(r["eta"].year in (2013, 2014) for r in with_eta)
    assert {24} <= set(statics.column("msg_type").to_pylist())


def test_type5_eta_year_comes_from_the_report_time(ais_dir: Path) -> None:
    row = only_row(decode((ais_dir / "odd-inputs/libais/tagblock.nmea").read_bytes()).statics)
    assert row["ts"] == datetime(2014, 12, 10, 0, 0, 1, tzinfo=UTC)
    assert row["eta"] is None or abs((row["eta"] - row["ts"]).days) <= 184


# ---------------------------------------------------------------- reject reasons


def test_bad_checksum_names_both_values() -> None:
    line = timed(type1())
    broken = line[:-2] + ("00" if line[-2:] != "00" else "01")
    batch = decode(broken)
    assert reasons(batch) == ["bad_checksum"]
    row = batch.quarantine.to_pylist()[0]
    given, computed = int(broken[-2:], 16), checksum(line.split("\\")[-1][1:-3])
    assert row["detail"] == f"checksum 0x{given:02X}, computed 0x{computed:02X}"
    assert row["raw"] == broken and row["line_no"] == 1


def test_wrong_field_count_is_malformed(ais_dir: Path) -> None:
    batch = decode((ais_dir / "odd-inputs/signalk/gofree-merrimac.log").read_bytes()[:2000])
    assert set(reasons(batch)) == {"malformed"}
    assert (
        "expected 7 comma-separated fields, got 8" in batch.quarantine.column("detail").to_pylist()
    )


def test_bad_payload_character_is_malformed() -> None:
    payload = type1()
    batch = decode(timed(payload[:5] + "x" + payload[6:]))
    assert reasons(batch) == ["malformed"]
    assert batch.quarantine.column("detail")[0].as_py() == (
        "invalid payload character 'x' at payload offset 5"
    )


def test_empty_payloads_are_rejected(ais_dir: Path) -> None:
    path = ais_dir / "eastern-med/greece_nmea_no_timestamps.txt"
    batch = decode(path.read_bytes(), assume_date=date(2021, 1, 1))
    details = batch.quarantine.column("detail").to_pylist()
    assert details.count("empty payload") == 100


def test_wrong_bit_length_for_the_type_is_malformed(ais_dir: Path) -> None:
    batch = decode((ais_dir / "odd-inputs/gfw-ais-tools/type1-bad-bitcount.nmea").read_bytes())
    assert batch.positions.num_rows == 0
    assert reasons(batch) == ["malformed"] * 12
    assert (
        batch.quarantine.column("detail")[0].as_py() == "type 1 payload has 186 bits, expected 168"
    )
    errors = decode((ais_dir / "odd-inputs/gfw-ais-tools/errors.nmea").read_bytes())
    assert reasons(errors) == ["malformed", "bad_checksum", "malformed", "bad_checksum"]
    assert errors.positions.num_rows == 1


def test_out_of_range_position(ais_dir: Path) -> None:
    batch = decode(timed(type1(lon_deg=200)) + "\n" + timed(type1(lat_deg=-95)))
    assert reasons(batch) == ["out_of_range", "out_of_range"]
    assert batch.quarantine.column("detail").to_pylist() == ["lon 200.000000", "lat -95.000000"]
    real = decode((ais_dir / "odd-inputs/libais/typeexamples.nmea").read_bytes())
    assert "lon 200.231667" in real.quarantine.column("detail").to_pylist()


@pytest.mark.parametrize("mmsi", [0, 1_000_000_000])
def test_bad_mmsi(mmsi: int) -> None:
    batch = decode(timed(type1(mmsi=mmsi)))
    assert reasons(batch) == ["bad_mmsi"]
    assert batch.quarantine.column("detail")[0].as_py() == f"mmsi {mmsi}"


def test_unsupported_types_are_kept_and_counted(ais_dir: Path) -> None:
    batch = decode((ais_dir / "odd-inputs/gfw-ais-tools/type8.nmea").read_bytes(), date(2020, 1, 1))
    assert reasons(batch) == ["unsupported_type"]
    assert batch.quarantine.column("detail")[0].as_py() == "message type 8"
    assert batch.type_counts == {8: 1}


def test_not_a_sentence_is_malformed_but_other_nmea_is_skipped(ais_dir: Path) -> None:
    batch = decode((ais_dir / "odd-inputs/gfw-ais-tools/bad-type5.nmea").read_bytes())
    raws = batch.quarantine.column("raw").to_pylist()
    assert "53l3sj42A590=5Q2220UHE:04=@Ttr222222221@9HH>46ii0=D532Dp?`1D888888888888880" in raws
    gps = decode((ais_dir / "odd-inputs/gpsd/ait250.log").read_bytes(), date(2009, 7, 30))
    assert not any(r.startswith(("$", "#")) for r in gps.quarantine.column("raw").to_pylist())


# ---------------------------------------------------------------- times and receivers


def test_no_timestamp_without_assume_date(ais_dir: Path) -> None:
    path = ais_dir / "eastern-med/greece_nmea_no_timestamps.txt"
    batch = decode(path.read_bytes())
    assert batch.positions.num_rows == 0 and batch.statics.num_rows == 0
    assert reasons(batch).count("no_timestamp") > 600


def test_assume_date_dates_untimed_sentences_at_midnight(ais_dir: Path) -> None:
    path = ais_dir / "eastern-med/greece_nmea_no_timestamps.txt"
    batch = decode(path.read_bytes(), assume_date=date(2021, 3, 4))
    assert batch.positions.num_rows > 600
    assert set(batch.positions.column("ts").to_pylist()) == {datetime(2021, 3, 4, tzinfo=UTC)}
    assert "no_timestamp" not in reasons(batch)
    timed_row = only_row(decode(timed(type1()), assume_date=date(2021, 3, 4)).positions)
    assert timed_row["ts"] == TS0  # a sentence's own time wins over the assumed date


def test_tag_block_time_in_seconds_or_milliseconds() -> None:
    seconds = tag(f"c:{T0},s:a") + sentence(type1(), 0)
    millis = tag(f"c:{T0}250,s:a") + sentence(type1(), 0)
    rows = decode(seconds + "\n" + millis).positions.column("ts").to_pylist()
    assert rows == [TS0, TS0 + timedelta(milliseconds=250)]


def test_bad_tag_block_checksum_keeps_the_sentence(ais_dir: Path) -> None:
    batch = decode((ais_dir / "odd-inputs/gfw-ais-tools/spire-test.nmea").read_bytes())
    row = batch.statics.to_pylist()[0]
    assert row["ts"] == datetime.fromtimestamp(1662052384, UTC)
    assert row["receiver"] == "FM112"


def test_pghp_dates_only_the_next_sentence() -> None:
    text = "\n".join(
        [
            pghp(2013, 11, 12, 12, 0, 1, 500, "2190067"),
            sentence(type1(), 0),
            sentence(type1(mmsi=219_000_009), 0),
        ]
    )
    batch = decode(text)
    row = only_row(batch.positions)
    assert row["ts"] == datetime(2013, 11, 12, 12, 0, 1, 500_000, tzinfo=UTC)
    assert (row["receiver"], row["line_no"]) == ("2190067", 2)
    assert reasons(batch) == ["no_timestamp"]


def test_a_tag_block_alone_on_its_line_dates_the_next_sentence_unless_a_dollar_line_does() -> None:
    day = datetime(2013, 11, 12, 12, 0, 1, 500_000, tzinfo=UTC)
    text = "\n".join(
        [
            tag(f"c:{T0},s:rx9"),  # across a blank line and a comment: the tag block's time
            "",
            "# comment",
            sentence(type1(mmsi=219_000_001), 0),
            tag(f"c:{T0 + 60},s:rx8"),  # a $PGHP line after it: the $PGHP's time and station
            pghp(2013, 11, 12, 12, 0, 1, 500, "2190067"),
            sentence(type1(mmsi=219_000_002), 0),
            pghp(2013, 11, 12, 12, 0, 1, 500, "2190067"),  # a tag block after it, without c:
            tag("s:rx7"),  # keeps the $PGHP time and gives its own receiver
            sentence(type1(mmsi=219_000_003), 0),
            tag(f"c:{T0}"),  # a $ line that is not $PGHP discards it too
            "$GPGGA,1",
            sentence(type1(mmsi=219_000_004), 0),
            tag(f"c:{T0}"),  # the last line
        ]
    )
    batch = decode(text)
    rows = [(r["mmsi"], r["ts"], r["receiver"]) for r in batch.positions.to_pylist()]
    assert rows == [
        (219_000_001, TS0, "rx9"),
        (219_000_002, day, "2190067"),
        (219_000_003, day, "rx7"),
    ]
    assert reasons(batch) == ["no_timestamp"]
    cut_everywhere = decode(text, chunks=list(range(1, len(text))))
    assert _rows(cut_everywhere) == _rows(batch)


def test_pghp_times_while_the_date_repeats_changes_or_is_invalid() -> None:
    """The kernel reuses the last date while its text repeats: every line must still get its
    own time, and an invalid line must not disturb the next."""
    stamps = [
        (2013, 11, 12, 23, 59, 59, 999),
        (2013, 11, 12, 0, 0, 0, 0),
        (2013, 11, 12, 24, 0, 0, 0),  # hour 24: quarantined, the date repeats
        (2013, 2, 29, 1, 0, 0, 0),  # no such day
        (2013, 11, 12, 7, 8, 9, 10),
        (2012, 2, 29, 1, 2, 3, 4),
        (2012, 2, 29, 1, 2, 3, 5),
        (2013, 11, 13, 0, 0, 1, 0),
    ]
    lines = []
    for n, stamp in enumerate(stamps):
        lines += [pghp(*stamp, "2190067"), sentence(type1(mmsi=219_000_100 + n), 0)]
    text = "\n".join(lines)
    batch = decode(text)
    got = {r["mmsi"] - 219_000_100: r["ts"] for r in batch.positions.to_pylist()}
    assert got == {
        n: datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)
        for n, (y, mo, d, h, mi, s, ms) in enumerate(stamps)
        if n not in (2, 3)
    }
    assert reasons(batch) == ["malformed", "no_timestamp"] * 2
    assert _rows(decode(text, chunks=list(range(1, len(text), 7)))) == _rows(batch)


def test_pghp_with_bad_checksum_is_quarantined_and_dates_nothing() -> None:
    line = pghp(2013, 11, 12, 12, 0, 1, 500, "2190067")
    batch = decode(line[:-2] + "00\n" + sentence(type1(), 0))
    assert reasons(batch) == ["bad_checksum", "no_timestamp"]


def test_trailing_station_and_unix_time(ais_dir: Path) -> None:
    batch = decode((ais_dir / "odd-inputs/libais/typeexamples.nmea").read_bytes())
    libais = batch.positions.filter(pc.equal(batch.positions["line_no"], 1)).to_pylist()[0]
    assert libais["ts"] == datetime.fromtimestamp(1325394001, UTC)
    assert libais["receiver"] == "r003669946"
    gpsd_style = sentence(type1(), 0) + ",b003669794,1272412827"
    row = only_row(decode(gpsd_style).positions)
    assert (row["receiver"], row["ts"]) == ("b003669794", datetime.fromtimestamp(1272412827, UTC))


def test_receiver_from_tag_block_source(ais_dir: Path) -> None:
    batch = decode((ais_dir / "noaa-spire/test_data_20211101.nm4").read_bytes())
    assert batch.positions.num_rows > 500
    assert batch.positions.column("receiver")[0].as_py() == "42809"


def test_receivers_become_one_dictionary_entry_each() -> None:
    lines = [timed(type1(), receiver=r) for r in ("rx2", "rx1", "rx2", "rx3", "rx1")]
    lines.insert(2, tag(f"c:{T0}") + sentence(type1(), 0))
    receiver = decode("\n".join(lines)).positions.column("receiver").combine_chunks()
    assert receiver.to_pylist() == ["rx2", "rx1", None, "rx2", "rx3", "rx1"]
    assert receiver.dictionary.to_pylist() == ["rx2", "rx1", "rx3"]


def test_receivers_that_read_alike_after_utf8_repair_share_an_entry() -> None:
    rows = [tag(f"c:{T0},s:r") + sentence(type1(), 0) for _ in range(3)]
    data = "\n".join(rows).encode().replace(b"s:r", b"s:\xffr", 1).replace(b"s:r", b"s:\xfer", 1)
    receiver = decode(data).positions.column("receiver").combine_chunks()
    assert receiver.to_pylist() == ["\ufffdr", "\ufffdr", "r"]
    assert receiver.dictionary.to_pylist() == ["\ufffdr", "r"]


# ---------------------------------------------------------------- multipart


def type5_fragments(seq: str, chan: str) -> tuple[str, str]:
    payload, fill = armour(
        bits(
            (5, 6), (0, 2), (219_000_003, 30), (0, 2), (9_214_484, 30), (0, 42), (0, 120),
            (70, 8), (10, 9), (20, 9), (3, 6), (4, 6), (1, 4), (10, 4), (15, 5), (12, 5),
            (30, 6), (55, 8), (0, 120), (0, 1), (0, 1),
        )
    )  # fmt: skip
    return (
        sentence(payload[:40], 0, total=2, num=1, seq=seq, chan=chan),
        sentence(payload[40:], fill, total=2, num=2, seq=seq, chan=chan),
    )


def test_interleaved_multipart_groups_reassemble(ais_dir: Path) -> None:
    a1, a2 = type5_fragments("3", "A")
    b1, b2 = type5_fragments("3", "B")
    lines = [tag(f"c:{T0},s:rx9"), a1, timed(type1()), b1, a2, tag(f"c:{T0 + 5}") + b2]
    batch = decode("\n".join(lines))
    assert batch.quarantine.num_rows == 0
    statics = batch.statics.to_pylist()
    assert [(r["line_no"], r["imo"], r["receiver"]) for r in statics] == [
        (2, 9_214_484, "rx9"),
        (4, 9_214_484, None),
    ]
    assert statics[0]["ts"] == TS0 and statics[1]["ts"] == TS0 + timedelta(seconds=5)
    assert (statics[0]["ship_type"], statics[0]["draught_m"]) == (70, pytest.approx(5.5))
    assert statics[0]["eta"] == datetime(2020, 10, 15, 12, 30, tzinfo=UTC)
    real = decode((ais_dir / "odd-inputs/libais/tagblock.nmea").read_bytes())
    assert only_row(real.statics)["receiver"] == "rORBCOMM008"


def test_missing_fragment_is_quarantined_with_its_lines() -> None:
    first, second = type5_fragments("7", "A")
    batch = decode(timed(type1()) + "\n" + first + "\n" + timed(type1()))
    assert reasons(batch) == ["missing_fragment"]
    row = batch.quarantine.to_pylist()[0]
    assert (row["line_no"], row["raw"], row["detail"]) == (2, first, "received fragment(s) 1 of 2")
    orphan = decode(second)
    assert orphan.quarantine.column("detail").to_pylist() == ["received fragment(s) 2 of 2"]


def test_repeated_fragment_drops_the_incomplete_group() -> None:
    first, second = type5_fragments("1", "A")
    batch = decode("\n".join([tag(f"c:{T0}") + first, tag(f"c:{T0}") + first, second]))
    assert reasons(batch) == ["missing_fragment"]
    assert only_row(batch.statics)["line_no"] == 2


def test_multipart_rejects_carry_all_lines(ais_dir: Path) -> None:
    batch = decode((ais_dir / "odd-inputs/gfw-ais-tools/bad-type5.nmea").read_bytes())
    rejected = [r for r in batch.quarantine.to_pylist() if r["detail"].startswith("type 5")]
    assert len(rejected) == 3
    assert all(r["raw"].count("!A") == 2 for r in rejected)


# ---------------------------------------------------------------- chunking


def _rows(batch: DecodedBatch) -> tuple[list[dict[str, Any]], ...]:
    return (
        batch.positions.to_pylist(),
        batch.statics.to_pylist(),
        batch.quarantine.to_pylist(),
    )


@pytest.fixture(scope="module")
def mixed_bytes() -> bytes:
    ais = find_data_dir() / "ais"
    parts = [
        (ais / "odd-inputs/libais/tagblock.nmea").read_bytes(),
        (ais / "odd-inputs/gfw-ais-tools/ee-multiline.nmea").read_bytes(),
        (ais / "odd-inputs/gfw-ais-tools/bad-type5.nmea").read_bytes(),
        (ais / "odd-inputs/gfw-ais-tools/multi-part.nmea").read_bytes()[:2500],
        (ais / "dma/aislib_stream_example.txt").read_bytes()[:6000],
    ]
    return b"\n".join(parts) + b"!AIVDM,2,1,5,A,5815M202=g3QKL7;GO1=DpqV1HT=@u9V2222221@B`SF,0*0A"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=40))
def test_chunking_does_not_change_the_result(mixed_bytes: bytes, cuts: list[int]) -> None:
    whole = decode(mixed_bytes)
    chunked = decode(mixed_bytes, chunks=[c % (len(mixed_bytes) + 1) for c in cuts])
    assert _rows(chunked) == _rows(whole)
    assert chunked.type_counts == whole.type_counts


def test_byte_at_a_time_multipart_across_chunks() -> None:
    first, second = type5_fragments("2", "B")
    text = tag(f"c:{T0}") + first + "\n" + second
    one_byte = decode(text, chunks=list(range(1, len(text))))
    assert _rows(one_byte) == _rows(decode(text))
    assert one_byte.statics.num_rows == 1


class _Unbuffered:
    """A stream with only ``read`` (``read_nmea``'s fallback path)."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int) -> bytes:
        return self._stream.read(size)


def test_read_nmea_in_memory_buffered_or_not_gives_the_same_rows(mixed_bytes: bytes) -> None:
    ctx = ReadContext(FILE_ID, Path("test.nmea"), chunk_bytes=777)
    in_place = list(read_nmea(io.BytesIO(mixed_bytes), ctx))
    reused = list(read_nmea(io.BufferedReader(io.BytesIO(mixed_bytes)), ctx))  # type: ignore[arg-type]
    fresh = list(read_nmea(_Unbuffered(mixed_bytes), ctx))  # type: ignore[arg-type]
    assert len(in_place) == len(reused) == -(-len(mixed_bytes) // 777) + 1
    whole = _rows(decode(mixed_bytes))
    assert _rows(concat_batches(in_place)) == whole
    assert _rows(concat_batches(reused)) == whole
    assert _rows(concat_batches(fresh)) == whole


def test_read_nmea_reads_an_in_memory_stream_from_its_position_to_its_end() -> None:
    first = sentence(type1(mmsi=219_000_001), 0)
    second = timed(type1(mmsi=219_000_002))
    stream = io.BytesIO(f"{first}\n{second}\n".encode())
    stream.seek(len(first) + 1)
    batches = list(read_nmea(stream, ReadContext(FILE_ID, Path("test.nmea"), chunk_bytes=7)))
    assert only_row(concat_batches(batches).positions)["mmsi"] == 219_000_002
    assert stream.tell() == len(stream.getvalue())
    stream.write(b"more")  # the stream is usable again: no buffer export left behind


def test_read_nmea_through_sources(ais_dir: Path) -> None:
    path = ais_dir / "dma/219165000_ssc_1.ais"
    ctx = ReadContext(FILE_ID, path, chunk_bytes=1000)
    batches = list(read_file(path, ctx, fmt="auto"))
    assert len(batches) > 5
    combined = concat_batches(batches)
    assert _rows(combined) == _rows(decode(path.read_bytes()))
    assert combined.positions.num_rows > 50
