"""Fusion: events, detections and claims brought together (claims checked against the data)."""

from harborwatch.fusion.claims import (
    ClaimCheckConfig,
    ClaimKind,
    Verdict,
    check_claims,
    extract_claims,
    load_claims,
    parse_claims,
    watched_vessel_ids,
)

__all__ = [
    "ClaimCheckConfig",
    "ClaimKind",
    "Verdict",
    "check_claims",
    "extract_claims",
    "load_claims",
    "parse_claims",
    "watched_vessel_ids",
]
