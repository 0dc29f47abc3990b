"""Turn the kernel's column arrays into Arrow tables of the declared schemas, vectorised.

:class:`KernelOutput` owns one call's preallocated arrays (see :mod:`._kernel` for their layout);
its ``*_table`` methods slice them to the rows written and wrap them without per-row Python.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
from numba import njit

from harborwatch import schemas
from harborwatch.ais.eta import eta_timestamps
from harborwatch.ais.nmea import _codes
from harborwatch.ais.nmea import _kernel as k

SOURCE = "nmea"
_REASON_NAMES = pa.array([str(reason) for reason in _codes.REASONS], pa.string())


@njit(cache=True, nogil=True)
def _compact_text(txt, at, lengths):
    """Offsets and bytes of the strings txt[row, at:at+len] (len < 0: null, no bytes)."""
    n = lengths.shape[0]
    offsets = np.empty(n + 1, np.int32)
    data = np.empty(max(1, int(np.maximum(lengths, 0).sum())), np.uint8)
    m = 0
    for row in range(n):
        offsets[row] = m
        for j in range(max(lengths[row], 0)):
            data[m] = txt[row, at + j]
            m += 1
    offsets[n] = m
    return offsets, data


def _strings(offsets: np.ndarray, data: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """A string array from int32/int64 offsets and UTF-8 bytes (invalid UTF-8 is replaced)."""
    n = len(offsets) - 1
    offsets32 = offsets.astype(np.int32, copy=False)
    bitmap = None
    if valid is not None and not valid.all():
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    array = pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets32), pa.py_buffer(data[: offsets32[-1]]), bitmap
    )
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        raw = data[: offsets32[-1]].tobytes()
        array = pa.array(
            [
                raw[offsets32[i] : offsets32[i + 1]].decode("utf-8", "replace")
                if valid is None or valid[i]
                else None
                for i in range(n)
            ],
            pa.string(),
        )
    return array


def _text_column(txt: np.ndarray, at: int, lengths: np.ndarray) -> pa.Array:
    """String column of the fixed-width text matrix slice starting at column ``at``."""
    offsets, data = _compact_text(txt, at, lengths)
    return _strings(offsets, data, lengths >= 0)


def _constant(value: str, n: int) -> pa.Array:
    """A label column (:data:`schemas.LABEL`) holding ``value`` on every one of ``n`` rows."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value]))


def _with_validity(values: np.ndarray, type_: pa.DataType, valid: np.ndarray) -> pa.Array:
    """``values`` (contiguous, of ``type_``'s NumPy dtype) as an array, null where not ``valid``.

    The validity bitmap is packed here: pyarrow's ``mask=`` and ``from_pandas=`` paths take
    several times longer.
    """
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(type_, len(values), [bitmap, pa.py_buffer(values)])


def _masked(values: np.ndarray, type_: pa.DataType) -> pa.Array:
    """Integer column with negative values (the kernel's "not available") as nulls."""
    valid = values >= 0
    return _with_validity(np.ascontiguousarray(values, type_.to_pandas_dtype()), type_, valid)


def _floats(values: np.ndarray, type_: pa.DataType) -> pa.Array:
    """Float column with NaN as null."""
    values = np.ascontiguousarray(values, type_.to_pandas_dtype())
    return _with_validity(values, type_, ~np.isnan(values))


def _timestamps(us: np.ndarray) -> pa.Array:
    return pa.array(us, pa.int64()).view(schemas.UTC_TS)


def _offsets(ends: np.ndarray) -> np.ndarray:
    """Arrow offsets (n + 1) from per-row end offsets."""
    offsets = np.zeros(len(ends) + 1, np.int32)
    offsets[1:] = ends
    return offsets


