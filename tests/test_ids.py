"""Deterministic ids: the same key gives the same id wherever it stands, on every run."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from harborwatch.ids import row_ids, stable_ids


def _reference_id(key: str) -> str:
    """FNV-1a 64 over the UTF-8 bytes, then the MurmurHash3 finaliser, in plain Python."""
    mask = (1 << 64) - 1
    h = 0xCBF29CE484222325
    for byte in key.encode():
        h = ((h ^ byte) * 0x100000001B3) & mask
    for multiplier in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53):
        h = ((h ^ (h >> 33)) * multiplier) & mask
    return f"{h ^ (h >> 33):016x}"


def test_ids_follow_the_documented_hash() -> None:
    """Stored ids must not change with a library's version: the compiled hash equals the
    documented one computed in plain Python (multi-byte characters included)."""
    keys = ["", "ais_gap|273396130|2024-12-29 16:19:00", "Tartous|Ταρτούς|طرطوس"]
    assert stable_ids(pl.Series(keys)).to_list() == [_reference_id(k) for k in keys]


@given(st.lists(st.text(max_size=30), min_size=1, max_size=40), st.integers(0, 39))
def test_an_id_depends_on_its_key_only(keys: list[str], cut: int) -> None:
    column = pl.Series(keys)
    whole = stable_ids(column).to_list()
    alone = [stable_ids(pl.Series([k])).item() for k in keys]
    assert whole == alone
    assert stable_ids(column[cut:]).to_list() == whole[cut:]  # sliced Arrow buffers
    assert all(len(i) == 16 and set(i) <= set("0123456789abcdef") for i in whole)
    distinct = {k: i for k, i in zip(keys, whole, strict=True)}
    assert len(set(distinct.values())) == len(distinct)


def test_row_ids_join_the_key_columns_and_treat_nulls_as_empty() -> None:
    frame = pl.DataFrame({"a": ["x", "x", None], "b": [1, 2, None]})
    ids = row_ids(frame, ["a", "b"], "id")
    assert ids.name == "id"
    assert ids.to_list() == stable_ids(pl.Series(["x|1", "x|2", "|"])).to_list()
    assert stable_ids(pl.Series([None, ""])).n_unique() == 1
