"""Watchlists: the vessels an analyst follows, by MMSI, IMO, call sign and names, and matching
them against the identities vessels broadcast.

A watchlist file is TOML::

    [[vessel]]
    id = "sparta-ii"              # short, unique
    name = "SPARTA II"
    aliases = ["SPARTA 2"]
    imo = 9160994                 # checked against its check digit
    mmsi = [273000000]            # optional, any number
    callsign = "UBCX3"            # optional
    note = "why it is watched, sources"

or CSV with columns ``id, name, aliases, mmsi, imo, callsign, note`` (lists separated by ``;``).
The result follows :data:`~harborwatch.schemas.WATCHLIST`.

Names match after :func:`normalise_vessel_name`: case, spacing and punctuation are ignored and
Roman numerals after the first word read as numbers, so "Sparta II", "SPARTA 2" and "sparta-ii"
are one name while SPARTA, SPARTA II and SPARTA IV stay three.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import polars as pl

from harborwatch.errors import InputError
from harborwatch.events.base import empty_frame
from harborwatch.schemas import WATCHLIST

_WATCHLIST_SCHEMA = empty_frame(WATCHLIST).schema
_ROMAN = {
    "XX": 20, "XIX": 19, "XVIII": 18, "XVII": 17, "XVI": 16, "XV": 15, "XIV": 14, "XIII": 13,
    "XII": 12, "XI": 11, "X": 10, "IX": 9, "VIII": 8, "VII": 7, "VI": 6, "V": 5, "IV": 4,
    "III": 3, "II": 2, "I": 1,
}  # fmt: skip
MATCH_KEYS = ("mmsi", "imo", "callsign", "name")
"""What a match can rest on, strongest first."""


def normalise_vessel_name(expr: pl.Expr) -> pl.Expr:
    """Upper case, punctuation as spaces, Roman numerals after the first word as digits, then
    all spaces removed: the key names are compared by."""
    text = expr.str.to_uppercase().str.replace_all(r"[^0-9A-Z]+", " ").str.strip_chars()
    for roman, number in _ROMAN.items():  # longest numerals first, whole words only
        text = text.str.replace_all(rf"(\S\s+){roman}\b", f"${{1}}{number}")
    return text.str.replace_all(" ", "", literal=True)


def load_watchlist(path: Path | str) -> pl.DataFrame:
    """A watchlist from a TOML or CSV file, validated (raises InputError naming the bad value)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"watchlist not found: {str(path)!r}; give an existing .toml or .csv")
    try:
        if path.suffix.lower() == ".csv":
            entries = _csv_entries(path)
        else:
            entries = tomllib.loads(path.read_text(encoding="utf-8")).get("vessel", [])
    except (tomllib.TOMLDecodeError, pl.exceptions.ComputeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read watchlist {str(path)!r}: {exc}; write TOML [[vessel]] tables or CSV"
        ) from exc
    if not entries:
        raise InputError(f"{str(path)!r} lists no vessels; add [[vessel]] tables or CSV rows")
    rows = [_validated(entry, path) for entry in entries]
    ids = [row["entry_id"] for row in rows]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InputError(f"{str(path)!r}: vessel id(s) {duplicates} used twice; make them unique")
    return pl.DataFrame(rows, schema=_WATCHLIST_SCHEMA)


def _csv_entries(path: Path) -> list[dict[str, Any]]:
    frame = pl.read_csv(path, infer_schema_length=0)
    entries = []
    for row in frame.iter_rows(named=True):
        entry = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        for key in ("aliases", "mmsi"):
            entry[key] = [p.strip() for p in (entry.get(key) or "").split(";") if p.strip()]
        entries.append({k: v for k, v in entry.items() if v not in ("", None)})
    return entries


def _validated(entry: dict[str, Any], path: Path) -> dict[str, Any]:
    entry_id = entry.get("id", entry.get("entry_id"))
    if not isinstance(entry_id, str) or not entry_id.strip():
        raise InputError(f"{str(path)!r}: a vessel has no id ({entry!r}); give id = '...'")
    where = f"{str(path)!r}, vessel {entry_id!r}"
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where}: no name; give name = '...' (as broadcast, any case)")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InputError(f"{where}: aliases = {aliases!r}; give a list of names")
    return {
        "entry_id": entry_id.strip(),
        "name": name.strip(),
        "aliases": [a.strip() for a in aliases if a.strip()],
        "mmsi": [_mmsi(value, where) for value in entry.get("mmsi", [])],
        "imo": _imo(entry.get("imo"), where),
        "callsign": str(entry["callsign"]).strip().upper() if entry.get("callsign") else None,
        "note": entry.get("note"),
    }


