"""Reader of the Santa Barbara receiver's hourly export, ``AIS_SBARC_YYMMDD-HH.txt[.gz]``.

Lines are ``;``-separated, one decoded AIS message each, with no header. The first field is the
time of day ``HH:MM:SS:ms`` (UTC); the date comes from the file name (or ``ctx.assume_date`` when
the name carries none). A file holds one hour, but its first lines may belong to the hour before: a
time of day more than 12 h after the file's hour is taken from the previous day (a ``23:59`` line
in the ``00`` file), more than 12 h before it from the next.

Layouts by message type (0-based field index; the field count tells the layouts apart):

================ ====== =====================================================================
types 1, 2, 3    22, 23 ``time;name;shiptype;dist;bearing;type;repeat;mmsi;navstat;rot;sog;
                        posacc;lon;lat;cog;heading;utc_sec;...``
type 18          25     ``time;name;shiptype;dist;bearing;18;repeat;mmsi;reserved;sog;posacc;
                        lon;lat;cog;heading;...``
type 5           18     ``time;5;repeat;mmsi;aisver;imo;callsign;name;shiptype;A;B;C;D;epfd;
                        eta_packed;draught_x10;destination;dte``
type 24          14     ``time;24;repeat;mmsi;part;name;shiptype;vendor;callsign;A;B;C;D;spare``
================ ====== =====================================================================

The receiver does not escape ``;`` inside text fields, so a name, destination or vendor id holding
one adds a field: 19-field type 5 rows ("LONG BEACH; AVALON") are resolved by finding where the
eight numeric fields (ship type .. draught) sit; 15-field type 24 rows by reading the fixed fields
from the end. Any other layout is ``malformed``. Name and ship type in position rows are the
receiver's lookup, not part of the message, and are ignored. ETA is packed as
((month*32 + day)*32 + hour)*64 + minute (1596: not available).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

import polars as pl

from harborwatch.ais.batch import DecodedBatch, ReadContext
from harborwatch.ais.eta import ETA_NOT_AVAILABLE_PACKED, unpack_eta
from harborwatch.ais.readers import common
from harborwatch.ais.readers.common import Check, Decoded
from harborwatch.ais.reasons import RejectReason

SOURCE = "sbarc"
_FILE_NAME = re.compile(r"(\d{2})(\d{2})(\d{2})-(\d{2})")
_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US
_F = pl.col("_f")
_NF = pl.col("_nf")


def read(stream: BinaryIO, ctx: ReadContext) -> Iterator[DecodedBatch]:
    """Decode one hourly export into positions (types 1/2/3/18) and statics (types 5/24)."""
    start = file_start(ctx)
    statics_filter = common.StaticsChangeFilter()
    for lines in common.iter_lines_frames(stream, ctx.chunk_bytes):
        decoded = _decode(lines, start, ctx.path.name)
        yield common.finish_batch(
            decoded, source=SOURCE, file_id=ctx.file_id, statics_filter=statics_filter
        )


def file_start(ctx: ReadContext) -> datetime | None:
    """Start of the hour the file covers, from its name (``YYMMDD-HH``) or ``ctx.assume_date``."""
    match = _FILE_NAME.search(ctx.path.name)
    if match:
        yy, mm, dd, hh = (int(g) for g in match.groups())
        try:
            return datetime(2000 + yy, mm, dd, hh, tzinfo=UTC)
        except ValueError:
            return None
    if ctx.assume_date is not None:
        return datetime.combine(ctx.assume_date, datetime.min.time(), UTC)
    return None


def _field(index: pl.Expr | int) -> pl.Expr:
    """Field ``index`` of the split line (null past the end)."""
    return _F.list.get(index, null_on_oob=True)


def _kinds() -> dict[str, pl.Expr]:
    """Which layout each line has, from its field count and type field."""
    type_at_5 = _field(5)
    return {
        "pos": (_NF.is_in([22, 23]) & type_at_5.is_in(["1", "2", "3"]))
        | ((_NF == 25) & (type_at_5 == "18")),
        "t5": (_field(1) == "5") & _NF.is_in([18, 19]),
        "t24": (_field(1) == "24") & _NF.is_in([14, 15]),
        "is18": type_at_5 == "18",
    }


def _numeric_block_at(offset: int) -> pl.Expr:
    """Whether a type 5 row's eight numeric fields (ship type .. draught) start at ``offset``."""
    return pl.all_horizontal(
        [_field(offset + k).cast(pl.Int64, strict=False).is_not_null() for k in range(8)]
    )


