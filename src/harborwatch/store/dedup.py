"""De-duplication on natural keys: the same report heard twice is stored once.

A report is identified by its content (vessel, message type, position, speed, course, heading,
status; or the static fields) and its time. Two rows with the same content within
:data:`DUPLICATE_WINDOW_US` of each other are one report heard by two receivers (or the same rows
ingested from two files): receiver clocks differ by milliseconds to a second, while a vessel's
successive reports differ in content (position, or the UTC second it reports) or are at least two
seconds apart (AIS Class A reports every 2 s at the fastest, ITU-R M.1371).

Vectorised: rows are sorted by a hash of vessel and content, then time, so that copies of one
report are neighbours; each row is then compared with the row before and after it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DUPLICATE_WINDOW_US = 2_000_000
"""Rows with equal content closer than this (µs) are one report (see module docstring)."""

POSITION_KEY = [
    "msg_type", "lon", "lat", "sog_knots", "cog_deg", "heading_deg", "nav_status",
]  # fmt: skip
STATIC_KEY = [
    "msg_type", "imo", "callsign", "name", "ship_type", "dim_bow_m", "dim_stern_m",
    "dim_port_m", "dim_starboard_m", "draught_m", "eta", "destination",
]  # fmt: skip
"""Content columns compared besides the vessel (``mmsi``/``vessel_key``) and ``ts``."""


def key_columns(table: pa.Table, content: list[str]) -> pa.Table:
    """The columns :func:`drop_duplicates` compares: vessel, ``ts`` and ``content``."""
    return table.select(["mmsi", "vessel_key", "ts", *content])


def drop_duplicates(
    new: pa.Table,
    stored: pa.Table,
    content: list[str],
    window_us: int = DUPLICATE_WINDOW_US,
) -> tuple[pa.Table, int]:
    """Rows of ``new`` that repeat neither an earlier row of ``new`` nor a ``stored`` one.

    ``stored`` holds :func:`key_columns` of stored rows whose time may overlap ``new``. Returns the
    kept rows sorted by vessel and time, and how many rows were dropped.
    """
    if new.num_rows == 0:
        return new, 0
    new_keys = key_columns(new, content)
    keys = pa.concat_tables([new_keys, stored.cast(new_keys.schema)])
    is_stored = np.arange(keys.num_rows) >= new.num_rows
    vessel = _vessel_codes(keys)
    ts = keys.column("ts").cast(pa.int64()).to_numpy()
    columns = [vessel, *(_comparable(keys.column(c)) for c in content)]
    digest = _row_hash(columns)
    order = np.lexsort((ts, digest))  # copies of a report are neighbours, in time order
    same = _same_as_previous([values[order] for values in columns])
    same &= np.diff(ts[order]) <= window_us
    duplicate = np.zeros(len(order), dtype=bool)
    duplicate[1:] |= same  # a copy of the row before it (stored or new)
    duplicate[:-1] |= same & is_stored[order][1:]  # a copy of a stored row just after it
    keep = order[~duplicate & ~is_stored[order]]
    keep = keep[np.argsort(ts[keep], kind="stable")]
    keep = keep[np.argsort(vessel[keep], kind="stable")]  # by vessel, then time
    return new.take(keep), new.num_rows - len(keep)


def _vessel_codes(keys: pa.Table) -> np.ndarray:
    """One int64 per row identifying the vessel: the MMSI, or 2**32 + an index of vessel_key."""
    mmsi = keys.column("mmsi").cast(pa.int64()).fill_null(-1).to_numpy()
    vessel_key = keys.column("vessel_key")
    if vessel_key.null_count == len(vessel_key):
        return mmsi
    codes = pc.dictionary_encode(vessel_key).combine_chunks().indices
    by_key = codes.cast(pa.int64()).fill_null(-1).to_numpy() + (1 << 32)
    return np.where(mmsi >= 0, mmsi, by_key)


def _comparable(column: pa.ChunkedArray) -> np.ndarray:
    """Values as a NumPy array in which equal values (nulls included) compare equal."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        column = pc.dictionary_encode(column).combine_chunks().indices
    if pa.types.is_floating(column.type):  # compare bit patterns, so that NaN (null) equals NaN
        values = column.fill_null(np.nan).to_numpy()
        return values.view(np.int64 if values.itemsize == 8 else np.int32)
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    return column.cast(pa.int64()).fill_null(np.iinfo(np.int64).min).to_numpy()


def _row_hash(columns: list[np.ndarray]) -> np.ndarray:
    """A 64-bit hash per row of the given columns (FNV-style multiply and xor, wrapping)."""
    digest = np.full(len(columns[0]), 0xCBF29CE484222325, dtype=np.uint64)
    for values in columns:
        digest ^= values.astype(np.int64).view(np.uint64)
        digest *= np.uint64(0x100000001B3)
    return digest


def _same_as_previous(columns: list[np.ndarray]) -> np.ndarray:
    """Whether row ``i + 1`` equals row ``i`` in every column."""
    same = np.ones(max(len(columns[0]) - 1, 0), dtype=bool)
    for values in columns:
        same &= values[1:] == values[:-1]
    return same
