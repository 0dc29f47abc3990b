"""De-duplication on natural keys: the same report heard twice is stored once.

A report is identified by its content (vessel, message type, position, speed, course, heading,
status; or the static fields) and its time. Two rows with the same content within
:data:`DUPLICATE_WINDOW_US` of each other are one report heard by two receivers (or the same file
ingested under two names): receiver clocks differ by milliseconds to a second, while a vessel's
successive reports differ in content (position, or the UTC-second field it reports) or are at
least two seconds apart (AIS Class A reports every 2 s at the fastest, ITU-R M.1371).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pyarrow as pa

DUPLICATE_WINDOW_US = 2_000_000
"""Rows with equal content closer than this (µs) are one report (see module docstring)."""

POSITION_KEY = [
    "mmsi",
    "vessel_key",
    "msg_type",
    "lon",
    "lat",
    "sog_knots",
    "cog_deg",
    "heading_deg",
    "nav_status",
]
STATIC_KEY = [
    "mmsi",
    "vessel_key",
    "msg_type",
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
]

_HASH = "__content_hash"


def content_hashes(table: pa.Table | pl.DataFrame, key_columns: list[str]) -> pl.DataFrame:
    """``ts`` and a 64-bit hash of the key columns per row (same dtypes give the same hash)."""
    frame = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return pl.DataFrame(
        {"ts": frame["ts"], _HASH: frame.select(key_columns).hash_rows(seed=0x4841524257)}
    )


def drop_duplicates(
    new: pa.Table,
    stored: pl.DataFrame,
    key_columns: list[str],
    window_us: int = DUPLICATE_WINDOW_US,
) -> tuple[pa.Table, int]:
    """Rows of ``new`` that repeat neither an earlier row of ``new`` nor a stored report.

    ``stored`` is :func:`content_hashes` of the stored rows whose time may overlap ``new``.
    Returns the kept rows (sorted by vessel and time) and how many were dropped.
    """
    if new.num_rows == 0:
        return new, 0
    frame = pl.from_arrow(new)
    assert isinstance(frame, pl.DataFrame)
    window = timedelta(microseconds=window_us)
    frame = frame.with_columns(content_hashes(frame, key_columns)[_HASH]).sort([_HASH, "ts"])
    repeated = (pl.col(_HASH) == pl.col(_HASH).shift(1)) & (
        pl.col("ts") - pl.col("ts").shift(1) <= window
    )
    frame = frame.filter(~repeated.fill_null(False))
    if stored.height:
        hits = stored.with_columns(pl.lit(True).alias("__stored")).sort("ts")
        frame = (
            frame.sort("ts")
            .join_asof(hits, on="ts", by=_HASH, strategy="nearest", tolerance=window)
            .filter(pl.col("__stored").is_null())
            .drop("__stored", "ts_right", strict=False)
        )
    kept = frame.drop(_HASH).sort(["mmsi", "vessel_key", "ts"], nulls_last=True)
    return kept.to_arrow(), new.num_rows - kept.height