def _type5_shift() -> pl.Expr:
    """Extra fields before a type 5 row's numeric block: 0, or 1 when the name holds a ``;``."""
    return (
        pl.when(_NF == 18)
        .then(0)
        .when(_numeric_block_at(8))
        .then(0)
        .when(_numeric_block_at(9))
        .then(1)
    )


def _strings() -> dict[str, pl.Expr]:
    """Each field's raw text, null where the row's layout lacks it (after :func:`_kinds`)."""
    pos, t5, t24, is18 = pl.col("_pos"), pl.col("_t5"), pl.col("_t24"), pl.col("_is18")
    shift = pl.col("_shift")
    part = _field(4)
    part1 = t24 & (part == "1")

    def pos_field(index_123: int) -> pl.Expr:
        return pl.when(pos).then(_field(pl.when(is18).then(index_123 - 1).otherwise(index_123)))

    def t5_field(index: int) -> pl.Expr:
        return pl.when(t5).then(_field(shift + index))

    return {
        "type": pl.when(pos)
        .then(_field(5))
        .when(t5)
        .then(pl.lit("5"))
        .when(t24)
        .then(pl.lit("24")),
        "mmsi": pl.when(pos).then(_field(7)).when(t5 | t24).then(_field(3)),
        "lon": pos_field(12),
        "lat": pos_field(13),
        "sog": pos_field(10),
        "cog": pos_field(14),
        "heading": pos_field(15),
        "navstat": pl.when(pos & ~is18).then(_field(8)),
        "imo": pl.when(t5).then(_field(5)),
        "callsign": pl.when(t5).then(_field(6)).when(part1).then(_field(_NF - 6)),
        "name": pl.when(t5)
        .then(_F.list.slice(7, shift + 1).list.join(";"))
        .when(t24 & (part == "0"))
        .then(_F.list.slice(5, _NF - 13).list.join(";")),
        "ship_type": t5_field(8).fill_null(pl.when(part1).then(_field(6))),
        "a": t5_field(9).fill_null(pl.when(part1).then(_field(_NF - 5))),
        "b": t5_field(10).fill_null(pl.when(part1).then(_field(_NF - 4))),
        "c": t5_field(11).fill_null(pl.when(part1).then(_field(_NF - 3))),
        "d": t5_field(12).fill_null(pl.when(part1).then(_field(_NF - 2))),
        "eta": t5_field(14),
        "draught": t5_field(15),
        "destination": pl.when(t5).then(_F.list.slice(shift + 16, _NF - shift - 17).list.join(";")),
        "part": pl.when(t24).then(part),
        "time": _field(0),
    }


_field_count = pl.col("raw").str.count_matches(";", literal=True) + 1
_INTS = ["type", "mmsi", "heading", "navstat", "imo", "ship_type", "a", "b", "c", "d", "eta"]
_INTS += ["draught", "part"]
_FLOATS = ["lon", "lat", "sog", "cog"]


def _time_of_day_us(raw: pl.Expr) -> pl.Expr:
    """Microseconds since midnight of ``HH:MM:SS:ms``; null when it is not a valid time."""
    time = raw.str.strip_chars().str.strptime(pl.Time, "%H:%M:%S:%3f", strict=False)
    return time.cast(pl.Int64) // 1000


def _timestamp(tod_us: pl.Expr, start: datetime | None) -> pl.Expr:
    """Report time from the time of day and the file's hour (see the module docstring)."""
    if start is None:
        return pl.lit(None, common.UTC_US)
    midnight = datetime(start.year, start.month, start.day, tzinfo=UTC)
    offset = tod_us - start.hour * _HOUR_US
    day_shift = pl.when(offset > 12 * _HOUR_US).then(-_DAY_US).when(offset < -12 * _HOUR_US)
    us = tod_us + day_shift.then(_DAY_US).otherwise(0)
    return pl.lit(midnight, common.UTC_US) + pl.duration(microseconds=us)


