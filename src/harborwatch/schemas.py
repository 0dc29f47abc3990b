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

TRACK_POINTS = pa.schema(
    [
        _field("vessel_id", pa.string(), "track key: the MMSI as text, or the source's vessel_key"),
        *POSITIONS,
        _field("seg_id", pa.string(), "segment the point belongs to; null for noise points"),
        _field("noise", pa.bool_(), "true when the segmenter set the point aside (kept, not used)"),
        _field(
            "noise_reason",
            pa.string(),
            "sentinel_speed, impossible_jump, no_position or coarse_type27",
        ),
        _field("speed_knots", pa.float32(), "SOG, or derived from positions if none", "kn"),
        _field("course_deg", pa.float32(), "COG, or derived from positions if none", "deg"),
        _field(
            "implied_speed_knots",
            pa.float32(),
            "distance over time from the previous point of the same segment",
            "kn",
        ),
        _field("port_id", pa.string(), "nearest port or anchorage within the lookup radius"),
        _field("port_distance_m", pa.float64(), "distance to that port; +inf when none", "m"),
        _field("shore_distance_m", pa.float64(), "distance to the nearest coast (0 on land)", "m"),
        _field("inland_distance_m", pa.float64(), "on land: distance to the coast (else 0)", "m"),
        _field("on_land", pa.bool_(), "the position lies on land (Natural Earth polygons)"),
    ]
)
"""Positions of one or many vessels after segmentation and geography lookups, sorted by
``vessel_id, ts``: the one input every event detector reads. ``tracks.segment`` adds the segment
columns, ``geo.enrich`` the port and shore columns."""

SEGMENTS = pa.schema(
    [
        _field("seg_id", pa.string(), "deterministic: vessel_id + first timestamp"),
        _field("vessel_id", pa.string(), "track key the segment belongs to"),
        _field("mmsi", pa.uint32(), "MMSI as broadcast; null for sources without one"),
        _field("first_ts", UTC_TS, "first point", "UTC"),
        _field("last_ts", UTC_TS, "last point", "UTC"),
        _field("n_positions", pa.int64(), "points in the segment (noise excluded)"),
        _field("distance_m", pa.float64(), "length along the track", "m"),
        _field("flags", pa.string(), "comma-separated: shared_mmsi, ... (empty when none)"),
    ]
)

COVERAGE = pa.schema(
    [
        _field("source", pa.string(), "reader label of the data (nmea, sbarc, suez, ...)"),
        _field("start_ts", UTC_TS, "the source's data starts", "UTC"),
        _field("end_ts", UTC_TS, "and runs without a hole of min_gap_h until", "UTC"),
    ]
)
"""When each source was recording (:mod:`harborwatch.tracks.coverage`): gaps are only counted
where the data covers them."""

PORTS = pa.schema(
    [
        _field("port_id", pa.string(), "stable id: wpi:<number>, gfw:<s2id>, searoute:<name>"),
        _field("name", pa.string(), "port or anchorage name"),
        _field("kind", pa.string(), "port or anchorage"),
        _field("country", pa.string(), "ISO 3166 code when known"),
        _field("lon", pa.float64(), "longitude, WGS 84", "deg"),
        _field("lat", pa.float64(), "latitude, WGS 84", "deg"),
        _field("source", pa.string(), "wpi, gfw_anchorages, searoute"),
    ]
)

SITES = pa.schema(
    [
        _field("site_id", pa.string(), "short id from the sites file, e.g. tartus-naval"),
        _field("name", pa.string(), "display name"),
        _field("kind", pa.string(), "naval_base, port, strait, ... as the file says"),
        _field("lon", pa.float64(), "centre longitude", "deg"),
        _field("lat", pa.float64(), "centre latitude", "deg"),
        _field("radius_m", pa.float64(), "radius for point sites; null for polygons", "m"),
        _field("geometry_wkt", pa.string(), "polygon in lon/lat (WKT); null for point sites"),
    ]
)

WATCHLIST = pa.schema(
    [
        _field("entry_id", pa.string(), "short id from the watchlist file, e.g. sparta-ii"),
        _field("name", pa.string(), "vessel name"),
        _field("aliases", pa.list_(pa.string()), "other names the vessel went by"),
        _field("mmsi", pa.list_(pa.uint32()), "MMSIs known for the vessel"),
        _field("imo", pa.int32(), "IMO number"),
        _field("callsign", pa.string(), "call sign"),
        _field("note", pa.string(), "free text: why the vessel is watched, sources"),
    ]
)

