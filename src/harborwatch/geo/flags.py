"""Flag state from an MMSI's Maritime Identification Digits (MID), vectorised.

Where the MID sits depends on the kind of station (ITU-R M.585): ships ``MIDxxxxxx``; coast and
base stations ``00MIDxxxx``; groups ``0MIDxxxxx``; handheld VHF ``8MIDxxxxx``; SAR aircraft
``111MIDxxx``; craft associated with a parent ship ``98MIDxxxx``; aids to navigation
``99MIDxxxx``. SART, MOB and EPIRB-AIS (``970``, ``972``, ``974``) carry no MID. The MID table is
the ITU list as packaged by pyais (MIT), as ISO 3166 alpha-2 codes, plus the allocations it lacks
(:data:`MIDS_MISSING_FROM_PYAIS`; a test checks the whole ITU list against the result).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from pyais.constants import COUNTRY_MAPPING

MIDS_MISSING_FROM_PYAIS = {550: "TL", 638: "SS"}  # Timor-Leste, South Sudan (ITU MID list)


def _flag_lookup() -> np.ndarray:
    table = np.full(1000, None, dtype=object)
    for mid, (iso2, _name) in COUNTRY_MAPPING.items():
        table[mid] = iso2
    for mid, iso2 in MIDS_MISSING_FROM_PYAIS.items():
        table[mid] = iso2
    return table


_FLAGS = _flag_lookup()


def mids_of(mmsi: npt.ArrayLike) -> np.ndarray:
    """The MID of each MMSI (int64), or -1 where the number carries none."""
    value = np.asarray(mmsi, dtype=np.int64)
    digits = [(value // 10 ** (8 - i)) % 10 for i in range(9)]  # nine digits, zero-padded
    rules: list[tuple[np.ndarray, int | None]]
    lead3 = digits[0] * 100 + digits[1] * 10 + digits[2]
    mid = np.full(value.shape, -1, dtype=np.int64)
    rules = [  # (applies, MID digits start at) — first match wins, so most specific first
        ((value < 0) | (value > 999_999_999), None),
        ((lead3 == 970) | (lead3 == 972) | (lead3 == 974), None),
        (lead3 == 111, 3),
        ((digits[0] == 9) & ((digits[1] == 8) | (digits[1] == 9)), 2),
        ((digits[0] == 0) & (digits[1] == 0), 2),
        ((digits[0] == 0) | (digits[0] == 8), 1),
        ((digits[0] >= 2) & (digits[0] <= 7), 0),
    ]
    decided = np.zeros(value.shape, dtype=bool)
    for applies, start in rules:
        take = applies & ~decided
        if start is not None:
            mid[take] = (digits[start] * 100 + digits[start + 1] * 10 + digits[start + 2])[take]
        decided |= take
    mid[(mid < 200) | (mid > 799)] = -1  # MIDs are allocated in 201-775
    return mid


def flags_of(mmsi: pa.Array | pa.ChunkedArray) -> pa.Array:
    """ISO 3166 alpha-2 flag of each MMSI (null for null MMSIs and unknown MIDs)."""
    values = pa.chunked_array([mmsi]) if isinstance(mmsi, pa.Array) else mmsi
    filled = values.fill_null(0).to_numpy().astype(np.int64)
    mids = mids_of(filled)
    known = (mids >= 0) & ~np.asarray(values.is_null())
    flags = _FLAGS[np.clip(mids, 0, 999)]  # fancy indexing copies
    flags[~known] = None
    return pa.array(flags, type=pa.string())
