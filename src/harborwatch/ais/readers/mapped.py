"""Reader of any other CSV, with the columns named by ``--columns`` (format ``csv``).

``ctx.columns`` maps harborwatch field names to the file's column names, e.g.
``mmsi=MMSI,ts=BaseDateTime,lon=LON,lat=LAT``. Required: ``ts``, ``lon``, ``lat`` and one of
``mmsi`` / ``vessel_key``; optional: ``sog_knots``, ``cog_deg``, ``heading_deg``, ``nav_status``,
``msg_type``, ``name``, ``callsign``, ``imo``, ``ship_type``, ``destination``, ``draught_m``.
Column names match case-insensitively. The separator (``,``, ``;`` or tab) is sniffed from the
header. ``ts`` is ISO 8601 (with or without zone; naive means UTC) or unix time: seconds, or
milliseconds when the number is 1e11 or more (1e11 s is the year 5138). Values are taken in the
field's unit (knots, degrees, metres); not-available AIS codes become null as for every reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import polars as pl

from harborwatch.ais.batch import DecodedBatch, ReadContext
from harborwatch.ais.readers import common, labels
from harborwatch.ais.readers.common import Check, Decoded
from harborwatch.ais.reasons import RejectReason
from harborwatch.errors import InputError

SOURCE = "csv"
FIELDS = (
    "mmsi",
    "vessel_key",
    "ts",
    "lon",
    "lat",
    "sog_knots",
    "cog_deg",
    "heading_deg",
    "nav_status",
    "msg_type",
    "name",
    "callsign",
    "imo",
    "ship_type",
    "destination",
    "draught_m",
)
"""harborwatch fields ``--columns`` may map."""

EXAMPLE_COLUMNS = "mmsi=MMSI,ts=BaseDateTime,lon=LON,lat=LAT,sog_knots=SOG"
_UNIX_MS_FROM = 1e11


def read(stream: BinaryIO, ctx: ReadContext) -> Iterator[DecodedBatch]:
    """Decode a CSV through the ``ctx.columns`` mapping into positions and statics.

    Raises :class:`InputError` when the mapping lacks a required field, names an unknown field, or
    names a column the header does not have.
    """
    mapping = check_mapping(ctx.columns)
    header = common.read_header(stream)
    sep = sniff_separator(header)
    names = [n.strip().lower() for n in common.header_names(header, sep)]
    for field, column in mapping.items():
        if column not in names:
            raise InputError(
                f"--columns maps {field} to column {column!r}, which the header lacks "
                f"(columns: {', '.join(names)})"
            )
    statics_filter = common.StaticsChangeFilter()
    for lines in common.iter_lines_frames(stream, ctx.chunk_bytes, first_line_no=2):
        fields, bad_counts = common.split_csv(lines, names, sep)
        decoded = _decode(fields.with_columns(pl.col(v).alias(f"@{k}") for k, v in mapping.items()))
        decoded.rejects = common.concat_rejects(bad_counts, decoded.rejects)
        yield common.finish_batch(
            decoded, source=SOURCE, file_id=ctx.file_id, statics_filter=statics_filter
        )


def check_mapping(columns: dict[str, str]) -> dict[str, str]:
    """The ``--columns`` mapping, column names lower-cased; :class:`InputError` if unusable."""
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise InputError(
            f"--columns names unknown field(s) {', '.join(unknown)}; "
            f"fields are {', '.join(FIELDS)} (e.g. --columns {EXAMPLE_COLUMNS})"
        )
    missing = [f for f in ("ts", "lon", "lat") if f not in columns]
    if "mmsi" not in columns and "vessel_key" not in columns:
        missing.append("mmsi (or vessel_key)")
    if missing:
        raise InputError(
            f"--columns lacks {', '.join(missing)}: map each to the file's column, "
            f"e.g. --columns {EXAMPLE_COLUMNS}"
        )
    return {field: column.strip().lower() for field, column in columns.items()}


def sniff_separator(header: str) -> str:
    """The separator of a header line: whichever of ``,``, ``;``, tab occurs most outside quotes."""
    unquoted = "".join(header.split('"')[::2])
    counts = {sep: unquoted.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def parse_time(raw: pl.Expr) -> pl.Expr:
    """UTC time from ISO 8601 text or unix seconds / milliseconds."""
    unix = common.number(raw)
    unix_us = pl.when(unix.abs() >= _UNIX_MS_FROM).then(unix * 1e3).otherwise(unix * 1e6)
    from_unix = unix_us.round(0).cast(pl.Int64, strict=False).cast(common.UTC_US)
    return pl.coalesce(from_unix, common.parse_iso_utc(raw))


def _decode(fields: pl.DataFrame) -> Decoded:
    """Parse one chunk's mapped fields (columns ``@field``) into positions, statics, rejects."""

    def raw(field: str) -> pl.Expr:
        return common.column(fields, f"@{field}")

    imo_raw = raw("imo").str.strip_chars().str.strip_prefix("IMO")
    ship_type_code = common.number(raw("ship_type"), pl.Int64)
    ship_type = pl.coalesce(
        ship_type_code, labels.label_code(raw("ship_type"), labels.SHIP_TYPE_CODES)
    )
    numbers = {
        "lon": common.number(raw("lon")),
        "lat": common.number(raw("lat")),
        "sog_knots": common.number(raw("sog_knots")),
        "cog_deg": common.number(raw("cog_deg")),
        "heading_deg": common.number(raw("heading_deg"), pl.Int64),
        "nav_status": common.number(raw("nav_status"), pl.Int64),
        "msg_type": common.number(raw("msg_type"), pl.Int64),
        "draught_m": common.number(raw("draught_m")),
    }
    parsed = fields.with_columns(
        _mmsi=common.number(raw("mmsi"), pl.Int64),
        _key=common.text(raw("vessel_key")),
        _ts=parse_time(raw("ts")),
        _imo=common.number(imo_raw, pl.Int64),
        _imo_raw=imo_raw,
        _ship_type=ship_type,
        _ship_type_raw=raw("ship_type"),
        **{f"_{k}": v for k, v in numbers.items()},
        **{f"_{k}_raw": raw(k) for k in numbers},
    )
    has_mmsi = "@mmsi" in fields.columns
    has_key = "@vessel_key" in fields.columns
    mmsi_needed = common.present(raw("mmsi")) | pl.lit(not has_key)
    checks: list[Check] = []
    if has_mmsi:
        check = common.mmsi_check("mmsi", raw("mmsi"), pl.col("_mmsi"))
        checks.append(Check(check.reason, mmsi_needed & check.failed, check.detail))
    if has_key:
        no_id = pl.col("_key").is_null() & pl.col("_mmsi").is_null()
        checks.append(Check(RejectReason.MALFORMED, no_id, pl.lit("vessel_key: no vessel id")))
    checks += [
        *common.ts_checks("ts", raw("ts"), pl.col("_ts")),
        *[common.parse_check(k, pl.col(f"_{k}_raw"), pl.col(f"_{k}")) for k in numbers],
        common.parse_check("imo", pl.col("_imo_raw"), pl.col("_imo")),
        common.parse_check("ship_type", pl.col("_ship_type_raw"), pl.col("_ship_type")),
        *common.range_checks("lon", pl.col("_lon"), "lat", pl.col("_lat")),
    ]
    good, rejects = common.apply_checks(parsed, checks)
    identity = [
        pl.col("_mmsi").alias("mmsi"),
        pl.when(pl.col("_mmsi").is_null()).then(pl.col("_key")).alias("vessel_key"),
        pl.col("_ts").alias("ts"),
    ]
    positions = good.select(
        *identity,
        *common.position_columns(
            pl.col("_lon"),
            pl.col("_lat"),
            pl.col("_sog_knots"),
            pl.col("_cog_deg"),
            pl.col("_heading_deg"),
        ),
        common.within(pl.col("_nav_status"), 0, 16).alias("nav_status"),
        common.within(pl.col("_msg_type"), 1, 28).alias("msg_type"),
        "line_no",
    )
    statics = good.select(
        *identity,
        *common.static_columns(
            imo=pl.col("_imo"),
            callsign=common.text(raw("callsign")),
            name=common.text(raw("name")),
            ship_type=pl.col("_ship_type"),
            draught_m=pl.col("_draught_m"),
            destination=common.text(raw("destination")),
        ),
        common.within(pl.col("_msg_type"), 1, 28).alias("msg_type"),
        "line_no",
    )
    return Decoded(positions, statics, rejects)
