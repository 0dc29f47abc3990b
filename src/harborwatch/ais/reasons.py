"""Reason codes for quarantined records."""

from __future__ import annotations

from enum import StrEnum


class RejectReason(StrEnum):
    """Why a record was quarantined instead of decoded.

    ``UNSUPPORTED_TYPE`` is informational: the message is well formed, of a type harborwatch does
    not decode into columns; it is kept raw and counted, and ``--strict`` does not fail on it.
    """

    BAD_CHECKSUM = "bad_checksum"
    MALFORMED = "malformed"
    MISSING_FRAGMENT = "missing_fragment"
    UNSUPPORTED_TYPE = "unsupported_type"
    NO_TIMESTAMP = "no_timestamp"
    OUT_OF_RANGE = "out_of_range"
    BAD_MMSI = "bad_mmsi"
    UNRECOGNISED_FORMAT = "unrecognised_format"  # a whole file no reader recognises


INFORMATIONAL_REASONS = frozenset({RejectReason.UNSUPPORTED_TYPE})
"""Reasons that are counted and kept but are not errors (``--strict`` ignores them)."""

MAX_MMSI = 999_999_999
"""MMSIs are nine decimal digits; 0 and anything above this are ``bad_mmsi``."""
