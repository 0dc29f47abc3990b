"""Text labels some providers print instead of AIS codes, mapped back to the codes.

The Danish Maritime Authority writes navigational status and ship type as words ("Under way using
engine", "Cargo" plus a separate cargo category); Global Fishing Watch writes ITU-R M.1371 ship type
descriptions ("Cargo, Hazardous category A"). Lookups are case-insensitive on trimmed text. A label
that stands for a range of codes ("Reserved", "Cargo, Reserved for future use") maps to the lowest
code of that range; an unknown label maps to null rather than rejecting the whole report.
"""

from __future__ import annotations

import polars as pl

NAV_STATUS_CODES: dict[str, int] = {
    "under way using engine": 0,
    "at anchor": 1,
    "not under command": 2,
    "restricted manoeuverability": 3,
    "restricted maneuverability": 3,
    "restricted manoeuvrability": 3,
    "constrained by her draught": 4,
    "moored": 5,
    "aground": 6,
    "engaged in fishing": 7,
    "under way sailing": 8,
    "reserved for future amendment [hsc]": 9,
    "reserved for future amendment [wig]": 10,
    "power-driven vessel towing astern": 11,
    "power-driven vessel pushing ahead or towing alongside": 12,
    "reserved for future use": 13,
    "ais-sart": 14,
    "ais-sart (active)": 14,
    "unknown value": 15,
    "undefined": 15,
    "not defined": 15,
}
"""DMA navigational status wording (and common spelling variants) to AIS codes 0-15."""

_SHIP_TYPE_SINGLE = {
    "fishing": 30,
    "towing": 31,
    "towing long/wide": 32,
    "towing: length exceeds 200m or breadth exceeds 25m": 32,
    "dredging": 33,
    "dredging or underwater ops": 33,
    "diving": 34,
    "diving ops": 34,
    "military": 35,
    "military ops": 35,
    "sailing": 36,
    "pleasure": 37,
    "pleasure craft": 37,
    "reserved": 38,
    "pilot": 50,
    "pilot vessel": 50,
    "sar": 51,
    "search and rescue vessel": 51,
    "tug": 52,
    "port tender": 53,
    "anti-pollution": 54,
    "anti-pollution equipment": 54,
    "law enforcement": 55,
    "spare 1": 56,
    "spare 2": 57,
    "spare - local vessel": 56,
    "local 56": 56,
    "local 57": 57,
    "medical": 58,
    "medical transport": 58,
    "not party to conflict": 59,
    "noncombatant ship according to rr resolution no. 18": 59,
}

_SHIP_TYPE_FAMILIES = {  # first digit of the families whose second digit says the cargo
    "wig": 20,
    "wing in ground (wig)": 20,
    "hsc": 40,
    "high speed craft (hsc)": 40,
    "passenger": 60,
    "cargo": 70,
    "tanker": 80,
    "other": 90,
    "other type": 90,
}

_CARGO_SUFFIXES = {  # ITU second digit by description; DMA's "Category X/Y/Z/OS" = hazard A-D
    "all ships of this type": 0,
    "hazardous category a": 1,
    "hazardous category b": 2,
    "hazardous category c": 3,
    "hazardous category d": 4,
    "reserved for future use": 5,
    "no additional information": 9,
    "category x": 1,
    "category y": 2,
    "category z": 3,
    "category os": 4,
}


def _ship_type_codes() -> dict[str, int]:
    """Every ship type label (family alone, or "family, cargo") to its code."""
    codes = dict(_SHIP_TYPE_SINGLE)
    for family, base in _SHIP_TYPE_FAMILIES.items():
        codes[family] = base
        for suffix, digit in _CARGO_SUFFIXES.items():
            codes[f"{family}, {suffix}"] = base + digit
    return codes


SHIP_TYPE_CODES: dict[str, int] = _ship_type_codes()
"""Ship type labels (DMA words, ITU descriptions as GFW prints them) to AIS codes 1-99."""

CARGO_CATEGORY_DIGITS: dict[str, int] = _CARGO_SUFFIXES
"""DMA "Cargo type" wording to the second digit of the ship type code."""


def label_code(expr: pl.Expr, codes: dict[str, int]) -> pl.Expr:
    """Code of each label in ``expr`` (case-insensitive, trimmed); null for unknown labels."""
    key = expr.str.strip_chars().str.to_lowercase()
    return key.replace_strict(codes, default=None, return_dtype=pl.Int64)
