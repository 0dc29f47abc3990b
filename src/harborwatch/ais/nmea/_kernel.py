"""The single-pass Numba kernel: NMEA bytes in, typed column arrays out.

One call walks complete lines of a byte buffer once: it frames lines, reads tag blocks, ``$PGHP``
lines and trailing ``,station,unixtime`` fields, verifies checksums, reassembles multipart
messages, de-armours the 6-bit payload and writes each message's fields straight into preallocated
NumPy column arrays. No Python object is made per sentence. Rejects leave as integer codes (see
:mod:`harborwatch.ais.nmea._codes`) plus a copy of their raw text.

State that outlives a call (line count, the pending ``$PGHP`` time, incomplete multipart groups)
lives in small arrays owned by :class:`~harborwatch.ais.nmea.decoder.NmeaDecoder`, so feeding a
file in any chunking gives the same rows.

Payload bits are packed ten characters (60 bits) per int64 word, so a field is at most two shifts
and a mask, and every value stays non-negative (no signed-shift surprises).

Speed: line ends, ``*`` and commas are found 64 bytes at a time from vector compare masks
(:func:`_match64`; eight bytes at a time near the buffer's end), the checksum is XOR-ed in the
same step (:func:`_xor64`), a one-sentence payload is checked and packed eight characters per
step (:func:`_six8`), a tag block alone on its line is read only if the next line needs it
(:func:`_resolve_tag`), a repeated ``$PGHP`` date is not read again (:func:`_date_text`), and
the arrays the per-line helpers take are borrowed views that Numba does not reference-count
(:func:`_borrow`). Outside the kernel,
what is left to Arrow is cheap: position columns are written in their final types, and receiver
ids are interned per table (:func:`_intern`), so their columns are dictionary indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic

from harborwatch.ais.nmea._codes import (
    D_BAD_CHAR,
    D_BAD_FIELD,
    D_BAD_TYPE,
    D_BIT_LENGTH,
    D_CHECKSUM,
    D_EMPTY_PAYLOAD,
    D_FIELD_COUNT,
    D_FRAGMENT_TOO_LONG,
    D_LAT,
    D_LINE_TOO_LONG,
    D_LON,
    D_MISSING,
    D_MMSI,
    D_NO_CHECKSUM,
    D_NO_TS,
    D_NOT_SENTENCE,
    D_PGHP_TIME,
    D_RECEIVER_TOO_LONG,
    D_TAG_UNTERMINATED,
    D_TYPE24_PART,
    D_UNSUPPORTED,
    NO_TS,
    R_BAD_CHECKSUM,
    R_BAD_MMSI,
    R_MALFORMED,
    R_MISSING_FRAGMENT,
    R_NO_TIMESTAMP,
    R_OUT_OF_RANGE,
    R_UNSUPPORTED_TYPE,
)
from harborwatch.ais.reasons import MAX_MMSI

MAX_LINE_BYTES = 65536
"""Longer lines are rejected whole without parsing (no NMEA record comes near this)."""
RECEIVER_MAX_BYTES = 64
"""Longest receiver id kept (tag-block ``s:``, ``$PGHP`` station or trailing station)."""
SLOTS = 64
"""Multipart groups pending at once; when all are taken the oldest is dropped as incomplete."""
MAX_FRAGMENTS = 9
FRAGMENT_MAX_CHARS = 128
"""Longest payload of one fragment (NMEA caps whole sentences at 82 characters)."""
FRAGMENT_MAX_RAW = 512
"""Longest raw text of one fragment kept for the quarantine table."""
PACK_CHARS = 80
"""Payload characters packed into words: 480 bits, enough for every decoded type (5: 424)."""
WORDS = PACK_CHARS // 10 + 2

# state[] slots
S_LINE = 0
S_PEND_TS = 1
S_PEND_RECV_LEN = 2
S_CLOCK = 3
STATE_LEN = 4

# slot_meta[slot, ] columns
M_USED = 0
M_SEQ = 1
M_CHAN = 2
M_GROUP = 3
M_TOTAL = 4
M_MASK = 5
M_AGE = 6
M_TS = 7
M_RECV_LEN = 8
M_LINE = 9
META_LEN = 10

# frag_meta[slot, fragment, ] columns
F_CHARS = 0
F_FILL = 1
F_RAW_LEN = 2
FRAG_META_LEN = 3

# cnt[] counters: rows written per table, bytes written per byte buffer, receiver dictionary
# entries per table
C_POS = 0
C_STA = 1
C_REJ = 2
C_POS_RB = 3
C_STA_RB = 4
C_REJ_RAW = 5
C_POS_RD = 6
C_STA_RD = 7
CNT_LEN = 8

# receiver dictionaries, one per table: (bytes u8[], ends i64[rows + 1], hash i32[power of 2 >=
# 2 * rows]); entry j is bytes[ends[j]:ends[j + 1]], ends[0] is 0; the hash table holds entry
# index + 1 (0: empty), so the table builds a dictionary array with no hashing in Python

# positions: pos, a tuple of one array per column in its Arrow type, so the table wraps them as
# they are (NaN is null in floats, -1 in integers; P_RECV indexes the receiver dictionary)
P_LON = 0
P_LAT = 1
P_SOG = 2
P_COG = 3
P_TS = 4
P_LINE = 5
P_HEADING = 6
P_NAV = 7
P_TYPE = 8
P_MMSI = 9
P_RECV = 10
POS_DTYPES = (
    np.float64, np.float64, np.float32, np.float32, np.int64, np.int64, np.int16, np.int8,
    np.int8, np.uint32, np.int32,
)  # fmt: skip

# statics: sta_i (i64[STA_I_ROWS, n], -1 is null), sta_txt (u8[n, TEXT_WIDTH]: name, call sign,
# destination at fixed columns, lengths in sta_i; T_RECV indexes the statics receiver dictionary)
T_TS = 0
T_LINE = 1
T_IMO = 2
T_TYPE = 3
T_SHIP_TYPE = 4
T_BOW = 5
T_STERN = 6
T_PORT = 7
T_STARBOARD = 8
T_ETA_MONTH = 9
T_ETA_DAY = 10
T_ETA_HOUR = 11
T_ETA_MINUTE = 12
T_NAME_LEN = 13
T_CALLSIGN_LEN = 14
T_DEST_LEN = 15
T_RECV = 16
T_MMSI = 17
T_DRAUGHT_DM = 18
STA_I_ROWS = 19
NAME_AT = 0
CALLSIGN_AT = 20
DEST_AT = 27
TEXT_WIDTH = 48

# rejects: rej_i (i64[REJ_ROWS, n]), rej_raw (raw text bytes, ends in J_RAW_END)
J_LINE = 0
J_REASON = 1
J_DETAIL = 2
J_A = 3
J_B = 4
J_C = 5
J_RAW_END = 6
REJ_ROWS = 7

# scratch (i64[SCRATCH_LEN]): packed payload words at 0 (WORDS of them), the last $PGHP date at
# DAY (year, month, day, microseconds of its midnight; zeros at first, which no date from 1970
# on matches), comma positions of a sentence at FPOS, and at DATE_TEXT the text of the date
# cached at DAY (length, then two words of bytes; length 0 at first, which no date has)
DAY = 12
FPOS = 16
DATE_TEXT = 28
SCRATCH_LEN = 32
_SKIP = -2
"""Scan result for a sentence that is not AIS (not VDM/VDO): no record."""

_LON_NA_FINE = 181 * 600_000
_LAT_NA_FINE = 91 * 600_000
_LON_NA_COARSE = 181 * 600
_LAT_NA_COARSE = 91 * 600
_US = 1_000_000


# ---------------------------------------------------------------- borrowed arrays


def _borrow(typingctx, array):
    """``array`` without its memory-info pointer, so Numba's reference counting skips it.

    Every array handed to a helper, inlined or not, costs an atomic increment and decrement of
    its reference count; at about twenty hand-offs per sentence these took a third of the run
    time. Only for arrays that outlive the call, such as the kernel's arguments.
    """

    def codegen(context, builder, signature, args):
        view = context.make_array(array)(context, builder, value=args[0])
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        return view._getvalue()

    return array(array), codegen


_borrowed: Any = intrinsic(_borrow)
"""Numba intrinsic ``_borrowed(array)``: see :func:`_borrow`."""


def _load8_typing(typingctx, array, index):
    """The eight bytes array[index:index + 8] as one little-endian uint64 (unaligned load; the
    caller keeps index + 8 within the array)."""

    def codegen(context, builder, signature, args):
        data = context.make_array(array)(context, builder, value=args[0]).data
        word = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(64).as_pointer())
        return builder.load(word, align=1)

    return types.uint64(array, types.int64), codegen


_load8: Any = intrinsic(_load8_typing)
"""Numba intrinsic ``_load8(array, index)``: see :func:`_load8_typing`."""

_V64 = ir.VectorType(ir.IntType(8), 64)


def _load64(context, builder, array_type, array, index):
    """LLVM IR: the 64 bytes array[index:index + 64] as one vector (unaligned load)."""
    data = context.make_array(array_type)(context, builder, value=array).data
    return builder.load(builder.bitcast(builder.gep(data, [index]), _V64.as_pointer()), align=1)


def _match64_typing(typingctx, array, index, byte):
    """Bit j set where array[index + j] == byte, for j < 64 (the caller keeps index + 64 within
    the array): one vector compare and mask move where the CPU has them."""

    def codegen(context, builder, signature, args):
        v = _load64(context, builder, signature.args[0], args[0], args[1])
        splat = builder.insert_element(
            ir.Constant(_V64, None), builder.trunc(args[2], ir.IntType(8)), ir.IntType(32)(0)
        )
        splat = builder.shuffle_vector(
            splat, ir.Constant(_V64, None), ir.Constant(ir.VectorType(ir.IntType(32), 64), [0] * 64)
        )
        return builder.bitcast(builder.icmp_unsigned("==", v, splat), ir.IntType(64))

    return types.uint64(array, types.int64, types.int64), codegen


_match64: Any = intrinsic(_match64_typing)
"""Numba intrinsic ``_match64(array, index, byte)``: see :func:`_match64_typing`."""


def _xor64_typing(typingctx, array, index, mask):
    """XOR of the bytes array[index + j] whose bit j of the uint64 ``mask`` is set (the caller
    keeps index + 64 within the array)."""

    def codegen(context, builder, signature, args):
        v = _load64(context, builder, signature.args[0], args[0], args[1])
        picked = builder.select(
            builder.bitcast(args[2], ir.VectorType(ir.IntType(1), 64)), v, ir.Constant(_V64, 0)
        )
        reduce = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.IntType(8), [_V64]), "llvm.vector.reduce.xor.v64i8"
        )
        return builder.zext(builder.call(reduce, [picked]), ir.IntType(64))

    return types.int64(array, types.int64, types.uint64), codegen


_xor64: Any = intrinsic(_xor64_typing)
"""Numba intrinsic ``_xor64(array, index, mask)``: see :func:`_xor64_typing`."""

_trailing_zeros: Any = trailing_zeros  # mypy would check calls against the typing signature
_ONES = np.uint64(0x0101010101010101)
_HIGHS = np.uint64(0x8080808080808080)
_NEWLINES = np.uint64(0x0A0A0A0A0A0A0A0A)
_BACKSLASHES = np.uint64(0x5C5C5C5C5C5C5C5C)
_COMMAS = np.uint64(0x2C2C2C2C2C2C2C2C)
_STARS = np.uint64(0x2A2A2A2A2A2A2A2A)
_LOWS = np.uint64(0x7F7F7F7F7F7F7F7F)
_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _find_byte(buf, i, end, byte, pattern):
    """Index of the first ``byte`` in buf[i:end], or ``end``; ``pattern`` is ``byte`` in all
    eight bytes of a uint64.

    64 bytes at a time (:func:`_match64`) while 64 can be read from ``i``, which may reach past
    ``end``: a hit there means none before ``end``. Near the buffer's end, eight bytes at a
    time: a byte of ``x`` is zero where the byte was ``byte``, and
    ``(x - 0x01..) & ~x & 0x80..`` sets the high bit of the lowest such byte (borrows only run
    upwards, so bytes above it may be false hits, never below). A byte loop paid a compare and
    a branch per byte and a misprediction at every hit.
    """
    while i < end and i + 64 <= buf.shape[0]:
        hits = _match64(buf, i, byte)
        if hits:
            return min(i + np.int64(_trailing_zeros(hits)), end)
        i += 64
    i = min(i, end)
    while i + 8 <= end:
        x = _load8(buf, i) ^ pattern
        hits = (x - _ONES) & ~x & _HIGHS
        if hits:
            return i + (_trailing_zeros(hits) >> 3)
        i += 8
    while i < end and buf[i] != byte:
        i += 1
    return i


@njit(cache=True, nogil=True, inline="always")
def _line_end(buf, i, end):
    """Index of the first newline in buf[i:end], or ``end``."""
    return _find_byte(buf, i, end, 10, _NEWLINES)


@njit(cache=True, nogil=True)
def line_bounds(buf, length):
    """(index just after the first newline of buf[:length], just after the last one); (0, 0)
    when there is none. What a chunk's complete lines span, without copying it to bytes."""
    last = length - 1
    while last >= 0 and buf[last] != 10:
        last -= 1
    if last < 0:
        return 0, 0
    return _line_end(buf, 0, last) + 1, last + 1


