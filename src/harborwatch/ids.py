"""Deterministic ids for whole columns: 16 hex digits of a 64-bit hash of a text key.

Rows that describe the same thing (an event, a claim, an assessment, an imagery change) get the
same id on every run, so a re-run replaces rather than duplicates. The hash is FNV-1a over the
key's UTF-8 bytes followed by the MurmurHash3 finaliser (so that keys differing in one character
differ in every digit), compiled and run over the Arrow buffers of the column at once: stable
across Python, Polars and platform versions, unlike Polars' own ``hash``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
import polars as pl
import pyarrow as pa

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_SHIFTS = np.arange(60, -4, -4, dtype=np.uint64)


@numba.njit(cache=True, nogil=True)
def _hash_keys(data: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    for i in range(out.size):
        h = np.uint64(0xCBF29CE484222325)
        for j in range(offsets[i], offsets[i + 1]):
            h ^= np.uint64(data[j])
            h *= np.uint64(0x100000001B3)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xC4CEB9FE1A85EC53)
        h ^= h >> np.uint64(33)
        out[i] = h


def stable_ids(keys: pl.Series) -> pl.Series:
    """The id of each key (nulls hash as empty text), as 16 lower-case hex digits."""
    column = pa.chunked_array(keys.cast(pl.String).fill_null("").to_arrow()).combine_chunks()
    column = column.cast(pa.large_string())
    _, offsets, data = column.buffers()
    start = column.offset
    offset_view = np.frombuffer(offsets, dtype=np.int64)[start : start + len(column) + 1]
    data_view = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    hashed = np.empty(len(column), dtype=np.uint64)
    _hash_keys(data_view, offset_view, hashed)
    digits = _HEX[(hashed[:, None] >> _SHIFTS) & np.uint64(0xF)]
    text = np.ascontiguousarray(digits).view("S16").ravel()
    return pl.Series(keys.name, text, pl.Binary).cast(pl.String)


def row_ids(frame: pl.DataFrame, columns: Sequence[str], name: str) -> pl.Series:
    """The id of each row of ``frame`` from its ``columns`` (as text, nulls empty, joined by
    ``|``): the natural key of what the row describes."""
    key = frame.select(
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in columns], separator="|")
    ).to_series()
    return stable_ids(key).alias(name)