def _decode(lines: pl.DataFrame, start: datetime | None, name: str) -> Decoded:
    """Classify, split and parse one chunk of lines."""
    split = lines.with_columns(_f=pl.col("raw").str.split(";")).with_columns(
        _nf=_F.list.len().cast(pl.Int64)
    )
    split = split.with_columns(**{f"_{k}": v for k, v in _kinds().items()})
    split = split.with_columns(_shift=pl.when(pl.col("_t5")).then(_type5_shift()).cast(pl.Int64))
    strings = split.select(
        "line_no", "raw", "_shift", **{f"_{k}_s": v for k, v in _strings().items()}
    )
    return _parse(strings, start, name)


def _parse(strings: pl.DataFrame, start: datetime | None, name: str) -> Decoded:
    """Typed columns, checks, and the position and statics tables of one chunk."""
    typed = strings.with_columns(
        **{f"_{k}": common.number(pl.col(f"_{k}_s"), pl.Int64) for k in _INTS},
        **{f"_{k}": common.number(pl.col(f"_{k}_s")) for k in _FLOATS},
        _tod=_time_of_day_us(pl.col("_time_s")),
    ).with_columns(_ts=_timestamp(pl.col("_tod"), start))
    layout_bad = pl.col("_type_s").is_null() | (
        (pl.col("_type_s") == "5") & pl.col("_shift").is_null()
    )
    checks: list[Check] = [
        Check(
            RejectReason.MALFORMED,
            layout_bad,
            pl.format("layout: {} fields match no known message layout", _field_count),
        ),
        common.mmsi_check("mmsi", pl.col("_mmsi_s"), pl.col("_mmsi")),
        Check(
            RejectReason.NO_TIMESTAMP,
            pl.lit(start is None),
            pl.lit(f"file name {name!r} carries no date (AIS_SBARC_YYMMDD-HH)"),
        ),
        *common.ts_checks("time", pl.col("_time_s"), pl.col("_tod")),
        *[common.parse_check(k, pl.col(f"_{k}_s"), pl.col(f"_{k}")) for k in [*_FLOATS, *_INTS]],
        *common.range_checks("lon", pl.col("_lon"), "lat", pl.col("_lat")),
        Check(
            RejectReason.MALFORMED,
            ~pl.col("_part").is_in([0, 1]),
            pl.format("part: {} is not 0 or 1", pl.col("_part")),
        ),
    ]
    good, rejects = common.apply_checks(typed, checks)
    identity = [pl.col("_mmsi").alias("mmsi"), pl.col("_ts").alias("ts")]
    positions = good.filter(pl.col("_type").is_in([1, 2, 3, 18])).select(
        *identity,
        *common.position_columns(
            pl.col("_lon"), pl.col("_lat"), pl.col("_sog"), pl.col("_cog"), pl.col("_heading")
        ),
        common.within(pl.col("_navstat"), 0, 16).alias("nav_status"),
        pl.col("_type").alias("msg_type"),
        "line_no",
    )
    static_rows = good.filter(pl.col("_type").is_in([5, 24]))
    month, day, hour, minute = unpack_eta(
        static_rows["_eta"].fill_null(ETA_NOT_AVAILABLE_PACKED).to_numpy()
    )
    statics = static_rows.with_columns(
        ts=pl.col("_ts"),
        _eta_month=pl.Series(month),
        _eta_day=pl.Series(day),
        _eta_hour=pl.Series(hour),
        _eta_minute=pl.Series(minute),
    )
    eta = common.eta_column(
        statics,
        pl.col("_eta_month"),
        pl.col("_eta_day"),
        pl.col("_eta_hour"),
        pl.col("_eta_minute"),
    )
    statics = statics.with_columns(eta.alias("_eta_ts")).select(
        *identity,
        *common.static_columns(
            imo=pl.col("_imo"),
            callsign=common.text(pl.col("_callsign_s")),
            name=common.text(pl.col("_name_s")),
            ship_type=pl.col("_ship_type"),
            dims_m=(pl.col("_a"), pl.col("_b"), pl.col("_c"), pl.col("_d")),
            draught_m=pl.col("_draught") / 10.0,
            eta=pl.col("_eta_ts"),
            destination=common.text(pl.col("_destination_s")),
        ),
        pl.col("_type").alias("msg_type"),
        pl.col("_part").alias("_part"),
        "line_no",
    )
    return Decoded(positions, statics, rejects, common.type_counts(typed["_type"]))
