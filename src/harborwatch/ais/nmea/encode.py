"""Vectorised NMEA encoding of AIS types 1 and 5, for generated (SIMULATED) data.

pyais's ``encode_dict`` encodes one message per call (tens of microseconds each); a scenario of a
few hundred thousand reports needs whole columns at once. Every field becomes a column of bits
(two's complement for signed fields), the bit matrix is cut into 6-bit groups and armoured
(ITU-R M.1371 / IEC 61162-1), and every line has the same width, so lines are assembled as one
byte matrix with its checksums computed by an XOR reduction.

Each line carries an IEC 61162-450 tag block with the source ``s:`` and the Unix time ``c:``
(10 digits: times between 2001-09-09 and 2286-11-20). Type 5 spans two sentences (60 and 11
characters of payload, 2 fill bits), each with its own tag block, numbered by a sequential
message id 0-9.
"""

from __future__ import annotations

import numpy as np

from harborwatch.errors import InputError

_TYPE1_FIELDS = (
    "msg_type", "repeat", "mmsi", "nav_status", "rot", "sog", "accuracy", "lon", "lat", "cog",
    "heading", "second", "maneuver", "spare", "raim", "radio",
)  # fmt: skip
_TYPE1_WIDTHS = (6, 2, 30, 4, 8, 10, 1, 28, 27, 12, 9, 6, 2, 3, 1, 19)
_HEX = np.frombuffer(b"0123456789ABCDEF", np.uint8)
_NO_HEADING = 511
_NO_COG = 3600
_NO_SOG = 1023


