"""Machinery every provider reader shares, written once.

Each reader follows the same path:

1. :func:`iter_lines_frames` cuts the (decompressed) stream into pieces of whole lines of about
   ``ctx.chunk_bytes`` and turns each into a frame of ``line_no`` (1-based, counted across pieces)
   and ``raw`` (the line's text), so files larger than memory are read in bounded steps.
2. The reader splits ``raw`` into string fields (:func:`split_csv` for CSV files) and parses them
   into typed columns with vectorised casts (``strict=False``): a value that was present but came
   back null did not parse (:func:`number`, :func:`unparsed`).
3. :func:`apply_checks` gives each row the first :class:`Check` it fails (reason code and a detail
   naming the column and value) and splits the frame into good rows and rejects. Only the rejects,
   which are rare, are ever built row by row.
4. :func:`finish_batch` adds provenance (``source``, ``file_id``), keeps only statics that changed
   (:class:`StaticsChangeFilter`) and conforms the tables to :mod:`harborwatch.schemas`.

Not-available values of AIS (lon 181, lat 91, SOG 102.3, COG 360, heading 511) become nulls in
:func:`position_columns`; values outside a field's defined range (COG 396.9) are nulled the same way
because they carry no information. Lon/lat beyond ±180/±90 (other than 181/91) are rejected as
``out_of_range`` by :func:`range_checks`.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import polars as pl
import pyarrow as pa

from harborwatch import schemas
from harborwatch.ais.batch import DecodedBatch, ReadContext
from harborwatch.ais.eta import eta_timestamps
from harborwatch.ais.reasons import MAX_MMSI, RejectReason
from harborwatch.errors import InputError

NA_TOKENS = ("", "none", "nan", "null", "n/a")
"""Spellings (case-insensitive, trimmed) providers use for an absent numeric value."""
_NA_PATTERN = r"^\s*(?i:" + "|".join(re.escape(t) for t in NA_TOKENS if t) + r")?\s*$"

UTC_US = pl.Datetime("us", "UTC")

POSITION_TYPES = (1, 2, 3, 4, 18, 19, 27)
"""AIS message types that carry a position (4: base station report)."""

STATIC_TYPES = (5, 19, 24)
"""AIS message types that carry static and voyage data."""

STATIC_FIELDS = (
    "imo",
    "callsign",
    "name",
    "ship_type",
    "dim_bow_m",
    "dim_stern_m",
    "dim_port_m",
    "dim_starboard_m",
    "draught_m",
    "eta",
    "destination",
)
"""Columns of a statics row that describe the vessel (compared by :class:`StaticsChangeFilter`)."""

_STATIC_DTYPES: dict[str, pl.DataType] = {
    "mmsi": pl.Int64(),
    "vessel_key": pl.String(),
    "ts": UTC_US,
    "imo": pl.Int64(),
    "callsign": pl.String(),
    "name": pl.String(),
    "ship_type": pl.Int64(),
    "dim_bow_m": pl.Int64(),
    "dim_stern_m": pl.Int64(),
    "dim_port_m": pl.Int64(),
    "dim_starboard_m": pl.Int64(),
    "draught_m": pl.Float32(),  # as stored: 24 / 10 may differ in the last float64 bit
    "eta": UTC_US,
    "destination": pl.String(),
    "msg_type": pl.Int64(),
    "receiver": pl.String(),
    "line_no": pl.Int64(),
    "_part": pl.Int64(),
}
_STATICS_KEY = ["mmsi", "vessel_key", "msg_type", "_part"]
"""A vessel's statics are compared per message type (and type 24 part, which carry different
fields), so alternating type 24 part A / part B reports do not count as changes."""

_REJECT_COLUMNS = ["line_no", "raw", "reason", "detail"]
_MAX_IMO = (1 << 30) - 1
"""Largest value of the 30-bit IMO field of AIS type 5."""
_MAX_DIM_M = 511
"""Largest antenna distance AIS can send (bow/stern: 9 bits)."""

# --------------------------------------------------------------------------- reading lines


def read_header(stream: BinaryIO) -> str:
    """The first line of ``stream``, decoded, without byte-order mark or line end."""
    line = stream.readline()
    return line.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace").rstrip("\r\n")


def iter_line_chunks(
    stream: BinaryIO, chunk_bytes: int, first_line_no: int = 1
) -> Iterator[tuple[int, bytes]]:
    """Pieces of whole lines of about ``chunk_bytes`` each, with the number of their first line.

    A piece ends at the last line end of what was read; the partial line after it starts the next
    piece, so no line is ever split and memory stays bounded by the chunk size (plus one line).
    """
    line_no = first_line_no
    rest = b""
    while True:
        block = stream.read(max(chunk_bytes, 1))
        if not block:
            break
        data = rest + block if rest else block
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        piece, rest = data[: cut + 1], data[cut + 1 :]
        yield line_no, piece
        line_no += piece.count(b"\n")
    if rest:
        yield line_no, rest


def lines_frame(first_line_no: int, data: bytes) -> pl.DataFrame:
    """Frame of ``line_no`` and ``raw`` (text without line end) of a piece; blank lines dropped."""
    text = data.decode("utf-8", "replace")
    raw = pl.Series("raw", [text]).str.split("\n").explode()
    if text.endswith("\n"):
        raw = raw.head(len(raw) - 1)
    frame = pl.DataFrame({"raw": raw}).with_columns(
        line_no=pl.int_range(pl.len(), dtype=pl.Int64) + first_line_no,
        raw=pl.col("raw").str.strip_suffix("\r"),
    )
    return frame.filter(pl.col("raw").str.strip_chars() != "").select("line_no", "raw")


def iter_lines_frames(
    stream: BinaryIO, chunk_bytes: int, first_line_no: int = 1
) -> Iterator[pl.DataFrame]:
    """:func:`lines_frame` of every piece of :func:`iter_line_chunks`."""
    for line_no, piece in iter_line_chunks(stream, chunk_bytes, first_line_no):
        yield lines_frame(line_no, piece)


# --------------------------------------------------------------------------- CSV fields


def header_names(header: str, sep: str = ",") -> list[str]:
    """Column names of a CSV header line (quotes removed, duplicates numbered)."""
    names = next(csv.reader([header], delimiter=sep)) if header else []
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


def require_columns(names: Sequence[str], required: Sequence[str], fmt: str) -> None:
    """Raise :class:`InputError` naming the columns a ``fmt`` file's header lacks."""
    missing = [name for name in required if name not in names]
    if missing:
        raise InputError(
            f"not a {fmt} file: header lacks column(s) {', '.join(missing)} "
            f"(header has {', '.join(names[:12])}{', ...' if len(names) > 12 else ''}); "
            "pass the right --format, or --format csv with --columns"
        )


