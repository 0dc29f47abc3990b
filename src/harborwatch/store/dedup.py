"""De-duplication on natural keys: the same report heard twice is stored once.

A report is identified by its content (vessel, message type, position, speed, course, heading,
status; or the static fields) and its time. Two rows with the same content within
:data:`DUPLICATE_WINDOW_US` of each other are one report heard by two receivers (or the same rows
ingested from two files): receiver clocks differ by milliseconds to a second, while a vessel's
successive reports differ in content (position, or the UTC second it reports) or are at least two
seconds apart (AIS Class A reports every 2 s at the fastest, ITU-R M.1371).

Compiled (Numba), one pass: each row's content is hashed (64 bits, vessel included); the stored
rows go into a hash table keyed by (content hash, 2-second time bucket), then the new rows, in time
order, are looked up in their bucket and both neighbouring buckets and inserted unless a copy is
found. A row is therefore compared with the stored rows and the rows already kept, never with
dropped ones, so a run of copies does not chain beyond the window. Two different reports of one
vessel would have to collide on all 64 bits within 2 s to be confused.
"""

from __future__ import annotations

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DAY_US = 86_400_000_000
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
    kept rows sorted by UTC day, vessel and time (the store's partition and row order), and how
    many rows were dropped.
    """
    if new.num_rows == 0:
        return new, 0
    new_keys = key_columns(new, content)
    keys = pa.concat_tables([new_keys, stored.cast(new_keys.schema)])
    vessel = _vessel_codes(keys)
    ts = keys.column("ts").cast(pa.int64()).to_numpy()
    digest = _row_hash([vessel, *(_comparable(keys.column(c)) for c in content)])
    in_time_order = np.argsort(ts[: new.num_rows], kind="stable")
    _order_ties_by_digest(in_time_order, ts, digest)  # deterministic whatever the input order
    duplicate = _find_duplicates(digest, ts, new.num_rows, in_time_order, window_us)
    keep = in_time_order[~duplicate[in_time_order]]
    day_then_vessel = (ts[keep] // _DAY_US << 34) | vessel[keep]  # vessel codes < 2**34
    keep = keep[np.argsort(day_then_vessel, kind="stable")]  # by day, vessel, then time
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
    """Values as an int64 NumPy array in which equal values compare equal and every null equals
    every other null (floats by bit pattern; strings by dictionary index)."""
    array = column.combine_chunks()
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        array = pc.dictionary_encode(array).indices
    if pa.types.is_timestamp(array.type):
        array = array.view(pa.int64())
    width = array.type.bit_width
    kind = np.float64 if pa.types.is_floating(array.type) else np.int64
    dtype = np.dtype(f"{'f' if kind is np.float64 else 'i'}{width // 8}")
    values = np.frombuffer(array.buffers()[1], dtype, len(array), array.offset * dtype.itemsize)
    values = values.view(f"i{width // 8}").astype(np.int64)  # bit pattern, widened
    if array.null_count:
        values = np.where(np.asarray(array.is_valid()), values, np.iinfo(np.int64).min)
    return values


def _row_hash(columns: list[np.ndarray]) -> np.ndarray:
    """A 64-bit hash per row of the given columns (FNV-style multiply and xor, wrapping)."""
    digest = np.full(len(columns[0]), 0xCBF29CE484222325, dtype=np.uint64)
    for values in columns:
        digest ^= values.view(np.uint64)
        digest *= np.uint64(0x100000001B3)
    return digest


_MIX = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, nogil=True)
def _order_ties_by_digest(order: np.ndarray, ts: np.ndarray, digest: np.ndarray) -> None:
    """Sort, in place, each run of ``order`` with equal ``ts`` by ``digest`` (runs are short)."""
    for i in range(1, len(order)):
        row = order[i]
        j = i
        while j > 0 and ts[order[j - 1]] == ts[row] and digest[order[j - 1]] > digest[row]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = row


@numba.njit(cache=True, nogil=True)
def _slot(digest: np.uint64, bucket: np.int64 | int, mask: np.uint64) -> np.int64:
    """First probe position of (digest, bucket) in a table of ``mask + 1`` slots."""
    mixed = (digest ^ (np.uint64(bucket) * _MIX)) * _MIX
    return np.int64((mixed >> np.uint64(17)) & mask)


@numba.njit(cache=True, nogil=True)
def _find_duplicates(
    digest: np.ndarray, ts: np.ndarray, n_new: int, in_time_order: np.ndarray, window_us: int
) -> np.ndarray:
    """Which of the first ``n_new`` rows copy a stored row (rows ``n_new:``) or a kept new row."""
    size = 1
    while size < 2 * len(digest) + 16:
        size <<= 1
    mask = np.uint64(size - 1)
    slot_digest = np.empty(size, np.uint64)
    slot_bucket = np.empty(size, np.int64)
    slot_ts = np.empty(size, np.int64)
    used = np.zeros(size, np.bool_)
    duplicate = np.zeros(n_new, np.bool_)
    for row in range(n_new, len(digest)):
        _insert(row, digest, ts, window_us, mask, slot_digest, slot_bucket, slot_ts, used)
    for row in in_time_order:
        bucket = ts[row] // window_us
        for near in range(bucket - 1, bucket + 2):
            at = _slot(digest[row], near, mask)
            while used[at]:
                if (
                    slot_digest[at] == digest[row]
                    and slot_bucket[at] == near
                    and abs(slot_ts[at] - ts[row]) <= window_us
                ):
                    duplicate[row] = True
                    break
                at = (at + 1) & np.int64(mask)
            if duplicate[row]:
                break
        if not duplicate[row]:
            _insert(row, digest, ts, window_us, mask, slot_digest, slot_bucket, slot_ts, used)
    return duplicate


@numba.njit(cache=True, nogil=True, inline="always")
def _insert(
    row: int,
    digest: np.ndarray,
    ts: np.ndarray,
    window_us: int,
    mask: np.uint64,
    slot_digest: np.ndarray,
    slot_bucket: np.ndarray,
    slot_ts: np.ndarray,
    used: np.ndarray,
) -> None:
    """Put ``row`` in the first free slot of its (digest, time bucket) probe sequence."""
    bucket = ts[row] // window_us
    at = _slot(digest[row], bucket, mask)
    while used[at]:
        at = (at + 1) & np.int64(mask)
    used[at] = True
    slot_digest[at] = digest[row]
    slot_bucket[at] = bucket
    slot_ts[at] = ts[row]