def _bits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) bits of ``values``, most significant first (negative: two's complement)."""
    unsigned = np.asarray(values, np.int64) & ((1 << width) - 1)
    return ((unsigned[:, None] >> np.arange(width - 1, -1, -1)) & 1).astype(np.uint8)


def _text_bits(texts: np.ndarray, chars: int) -> np.ndarray:
    """(n, 6 * chars) bits of upper-case texts in the AIS 6-bit alphabet, padded with ``@``."""
    fixed = np.char.ljust(np.char.upper(texts.astype(f"U{chars}")), chars, "@")
    codes = np.frombuffer(fixed.tobytes(), np.uint32).reshape(-1, chars)
    if np.any((codes < 32) | (codes > 95)):
        bad = texts[np.any((codes < 32) | (codes > 95), axis=1)][0]
        raise InputError(f"AIS text {bad!r} holds a character outside the 6-bit alphabet "
                         "(space to _, upper case); transliterate it")  # fmt: skip
    sixbit = np.where(codes >= 64, codes - 64, codes).astype(np.int64)
    return _bits(sixbit.ravel(), 6).reshape(codes.shape[0], chars * 6)


def _armour(bits: np.ndarray) -> np.ndarray:
    """(n, bits/6) payload characters (uint8) of a bit matrix padded to whole 6-bit groups."""
    pad = (-bits.shape[1]) % 6
    if pad:
        bits = np.hstack([bits, np.zeros((bits.shape[0], pad), np.uint8)])
    groups = bits.reshape(bits.shape[0], -1, 6) @ np.array([32, 16, 8, 4, 2, 1], np.uint8)
    return np.where(groups < 40, groups + 48, groups + 56).astype(np.uint8)


def _const(text: str, n: int) -> np.ndarray:
    return np.tile(np.frombuffer(text.encode("ascii"), np.uint8), (n, 1))


def _checksum(body: np.ndarray) -> np.ndarray:
    """(n, 2) upper-case hex of the XOR of each row."""
    xor = np.bitwise_xor.reduce(body, axis=1)
    return np.stack([_HEX[xor >> 4], _HEX[xor & 15]], axis=1)


def _lines(payloads: np.ndarray, ts_s: np.ndarray, source: str, header: np.ndarray, fill: int
           ) -> np.ndarray:  # fmt: skip
    """(n, width) bytes of tag block + ``!AIVDM`` sentences ending in a newline."""
    n = payloads.shape[0]
    seconds = np.asarray(ts_s, np.int64)
    if n and (seconds.min() < 1_000_000_000 or seconds.max() > 9_999_999_999):
        raise InputError("times to encode must fall between 2001-09-09 and 2286-11-20 UTC")
    digits = np.char.mod("%010d", seconds).astype("S10")
    tag = np.hstack([_const(f"s:{source},c:", n),
                     np.frombuffer(digits.tobytes(), np.uint8).reshape(n, 10)])  # fmt: skip
    body = np.hstack([header, payloads, _const(f",{fill}", n)])
    return np.hstack([
        _const("\\", n), tag, _const("*", n), _checksum(tag), _const("\\!", n),
        body, _const("*", n), _checksum(body), _const("\n", n),
    ])  # fmt: skip


def _scaled(values: np.ndarray, scale: float, missing: int) -> np.ndarray:
    """Rounded ``values * scale``, ``missing`` where NaN."""
    values = np.asarray(values, np.float64)
    return np.where(np.isnan(values), missing, np.round(np.nan_to_num(values) * scale)).astype(
        np.int64
    )


def encode_positions(
    ts_s: np.ndarray,
    mmsi: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    sog_knots: np.ndarray,
    cog_deg: np.ndarray,
    heading_deg: np.ndarray,
    nav_status: np.ndarray,
    source: str,
) -> bytes:
    """Type 1 position reports, one tagged ``!AIVDM`` line each (NaN speed, course or heading:
    not available). ``ts_s``: Unix seconds; the UTC second field is taken from it."""
    n = len(mmsi)
    if n == 0:
        return b""
    seconds = np.asarray(ts_s, np.int64)
    columns = {
        "msg_type": np.ones(n, np.int64), "repeat": np.zeros(n, np.int64), "mmsi": mmsi,
        "nav_status": nav_status, "rot": np.full(n, -128), "accuracy": np.zeros(n, np.int64),
        "sog": _scaled(np.minimum(sog_knots, 102.2), 10, _NO_SOG),
        "lon": _scaled(lon, 600_000, 181 * 600_000), "lat": _scaled(lat, 600_000, 91 * 600_000),
        "cog": _scaled(np.mod(np.round(np.asarray(cog_deg, float), 1), 360.0), 10, _NO_COG),
        "heading": _scaled(np.mod(heading_deg, 360.0), 1, _NO_HEADING) % 360,
        "second": seconds % 60, "maneuver": np.zeros(n, np.int64),
        "spare": np.zeros(n, np.int64), "raim": np.zeros(n, np.int64),
        "radio": np.zeros(n, np.int64),
    }  # fmt: skip
    columns["heading"] = np.where(np.isnan(np.asarray(heading_deg, float)), _NO_HEADING,
                                  columns["heading"])  # fmt: skip
    bits = np.hstack([_bits(columns[f], w) for f, w in zip(_TYPE1_FIELDS, _TYPE1_WIDTHS,
                                                            strict=True)])  # fmt: skip
    header = _const("AIVDM,1,1,,A,", n)
    return _lines(_armour(bits), seconds, source, header, 0).tobytes()


def encode_statics(
    ts_s: np.ndarray,
    mmsi: np.ndarray,
    imo: np.ndarray,
    callsign: np.ndarray,
    name: np.ndarray,
    ship_type: np.ndarray,
    length_m: np.ndarray,
    beam_m: np.ndarray,
    draught_m: np.ndarray,
    destination: np.ndarray,
    eta_month_day_hour_minute: np.ndarray,
    source: str,
) -> bytes:
    """Type 5 static and voyage reports, two tagged ``!AIVDM`` lines each (the antenna placed
    at mid-length and mid-beam; ``eta_month_day_hour_minute``: an (n, 4) integer array, zeros
    when not available). Texts upper-case, in the 6-bit alphabet."""
    n = len(mmsi)
    if n == 0:
        return b""
    eta = np.asarray(eta_month_day_hour_minute, np.int64).reshape(n, 4)
    length = np.asarray(length_m, np.int64)
    beam = np.asarray(beam_m, np.int64)
    zeros = np.zeros(n, np.int64)
    bits = np.hstack([
        _bits(np.full(n, 5), 6), _bits(zeros, 2), _bits(mmsi, 30), _bits(zeros, 2),
        _bits(imo, 30), _text_bits(callsign, 7), _text_bits(name, 20), _bits(ship_type, 8),
        _bits(length // 2, 9), _bits(length - length // 2, 9), _bits(beam // 2, 6),
        _bits(beam - beam // 2, 6), _bits(np.ones(n), 4), _bits(eta[:, 0], 4),
        _bits(eta[:, 1], 5), _bits(eta[:, 2], 5), _bits(eta[:, 3], 6),
        _bits(_scaled(draught_m, 10, 0), 8), _text_bits(destination, 20), _bits(zeros, 1),
        _bits(zeros, 1),
    ])  # fmt: skip
    payload = _armour(bits)  # 71 characters, the last with 2 fill bits
    seq = np.arange(n) % 10 + 48
    first = np.hstack([_const("AIVDM,2,1,", n), seq[:, None].astype(np.uint8), _const(",A,", n)])
    second = np.hstack([_const("AIVDM,2,2,", n), seq[:, None].astype(np.uint8), _const(",A,", n)])
    seconds = np.asarray(ts_s, np.int64)
    lines = np.hstack([
        _lines(payload[:, :60], seconds, source, first, 0),
        _lines(payload[:, 60:], seconds, source, second, 2),
    ])  # fmt: skip
    return lines.tobytes()
