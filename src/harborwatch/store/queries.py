"""Read-side questions asked of a store connection (:meth:`Store.connect`): stats, vessels,
tracks, quarantine. Each returns an Arrow table or a plain dict, ready for any output format."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from harborwatch.ais.reasons import INFORMATIONAL_REASONS
from harborwatch.geo.flags import flags_of
from harborwatch.schemas import VESSEL_KEY_SQL


def stats(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts and time span of the store, with quarantined records per reason."""
    positions, ts_min, ts_max = con.execute(
        "SELECT count(*), min(ts), max(ts) FROM positions"
    ).fetchone() or (0, None, None)
    vessels = _scalar(
        con,
        f"SELECT count(*) FROM (SELECT {VESSEL_KEY_SQL} FROM positions "
        f"UNION SELECT {VESSEL_KEY_SQL} FROM statics)",
    )
    by_reason = dict(
        con.execute(
            "SELECT reason, count(*) FROM quarantine GROUP BY reason ORDER BY reason"
        ).fetchall()
    )
    informational = sum(n for r, n in by_reason.items() if r in INFORMATIONAL_REASONS)
    total_quarantined = sum(by_reason.values())
    return {
        "positions": positions,
        "statics": _scalar(con, "SELECT count(*) FROM statics"),
        "vessels": vessels,
        "quarantined": total_quarantined,
        "rejected": total_quarantined - informational,
        "quarantined_by_reason": by_reason,
        "files": _scalar(con, "SELECT count(*) FROM files"),
        "ts_min": _iso(ts_min),
        "ts_max": _iso(ts_max),
        "formats": dict(con.execute("SELECT format, count(*) FROM files GROUP BY 1").fetchall()),
        "segments": _scalar(con, "SELECT count(*) FROM segments"),
        "events": dict(
            con.execute("SELECT event_type, count(*) FROM events GROUP BY 1 ORDER BY 1").fetchall()
        ),
    }