# ---------------------------------------------------------------- small parsers


def _hex_table() -> np.ndarray:
    """Value of every hex digit byte (either case), -1 for every other byte."""
    table = np.full(256, -1, np.int64)
    for digits, first in ((b"0123456789", 0), (b"ABCDEF", 10), (b"abcdef", 10)):
        table[np.frombuffer(digits, np.uint8)] = np.arange(first, first + len(digits))
    return table


_HEX = _hex_table()
"""Looked up rather than range-tested: checksum digits are letters or digits at random, so range
tests mispredicted."""


@njit(cache=True, nogil=True, inline="always")
def _given_checksum(buf, star, e):
    """Value of the two hex digits after the ``*`` at ``star`` (before ``e``), or -1."""
    if star + 2 >= e:
        return -1
    high = _HEX[buf[star + 1]]
    low = _HEX[buf[star + 2]]
    return -1 if (high | low) < 0 else high * 16 + low


@njit(cache=True, nogil=True, inline="always")
def _uint(buf, s, e):
    """Decimal value of buf[s:e], or -1 if empty, not all digits, or over 18 digits."""
    if s >= e or e - s > 18:
        return -1
    v = 0
    for k in range(s, e):
        d = int(buf[k]) - 48
        if d < 0 or d > 9:
            return -1
        v = v * 10 + d
    return v


_SIXES = np.uint64(0x0606060606060606)
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
_ZEROS = np.uint64(0x3030303030303030)