def field_count(raw: pl.Expr, sep: str) -> pl.Expr:
    """Number of ``sep``-separated fields of each line, separators inside quotes not counted."""
    unquoted = raw.str.replace_all('"[^"]*"', "")
    return unquoted.str.count_matches(sep, literal=True) + 1


def split_csv(
    lines: pl.DataFrame, names: Sequence[str], sep: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split CSV lines into string columns ``names``; lines with another field count are rejects.

    Returns the fields frame (``line_no``, ``raw`` and one string column per name) and the
    ``malformed`` rejects. Assumes no quoted field spans lines (true of every supported provider).
    """
    counted = lines.with_columns(_nf=field_count(pl.col("raw"), sep))
    bad = counted.filter(pl.col("_nf") != len(names))
    rejects = bad.select(
        "line_no",
        "raw",
        reason=pl.lit(str(RejectReason.MALFORMED)),
        detail=pl.format("expected {} fields, found {}", pl.lit(len(names)), pl.col("_nf")),
    )
    good = counted.filter(pl.col("_nf") == len(names)).drop("_nf")
    if good.height == 0:
        empty = pl.DataFrame(schema={name: pl.String for name in names})
        return pl.concat([good, empty], how="horizontal"), rejects
    body = "\n".join(good["raw"].to_list()).encode()
    fields = pl.read_csv(
        io.BytesIO(body),
        has_header=False,
        new_columns=list(names),
        separator=sep,
        infer_schema=False,
        quote_char='"',
    )
    if fields.height != good.height:  # a stray quote made the parser join lines: parse per line
        rows = [next(csv.reader([line], delimiter=sep)) for line in good["raw"].to_list()]
        fields = pl.DataFrame(rows, schema=list(names), orient="row")
    return pl.concat([good, fields], how="horizontal"), rejects


def column(fields: pl.DataFrame, name: str) -> pl.Expr:
    """The string column ``name`` if the frame has it, else a null string (optional columns)."""
    return pl.col(name) if name in fields.columns else pl.lit(None, dtype=pl.String)


# --------------------------------------------------------------------------- parsing values


def present(raw: pl.Expr) -> pl.Expr:
    """Whether a raw string holds a value (not null, not blank, not a not-available spelling)."""
    return raw.is_not_null() & ~raw.str.contains(_NA_PATTERN).fill_null(True)


def number(raw: pl.Expr, dtype: pl.DataType | type[pl.DataType] = pl.Float64) -> pl.Expr:
    """Parse a raw string as a number; null when absent or unparsable (see :func:`unparsed`).

    Integers may carry a zero fraction ("95.0" reads as 95: MarineCadastre writes them so);
    "95.5" is not an integer and gives null. NaN spellings give null.
    """
    value = raw.str.strip_chars()
    if dtype == pl.Float64:
        return value.cast(pl.Float64, strict=False).fill_nan(None)
    return value.str.replace(r"\.0*$", "").cast(dtype, strict=False)


def text(raw: pl.Expr) -> pl.Expr:
    """Trimmed text with AIS ``@`` padding removed; null when blank."""
    value = raw.str.strip_chars().str.strip_chars_end("@ ").str.strip_chars()
    return pl.when(value != "").then(value)


def unparsed(raw: pl.Expr, parsed: pl.Expr) -> pl.Expr:
    """Rows where ``raw`` held a value but ``parsed`` came back null."""
    return present(raw) & parsed.is_null()


def strptime_utc(raw: pl.Expr, formats: Sequence[str]) -> pl.Expr:
    """Parse times written in any of ``formats`` (read as UTC) to UTC microseconds."""
    value = raw.str.strip_chars()
    parsed = [value.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in formats]
    return pl.coalesce(parsed).dt.replace_time_zone("UTC")


def parse_iso_utc(raw: pl.Expr) -> pl.Expr:
    """Parse ISO 8601 times with or without zone (naive = UTC; ``T`` or space) to UTC µs."""
    value = raw.str.strip_chars().str.replace(r"^(\d{4}-\d\d-\d\d) ", "${1}T")
    naive = value.str.strptime(UTC_US, "%Y-%m-%dT%H:%M:%S%.f", strict=False)
    zoned = value.str.strptime(UTC_US, "%Y-%m-%dT%H:%M:%S%.f%#z", strict=False)
    minutes = value.str.strptime(UTC_US, "%Y-%m-%dT%H:%M", strict=False)
    return pl.coalesce(naive, zoned, minutes)


def not_available(value: pl.Expr, na: float) -> pl.Expr:
    """``value`` with AIS's not-available code ``na`` (lon 181, lat 91, ...) made null."""
    return pl.when((value - na).abs() > 1e-6).then(value)


def within(value: pl.Expr, low: float, high: float) -> pl.Expr:
    """``value`` where ``low <= value < high``, else null (undefined codes carry no information)."""
    return pl.when((value >= low) & (value < high)).then(value)


def position_columns(
    lon: pl.Expr, lat: pl.Expr, sog_knots: pl.Expr, cog_deg: pl.Expr, heading_deg: pl.Expr
) -> list[pl.Expr]:
    """Position columns from parsed values, not-available and undefined values nulled.

    SOG 102.3 means "102.2 kn or more / not available" and is nulled; COG 360 and heading 511 are
    not available; COG above 360 and heading 360-510 are undefined codes and are nulled too.
    """
    return [
        not_available(lon, 181.0).alias("lon"),
        not_available(lat, 91.0).alias("lat"),
        within(sog_knots, 0.0, 102.25).alias("sog_knots"),
        within(cog_deg, 0.0, 360.0).alias("cog_deg"),
        within(heading_deg, 0, 360).alias("heading_deg"),
    ]


def static_columns(
    *,
    imo: pl.Expr | None = None,
    callsign: pl.Expr | None = None,
    name: pl.Expr | None = None,
    ship_type: pl.Expr | None = None,
    dims_m: tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr] | None = None,
    draught_m: pl.Expr | None = None,
    eta: pl.Expr | None = None,
    destination: pl.Expr | None = None,
) -> list[pl.Expr]:
    """Statics columns from parsed values, "not available" codes made null.

    IMO 0, ship type 0 (or outside 1-99), draught 0 and dimensions all 0 mean "not available".
    Values the AIS fields cannot hold (IMO of 2^30 or more, a dimension over 511 m) are nulled as
    well, so that the narrow schema types (int32, int16) always fit.
    """
    null_int = pl.lit(None, dtype=pl.Int64)
    dims = dims_m or (null_int, null_int, null_int, null_int)
    all_zero = pl.all_horizontal([d.fill_null(0) == 0 for d in dims])
    dim_names = ("dim_bow_m", "dim_stern_m", "dim_port_m", "dim_starboard_m")
    return [
        within(imo, 1, _MAX_IMO + 1).alias("imo") if imo is not None else null_int.alias("imo"),
        (callsign if callsign is not None else pl.lit(None, pl.String)).alias("callsign"),
        (name if name is not None else pl.lit(None, pl.String)).alias("name"),
        within(ship_type, 1, 100).alias("ship_type")
        if ship_type is not None
        else null_int.alias("ship_type"),
        *[
            pl.when(~all_zero).then(within(d, 0, _MAX_DIM_M + 1)).alias(n)
            for d, n in zip(dims, dim_names, strict=True)
        ],
        pl.when(draught_m > 0).then(draught_m).alias("draught_m")
        if draught_m is not None
        else pl.lit(None, pl.Float64).alias("draught_m"),
        (eta if eta is not None else pl.lit(None, UTC_US)).alias("eta"),
        (destination if destination is not None else pl.lit(None, pl.String)).alias("destination"),
    ]