EVENTS = pa.schema(
    [
        _field("event_id", pa.string(), "deterministic: hash of type, vessel, start and keys"),
        _field("event_type", pa.string(), "see harborwatch.events.EventType"),
        _field("vessel_id", pa.string(), "track key of the vessel"),
        _field("mmsi", pa.uint32(), "MMSI as broadcast; null for sources without one"),
        _field("seg_id", pa.string(), "segment the event was found in, when one"),
        _field("other_vessel_id", pa.string(), "the second vessel of an encounter"),
        _field("other_mmsi", pa.uint32(), "its MMSI"),
        _field("site_id", pa.string(), "site or port id the event happened at, when one"),
        _field("start_ts", UTC_TS, "start of the event", "UTC"),
        _field("end_ts", UTC_TS, "end; for open events the last time seen", "UTC"),
        _field("duration_h", pa.float64(), "end - start", "h"),
        _field("lon", pa.float64(), "representative position", "deg"),
        _field("lat", pa.float64(), "representative position", "deg"),
        _field("confidence", pa.int8(), "1 (weak) to 4 (strong), rule-specific"),
        _field("attributes", pa.string(), "JSON object of event-type fields (units in names)"),
        _field("evidence", pa.string(), "JSON: rule, thresholds, the positions on either side"),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "positions": POSITIONS,
    "statics": STATICS,
    "quarantine": QUARANTINE,
}

SCENES = pa.schema(
    [
        _field("scene_id", pa.string(), "deterministic: hash of the image bytes, site and time"),
        _field("site_id", pa.string(), "site the scene shows"),
        _field("acquired_ts", UTC_TS, "acquisition time (date at 00:00 when only a date)", "UTC"),
        _field("path", pa.string(), "image file as registered"),
        _field("sha256", pa.string(), "SHA-256 of the image file"),
        _field("sensor", pa.string(), "sensor or product name, free text"),
        _field("gsd_m", pa.float64(), "ground sample distance", "m"),
        _field("width_px", pa.int32(), "image width", "px"),
        _field("height_px", pa.int32(), "image height", "px"),
        _field("bands", pa.int16(), "number of bands"),
        _field("crs", pa.string(), "CRS as EPSG code or WKT; null for pixel-space images"),
        _field("transform", pa.list_(pa.float64()), "affine pixel->CRS (a, b, c, d, e, f)"),
        _field("footprint_wkt", pa.string(), "image outline in lon/lat (WKT); null if unknown"),
        _field("simulated", pa.bool_(), "images harborwatch altered (objects painted out)"),
        _field("note", pa.string(), "provenance, licence, what was simulated"),
    ]
)

ZONES = pa.schema(
    [
        _field("zone_id", pa.string(), "short id, unique within the site"),
        _field("site_id", pa.string(), "site the zone belongs to"),
        _field("name", pa.string(), "display name, e.g. northern piers"),
        _field("geometry_wkt", pa.string(), "polygon in lon/lat (WKT); null for pixel zones"),
        _field("scene_id", pa.string(), "pixel zones: the scene whose pixels they are drawn in"),
        _field("pixel_wkt", pa.string(), "polygon in that scene's pixels (WKT); null otherwise"),
    ]
)

DETECTIONS = pa.schema(
    [
        _field("detection_id", pa.string(), "deterministic: hash of scene, source and polygon"),
        _field("scene_id", pa.string(), "scene the object was found in"),
        _field("class", pa.string(), "DOTA names where they fit: ship, small-vehicle, ..."),
        _field("score", pa.float32(), "detector score 0-1; 1 for annotations"),
        _field("pixel_wkt", pa.string(), "outline (oriented box or polygon) in pixels (WKT)"),
        _field("x_px", pa.float64(), "centre column", "px"),
        _field("y_px", pa.float64(), "centre row", "px"),
        _field("lon", pa.float64(), "centre longitude when georeferenced", "deg"),
        _field("lat", pa.float64(), "centre latitude when georeferenced", "deg"),
        _field("length_m", pa.float64(), "long side of the outline", "m"),
        _field("width_m", pa.float64(), "short side of the outline", "m"),
        _field("angle_deg", pa.float64(), "orientation of the long side from the x axis", "deg"),
        _field("source", pa.string(), "detector name and version, or annotation file"),
    ]
)

ZONE_COUNTS = pa.schema(
    [
        _field("scene_id", pa.string(), "scene counted"),
        _field("site_id", pa.string(), "its site"),
        _field("acquired_ts", UTC_TS, "its acquisition time", "UTC"),
        _field("zone_id", pa.string(), 'zone ("all" when the site has none: the whole image)'),
        _field("class", pa.string(), "object class"),
        _field("count", pa.int64(), "objects whose centre lies in the zone"),
    ]
)

CHANGES = pa.schema(
    [
        _field("change_id", pa.string(), "deterministic: hash of both scenes and detections"),
        _field("site_id", pa.string(), "site"),
        _field("before_scene_id", pa.string(), "earlier scene"),
        _field("after_scene_id", pa.string(), "later scene"),
        _field("zone_id", pa.string(), "zone of the object"),
        _field("class", pa.string(), "object class"),
        _field("status", pa.string(), "matched, removed or added"),
        _field("before_detection_id", pa.string(), "the object before (null when added)"),
        _field("after_detection_id", pa.string(), "the object after (null when removed)"),
        _field("lon", pa.float64(), "object position when georeferenced", "deg"),
        _field("lat", pa.float64(), "object position when georeferenced", "deg"),
        _field("offset_m", pa.float64(), "distance between matched objects", "m"),
    ]
)

DERIVED_TABLES: dict[str, pa.Schema] = {
    "segments": SEGMENTS,
    "events": EVENTS,
    "scenes": SCENES,
    "zones": ZONES,
    "detections": DETECTIONS,
}
"""Tables written by jobs rather than ingest (events, imagery); each write replaces the table
atomically, keeping the rows the job says to keep (:meth:`Store.replace_derived`)."""

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


CLAIMS = pa.schema(
    [
        _field("claim_id", pa.string(), "deterministic: hash of vessel, site, kind, times, source"),
        _field("entry_id", pa.string(), "watchlist entry of the vessel the claim is about"),
        _field("vessel_name", pa.string(), "the vessel's watchlist name"),
        _field("site_id", pa.string(), "site of the claim; null when the claim names none"),
        _field(
            "event_kind",
            pa.string(),
            "port_visit, departure, ais_gap, voyage_change or loitering (fusion.claims.ClaimKind)",
        ),
        _field("start_ts", UTC_TS, "claimed start (00:00 of the first day when only dates)", "UTC"),
        _field("end_ts", UTC_TS, "claimed end, exclusive (00:00 after the last day)", "UTC"),
        _field("source", pa.string(), "who claims it: outlet, author, URL"),
        _field("published", pa.date32(), "publication date of the source"),
        _field("text", pa.string(), "the sentence the claim came from, as written"),
        _field("verdict", pa.string(), "checked claims: supported, contradicted or no_data"),
        _field("evidence_ids", pa.list_(pa.string()), "checked claims: event ids that decide it"),
        _field("reason", pa.string(), "checked claims: why, in words"),
    ]
)
"""Claims from reporting (``harborwatch claims``): what a source says a vessel did, where and
when, and once checked against the stored events, the verdict with its evidence."""
DERIVED_TABLES["claims"] = CLAIMS

ASSESSMENTS = pa.schema(
    [
        _field("assessment_id", pa.string(), "deterministic: hash of site, series, date and kind"),
        _field("site_id", pa.string(), "site assessed"),
        _field("kind", pa.string(), "drawdown (the series fell) or buildup (it rose)"),
        _field("series", pa.string(), "timeline series: vessels_present, img_<zone>_<class>, ..."),
        _field("date", pa.date32(), "change point: first day (or scene date) at the new level"),
        _field("before_date", pa.date32(), "last day (or scene date) at the old level"),
        _field("before", pa.float64(), "mean of the series before the change, per observation"),
        _field("after", pa.float64(), "mean of the series after the change, per observation"),
        _field("relative_change", pa.float64(), "(after - before) / before; null from zero"),
        _field("p_value", pa.float64(), "of the change-point test (fusion.timeline)"),
        _field("confidence", pa.int8(), "1 (weak) to 4 (strong), from the p-value"),
        _field("evidence_ids", pa.list_(pa.string()), "event or scene ids behind the change"),
        _field("note", pa.string(), "the change in words"),
    ]
)
"""Significant shifts in a site's daily timeline (``harborwatch assess``), with their evidence."""
DERIVED_TABLES["assessments"] = ASSESSMENTS
