"""Integer codes the decoding kernel writes for rejects, and how each becomes text.

The kernel cannot build strings, so a reject leaves the kernel as (reason code, detail code, three
integers); :func:`detail_text` turns that into the ``detail`` column, naming the bad value.
"""

from __future__ import annotations

from harborwatch.ais.reasons import RejectReason

NO_TS = -(2**63)
"""Sentinel for "no time" in int64 microsecond columns and state."""

# Reason codes (index into REASONS).
R_BAD_CHECKSUM = 0
R_MALFORMED = 1
R_MISSING_FRAGMENT = 2
R_UNSUPPORTED_TYPE = 3
R_NO_TIMESTAMP = 4
R_OUT_OF_RANGE = 5
R_BAD_MMSI = 6

REASONS: tuple[RejectReason, ...] = (
    RejectReason.BAD_CHECKSUM,
    RejectReason.MALFORMED,
    RejectReason.MISSING_FRAGMENT,
    RejectReason.UNSUPPORTED_TYPE,
    RejectReason.NO_TIMESTAMP,
    RejectReason.OUT_OF_RANGE,
    RejectReason.BAD_MMSI,
)

# Detail codes (index into _DETAILS); a, b, c are the integers the kernel stored with the reject.
D_CHECKSUM = 0
D_NOT_SENTENCE = 1
D_TAG_UNTERMINATED = 2
D_NO_CHECKSUM = 3
D_FIELD_COUNT = 4
D_BAD_FIELD = 5
D_EMPTY_PAYLOAD = 6
D_BAD_CHAR = 7
D_BIT_LENGTH = 8
D_BAD_TYPE = 9
D_TYPE24_PART = 10
D_MMSI = 11
D_LON = 12
D_LAT = 13
D_NO_TS = 14
D_UNSUPPORTED = 15
D_MISSING = 16
D_LINE_TOO_LONG = 17
D_PGHP_TIME = 18
D_FRAGMENT_TOO_LONG = 19
D_RECEIVER_TOO_LONG = 20

_FIELD_NAMES = ("", "fragment count", "fragment number", "sequence id", "channel", "", "fill bits")


def _received(mask: int, total: int) -> str:
    got = [str(n + 1) for n in range(total) if mask >> n & 1]
    return f"received fragment(s) {', '.join(got)} of {total}"


def detail_text(code: int, a: int, b: int, c: int) -> str:
    """The human-readable ``detail`` of a reject from the kernel's detail code and integers."""
    if code == D_CHECKSUM:
        return f"checksum 0x{a:02X}, computed 0x{b:02X}"
    if code == D_NOT_SENTENCE:
        return f"not an NMEA sentence: starts with {chr(a)!r}"
    if code == D_TAG_UNTERMINATED:
        return "tag block without closing backslash"
    if code == D_NO_CHECKSUM:
        return "no *hh checksum"
    if code == D_FIELD_COUNT:
        return f"expected 7 comma-separated fields, got {a}"
    if code == D_BAD_FIELD:
        return f"bad {_FIELD_NAMES[a]} field"
    if code == D_EMPTY_PAYLOAD:
        return "empty payload"
    if code == D_BAD_CHAR:
        return f"invalid payload character {chr(a)!r} at payload offset {b}"
    if code == D_BIT_LENGTH:
        return f"type {a} payload has {b} bits, expected {c}"
    if code == D_BAD_TYPE:
        return f"message type {a} does not exist"
    if code == D_TYPE24_PART:
        return f"type 24 part number {a} (only 0 = A and 1 = B exist)"
    if code == D_MMSI:
        return f"mmsi {a}"
    if code == D_LON:
        return f"lon {a / b:.6f}"
    if code == D_LAT:
        return f"lat {a / b:.6f}"
    if code == D_NO_TS:
        return "no tag-block c:, $PGHP or trailing time, and no assumed date"
    if code == D_UNSUPPORTED:
        return f"message type {a}"
    if code == D_MISSING:
        return _received(a, b)
    if code == D_LINE_TOO_LONG:
        return f"line of {a} bytes, longer than any NMEA record"
    if code == D_PGHP_TIME:
        return "$PGHP date/time fields do not form a valid time"
    if code == D_FRAGMENT_TOO_LONG:
        return f"fragment payload of {a} characters, longer than {b}"
    if code == D_RECEIVER_TOO_LONG:
        return f"receiver id of {a} bytes, longer than {b}"
    raise ValueError(f"unknown detail code {code}")