# --------------------------------------------------------------------------- checks and rejects


@dataclass(frozen=True)
class Check:
    """A reject rule: rows where ``failed`` holds are quarantined with ``reason``, ``detail``."""

    reason: RejectReason
    failed: pl.Expr
    detail: pl.Expr


def _quoted(value: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit("'"), value.fill_null(""), pl.lit("'")])


def parse_check(label: str, raw: pl.Expr, parsed: pl.Expr) -> Check:
    """``malformed`` when column ``label`` held a value that did not parse."""
    detail = pl.concat_str([pl.lit(f"{label}: cannot parse "), _quoted(raw)])
    return Check(RejectReason.MALFORMED, unparsed(raw, parsed), detail)


def mmsi_check(label: str, raw: pl.Expr, parsed: pl.Expr) -> Check:
    """``bad_mmsi`` when the MMSI is missing, not a whole number, 0 or above 999,999,999."""
    bad = parsed.is_null() | (parsed <= 0) | (parsed > MAX_MMSI)
    detail = pl.concat_str([pl.lit(f"{label}: "), _quoted(raw), pl.lit(f" is not 1..{MAX_MMSI}")])
    return Check(RejectReason.BAD_MMSI, bad, detail)


def ts_checks(label: str, raw: pl.Expr, parsed: pl.Expr) -> list[Check]:
    """``no_timestamp`` when the time is missing, ``malformed`` when it does not parse."""
    missing = Check(RejectReason.NO_TIMESTAMP, ~present(raw), pl.lit(f"{label}: no time given"))
    return [missing, parse_check(label, raw, parsed)]


