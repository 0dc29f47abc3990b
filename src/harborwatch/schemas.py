"""Arrow schema of every table harborwatch reads or writes, declared once.

Each field carries its unit (and meaning) in metadata under ``b"unit"`` and ``b"doc"``; names carry
units too (``sog_knots``). Timestamps are UTC-aware, microsecond precision. Tables may carry extra
columns after the declared ones (a provider's own labels, such as Global Fishing Watch's expected
segment); :func:`conform` keeps them.

Vessel identity: ``mmsi`` is the number the transmitter broadcast. Sources that anonymise vessels
(the Suez export, DEBS) carry no MMSI; their own id goes to ``vessel_key`` and ``mmsi`` is null. The
key a vessel is listed under is ``coalesce(mmsi, vessel_key)`` (see :data:`VESSEL_KEY_SQL`).
"""

from __future__ import annotations

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")
LABEL = pa.dictionary(pa.int32(), pa.string())
"""A string with few distinct values per table (reader, receiver, file id): dictionary-encoded,
so columns of millions of rows cost an index each."""


def _field(name: str, type_: pa.DataType, doc: str, unit: str = "") -> pa.Field:
    metadata = {b"doc": doc.encode()}
    if unit:
        metadata[b"unit"] = unit.encode()
    return pa.field(name, type_, nullable=True, metadata=metadata)


_PROVENANCE = [
    _field("source", LABEL, "reader that produced the row: nmea, dma, sbarc, suez, ..."),
    _field("receiver", LABEL, "receiving station or tag-block source, when known"),
    _field("file_id", LABEL, "content hash (16 hex) of the ingested file"),
    _field("line_no", pa.int64(), "1-based line of the file the row came from (first fragment)"),
]

_IDENTITY = [
    _field("mmsi", pa.uint32(), "MMSI as broadcast; null for sources without one"),
    _field("vessel_key", pa.string(), "the source's own vessel id when it gives no MMSI"),
    _field("ts", UTC_TS, "time of the report (receiver or provider time)", "UTC"),
]

POSITIONS = pa.schema(
    [
        *_IDENTITY,
        _field("lon", pa.float64(), "longitude, WGS 84; null when not available", "deg"),
        _field("lat", pa.float64(), "latitude, WGS 84; null when not available", "deg"),
        _field("sog_knots", pa.float32(), "speed over ground; null when not available", "kn"),
        _field("cog_deg", pa.float32(), "course over ground; null when not available", "deg"),
        _field("heading_deg", pa.int16(), "true heading; null when not available", "deg"),
        _field("nav_status", pa.int8(), "AIS navigational status 0-15"),
        _field("msg_type", pa.int8(), "AIS message type (1-3, 4, 18, 19, 27); null if unknown"),
        *_PROVENANCE,
    ]
)

STATICS = pa.schema(
    [
        *_IDENTITY,
        _field("imo", pa.int32(), "IMO number; null when 0 or absent"),
        _field("callsign", pa.string(), "call sign, trimmed"),
        _field("name", pa.string(), "vessel name, trimmed"),
        _field("ship_type", pa.int16(), "AIS ship and cargo type 0-99"),
        _field("dim_bow_m", pa.int16(), "GNSS antenna to bow", "m"),
        _field("dim_stern_m", pa.int16(), "GNSS antenna to stern", "m"),
        _field("dim_port_m", pa.int16(), "GNSS antenna to port side", "m"),
        _field("dim_starboard_m", pa.int16(), "GNSS antenna to starboard side", "m"),
        _field("draught_m", pa.float32(), "maximum present static draught", "m"),
        _field("eta", UTC_TS, "declared ETA; the year is inferred from the report time", "UTC"),
        _field("destination", pa.string(), "declared destination, trimmed"),
        _field("msg_type", pa.int8(), "AIS message type (5, 19, 24); null if unknown"),
        *_PROVENANCE,
    ]
)

QUARANTINE = pa.schema(
    [
        _field("file_id", LABEL, "content hash (16 hex) of the file holding the record"),
        _field("line_no", pa.int64(), "1-based line number of the record"),
        _field("raw", pa.string(), "the record's text as read (decoded as UTF-8, errors replaced)"),
        _field("reason", pa.string(), "reject reason code, see harborwatch.ais.reasons"),
        _field("detail", pa.string(), "what exactly was wrong, naming the bad value"),
    ]
)

FILES = pa.schema(
    [
        _field("file_id", pa.string(), "content hash (16 hex): first 16 hex of SHA-256"),
        _field("sha256", pa.string(), "full SHA-256 of the file's bytes as stored on disk"),
        _field("path", pa.string(), "path the file was ingested from"),
        _field("size_bytes", pa.int64(), "file size", "B"),
        _field("format", pa.string(), "reader used"),
        _field("assumed_date", pa.string(), "--assume-date given for untimed sentences, if any"),
        _field("ingested_at", UTC_TS, "when the ingest committed", "UTC"),
        _field("positions", pa.int64(), "position rows added after de-duplication"),
        _field("statics", pa.int64(), "static rows added after de-duplication"),
        _field("duplicates", pa.int64(), "rows dropped as already stored or heard twice"),
        _field("quarantined", pa.int64(), "records quarantined"),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "positions": POSITIONS,
    "statics": STATICS,
    "quarantine": QUARANTINE,
}

VESSEL_KEY_SQL = "coalesce(CAST(mmsi AS VARCHAR), vessel_key)"
"""SQL expression of the key a vessel is listed and tracked under."""


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Return ``table`` with the declared columns of ``schema`` first, typed as declared.

    Missing declared columns are added as nulls; extra columns are kept after them unchanged.
    Raises ``pyarrow.ArrowInvalid`` if a column cannot be cast: that is a programming error in a
    reader, not bad input (readers quarantine bad values before building tables).
    """
    columns = []
    for field in schema:
        if field.name in table.column_names:
            columns.append(_cast(table.column(field.name), field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    extra = [name for name in table.column_names if name not in schema.names]
    fields = list(schema) + [table.schema.field(name) for name in extra]
    columns += [table.column(name) for name in extra]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _cast(column: pa.ChunkedArray, type_: pa.DataType) -> pa.ChunkedArray:
    """``column`` as ``type_``; strings of any layout (string view, large) become dictionaries."""
    if column.type == type_:
        return column
    if pa.types.is_dictionary(type_) and not pa.types.is_dictionary(column.type):
        column = column.cast(type_.value_type)
    return column.cast(type_)


def empty(schema: pa.Schema) -> pa.Table:
    """An empty table of ``schema``."""
    return schema.empty_table()