def _mmsi(value: Any, where: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or len(text) != 9:
        raise InputError(f"{where}: MMSI {value!r} is not nine digits; fix it or leave it out")
    return int(text)


def _imo(value: Any, where: str) -> int | None:
    """The IMO number, checked: the seventh digit is the sum of the first six weighted 7..2,
    modulo 10."""
    if value is None or value == "":
        return None
    text = str(value).strip().upper().removeprefix("IMO").strip()
    if not text.isdigit() or len(text) != 7:
        raise InputError(f"{where}: IMO {value!r} is not seven digits; fix it or leave it out")
    digits = [int(c) for c in text]
    if sum(d * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10 != digits[6]:
        raise InputError(f"{where}: IMO {value!r} fails its check digit; check for a typo")
    return int(text)


def match_watchlist(watchlist: pl.DataFrame, statics: pl.DataFrame) -> pl.DataFrame:
    """Vessels whose broadcast identity matches a watchlist entry.

    ``statics`` carries ``vessel_id`` plus any of ``mmsi``, ``imo``, ``callsign``, ``name``
    (STATICS columns). Returns one row per (vessel_id, mmsi, entry_id) with ``matched_on``: the
    keys that matched, comma-separated, strongest first (mmsi, imo, callsign, name).
    """
    out_schema = {
        "vessel_id": pl.String,
        "mmsi": pl.UInt32,
        "entry_id": pl.String,
        "matched_on": pl.String,
    }
    if watchlist.is_empty() or statics.is_empty():
        return pl.DataFrame(schema=out_schema)
    ids = statics.select(
        pl.col("vessel_id").cast(pl.String),
        *(
            (pl.col(c) if c in statics.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in (
                ("mmsi", pl.UInt32),
                ("imo", pl.Int32),
                ("callsign", pl.String),
                ("name", pl.String),
            )
        ),
    ).unique()
    ids = ids.with_columns(
        _callsign_key(pl.col("callsign")).alias("callsign"),
        normalise_vessel_name(pl.col("name")).alias("name"),
    )
    keys = _watchlist_keys(watchlist)
    matches = [
        ids.join(keys[key], on=key, how="inner").select(
            "vessel_id", "mmsi", "entry_id", pl.lit(rank).alias("rank")
        )
        for rank, key in enumerate(MATCH_KEYS)
    ]
    found = pl.concat(matches).unique()
    return (
        found.sort("rank")
        .group_by("vessel_id", "mmsi", "entry_id", maintain_order=True)
        .agg(pl.col("rank").unique().sort())
        .with_columns(
            pl.col("rank")
            .list.eval(pl.element().replace_strict(list(range(len(MATCH_KEYS))), list(MATCH_KEYS)))
            .list.join(",")
            .alias("matched_on")
        )
        .select(list(out_schema))
        .cast(out_schema)  # type: ignore[arg-type]
        .sort("vessel_id", "entry_id", "mmsi", nulls_last=True)
    )


def _callsign_key(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")


def _watchlist_keys(watchlist: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Per match key, a two-column table (key, entry_id) with empty keys dropped."""
    names = watchlist.select(
        "entry_id", pl.concat_list(pl.col("name"), pl.col("aliases")).alias("name")
    ).explode("name")
    tables = {
        "mmsi": watchlist.select("entry_id", "mmsi").explode("mmsi"),
        "imo": watchlist.select("entry_id", "imo"),
        "callsign": watchlist.select(
            "entry_id", _callsign_key(pl.col("callsign")).alias("callsign")
        ),
        "name": names.with_columns(normalise_vessel_name(pl.col("name")).alias("name")),
    }
    dtypes = {"mmsi": pl.UInt32, "imo": pl.Int32, "callsign": pl.String, "name": pl.String}
    return {
        key: table.with_columns(pl.col(key).cast(dtypes[key]))
        .filter(pl.col(key).is_not_null() & (pl.col(key).cast(pl.String) != ""))
        .unique()
        for key, table in tables.items()
    }