def vessels(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """One row per vessel key: latest identity (from static reports), flag, first/last seen.

    Vessels heard only through static reports are listed too, with 0 positions; first/last seen
    cover both kinds of report.
    """
    table: pa.Table = con.sql(
        f"""
        WITH p AS (
            SELECT {VESSEL_KEY_SQL} AS vessel, any_value(mmsi) AS mmsi,
                   min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS positions
            FROM positions GROUP BY 1
        ), s AS (
            SELECT {VESSEL_KEY_SQL} AS vessel, any_value(mmsi) AS mmsi,
                   min(ts) AS first_seen, max(ts) AS last_seen,
                   arg_max(name, ts) FILTER (WHERE name IS NOT NULL AND name <> '') AS name,
                   arg_max(imo, ts) FILTER (WHERE imo IS NOT NULL) AS imo,
                   arg_max(callsign, ts) FILTER (WHERE callsign IS NOT NULL AND callsign <> '')
                       AS callsign,
                   arg_max(ship_type, ts) FILTER (WHERE ship_type IS NOT NULL) AS ship_type
            FROM statics GROUP BY 1
        )
        SELECT vessel, coalesce(p.mmsi, s.mmsi) AS mmsi, s.name, s.imo, s.callsign, s.ship_type,
               least(p.first_seen, s.first_seen) AS first_seen,
               greatest(p.last_seen, s.last_seen) AS last_seen,
               coalesce(p.positions, 0) AS positions
        FROM p FULL OUTER JOIN s USING (vessel)
        ORDER BY positions DESC, vessel
        """
    ).to_arrow_table()
    flags = flags_of(table.column("mmsi"))
    return table.add_column(table.column_names.index("ship_type") + 1, "flag", flags)


def track(
    con: duckdb.DuckDBPyConnection,
    vessel: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pa.Table:
    """Positions of one vessel (an MMSI, or a source's vessel key) in time order."""
    return con.sql(
        f"""
        SELECT * FROM positions
        WHERE {VESSEL_KEY_SQL} = ?
          AND (?::TIMESTAMPTZ IS NULL OR ts >= ?::TIMESTAMPTZ)
          AND (?::TIMESTAMPTZ IS NULL OR ts < ?::TIMESTAMPTZ)
        ORDER BY ts
        """,
        params=[vessel, since, since, until, until],
    ).to_arrow_table()


def positions(
    con: duckdb.DuckDBPyConnection, since: datetime | None = None, until: datetime | None = None
) -> pa.Table:
    """All positions in ``[since, until)``, ordered by vessel key and time (the input of
    segmentation)."""
    return con.sql(
        f"""
        SELECT * FROM positions
        WHERE (?::TIMESTAMPTZ IS NULL OR ts >= ?::TIMESTAMPTZ)
          AND (?::TIMESTAMPTZ IS NULL OR ts < ?::TIMESTAMPTZ)
        ORDER BY {VESSEL_KEY_SQL}, ts
        """,
        params=[since, since, until, until],
    ).to_arrow_table()


def file_spans(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The time span of the positions of each ingested file, with the reader that read it."""
    return con.sql(
        "SELECT CAST(source AS VARCHAR) AS source, file_id, min(ts) AS start_ts, "
        "max(ts) AS end_ts FROM positions GROUP BY ALL"
    ).to_arrow_table()


def sources_in_box(
    con: duckdb.DuckDBPyConnection, west: float, south: float, east: float, north: float
) -> list[str]:
    """The readers (``source``) of the positions inside a lon/lat box."""
    rows = con.sql(
        "SELECT DISTINCT CAST(source AS VARCHAR) FROM positions "
        "WHERE lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?",
        params=[west, east, south, north],
    ).fetchall()
    return sorted(str(row[0]) for row in rows)


def statics(con: duckdb.DuckDBPyConnection, until: datetime | None = None) -> pa.Table:
    """All static reports up to ``until`` with their ``vessel_id``, ordered by vessel and time."""
    return con.sql(
        f"""
        SELECT *, {VESSEL_KEY_SQL} AS vessel_id FROM statics
        WHERE ?::TIMESTAMPTZ IS NULL OR ts < ?::TIMESTAMPTZ
        ORDER BY vessel_id, ts
        """,
        params=[until, until],
    ).to_arrow_table()


def events(
    con: duckdb.DuckDBPyConnection,
    event_type: str | None = None,
    vessel: str | None = None,
    site: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pa.Table:
    """Stored events, filtered by type, vessel (MMSI or key, either side of an encounter), site
    and start time, in time order."""
    return con.sql(
        """
        SELECT * FROM events
        WHERE ($type::VARCHAR IS NULL OR event_type = $type)
          AND ($vessel::VARCHAR IS NULL OR vessel_id = $vessel OR other_vessel_id = $vessel)
          AND ($site::VARCHAR IS NULL OR site_id = $site)
          AND ($since::TIMESTAMPTZ IS NULL OR start_ts >= $since::TIMESTAMPTZ)
          AND ($until::TIMESTAMPTZ IS NULL OR start_ts < $until::TIMESTAMPTZ)
        ORDER BY start_ts, event_type, vessel_id
        """,
        params={"type": event_type, "vessel": vessel, "site": site, "since": since, "until": until},
    ).to_arrow_table()


def identity_history(con: duckdb.DuckDBPyConnection, vessel: str) -> pa.Table:
    """Each distinct identity (name, call sign, IMO, type, destination, draught) one vessel
    declared, with when it was first and last declared and how often."""
    return con.sql(
        f"""
        SELECT name, callsign, imo, ship_type, destination, draught_m,
               min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS reports
        FROM statics WHERE {VESSEL_KEY_SQL} = ?
        GROUP BY ALL ORDER BY first_seen
        """,
        params=[vessel],
    ).to_arrow_table()


def segments(con: duckdb.DuckDBPyConnection, vessel: str) -> pa.Table:
    """Stored segments of one vessel in time order."""
    return con.sql(
        "SELECT * FROM segments WHERE vessel_id = ? ORDER BY first_ts", params=[vessel]
    ).to_arrow_table()


def quarantined(con: duckdb.DuckDBPyConnection, reason: str | None = None) -> pa.Table:
    """Quarantined records with the path of the file they came from."""
    return con.sql(
        """
        SELECT f.path AS file, q.line_no, q.reason, q.detail, q.raw, q.file_id
        FROM quarantine q LEFT JOIN files f USING (file_id)
        WHERE ?::VARCHAR IS NULL OR q.reason = ?
        ORDER BY f.path, q.line_no
        """,
        params=[reason, reason],
    ).to_arrow_table()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