@njit(cache=True, nogil=True, inline="always")
def _short_uint(buf, s, e):
    """:func:`_uint` of buf[s:e] without a loop when it is 1 to 8 bytes and eight bytes can be
    loaded from ``s``.

    The bytes are loaded as one word, checked to be digits and combined pairwise by three
    multiply-adds into the low four bytes (the first digit is the lowest byte). A byte loop
    mispredicted at the end of every short field, such as the date fields of a ``$PGHP`` line.
    """
    n = e - s
    if n < 1 or n > 8 or s + 8 > buf.shape[0]:
        return _uint(buf, s, e)
    keep = np.uint64(8 * (8 - n))
    x = ((_load8(buf, s) ^ _ZEROS) << keep) >> keep  # digit values in the low n bytes
    if (x | (x + _SIXES)) & _HIGH_NIBBLES:  # a byte above 9
        return -1
    x <<= keep  # leading zeros: the last digit in the top byte
    x = ((x * np.uint64(10)) + (x >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    x = ((x * np.uint64(100)) + (x >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    x = (x * np.uint64(10000)) + (x >> np.uint64(32))
    return np.int64(x & np.uint64(0xFFFFFFFF))


@njit(cache=True, nogil=True, inline="always")
def _unix_time_us(buf, s, e):
    """Microseconds of a Unix time in seconds, or milliseconds when above 1e11, or NO_TS.

    Accepts an optional decimal fraction (``1325394060.5``).
    """
    dot = s
    while dot < e and buf[dot] != 46:
        dot += 1
    whole = _uint(buf, s, dot)
    if whole < 0:
        return NO_TS
    unit = _US if whole <= 100_000_000_000 else 1000
    us = whole * unit
    if dot < e:
        scale = unit // 10
        for k in range(dot + 1, e):
            d = int(buf[k]) - 48
            if d < 0 or d > 9:
                return NO_TS
            us += d * scale
            scale //= 10
    return us


@njit(cache=True, nogil=True, inline="always")
def _days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm)."""
    y = y - 1 if m <= 2 else y
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@njit(cache=True, nogil=True, inline="always")
def _midnight_us(y, mo, d):
    """Microseconds since epoch of the midnight of a date from 1970 on (month 1-12, day from 1),
    or NO_TS if the month has no such day."""
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    month_days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if d > month_days[mo - 1]:
        return NO_TS
    return _days_from_civil(y, mo, d) * 86_400 * _US


@njit(cache=True, nogil=True, inline="always")
def _civil_us(y, mo, d, h, mi, s, ms, scratch):
    """Microseconds since epoch of a calendar time, or NO_TS if any part is out of range.

    The date's midnight is kept at scratch[DAY:] and reused while the date repeats, as it does
    line after line in a ``$PGHP`` feed: the leap-year and day-count arithmetic is then skipped.
    """
    if y < 1970 or mo < 1 or mo > 12 or d < 1 or h < 0 or h > 23 or mi < 0 or mi > 59:
        return NO_TS
    if s < 0 or s > 60 or ms < 0 or ms > 999:
        return NO_TS
    if y != scratch[DAY] or mo != scratch[DAY + 1] or d != scratch[DAY + 2]:
        midnight = _midnight_us(y, mo, d)
        if midnight == NO_TS:
            return NO_TS
        scratch[DAY], scratch[DAY + 1], scratch[DAY + 2], scratch[DAY + 3] = y, mo, d, midnight
    return scratch[DAY + 3] + (h * 60 + mi) * 60 * _US + s * _US + ms * 1000


@njit(cache=True, nogil=True, inline="always")
def _parse_tag(buf, s, e):
    """Read a tag block's content buf[s:e] (between the backslashes).

    Returns (time µs or NO_TS, receiver start, receiver end (start -1: none), group id hash or -1).
    The tag block's own checksum is not enforced: a relay that writes a wrong one (Spire's
    ``*00``) must not lose the sentence, which has its own checksum; a ``c:`` that does not parse
    gives no time.
    """
    star = e
    for k in range(s, e):
        if buf[k] == 42:
            star = k
            break
    ts = NO_TS
    rs = -1
    re = -1
    group = -1
    f = s
    while f < star:
        g = f
        while g < star and buf[g] != 44:
            g += 1
        colon = f
        while colon < g and buf[colon] != 58:
            colon += 1
        if colon == f + 1 and colon < g:
            name = buf[f]
            if name == 99:  # c: unix time
                ts = _unix_time_us(buf, colon + 1, g)
            elif name == 115:  # s: source
                rs = colon + 1
                re = g
            elif name == 103:  # g: fragment-total-id
                group = _group_id(buf, colon + 1, g)
        f = g + 1
    return ts, rs, re, group


@njit(cache=True, nogil=True)
def _group_id(buf, s, e):
    """FNV-1a hash (63 bits) of the id part of a ``g:n-m-id`` value, or -1 if it has none."""
    dashes = 0
    k = s
    while k < e and dashes < 2:
        if buf[k] == 45:
            dashes += 1
        k += 1
    if dashes < 2:
        return -1
    h = np.uint64(14695981039346656037)
    for j in range(k, e):
        h = (h ^ np.uint64(buf[j])) * np.uint64(1099511628211)
    return np.int64(h >> np.uint64(1))


@njit(cache=True, nogil=True, inline="always")
def _parse_trailer(buf, s, e):
    """Read ``,field,...`` after a sentence's checksum: (time µs or NO_TS, station start, end).

    The time is the last all-digit field (libais/USCG style ends with two Unix times; the last is
    the receiver's); the station is the first field starting with ``r`` or ``b``
    (``r003669946``, ``b003669794``).
    """
    ts = NO_TS
    rs = -1
    re = -1
    f = s
    while f < e:
        g = f
        while g < e and buf[g] != 44:
            g += 1
        if g > f:
            c = buf[f]
            if 48 <= c <= 57:
                t = _unix_time_us(buf, f, g)
                if t != NO_TS:
                    ts = t
            elif (c == 114 or c == 98) and g - f > 1 and rs < 0:
                rs = f
                re = g
        f = g + 1
    return ts, rs, re


# ---------------------------------------------------------------- payload bits


def _sixbit_table() -> np.ndarray:
    """6-bit value of every byte in the payload armour set (``0``-``W``, backtick-``w``), -1
    for every other byte."""
    table = np.full(256, -1, np.int64)
    table[48:88] = np.arange(40)
    table[96:120] = np.arange(40, 64)
    return table


_SIXBIT = _sixbit_table()
"""Looked up rather than range-tested: payload characters fall on either side of the gap at
random, so range tests mispredicted about one branch in three."""


@njit(cache=True, nogil=True, inline="always")
def _first_bad_char(src, s, e):
    """(offset relative to s, byte) of the first character of src[s:e] outside the armour set,
    or (-1, 0)."""
    for j in range(s, e):
        if _SIXBIT[src[j]] < 0:
            return j - s, np.int64(src[j])
    return -1, 0


@njit(cache=True, nogil=True, inline="always")
def _pack(src, s, e, w, k0):
    """Append payload characters src[s:e] at character index k0 into the 60-bit words ``w``.

    Validates every character; packs only the first PACK_CHARS. Returns (offset of the first bad
    character relative to s, its byte) or (-1, 0). Branch-free per character: validity is OR-ed
    up and only a bad payload is scanned again; the word being filled stays in a register and
    is stored once per ten characters.
    """
    k = k0
    word = k // 10
    acc = w[word] if k < PACK_CHARS else 0
    bad = 0
    j = s
    stop = min(e, s + max(PACK_CHARS - k0, 0))
    while j < stop:
        take = min(10 - (k - word * 10), stop - j)
        for t in range(j, j + take):
            v = _SIXBIT[src[t]]
            bad |= v
            acc = (acc << 6) | (v & 63)
        j += take
        k += take
        if k - word * 10 == 10:
            w[word] = acc
            word += 1
            acc = 0
    if k < PACK_CHARS:
        w[word] = acc
    for t in range(stop, e):
        bad |= _SIXBIT[src[t]]
    if bad < 0:
        return _first_bad_char(src, s, e)
    return -1, 0


@njit(cache=True, nogil=True, inline="always")
def _pad_words(w, nchars):
    """Left-align the last, partly filled word after packing ``nchars`` characters."""
    n = min(nchars, PACK_CHARS)
    rest = n % 10
    if rest:
        w[n // 10] <<= 6 * (10 - rest)


_SIXES_OFF = np.uint64(0x5858585858585858)  # + v: high bit where v >= 40
_BELOW_30 = np.uint64(0x5050505050505050)  # + c: high bit where c >= 0x30
_FROM_78 = np.uint64(0x0808080808080808)  # + c: high bit where c >= 0x78
_FROM_58 = np.uint64(0x2828282828282828)  # + c: high bit where c >= 0x58
_FROM_60 = np.uint64(0x2020202020202020)  # + c: high bit where c >= 0x60
_PAIRS = np.uint64(0x003F003F003F003F)
_QUADS = np.uint64(0x00000FFF00000FFF)
_SIX_BYTES = np.uint64(0xFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _keep_chars(x, n):
    """The eight bytes ``x`` with those from index ``n`` on (0 <= n) replaced by ``0`` (the
    armour character of value 0)."""
    if n >= 8:
        return x
    keep = (_ONE << np.uint64(8 * n)) - _ONE
    return (x & keep) | (_ZEROS & ~keep)


@njit(cache=True, nogil=True, inline="always")
def _six8(x):
    """(48-bit value, high bit set in each invalid byte) of eight armoured payload characters
    (the first in the lowest byte), the first character's six bits on top.

    Bytes are checked and de-armoured in parallel (valid: 0x30-0x57 and 0x60-0x77; minus 0x30,
    and 8 more from 0x60), then merged pairwise into 12, 24 and 48 bits.
    """
    c = x & _LOWS
    bad = (x & _HIGHS) | (~(c + _BELOW_30) & _HIGHS) | ((c + _FROM_78) & _HIGHS)
    bad |= (c + _FROM_58) & ~(c + _FROM_60) & _HIGHS
    v = c - _ZEROS
    v -= ((v + _SIXES_OFF) & _HIGHS) >> np.uint64(4)
    v = ((v & _PAIRS) << np.uint64(6)) | ((v >> np.uint64(8)) & _PAIRS)
    v = ((v & _QUADS) << np.uint64(12)) | ((v >> np.uint64(16)) & _QUADS)
    v = ((v & _SIX_BYTES) << np.uint64(24)) | (v >> np.uint64(32))
    return v, bad


@njit(cache=True, nogil=True, inline="always")
def _pack_message(src, s, e, w):
    """Pack a whole message's payload src[s:e] into ``w`` (zeroed first, last word left-aligned
    as :func:`_pad_words` leaves it); returns what :func:`_pack` returns.

    Ten characters per word from two eight-byte loads (:func:`_six8`) when the payload fits
    PACK_CHARS and the loads stay inside ``src``; characters past ``e`` count as value 0.
    Otherwise :func:`_pack` a character at a time.
    """
    for k in range(WORDS):
        w[k] = 0
    n = e - s
    words = (n + 9) // 10
    if n > PACK_CHARS or s + 10 * words > src.shape[0]:
        bad_at, bad_char = _pack(src, s, e, w, 0)
        _pad_words(w, n)
        return bad_at, bad_char
    bad = np.uint64(0)
    for k in range(words):
        at = s + 10 * k
        first, bad_first = _six8(_keep_chars(_load8(src, at), e - at))
        tail = _keep_chars(_load8(src, at + 2) >> np.uint64(48), max(min(e - at - 8, 2), 0))
        last, bad_last = _six8(tail)
        bad |= bad_first | bad_last
        w[k] = np.int64((first << np.uint64(12)) | (last >> np.uint64(36)))
    if bad:
        return _first_bad_char(src, s, e)
    return -1, 0


@njit(cache=True, nogil=True, inline="always")
def _bits(w, off, width):
    """Unsigned value of ``width`` (≤ 30) payload bits starting at bit ``off``."""
    idx = off // 60
    end = off - idx * 60 + width
    if end <= 60:
        return (w[idx] >> (60 - end)) & ((1 << width) - 1)
    rem = end - 60
    high = w[idx] & ((1 << (60 - (off - idx * 60))) - 1)
    return (high << rem) | (w[idx + 1] >> (60 - rem))


@njit(cache=True, nogil=True, inline="always")
def _sbits(w, off, width):
    """Two's-complement signed value of ``width`` payload bits at ``off``."""
    v = _bits(w, off, width)
    if v >= 1 << (width - 1):
        v -= 1 << width
    return v


@njit(cache=True, nogil=True)
def _text(w, off, nchars, txt, row, at):
    """Write AIS 6-bit text to txt[row, at:], cut at the first ``@`` padding and trimmed of
    spaces at both ends; returns its length, or -1 when nothing is left (not available)."""
    n = 0
    for k in range(nchars):
        v = _bits(w, off + 6 * k, 6)
        if v == 0:
            break
        txt[row, at + n] = v + 64 if v < 32 else v
        n += 1
    while n > 0 and txt[row, at + n - 1] == 32:
        n -= 1
    lead = 0
    while lead < n and txt[row, at + lead] == 32:
        lead += 1
    if lead:
        for k in range(n - lead):
            txt[row, at + k] = txt[row, at + lead + k]
        n -= lead
    return n if n > 0 else -1


# ---------------------------------------------------------------- message decoding


# Hot-path helpers take at most two arrays, and only borrowed ones (see _borrowed): every owned
# array argument costs an atomic reference count increment and decrement per call. Output arrays
# are written only in decode_lines itself and in cold helpers (statics, rejects, multipart
# bookkeeping).


@njit(cache=True, nogil=True, inline="always")
def _expected_bits(t, part):
    """(fewest, most) payload bits accepted for message type ``t``.

    The most is the standard length plus 5: senders that misstate the fill bits pad the last
    character. Type 24 part A is also seen at 168 bits (padded like part B).
    """
    if t == 19:
        return 312, 317
    if t == 5:
        return 424, 429
    if t == 27:
        return 96, 101
    if t == 24 and part == 0:
        return 160, 168
    return 168, 173


@njit(cache=True, nogil=True, inline="always")
def _header(w, nchars, fill):
    """Type, type-24 part and MMSI of a packed message, checking type, length and MMSI.

    Returns (reason, detail, a, b, c, type, part, mmsi); reason -1 means a supported message of
    valid length and MMSI.
    """
    t = _bits(w, 0, 6)
    if t == 0 or t > 27:
        return R_MALFORMED, D_BAD_TYPE, t, 0, 0, t, 0, 0
    if not (t <= 5 or t == 18 or t == 19 or t == 24 or t == 27):
        return R_UNSUPPORTED_TYPE, D_UNSUPPORTED, t, 0, 0, t, 0, 0
    nbits = nchars * 6 - fill
    part = _bits(w, 38, 2) if t == 24 else 0
    if part > 1 and nbits >= 40:
        return R_MALFORMED, D_TYPE24_PART, part, 0, 0, t, part, 0
    low, high = _expected_bits(t, part)
    if nbits < low or nbits > high:
        return R_MALFORMED, D_BIT_LENGTH, t, nbits, low, t, part, 0
    mmsi = _bits(w, 8, 30)
    if mmsi == 0 or mmsi > MAX_MMSI:
        return R_BAD_MMSI, D_MMSI, mmsi, 0, 0, t, part, mmsi
    return -1, 0, 0, 0, 0, t, part, mmsi


@njit(cache=True, nogil=True, inline="always")
def _kinematics(w, t):
    """Position fields of a type 1-4, 18, 19 or 27 message.

    Returns (lon raw, lat raw, units per degree, lon not-available raw, lat not-available raw,
    SOG kn, COG deg, heading deg, nav status); NaN / -1 where not available or invalid.
    """
    nav = -1
    sog = np.nan
    cog = np.nan
    heading = -1
    if t == 27:
        nav = _bits(w, 40, 4)
        sog_raw = _bits(w, 79, 6)
        cog_raw = _bits(w, 85, 9)
        if sog_raw != 63:
            sog = float(sog_raw)
        if cog_raw < 360:  # 511 not available; 360-510 invalid: null, the fix itself is kept
            cog = float(cog_raw)
        lon = _sbits(w, 44, 18)
        lat = _sbits(w, 62, 17)
        return lon, lat, 600, _LON_NA_COARSE, _LAT_NA_COARSE, sog, cog, heading, nav
    if t == 4:
        lon = _sbits(w, 79, 28)
        lat = _sbits(w, 107, 27)
        return lon, lat, 600_000, _LON_NA_FINE, _LAT_NA_FINE, sog, cog, heading, nav
    if t <= 3:
        nav = _bits(w, 38, 4)
        sog_raw = _bits(w, 50, 10)
        lon = _sbits(w, 61, 28)
        lat = _sbits(w, 89, 27)
        cog_raw = _bits(w, 116, 12)
        heading_raw = _bits(w, 128, 9)
    else:
        sog_raw = _bits(w, 46, 10)
        lon = _sbits(w, 57, 28)
        lat = _sbits(w, 85, 27)
        cog_raw = _bits(w, 112, 12)
        heading_raw = _bits(w, 124, 9)
    if sog_raw != 1023:
        sog = sog_raw / 10.0
    if cog_raw < 3600:  # 3600 not available; above: invalid, null
        cog = cog_raw / 10.0
    if heading_raw < 360:  # 511 not available; 360-510 invalid, null
        heading = heading_raw
    return lon, lat, 600_000, _LON_NA_FINE, _LAT_NA_FINE, sog, cog, heading, nav


@njit(cache=True, nogil=True)
def _dims(w, off, sta_i, r):
    """Write bow, stern, port, starboard (9, 9, 6, 6 bits from ``off``) of statics row ``r``."""
    sta_i[T_BOW, r] = _bits(w, off, 9)
    sta_i[T_STERN, r] = _bits(w, off + 9, 9)
    sta_i[T_PORT, r] = _bits(w, off + 18, 6)
    sta_i[T_STARBOARD, r] = _bits(w, off + 24, 6)


@njit(cache=True, nogil=True)
def _write_static(w, t, part, mmsi, ts, line, rscr, rlen, sta_i, sta_txt, recv, cnt):
    """Decode the static part of a type 5, 19 or 24 message into the next statics row."""
    r = cnt[C_STA]
    for k in range(STA_I_ROWS):
        sta_i[k, r] = -1
    if t == 5:
        imo = _bits(w, 40, 30)
        if imo != 0:
            sta_i[T_IMO, r] = imo
        sta_i[T_CALLSIGN_LEN, r] = _text(w, 70, 7, sta_txt, r, CALLSIGN_AT)
        sta_i[T_NAME_LEN, r] = _text(w, 112, 20, sta_txt, r, NAME_AT)
        sta_i[T_SHIP_TYPE, r] = _bits(w, 232, 8)
        _dims(w, 240, sta_i, r)
        sta_i[T_ETA_MONTH, r] = _bits(w, 274, 4)
        sta_i[T_ETA_DAY, r] = _bits(w, 278, 5)
        sta_i[T_ETA_HOUR, r] = _bits(w, 283, 5)
        sta_i[T_ETA_MINUTE, r] = _bits(w, 288, 6)
        draught = _bits(w, 294, 8)
        if draught != 0:
            sta_i[T_DRAUGHT_DM, r] = draught
        sta_i[T_DEST_LEN, r] = _text(w, 302, 20, sta_txt, r, DEST_AT)
    elif t == 19:
        sta_i[T_NAME_LEN, r] = _text(w, 143, 20, sta_txt, r, NAME_AT)
        sta_i[T_SHIP_TYPE, r] = _bits(w, 263, 8)
        _dims(w, 271, sta_i, r)
    elif part == 0:
        sta_i[T_NAME_LEN, r] = _text(w, 40, 20, sta_txt, r, NAME_AT)
    else:
        sta_i[T_SHIP_TYPE, r] = _bits(w, 40, 8)
        sta_i[T_CALLSIGN_LEN, r] = _text(w, 90, 7, sta_txt, r, CALLSIGN_AT)
        if mmsi // 10_000_000 != 98:  # auxiliary craft carry the mother ship's MMSI here
            _dims(w, 132, sta_i, r)
    sta_i[T_TYPE, r] = t
    sta_i[T_TS, r] = ts
    sta_i[T_LINE, r] = line
    sta_i[T_MMSI, r] = mmsi
    sta_i[T_RECV, r] = _intern(rscr, rlen, recv[0], recv[1], recv[2], cnt, C_STA_RD, C_STA_RB)
    cnt[C_STA] = r + 1


@njit(cache=True, nogil=True, inline="always")
def _receiver_hash(rscr, rlen):
    """Hash of the receiver id rscr[:rlen], eight bytes at a time (rscr holds RECEIVER_MAX_BYTES,
    so whole-word loads stay inside it)."""
    h = np.uint64(rlen)
    for k in range(0, rlen, 8):
        word = _load8(rscr, k)
        if rlen - k < 8:
            word &= (_ONE << np.uint64(8 * (rlen - k))) - _ONE
        h = (h ^ word) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
    return h


@njit(cache=True, nogil=True, inline="always")
def _same_bytes(rb, s, rscr, rlen):
    """Whether rb[s:s + rlen] equals rscr[:rlen]; ids of up to eight bytes (station numbers,
    mostly) are compared as one masked word when eight bytes can be loaded from ``s``."""
    if 0 < rlen <= 8 and s + 8 <= rb.shape[0]:
        keep = np.uint64(8 * (8 - rlen))
        return ((_load8(rb, s) ^ _load8(rscr, 0)) << keep) == 0
    k = 0
    while k < rlen and rb[s + k] == rscr[k]:
        k += 1
    return k == rlen


@njit(cache=True, nogil=True, inline="always")
def _intern(rscr, rlen, rb, ends, table, cnt, c_entries, c_bytes):
    """Dictionary index of the receiver id rscr[:rlen], adding it when new; -1 for none
    (``rlen`` < 0). The dictionary is (rb, ends, table), counted in cnt[c_entries] and
    cnt[c_bytes] (layout above); it never fills, as it has room for an entry per row."""
    if rlen < 0:
        return -1
    mask = table.shape[0] - 1
    slot = np.int64(_receiver_hash(rscr, rlen) & np.uint64(mask))
    while table[slot]:
        j = table[slot] - 1
        s = ends[j]
        if ends[j + 1] - s == rlen and _same_bytes(rb, s, rscr, rlen):
            return j
        slot = (slot + 1) & mask
    j = cnt[c_entries]
    s = ends[j]
    for k in range(rlen):
        rb[s + k] = rscr[k]
    ends[j + 1] = s + rlen
    table[slot] = j + 1
    cnt[c_entries] = j + 1
    cnt[c_bytes] = s + rlen
    return j


# ---------------------------------------------------------------- rejects


@njit(cache=True, nogil=True)
def _reject_span(rej_i, rej_raw, cnt, line, reason, detail, a, b, c, src, s, e):
    """Quarantine the record src[s:e]."""
    r = cnt[C_REJ]
    rej_i[J_LINE, r] = line
    rej_i[J_REASON, r] = reason
    rej_i[J_DETAIL, r] = detail
    rej_i[J_A, r] = a
    rej_i[J_B, r] = b
    rej_i[J_C, r] = c
    n = cnt[C_REJ_RAW]
    for k in range(s, e):
        rej_raw[n] = src[k]
        n += 1
    rej_i[J_RAW_END, r] = n
    cnt[C_REJ_RAW] = n
    cnt[C_REJ] = r + 1


@njit(cache=True, nogil=True)
def _reject_slot(rej_i, rej_raw, cnt, slot, reason, detail, a, b, c, groups):
    """Quarantine a multipart group: its received fragments' lines joined with newlines."""
    meta, _recv, frag_meta, _payload, frag_raw = groups
    first = True
    for f in range(meta[slot, M_TOTAL]):
        if meta[slot, M_MASK] >> f & 1:
            if first:
                _reject_span(
                    rej_i, rej_raw, cnt, meta[slot, M_LINE], reason, detail, a, b, c,
                    frag_raw[slot, f], 0, frag_meta[slot, f, F_RAW_LEN],
                )  # fmt: skip
                first = False
                continue
            n = cnt[C_REJ_RAW]
            rej_raw[n] = 10
            n += 1
            for k in range(frag_meta[slot, f, F_RAW_LEN]):
                rej_raw[n] = frag_raw[slot, f, k]
                n += 1
            rej_i[J_RAW_END, cnt[C_REJ] - 1] = n
            cnt[C_REJ_RAW] = n


# ---------------------------------------------------------------- multipart groups


@njit(cache=True, nogil=True)
def _drop_slot(slot, groups, rej_i, rej_raw, cnt):
    """Quarantine an incomplete group as ``missing_fragment`` and free its slot."""
    meta = groups[0]
    _reject_slot(
        rej_i, rej_raw, cnt, slot, R_MISSING_FRAGMENT, D_MISSING, meta[slot, M_MASK],
        meta[slot, M_TOTAL], 0, groups,
    )  # fmt: skip
    meta[slot, M_USED] = 0


@njit(cache=True, nogil=True)
def _find_slot(meta, seq, chan, group):
    """The pending group with this sequence id and channel (and tag-block group, when both
    fragments carry one), or -1."""
    for s in range(SLOTS):
        if meta[s, M_USED] and meta[s, M_SEQ] == seq and meta[s, M_CHAN] == chan:
            g = meta[s, M_GROUP]
            if g == group or g < 0 or group < 0:
                return s
    return -1


@njit(cache=True, nogil=True)
def _open_slot(groups, rej_i, rej_raw, cnt):
    """A free slot; when none is free the oldest group is dropped as incomplete."""
    meta = groups[0]
    oldest = 0
    for s in range(SLOTS):
        if not meta[s, M_USED]:
            return s
        if meta[s, M_AGE] < meta[oldest, M_AGE]:
            oldest = s
    _drop_slot(oldest, groups, rej_i, rej_raw, cnt)
    return oldest


@njit(cache=True, nogil=True)
def _add_fragment(
    buf, seg, seg_end, ps, pe, fill, total, num, seq, chan, group, ts, line,
    rscr, rlen, state, groups, w, rej_i, rej_raw, cnt,
):  # fmt: skip
    """File one fragment into its group. When that completes the group, pack its payload into
    ``w`` and its receiver into ``rscr`` and return (slot, characters, fill bits, time,
    receiver length, line of the first fragment); otherwise slot is -1."""
    meta, slot_recv, frag_meta, frag_payload, frag_raw = groups
    s = _find_slot(meta, seq, chan, group)
    if s >= 0 and (meta[s, M_TOTAL] != total or meta[s, M_MASK] >> (num - 1) & 1):
        _drop_slot(s, groups, rej_i, rej_raw, cnt)
        s = -1
    if s < 0:
        s = _open_slot(groups, rej_i, rej_raw, cnt)
        meta[s, M_USED] = 1
        meta[s, M_SEQ] = seq
        meta[s, M_CHAN] = chan
        meta[s, M_GROUP] = group
        meta[s, M_TOTAL] = total
        meta[s, M_MASK] = 0
        meta[s, M_TS] = NO_TS
        meta[s, M_RECV_LEN] = -1
        meta[s, M_LINE] = line
    state[S_CLOCK] += 1
    meta[s, M_AGE] = state[S_CLOCK]
    if group >= 0:
        meta[s, M_GROUP] = group
    if meta[s, M_TS] == NO_TS:
        meta[s, M_TS] = ts
    if meta[s, M_RECV_LEN] < 0 and rlen >= 0:
        meta[s, M_RECV_LEN] = rlen
        for k in range(rlen):
            slot_recv[s, k] = rscr[k]
    f = num - 1
    meta[s, M_MASK] |= 1 << f
    frag_meta[s, f, F_CHARS] = pe - ps
    frag_meta[s, f, F_FILL] = fill
    frag_meta[s, f, F_RAW_LEN] = seg_end - seg
    for k in range(pe - ps):
        frag_payload[s, f, k] = buf[ps + k]
    for k in range(seg_end - seg):
        frag_raw[s, f, k] = buf[seg + k]
    if meta[s, M_MASK] != (1 << total) - 1:
        return -1, 0, 0, NO_TS, -1, line
    for k in range(WORDS):
        w[k] = 0
    nchars = 0
    for f in range(total):
        n = frag_meta[s, f, F_CHARS]
        _pack(frag_payload[s, f], 0, n, w, nchars)
        nchars += n
    _pad_words(w, nchars)
    glen = meta[s, M_RECV_LEN]
    for k in range(max(glen, 0)):
        rscr[k] = slot_recv[s, k]
    fill = frag_meta[s, total - 1, F_FILL]
    return s, nchars, fill, meta[s, M_TS], glen, meta[s, M_LINE]


# ---------------------------------------------------------------- sentences


@njit(cache=True, nogil=True, inline="always")
def _set_pending_recv(state, rscr, src, s, e):
    """Remember a receiver id for the next sentence (longer ones than the limit are dropped).

    It goes straight into the receiver scratch ``rscr``, where the next sentence reads it in
    place: only that sentence uses it, and whatever it does overwrites it.
    """
    n = e - s
    if n > RECEIVER_MAX_BYTES:
        state[S_PEND_RECV_LEN] = -1
        return
    for k in range(n):
        rscr[k] = src[s + k]
    state[S_PEND_RECV_LEN] = n


@njit(cache=True, nogil=True, inline="always")
def _resolve_tag(buf, s, e, state, rscr):
    """Apply the tag block buf[s:e] that ended its line: its time and receiver date the next
    sentence.

    :func:`decode_lines` defers this until the next line is known: before a ``$`` line (the
    DMA layout puts a tag block before every ``$PGHP``), which resets both, it never runs.
    """
    ts, rs, re, _group = _parse_tag(buf, s, e)
    if ts != NO_TS:
        state[S_PEND_TS] = ts
    if rs >= 0:
        _set_pending_recv(state, rscr, buf, rs, re)


@njit(cache=True, nogil=True, inline="always")
def _is_pghp(buf, p, e):
    """Whether the ``$`` sentence at ``p`` is ``$PGHP,``."""
    return (
        e - p > 6
        and buf[p + 1] == 80
        and buf[p + 2] == 71
        and buf[p + 3] == 72
        and buf[p + 4] == 80
        and buf[p + 5] == 44
    )


@njit(cache=True, nogil=True, inline="always")
def _zero_bytes(v):
    """High bit set in exactly the bytes of ``v`` that are zero (no carries between bytes)."""
    return ~(((v & _LOWS) + _LOWS) | v) & _HIGHS


@njit(cache=True, nogil=True, inline="always")
def _scan_fields64(buf, q, e, scratch, limit):
    """:func:`_scan_fields` of at most 64 bytes, with 64 readable from ``q``: one vector step
    finds every ``*`` and ``,`` and XORs the bytes before the first ``*``."""
    inside = _ALL if e - q == 64 else (_ONE << np.uint64(e - q)) - _ONE
    stars = _match64(buf, q, 42) & inside
    before = ((stars & (~stars + _ONE)) - _ONE) & inside  # bytes before the first *, or all
    commas = _match64(buf, q, 44) & before
    nc = 0
    while commas:
        if nc < limit:
            scratch[FPOS + nc] = q + np.int64(_trailing_zeros(commas))
        nc += 1
        commas &= commas - _ONE
    star = q + np.int64(_trailing_zeros(stars)) if stars else e
    return star, _xor64(buf, q, before), nc


@njit(cache=True, nogil=True, inline="always")
def _scan_fields(buf, q, e, scratch, limit):
    """Walk buf[q:e] up to the first ``*``: (its index or ``e``, XOR of the bytes before it,
    number of commas before it); comma j's index goes to scratch[FPOS + j] for j < limit.

    Eight bytes per step: the XOR is folded from whole words and commas come from a byte mask,
    so the branches are per word and per comma rather than per byte.
    """
    if q + 64 <= buf.shape[0] and e - q <= 64:
        return _scan_fields64(buf, q, e, scratch, limit)
    acc = np.uint64(0)
    nc = 0
    star = -1
    while q + 8 <= e:
        word = _load8(buf, q)
        commas = _zero_bytes(word ^ _COMMAS)
        stars = _zero_bytes(word ^ _STARS)
        if stars:
            below = ((stars & (~stars + _ONE)) >> np.uint64(7)) - _ONE  # the bytes before it
            word &= below
            commas &= below
            star = q + np.int64(_trailing_zeros(stars) >> 3)
        acc ^= word
        while commas:
            if nc < limit:
                scratch[FPOS + nc] = q + np.int64(_trailing_zeros(commas) >> 3)
            nc += 1
            commas &= commas - _ONE
        if star >= 0:
            break
        q += 8
    acc ^= acc >> np.uint64(32)
    acc ^= acc >> np.uint64(16)
    acc ^= acc >> np.uint64(8)
    x = np.int64(acc & np.uint64(255))
    if star >= 0:
        return star, x, nc
    while q < e:
        ch = buf[q]
        if ch == 42:
            break
        x ^= ch
        if ch == 44:
            if nc < limit:
                scratch[FPOS + nc] = q
            nc += 1
        q += 1
    return q, x, nc


@njit(cache=True, nogil=True, inline="always")
def _date_text(buf, s, e):
    """((first, second) eight-byte words of buf[s:e], zero past ``e``, as int64; length), or
    length 0 when it is empty, over 16 bytes or too near the buffer's end to load.

    A ``$PGHP`` feed repeats its date line after line: while the text repeats, the cached day
    is reused without reading the year, month and day again.
    """
    n = e - s
    if n < 1 or n > 16 or s + 16 > buf.shape[0]:
        return (np.int64(0), np.int64(0)), 0
    low_past = np.uint64(8 * (8 - min(n, 8)))
    high_past = np.uint64(8 * (8 - max(n - 8, 0)))
    low = (_load8(buf, s) << low_past) >> low_past
    high = ((_load8(buf, s + 8) << high_past) >> high_past) if n > 8 else np.uint64(0)
    return (np.int64(low), np.int64(high)), n


@njit(cache=True, nogil=True, inline="always")
def _pghp(buf, p, e, scratch):
    """Read ``$PGHP,1,yyyy,mm,dd,hh,mi,ss,ms,country,region,station,...*hh`` at ``p``.

    Returns (reason, detail, a, b, time µs, station start, station end); reason -1 when the
    checksum is right and the date is valid; station start -1 when the field is empty. One pass
    XORs the checksum and notes the commas (scratch[FPOS + j] ends field j, "PGHP" being field
    0); the fields are then read between them.
    """
    star, x, nc = _scan_fields(buf, p + 1, e, scratch, 12)
    given = _given_checksum(buf, star, e)
    if given < 0:
        return R_MALFORMED, D_NO_CHECKSUM, 0, 0, NO_TS, -1, -1
    if given != x:
        return R_BAD_CHECKSUM, D_CHECKSUM, given, x, NO_TS, -1, -1
    if nc < 12:
        scratch[FPOS + nc] = star
    ts = NO_TS
    if nc >= 8:  # fields 2-8: year month day hour minute second ms
        c = FPOS
        h = _short_uint(buf, scratch[c + 4] + 1, scratch[c + 5])
        mi = _short_uint(buf, scratch[c + 5] + 1, scratch[c + 6])
        s = _short_uint(buf, scratch[c + 6] + 1, scratch[c + 7])
        ms = _short_uint(buf, scratch[c + 7] + 1, scratch[c + 8])
        text, n = _date_text(buf, scratch[c + 1] + 1, scratch[c + 4])
        cached = text[0] == scratch[DATE_TEXT + 1] and text[1] == scratch[DATE_TEXT + 2]
        if n > 0 and n == scratch[DATE_TEXT] and cached:
            y, mo, d = scratch[DAY], scratch[DAY + 1], scratch[DAY + 2]  # the cached day's
        else:
            y = _short_uint(buf, scratch[c + 1] + 1, scratch[c + 2])
            mo = _short_uint(buf, scratch[c + 2] + 1, scratch[c + 3])
            d = _short_uint(buf, scratch[c + 3] + 1, scratch[c + 4])
        ts = _civil_us(y, mo, d, h, mi, s, ms, scratch)
        if ts != NO_TS:  # scratch[DAY:] now holds this date
            scratch[DATE_TEXT] = n
            scratch[DATE_TEXT + 1], scratch[DATE_TEXT + 2] = text
    if ts == NO_TS:
        return R_MALFORMED, D_PGHP_TIME, 0, 0, NO_TS, -1, -1
    rs = -1
    re = -1
    if nc >= 11 and scratch[FPOS + 11] > scratch[FPOS + 10] + 1:
        rs = scratch[FPOS + 10] + 1
        re = scratch[FPOS + 11]
    return -1, 0, 0, 0, ts, rs, re


@njit(cache=True, nogil=True, inline="always")
def _check_fields(buf, scratch):
    """Check the fragment count, number, sequence id, channel and fill-bit fields of a
    VDM/VDO sentence (fields 1-4 and 6, commas at scratch[FPOS:]); returns the number of the
    first bad field, or 0."""
    c0, c1, c2 = scratch[FPOS], scratch[FPOS + 1], scratch[FPOS + 2]
    c3, c4, c5, c6 = scratch[FPOS + 3], scratch[FPOS + 4], scratch[FPOS + 5], scratch[FPOS + 6]
    total = np.int64(buf[c0 + 1]) - 48
    if c1 - c0 != 2 or total < 1 or total > 9:
        return 1
    num = np.int64(buf[c1 + 1]) - 48
    if c2 - c1 != 2 or num < 1 or num > total:
        return 2
    if c3 - c2 > 1 and _uint(buf, c2 + 1, c3) < 0:
        return 3
    if c4 - c3 > 2:
        return 4
    fill = np.int64(buf[c5 + 1]) - 48
    if c6 - c5 != 2 or fill > 5 or fill < 0:
        return 6
    return 0


@njit(cache=True, nogil=True, inline="always")
def _scan_sentence(buf, p, e, scratch):
    """Frame and check the ``!`` sentence at ``p``: checksum, field count and fields.

    Leaves comma positions in scratch[FPOS:] (the ``*`` at FPOS + 6). Returns (reason, detail, a,
    b, end of the sentence and its trailing fields, trailing time, trailing station start, end);
    reason -1 when the sentence is sound, _SKIP when it is not VDM/VDO.
    """
    star, x, nc = _scan_fields(buf, p + 1, e, scratch, 8)
    given = _given_checksum(buf, star, e)
    if given < 0:
        return R_MALFORMED, D_NO_CHECKSUM, 0, 0, e, NO_TS, -1, -1
    k = star + 3
    seg_end = e
    trail_ts = NO_TS
    trail_rs = -1
    trail_re = -1
    if k < e:
        if buf[k] == 92 or buf[k] == 33:
            seg_end = k
        elif buf[k] == 44:
            trail_ts, trail_rs, trail_re = _parse_trailer(buf, k + 1, e)
    if nc < 1 or scratch[FPOS] != p + 6:
        return _SKIP, 0, 0, 0, seg_end, trail_ts, trail_rs, trail_re
    if not (buf[p + 3] == 86 and buf[p + 4] == 68 and (buf[p + 5] == 77 or buf[p + 5] == 79)):
        return _SKIP, 0, 0, 0, seg_end, trail_ts, trail_rs, trail_re
    if given != x:
        return R_BAD_CHECKSUM, D_CHECKSUM, given, x, seg_end, trail_ts, trail_rs, trail_re
    if nc != 6:
        return R_MALFORMED, D_FIELD_COUNT, nc + 1, 0, seg_end, trail_ts, trail_rs, trail_re
    scratch[FPOS + 6] = star
    bad = _check_fields(buf, scratch)
    if bad > 0:
        return R_MALFORMED, D_BAD_FIELD, bad, 0, seg_end, trail_ts, trail_rs, trail_re
    if scratch[FPOS + 5] == scratch[FPOS + 4] + 1:
        return R_MALFORMED, D_EMPTY_PAYLOAD, 0, 0, seg_end, trail_ts, trail_rs, trail_re
    return -1, 0, 0, 0, seg_end, trail_ts, trail_rs, trail_re


@njit(cache=True, nogil=True, inline="always")
def _copy_recv(rscr, src, s, e):
    """Copy a receiver id into the scratch buffer; returns its length, or -length if too long."""
    n = e - s
    if n > RECEIVER_MAX_BYTES:
        return -n
    for k in range(n):
        rscr[k] = src[s + k]
    return n


@njit(cache=True, nogil=True, inline="always")
def _trim(buf, s, e):
    """buf[s:e] without surrounding spaces, tabs and carriage returns."""
    while e > s and (buf[e - 1] == 13 or buf[e - 1] == 32 or buf[e - 1] == 9):
        e -= 1
    while s < e and (buf[s] == 32 or buf[s] == 9):
        s += 1
    return s, e


# ---------------------------------------------------------------- the kernel


@njit(cache=True, nogil=True)
def decode_lines(
    buf, start, end, assume_ts, state, groups, scratch,
    pos, pos_recv, sta_i, sta_txt, sta_recv, rej_i, rej_raw, cnt, type_counts,
):  # fmt: skip
    """Decode the lines of buf[start:end] (``end`` just after a newline, or the end of the file).

    Stops early, at a line start, when the output arrays could overflow on the next line; returns
    where it stopped (``end`` when done). Rows are appended after ``cnt``'s counters. ``scratch``
    is (i64[SCRATCH_LEN], u8[RECEIVER_MAX_BYTES]) owned by the caller: payload words and comma
    positions, and the current message's receiver id (or the next one's, while it is pending).
    ``pos`` is the positions columns (one array each, see POS_DTYPES); ``pos_recv`` and
    ``sta_recv`` are the tables' receiver dictionaries (layout above).
    """
    buf = _borrowed(buf)  # the arrays the per-line helpers take: see _borrowed
    state = _borrowed(state)
    w = _borrowed(scratch[0])
    rscr = _borrowed(scratch[1])
    cnt = _borrowed(cnt)
    lon_a, lat_a, sog_a = _borrowed(pos[P_LON]), _borrowed(pos[P_LAT]), _borrowed(pos[P_SOG])
    cog_a, ts_a, line_a = _borrowed(pos[P_COG]), _borrowed(pos[P_TS]), _borrowed(pos[P_LINE])
    heading_a, nav_a = _borrowed(pos[P_HEADING]), _borrowed(pos[P_NAV])
    type_a, mmsi_a, recv_a = _borrowed(pos[P_TYPE]), _borrowed(pos[P_MMSI]), _borrowed(pos[P_RECV])
    pos_rb, pos_rd, pos_rh = _borrowed(pos_recv[0]), _borrowed(pos_recv[1]), _borrowed(pos_recv[2])
    sta_recv = (_borrowed(sta_recv[0]), _borrowed(sta_recv[1]), _borrowed(sta_recv[2]))
    slot_raw = SLOTS * MAX_FRAGMENTS * (FRAGMENT_MAX_RAW + 1)
    defer_s = -1
    defer_e = -1
    i = start
    while i < end:
        le = _line_end(buf, i, end)
        rows = (le - i) // 4 + 2
        if (
            cnt[C_POS] + rows > ts_a.shape[0]
            or cnt[C_STA] + rows > sta_i.shape[1]
            or cnt[C_REJ] + 2 * rows > rej_i.shape[1]
            or cnt[C_REJ_RAW] + 2 * (le - i) + slot_raw > rej_raw.shape[0]
            or cnt[C_POS_RB] + rows * RECEIVER_MAX_BYTES > pos_rb.shape[0]
            or cnt[C_STA_RB] + rows * RECEIVER_MAX_BYTES > sta_recv[0].shape[0]
        ):
            if defer_s >= 0:
                _resolve_tag(buf, defer_s, defer_e, state, rscr)
            return i
        state[S_LINE] += 1
        line = state[S_LINE]
        s, e = _trim(buf, i, le)
        i = le + 1
        if s == e or buf[s] == 35:  # blank or comment
            continue
        if defer_s >= 0:
            if buf[s] != 36:  # a $ line would discard what the tag block sets
                _resolve_tag(buf, defer_s, defer_e, state, rscr)
            defer_s = -1
        if e - s > MAX_LINE_BYTES:
            _reject_span(
                rej_i, rej_raw, cnt, line, R_MALFORMED, D_LINE_TOO_LONG, e - s, 0, 0, buf, s, e
            )
            continue
        if buf[s] == 92 and e - s > 1 and _find_byte(buf, s + 1, e, 92, _BACKSLASHES) == e - 1:
            defer_s = s + 1  # a tag block alone on its line: read it once the next line is known
            defer_e = e - 1
            continue
        p = s
        while p < e:
            seg = p
            tag_ts = NO_TS
            tag_rs = -1
            tag_re = -1
            group = -1
            if buf[p] == 92:
                q = _find_byte(buf, p + 1, e, 92, _BACKSLASHES)
                if q >= e:
                    _reject_span(
                        rej_i, rej_raw, cnt, line, R_MALFORMED, D_TAG_UNTERMINATED, 0, 0, 0,
                        buf, seg, e,
                    )  # fmt: skip
                    break
                p = q + 1
                if p >= e:  # a tag block ending the line dates the next sentence
                    _resolve_tag(buf, seg + 1, q, state, rscr)
                    break
                tag_ts, tag_rs, tag_re, group = _parse_tag(buf, seg + 1, q)
            c = buf[p]
            if c == 36:  # $: a PGHP time for the next sentence, or not AIS (consumes a PGHP)
                state[S_PEND_TS] = NO_TS
                state[S_PEND_RECV_LEN] = -1
                if _is_pghp(buf, p, e):
                    reason, detail, a, b, ts, rs, re = _pghp(buf, p, e, w)
                    if reason >= 0:
                        _reject_span(
                            rej_i, rej_raw, cnt, line, reason, detail, a, b, 0, buf, seg, e
                        )
                    else:
                        state[S_PEND_TS] = ts
                        if rs >= 0:
                            _set_pending_recv(state, rscr, buf, rs, re)
                break
            if c != 33:
                _reject_span(
                    rej_i, rej_raw, cnt, line, R_MALFORMED, D_NOT_SENTENCE, c, 0, 0, buf, seg, e
                )
                break
            pend_ts = state[S_PEND_TS]
            pend_rlen = state[S_PEND_RECV_LEN]
            state[S_PEND_TS] = NO_TS
            state[S_PEND_RECV_LEN] = -1
            reason, detail, a, b, seg_end, trail_ts, trail_rs, trail_re = _scan_sentence(
                buf, p, e, w
            )
            p = seg_end
            if reason == _SKIP:
                continue
            if reason >= 0:
                _reject_span(rej_i, rej_raw, cnt, line, reason, detail, a, b, 0, buf, seg, seg_end)
                continue
            # time and receiver: tag block, else the preceding $PGHP, else trailing fields
            ts = tag_ts
            if ts == NO_TS:
                ts = pend_ts
            if ts == NO_TS:
                ts = trail_ts
            rlen = -1
            if tag_rs >= 0:
                rlen = _copy_recv(rscr, buf, tag_rs, tag_re)
            elif pend_rlen >= 0:
                rlen = pend_rlen  # already in rscr
            elif trail_rs >= 0:
                rlen = _copy_recv(rscr, buf, trail_rs, trail_re)
            if rlen < -1:
                _reject_span(
                    rej_i, rej_raw, cnt, line, R_MALFORMED, D_RECEIVER_TOO_LONG, -rlen,
                    RECEIVER_MAX_BYTES, 0, buf, seg, seg_end,
                )  # fmt: skip
                continue
            total = np.int64(buf[w[FPOS] + 1]) - 48
            num = np.int64(buf[w[FPOS + 1] + 1]) - 48
            fill = np.int64(buf[w[FPOS + 5] + 1]) - 48
            ps = w[FPOS + 4] + 1
            pe = w[FPOS + 5]
            slot = -1
            msg_line = line
            if total == 1:
                bad_at, bad_char = _pack_message(buf, ps, pe, w)
                if bad_at >= 0:
                    _reject_span(
                        rej_i, rej_raw, cnt, line, R_MALFORMED, D_BAD_CHAR, bad_char, bad_at, 0,
                        buf, seg, seg_end,
                    )  # fmt: skip
                    continue
                nchars = pe - ps
            else:
                detail, a, b = _fragment_problem(buf, ps, pe, seg, seg_end)
                if detail >= 0:
                    _reject_span(
                        rej_i, rej_raw, cnt, line, R_MALFORMED, detail, a, b, 0, buf, seg, seg_end
                    )
                    continue
                seq = _uint(buf, w[FPOS + 2] + 1, w[FPOS + 3])
                chan = np.int64(buf[w[FPOS + 3] + 1]) if w[FPOS + 4] > w[FPOS + 3] + 1 else 0
                slot, nchars, fill, ts, rlen, msg_line = _add_fragment(
                    buf, seg, seg_end, ps, pe, fill, total, num, seq, chan, group, ts, line,
                    rscr, rlen, state, groups, w, rej_i, rej_raw, cnt,
                )  # fmt: skip
                if slot < 0:
                    continue
            if ts == NO_TS:
                ts = assume_ts
            # the whole message is in w: decode it
            reason, detail, a, b, c, t, part, mmsi = _header(w, nchars, fill)
            type_counts[t] += 1
            positional = t <= 4 or t == 18 or t == 19 or t == 27
            if reason < 0 and positional:
                lon, lat, scale, na_lon, na_lat, sog, cog, heading, nav = _kinematics(w, t)
                if lon != na_lon and (lon > 180 * scale or lon < -180 * scale):
                    reason, detail, a, b = R_OUT_OF_RANGE, D_LON, lon, scale
                elif lat != na_lat and (lat > 90 * scale or lat < -90 * scale):
                    reason, detail, a, b = R_OUT_OF_RANGE, D_LAT, lat, scale
                elif ts == NO_TS:
                    reason, detail = R_NO_TIMESTAMP, D_NO_TS
                else:
                    r = cnt[C_POS]
                    lon_a[r] = np.nan if lon == na_lon else lon / scale
                    lat_a[r] = np.nan if lat == na_lat else lat / scale
                    sog_a[r] = sog
                    cog_a[r] = cog
                    ts_a[r] = ts
                    line_a[r] = msg_line
                    heading_a[r] = heading
                    nav_a[r] = nav
                    type_a[r] = t
                    mmsi_a[r] = mmsi
                    recv_a[r] = _intern(rscr, rlen, pos_rb, pos_rd, pos_rh, cnt, C_POS_RD, C_POS_RB)
                    cnt[C_POS] = r + 1
            elif reason < 0 and ts == NO_TS:
                reason, detail = R_NO_TIMESTAMP, D_NO_TS
            if reason < 0 and (t == 5 or t == 19 or t == 24):
                _write_static(
                    w, t, part, mmsi, ts, msg_line, rscr, rlen, sta_i, sta_txt, sta_recv, cnt
                )
            if reason >= 0:
                if slot >= 0:
                    _reject_slot(rej_i, rej_raw, cnt, slot, reason, detail, a, b, c, groups)
                else:
                    _reject_span(
                        rej_i, rej_raw, cnt, line, reason, detail, a, b, c, buf, seg, seg_end
                    )
            if slot >= 0:
                groups[0][slot, M_USED] = 0
    if defer_s >= 0:
        _resolve_tag(buf, defer_s, defer_e, state, rscr)
    return end


@njit(cache=True, nogil=True)
def _fragment_problem(buf, ps, pe, seg, seg_end):
    """(detail code, a, b) of what makes a fragment unstorable: a bad character, or a payload or
    line too long for a group slot; detail -1 when it is fine."""
    bad_at, bad_char = _first_bad_char(buf, ps, pe)
    if bad_at >= 0:
        return D_BAD_CHAR, bad_char, bad_at
    if pe - ps > FRAGMENT_MAX_CHARS:
        return D_FRAGMENT_TOO_LONG, pe - ps, FRAGMENT_MAX_CHARS
    if seg_end - seg > FRAGMENT_MAX_RAW:
        return D_LINE_TOO_LONG, seg_end - seg, 0
    return -1, 0, 0


@njit(cache=True, nogil=True)
def flush_groups(groups, rej_i, rej_raw, cnt):
    """Quarantine every still incomplete multipart group as ``missing_fragment``, oldest first."""
    meta = groups[0]
    while True:
        oldest = -1
        for s in range(SLOTS):
            if meta[s, M_USED] and (oldest < 0 or meta[s, M_AGE] < meta[oldest, M_AGE]):
                oldest = s
        if oldest < 0:
            return
        _drop_slot(oldest, groups, rej_i, rej_raw, cnt)