def range_checks(lon_label: str, lon: pl.Expr, lat_label: str, lat: pl.Expr) -> list[Check]:
    """``out_of_range`` for lon/lat beyond ±180/±90 other than the not-available 181/91."""

    def outside(value: pl.Expr, limit: float, na: float) -> pl.Expr:
        return (value.abs() > limit) & ((value - na).abs() > 1e-6)

    def detail(label: str, value: pl.Expr, limit: int) -> pl.Expr:
        return pl.concat_str(
            [pl.lit(f"{label}: "), value.cast(pl.String), pl.lit(f" is outside ±{limit}")]
        )

    return [
        Check(RejectReason.OUT_OF_RANGE, outside(lon, 180.0, 181.0), detail(lon_label, lon, 180)),
        Check(RejectReason.OUT_OF_RANGE, outside(lat, 90.0, 91.0), detail(lat_label, lat, 90)),
    ]


def apply_checks(frame: pl.DataFrame, checks: Sequence[Check]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` into rows passing every check and rejects (first failing check wins).

    The rejects frame has ``line_no``, ``raw``, ``reason`` and ``detail``.
    """
    if not checks or frame.height == 0:
        return frame, empty_rejects()
    first = pl.coalesce(
        [pl.when(c.failed.fill_null(False)).then(pl.lit(i)) for i, c in enumerate(checks)]
    )
    marked = frame.with_columns(_check=first)
    good = marked.filter(pl.col("_check").is_null()).drop("_check")
    failing = marked.filter(pl.col("_check").is_not_null())
    index = pl.col("_check")
    reasons = {i: str(c.reason) for i, c in enumerate(checks)}
    rejects = failing.select(
        "line_no",
        "raw",
        reason=index.replace_strict(reasons, return_dtype=pl.String),
        detail=pl.coalesce(
            [pl.when(index == i).then(c.detail.fill_null("")) for i, c in enumerate(checks)]
        ),
    )
    return good, rejects


def empty_rejects() -> pl.DataFrame:
    """A rejects frame with no rows."""
    return pl.DataFrame(
        schema={"line_no": pl.Int64, "raw": pl.String, "reason": pl.String, "detail": pl.String}
    )


def reject_rows(frame: pl.DataFrame, reason: RejectReason, detail: pl.Expr) -> pl.DataFrame:
    """Every row of ``frame`` as a reject with ``reason`` and ``detail``."""
    return frame.select("line_no", "raw", reason=pl.lit(str(reason)), detail=detail)


# --------------------------------------------------------------------------- statics filter


class StaticsChangeFilter:
    """Keeps a statics row only when a static field differs from the vessel's previous report.

    Providers repeat a vessel's static data on every row (DMA, MarineCadastre) or every few minutes
    (type 5): keeping each copy would store millions of identical rows. A row is kept when any of
    :data:`STATIC_FIELDS` differs from the previous row of the same vessel, message type and type
    24 part, in file order. The last row per vessel is carried from chunk to chunk, so the result
    does not depend on the chunk size; memory grows with the number of vessels, not rows. Rows with
    no static field at all are dropped.
    """

    def __init__(self) -> None:
        self._last: pl.DataFrame | None = None

    def __call__(self, statics: pl.DataFrame) -> pl.DataFrame:
        rows = statics.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in STATIC_FIELDS]))
        compare = rows.select(*_STATICS_KEY, *STATIC_FIELDS).with_columns(
            _row=pl.int_range(pl.len(), dtype=pl.Int64)
        )
        if self._last is not None:
            compare = pl.concat([self._last.with_columns(_row=pl.lit(-1, pl.Int64)), compare])
        ordered = compare.sort([*_STATICS_KEY, "_row"], maintain_order=True)
        same_vessel = pl.all_horizontal(
            [pl.col(k).eq_missing(pl.col(k).shift(1)) for k in _STATICS_KEY]
        )
        last_of_vessel = ~pl.all_horizontal(
            [pl.col(k).eq_missing(pl.col(k).shift(-1)) for k in _STATICS_KEY]
        )
        changed = pl.any_horizontal(
            [pl.col(c).ne_missing(pl.col(c).shift(1)) for c in STATIC_FIELDS]
        )
        keep = ordered.filter((~same_vessel | changed) & (pl.col("_row") >= 0))["_row"]
        self._last = ordered.filter(last_of_vessel).drop("_row")
        index = pl.int_range(pl.len(), dtype=pl.Int64)
        return rows.filter(index.is_in(keep.implode()))


# --------------------------------------------------------------------------- batches


@dataclass
class Decoded:
    """What a reader's per-chunk decode step produces, before provenance and conforming."""

    positions: pl.DataFrame
    statics: pl.DataFrame | None
    rejects: pl.DataFrame
    type_counts: Counter[int] = field(default_factory=Counter)


def type_counts(msg_types: pl.Series) -> Counter[int]:
    """Messages per AIS message type (nulls not counted)."""
    counts = msg_types.drop_nulls().value_counts()
    return Counter({int(t): int(n) for t, n in counts.iter_rows()})


def _with_statics_dtypes(statics: pl.DataFrame | None) -> pl.DataFrame:
    """``statics`` with every filter column present and typed alike in every chunk."""
    if statics is None or not statics.columns:
        return pl.DataFrame(schema=_STATIC_DTYPES)
    missing = [
        pl.lit(None, dtype).alias(name)
        for name, dtype in _STATIC_DTYPES.items()
        if name not in statics.columns
    ]
    typed = statics.with_columns(missing).with_columns(
        [pl.col(name).cast(dtype) for name, dtype in _STATIC_DTYPES.items()]
    )
    extra = [c for c in statics.columns if c not in _STATIC_DTYPES]
    return typed.select(*_STATIC_DTYPES, *extra)


def _to_arrow(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """``frame`` conformed to ``schema``; extra string columns as plain ``string``."""
    table = frame.to_arrow()
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if name not in schema.names and (
            pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type)
        ):
            col = col.cast(pa.string())
        columns.append(col)
    return schemas.conform(pa.Table.from_arrays(columns, names=table.column_names), schema)


def finish_batch(
    decoded: Decoded, *, source: str, file_id: str, statics_filter: StaticsChangeFilter
) -> DecodedBatch:
    """Add provenance, keep changed statics, and conform all three tables to their schemas."""
    provenance = [pl.lit(source).alias("source"), pl.lit(file_id).alias("file_id")]
    positions = decoded.positions.with_columns(provenance)
    statics = statics_filter(_with_statics_dtypes(decoded.statics))
    statics = statics.drop([c for c in statics.columns if c.startswith("_")])
    statics = statics.with_columns(provenance)
    rejects = decoded.rejects.select(_REJECT_COLUMNS).with_columns(file_id=pl.lit(file_id))
    return DecodedBatch(
        _to_arrow(positions, schemas.POSITIONS),
        _to_arrow(statics, schemas.STATICS),
        _to_arrow(rejects.sort("line_no"), schemas.QUARANTINE),
        decoded.type_counts,
    )


def concat_rejects(*frames: pl.DataFrame) -> pl.DataFrame:
    """All rejects frames stacked (each with ``line_no``, ``raw``, ``reason``, ``detail``)."""
    return pl.concat([f.select(_REJECT_COLUMNS) for f in frames if f.height] or [empty_rejects()])


ChunkDecoder = Callable[[pl.DataFrame, ReadContext], Decoded]
"""A reader's decode step: the string fields of one chunk (plus ``line_no``, ``raw``) in, tables
out."""


def read_csv_batches(
    stream: BinaryIO,
    ctx: ReadContext,
    *,
    source: str,
    decode: ChunkDecoder,
    required: Sequence[str],
    sep: str = ",",
    lower_names: bool = True,
) -> Iterator[DecodedBatch]:
    """Read a headed CSV file chunk by chunk and ``decode`` each chunk's fields.

    Column names are trimmed (and lower-cased unless ``lower_names`` is false: providers vary the
    case of their headers). The header is line 1; data line numbers continue across chunks.
    """
    header = read_header(stream)
    if not header.strip():
        return
    names = [n.strip() for n in header_names(header, sep)]
    if lower_names:
        names = [n.lower() for n in names]
    require_columns(names, required, source)
    statics_filter = StaticsChangeFilter()
    for lines in iter_lines_frames(stream, ctx.chunk_bytes, first_line_no=2):
        fields, bad_counts = split_csv(lines, names, sep)
        decoded = decode(fields, ctx)
        decoded.rejects = concat_rejects(bad_counts, decoded.rejects)
        yield finish_batch(
            decoded, source=source, file_id=ctx.file_id, statics_filter=statics_filter
        )


def eta_column(
    frame: pl.DataFrame, month: pl.Expr, day: pl.Expr, hour: pl.Expr, minute: pl.Expr
) -> pl.Series:
    """ETA timestamps of AIS's year-less ETA parts, the year inferred from each row's ``ts``.

    Missing parts count as "not available" (month 0, hour 24, minute 60): see
    :func:`harborwatch.ais.eta.eta_timestamps`.
    """
    parts = frame.select(
        month=month.fill_null(0),
        day=day.fill_null(0),
        hour=hour.fill_null(24),
        minute=minute.fill_null(60),
        report_us=pl.col("ts").dt.epoch("us").fill_null(0),
    )
    etas = eta_timestamps(
        parts["month"].to_numpy(),
        parts["day"].to_numpy(),
        parts["hour"].to_numpy(),
        parts["minute"].to_numpy(),
        parts["report_us"].to_numpy(),
    )
    series = pl.from_arrow(etas)
    assert isinstance(series, pl.Series)
    return series.alias("eta")