def _receiver_dictionary(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An empty receiver dictionary for up to ``rows`` rows (layout in :mod:`._kernel`).

    The hash table is zeroed lazily by the OS: only the pages of slots in use are touched.
    """
    data = np.empty(rows * 32 + k.RECEIVER_MAX_BYTES * 1024, np.uint8)
    ends = np.zeros(rows + 1, np.int64)
    table = np.zeros(1 << (2 * rows - 1).bit_length(), np.int32)
    return data, ends, table


class KernelOutput:
    """Preallocated output arrays for one kernel call of at most ``rows`` rows per table (layout
    in :mod:`._kernel`)."""

    def __init__(self, rows: int, raw_bytes: int) -> None:
        self.pos = tuple(np.empty(rows, dtype) for dtype in k.POS_DTYPES)
        self.pos_recv = _receiver_dictionary(rows)
        self.sta_i = np.empty((k.STA_I_ROWS, rows), np.int64)
        self.sta_txt = np.empty((rows, k.TEXT_WIDTH), np.uint8)
        self.sta_recv = _receiver_dictionary(rows)
        self.rej_i = np.empty((k.REJ_ROWS, 2 * rows), np.int64)
        self.rej_raw = np.empty(raw_bytes, np.uint8)
        self.cnt = np.zeros(k.CNT_LEN, np.int64)
        self.type_counts = np.zeros(64, np.int64)

    def arrays(self) -> tuple[np.ndarray | tuple[np.ndarray, ...], ...]:
        """The output arrays in :func:`._kernel.decode_lines` argument order (each receiver
        dictionary a tuple of arrays)."""
        return (
            self.pos,
            self.pos_recv,
            self.sta_i,
            self.sta_txt,
            self.sta_recv,
            self.rej_i,
            self.rej_raw,
            self.cnt,
            self.type_counts,
        )

    def empty(self) -> bool:
        return not (self.cnt[k.C_POS] or self.cnt[k.C_STA] or self.cnt[k.C_REJ])

    def counts(self) -> Counter[int]:
        return Counter({t: int(c) for t, c in enumerate(self.type_counts) if c})

    def _receivers(
        self, indices: np.ndarray, recv: tuple[np.ndarray, ...], c_entries: int
    ) -> pa.Array:
        """Label column of the kernel's receiver dictionary indices (-1: null)."""
        data, ends, _table = recv
        dictionary = _strings(ends[: self.cnt[c_entries] + 1], data, None)
        column = pa.DictionaryArray.from_arrays(
            _with_validity(np.ascontiguousarray(indices, np.int32), pa.int32(), indices >= 0),
            dictionary,
        )
        if len(dictionary.unique()) < len(dictionary):  # invalid UTF-8 replaced alike
            return column.cast(pa.string()).dictionary_encode()
        return column

    def positions_table(self, file_id: str) -> pa.Table:
        n = int(self.cnt[k.C_POS])
        p = [column[:n] for column in self.pos]
        columns = [
            pa.array(p[k.P_MMSI], pa.uint32()),
            pa.nulls(n, pa.string()),
            _timestamps(p[k.P_TS]),
            _floats(p[k.P_LON], pa.float64()),
            _floats(p[k.P_LAT], pa.float64()),
            _floats(p[k.P_SOG], pa.float32()),
            _floats(p[k.P_COG], pa.float32()),
            _masked(p[k.P_HEADING], pa.int16()),
            _masked(p[k.P_NAV], pa.int8()),
            pa.array(p[k.P_TYPE], pa.int8()),
            _constant(SOURCE, n),
            self._receivers(p[k.P_RECV], self.pos_recv, k.C_POS_RD),
            _constant(file_id, n),
            pa.array(p[k.P_LINE], pa.int64()),
        ]
        return pa.Table.from_arrays(columns, schema=schemas.POSITIONS)

    def statics_table(self, file_id: str) -> pa.Table:
        n = int(self.cnt[k.C_STA])
        i = self.sta_i[:, :n]
        txt = self.sta_txt[:n]
        draught = np.where(i[k.T_DRAUGHT_DM] >= 0, i[k.T_DRAUGHT_DM] / 10.0, np.nan)
        eta = eta_timestamps(
            i[k.T_ETA_MONTH], i[k.T_ETA_DAY], i[k.T_ETA_HOUR], i[k.T_ETA_MINUTE], i[k.T_TS]
        )
        columns = [
            pa.array(i[k.T_MMSI].astype(np.uint32), pa.uint32()),
            pa.nulls(n, pa.string()),
            _timestamps(i[k.T_TS]),
            _masked(i[k.T_IMO], pa.int32()),
            _text_column(txt, k.CALLSIGN_AT, i[k.T_CALLSIGN_LEN]),
            _text_column(txt, k.NAME_AT, i[k.T_NAME_LEN]),
            _masked(i[k.T_SHIP_TYPE], pa.int16()),
            _masked(i[k.T_BOW], pa.int16()),
            _masked(i[k.T_STERN], pa.int16()),
            _masked(i[k.T_PORT], pa.int16()),
            _masked(i[k.T_STARBOARD], pa.int16()),
            _floats(draught, pa.float32()),
            eta,
            _text_column(txt, k.DEST_AT, i[k.T_DEST_LEN]),
            pa.array(i[k.T_TYPE].astype(np.int8), pa.int8()),
            _constant(SOURCE, n),
            self._receivers(i[k.T_RECV], self.sta_recv, k.C_STA_RD),
            _constant(file_id, n),
            pa.array(i[k.T_LINE], pa.int64()),
        ]
        return pa.Table.from_arrays(columns, schema=schemas.STATICS)

    def quarantine_table(self, file_id: str) -> pa.Table:
        n = int(self.cnt[k.C_REJ])
        i = self.rej_i[:, :n]
        unique, inverse = np.unique(i[k.J_DETAIL : k.J_C + 1].T, axis=0, return_inverse=True)
        texts = pa.array([_codes.detail_text(*map(int, row)) for row in unique], pa.string())
        columns = [
            _constant(file_id, n),
            pa.array(i[k.J_LINE], pa.int64()),
            _strings(_offsets(i[k.J_RAW_END]), self.rej_raw, None),
            _REASON_NAMES.take(pa.array(i[k.J_REASON])),
            texts.take(pa.array(inverse.reshape(-1), pa.int64())),
        ]
        return pa.Table.from_arrays(columns, schema=schemas.QUARANTINE)
