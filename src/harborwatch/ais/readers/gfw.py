"""Reader of Global Fishing Watch JSON lines (``regr_MMSI.json.gz`` segmenter test data).

One message per line: ``type`` (``"AIS.1"`` .. ``"AIS.27"``), ``ssvid`` (the MMSI), ``timestamp``
(ISO 8601), ``lon``, ``lat``, ``speed`` (kn), ``course``, ``heading``, ``status`` (navigational
status), ``shipname``, ``callsign``, ``destination``, ``imo``, ``shiptype`` (ITU description, e.g.
"Cargo, Hazardous category A", mapped back to the code), ``receiver_type``, ``receiver`` and
``expected`` (the segment id GFW's segmenter should give). Missing numbers are written ``NaN``,
which is not JSON: it is read as null.

Position types (1/2/3/4/18/19/27) give positions, with ``expected`` and ``receiver_type`` kept as
extra columns; type 5/19/24 rows with a name, call sign, destination, IMO or ship type give
statics. ``length``/``width`` do not say where the antenna sits and are not stored. Other types
are counted and quarantined as ``unsupported_type``. Every value is read as text first, so a bad
value is found and quarantined like in the CSV readers.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import BinaryIO

import polars as pl

from harborwatch.ais.batch import DecodedBatch, ReadContext
from harborwatch.ais.readers import common, labels
from harborwatch.ais.readers.common import POSITION_TYPES, STATIC_TYPES, Check, Decoded
from harborwatch.ais.reasons import RejectReason

SOURCE = "gfw"
_FIELDS = [
    "type",
    "ssvid",
    "timestamp",
    "lon",
    "lat",
    "speed",
    "course",
    "heading",
    "status",
    "shipname",
    "callsign",
    "destination",
    "imo",
    "shiptype",
    "receiver_type",
    "receiver",
    "expected",
]
_SCHEMA = dict.fromkeys(_FIELDS, pl.String)
_NAN = r"(:\s*)-?NaN(\s*[,}\]])"


def read(stream: BinaryIO, ctx: ReadContext) -> Iterator[DecodedBatch]:
    """Decode GFW JSON lines into positions and statics."""
    statics_filter = common.StaticsChangeFilter()
    for lines in common.iter_lines_frames(stream, ctx.chunk_bytes):
        fields, bad_json = _parse_json(lines)
        decoded = _decode(fields)
        decoded.rejects = common.concat_rejects(bad_json, decoded.rejects)
        yield common.finish_batch(
            decoded, source=SOURCE, file_id=ctx.file_id, statics_filter=statics_filter
        )


def _parse_json(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every field of each line as text, and the lines that are not JSON objects (rejects).

    The whole chunk is parsed at once; only when that fails are lines checked one by one to find
    the bad ones, and the rest parsed again.
    """
    json_text = pl.col("raw").str.replace_all(_NAN, "${1}null${2}")
    body = lines.select(json_text)["raw"]
    try:
        fields = _read_ndjson(body)
    except pl.exceptions.PolarsError:
        fields = None
    if fields is not None and fields.height == lines.height:
        return pl.concat([lines, fields], how="horizontal"), common.empty_rejects()
    ok = [_is_json_object(text) for text in body.to_list()]
    good = lines.filter(pl.Series(ok))
    bad = common.reject_rows(
        lines.filter(~pl.Series(ok)), RejectReason.MALFORMED, pl.lit("line: not a JSON object")
    )
    good_body = body.filter(pl.Series(ok))
    try:
        fields = _read_ndjson(good_body)
    except pl.exceptions.PolarsError:  # valid JSON polars still refuses: convert in Python
        rows = [json.loads(text) for text in good_body.to_list()]
        fields = pl.DataFrame(
            [{k: None if row.get(k) is None else str(row[k]) for k in _FIELDS} for row in rows],
            schema=_SCHEMA,
        )
    return pl.concat([good, fields], how="horizontal"), bad


def _read_ndjson(body: pl.Series) -> pl.DataFrame:
    """The known fields of JSON lines, all as text."""
    if body.is_empty():
        return pl.DataFrame(schema=_SCHEMA)
    data = "\n".join(body.to_list()).encode()
    return pl.read_ndjson(io.BytesIO(data), schema=_SCHEMA)


def _is_json_object(text: str) -> bool:
    """Whether ``text`` is one JSON object (NaN already replaced)."""
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _decode(fields: pl.DataFrame) -> Decoded:
    """Parse one chunk's fields into positions, statics and rejects."""
    parsed = fields.with_columns(
        _type=common.number(pl.col("type").str.strip_prefix("AIS."), pl.Int64),
        _mmsi=common.number(pl.col("ssvid"), pl.Int64),
        _ts=common.parse_iso_utc(pl.col("timestamp")),
        **{f"_{k}": common.number(pl.col(k)) for k in ["lon", "lat", "speed", "course"]},
        **{f"_{k}": common.number(pl.col(k), pl.Int64) for k in ["heading", "status", "imo"]},
    )
    is_position = pl.col("_type").is_in(POSITION_TYPES)
    is_static = pl.col("_type").is_in(STATIC_TYPES)
    checks: list[Check] = [
        common.parse_check("type", pl.col("type"), pl.col("_type")),
        Check(
            RejectReason.UNSUPPORTED_TYPE,
            ~is_position & ~is_static,
            pl.format("type: {} is not decoded", pl.col("type")),
        ),
        common.mmsi_check("ssvid", pl.col("ssvid"), pl.col("_mmsi")),
        *common.ts_checks("timestamp", pl.col("timestamp"), pl.col("_ts")),
        *[
            common.parse_check(k, pl.col(k), pl.col(f"_{k}"))
            for k in ["lon", "lat", "speed", "course", "heading", "status", "imo"]
        ],
        *common.range_checks("lon", pl.col("_lon"), "lat", pl.col("_lat")),
    ]
    good, rejects = common.apply_checks(parsed, checks)
    identity = [
        pl.col("_mmsi").alias("mmsi"),
        pl.col("_ts").alias("ts"),
        common.text(pl.col("receiver")).alias("receiver"),
    ]
    positions = good.filter(is_position).select(
        *identity,
        *common.position_columns(
            pl.col("_lon"), pl.col("_lat"), pl.col("_speed"), pl.col("_course"), pl.col("_heading")
        ),
        common.within(pl.col("_status"), 0, 16).alias("nav_status"),
        pl.col("_type").alias("msg_type"),
        "line_no",
        pl.col("expected"),
        pl.col("receiver_type"),
    )
    statics = good.filter(is_static).select(
        *identity,
        *common.static_columns(
            imo=pl.col("_imo"),
            callsign=common.text(pl.col("callsign")),
            name=common.text(pl.col("shipname")),
            ship_type=labels.label_code(pl.col("shiptype"), labels.SHIP_TYPE_CODES),
            destination=common.text(pl.col("destination")),
        ),
        pl.col("_type").alias("msg_type"),
        "line_no",
    )
    return Decoded(positions, statics, rejects, common.type_counts(parsed["_type"]))
