"""The NMEA kernel's word-at-a-time scans against byte-by-byte references on arbitrary bytes."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from harborwatch.ais.nmea import _kernel as k
from harborwatch.ais.nmea._codes import NO_TS

_SCAN_BYTES = st.lists(st.sampled_from(b"\n*,$!\\AVDM0123456789abc\r "), max_size=100).map(bytes)


@njit
def _line_end(buf: np.ndarray, i: int, end: int) -> int:
    return k._line_end(buf, i, end)


@njit
def _scan_fields(buf: np.ndarray, q: int, e: int, scratch: np.ndarray, limit: int) -> tuple:
    return k._scan_fields(buf, q, e, scratch, limit)


@settings(deadline=None, max_examples=400)  # the first example compiles
@given(data=_SCAN_BYTES, after=_SCAN_BYTES, start=st.integers(0, 100), span=st.integers(0, 100))
def test_line_end_finds_the_first_newline(data: bytes, after: bytes, start: int, span: int) -> None:
    """Before ``end`` only, whatever follows it (the 64-byte step reads past ``end``)."""
    start = min(start, len(data))
    end = min(start + span, len(data))
    found = data.find(b"\n", start, end)
    buf = np.frombuffer(data + after + b"\n" * 64, np.uint8)
    assert _line_end(buf, start, end) == (found if found >= 0 else end)


@settings(deadline=None, max_examples=400)
@given(
    data=_SCAN_BYTES,
    after=_SCAN_BYTES,
    room=st.integers(0, 64),
    start=st.integers(0, 80),
    span=st.integers(0, 80),
    limit=st.sampled_from([8, 12]),
)
def test_scan_fields_matches_a_byte_loop(
    data: bytes, after: bytes, room: int, start: int, span: int, limit: int
) -> None:
    """Up to ``e`` only, whatever follows it in the buffer (``after`` and ``room`` make the
    64-byte vector step, which reads past ``e``, run with stars and commas to mask, or not run
    when fewer than 64 bytes can be read)."""
    start = min(start, len(data))
    end = min(start + span, len(data))
    star = data.find(b"*", start, end)
    star = star if star >= 0 else end
    body = data[start:star]
    commas = [start + j for j, ch in enumerate(body) if ch == 44]
    x = 0
    for ch in body:
        x ^= ch
    scratch = np.full(k.SCRATCH_LEN, -7, np.int64)
    buf = np.frombuffer(data + after + b"*," * room, np.uint8)
    got = _scan_fields(buf, start, end, scratch, limit)
    assert got == (star, x, len(commas))
    assert list(scratch[k.FPOS : k.FPOS + min(len(commas), limit)]) == commas[:limit]


@njit
def _short_uint(buf: np.ndarray, s: int, e: int) -> int:
    return k._short_uint(buf, s, e)


@njit
def _uint(buf: np.ndarray, s: int, e: int) -> int:
    return k._uint(buf, s, e)


@settings(deadline=None)
@given(
    data=st.lists(st.sampled_from(b"0123456789/:a,*\x00\xff"), max_size=24).map(bytes),
    start=st.integers(0, 24),
    length=st.integers(0, 20),
)
def test_short_uint_matches_the_byte_loop(data: bytes, start: int, length: int) -> None:
    start = min(start, len(data))
    stop = min(start + length, len(data))
    buf = np.frombuffer(data, np.uint8)
    assert _short_uint(buf, start, stop) == _uint(buf, start, stop)


@njit
def _civil_us(parts: tuple, scratch: np.ndarray) -> int:
    y, mo, d, h, mi, s, ms = parts
    return k._civil_us(y, mo, d, h, mi, s, ms, scratch)


_DATES = st.tuples(
    st.sampled_from([0, 1969, 1970, 2000, 2013, 2100]),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(-1, 24),
    st.integers(0, 60),
    st.integers(0, 61),
    st.integers(0, 1000),
)


def _reference_us(y: int, mo: int, d: int, h: int, mi: int, s: int, ms: int) -> int:
    try:
        day = datetime(y, mo, d, tzinfo=UTC)
    except ValueError:
        return NO_TS
    if y < 1970 or not (0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 60 and 0 <= ms <= 999):
        return NO_TS
    return int(day.timestamp()) * 1_000_000 + ((h * 60 + mi) * 60 + s) * 1_000_000 + ms * 1000


@settings(deadline=None)
@given(dates=st.lists(_DATES, max_size=12))
def test_civil_us_with_the_day_cache_matches_datetime(dates: list) -> None:
    scratch = np.zeros(k.SCRATCH_LEN, np.int64)
    for parts in dates:  # one scratch: each call may reuse the day the last one cached
        assert _civil_us(parts, scratch) == _reference_us(*parts)


@njit
def _same_bytes(rb: np.ndarray, s: int, rscr: np.ndarray, rlen: int) -> bool:
    return k._same_bytes(rb, s, rscr, rlen)


@settings(deadline=None)
@given(
    stored=st.lists(st.sampled_from(b"0123ab"), max_size=20).map(bytes),
    at=st.integers(0, 20),
    wanted=st.lists(st.sampled_from(b"0123ab"), max_size=12).map(bytes),
)
def test_same_bytes_matches_a_slice_compare(stored: bytes, at: int, wanted: bytes) -> None:
    at = min(at, len(stored))
    rlen = min(len(wanted), len(stored) - at)
    rscr = np.zeros(k.RECEIVER_MAX_BYTES, np.uint8)
    rscr[: len(wanted)] = np.frombuffer(wanted, np.uint8)
    rscr[len(wanted) :] = 255  # bytes past the id must not matter
    rb = np.frombuffer(stored, np.uint8)
    assert _same_bytes(rb, at, rscr, rlen) == (stored[at : at + rlen] == wanted[:rlen])


@njit
def _pack_message(buf: np.ndarray, s: int, e: int, w: np.ndarray) -> tuple:
    return k._pack_message(buf, s, e, w)


@njit
def _pack_by_char(buf: np.ndarray, s: int, e: int, w: np.ndarray) -> tuple:
    w[:] = 0
    found = k._pack(buf, s, e, w, 0)
    k._pad_words(w, e - s)
    return found


_ARMOUR = bytes(range(48, 88)) + bytes(range(96, 120))
_NEAR_ARMOUR = b"\x00\x2f\x58\x5f\x78\x7f\x80\xb0\xd7\xe0\xf7\xff"
"""Bytes just outside the armour ranges, and valid ones with the high bit set."""


@settings(deadline=None, max_examples=400)
@given(
    payload=st.one_of(
        st.lists(st.sampled_from(_ARMOUR), max_size=90).map(bytes),
        st.lists(st.sampled_from(_ARMOUR + _NEAR_ARMOUR), max_size=90).map(bytes),
    ),
    before=st.binary(max_size=12),
    after=st.binary(max_size=12),
)
def test_pack_message_matches_packing_a_character_at_a_time(
    payload: bytes, before: bytes, after: bytes
) -> None:
    """Same words and the same first bad character, whatever bytes surround the payload (the
    word loads read past it; near the buffer's end the character loop takes over)."""
    buf = np.frombuffer(before + payload + after, np.uint8)
    s, e = len(before), len(before) + len(payload)
    fast, slow = np.full(k.WORDS, -1, np.int64), np.full(k.WORDS, -1, np.int64)
    assert _pack_message(buf, s, e, fast) == _pack_by_char(buf, s, e, slow)
    if not any(ch not in _ARMOUR for ch in payload):
        assert fast.tolist() == slow.tolist()
