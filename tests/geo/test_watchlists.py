"""Watchlists: loading, name normalisation, matching against broadcast identities."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from harborwatch.errors import InputError
from harborwatch.geo.watchlists import load_watchlist, match_watchlist, normalise_vessel_name
from harborwatch.schemas import WATCHLIST
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "watchlists" / "syrian-express.toml"


def _keys(names: list[str]) -> list[str]:
    frame = pl.DataFrame({"name": names})
    return frame.select(normalise_vessel_name(pl.col("name")))["name"].to_list()


def test_name_variants_match_but_numbers_differ() -> None:
    assert len(set(_keys(["Sparta II", "SPARTA 2", "sparta-ii", " Sparta  II. "]))) == 1
    assert len(set(_keys(["SPARTA", "SPARTA II", "SPARTA IV", "SPARTA III"]))) == 4
    assert _keys(["SPARTA IV"]) == _keys(["sparta 4"])
    assert _keys(["URSA MAJOR"]) == _keys(["Ursa-Major"])
    assert _keys(["IVORY"]) != _keys(["4ORY"])  # numerals only as whole words after the first


def test_example_watchlist() -> None:
    watchlist = load_watchlist(EXAMPLE)
    assert watchlist.columns == WATCHLIST.names
    imos = dict(zip(watchlist["entry_id"], watchlist["imo"], strict=True))
    assert imos == {
        "sparta": 9268710, "sparta-ii": 9160994, "sparta-iv": 9743033, "ursa-major": 9538892,
    }  # fmt: skip
    mmsis = dict(zip(watchlist["entry_id"], watchlist["mmsi"].to_list(), strict=True))
    assert mmsis["ursa-major"] == [273396130]
    assert mmsis["sparta"] == []  # not given in the brief: not invented


def test_match_by_each_key() -> None:
    watchlist = load_watchlist(EXAMPLE)
    statics = pl.DataFrame(
        {
            "vessel_id": ["1", "2", "3", "4", "5"],
            "mmsi": [273396130, 111111111, 222222222, 333333333, 444444444],
            "imo": [None, 9268710, None, None, 1234567],
            "callsign": [None, None, None, None, None],
            "name": ["", "SPARTA", "Sparta-II", "SPARTA V", "OTHER"],
        }
    )
    found = match_watchlist(watchlist, statics)
    got = {(r["vessel_id"], r["entry_id"]): r["matched_on"] for r in found.to_dicts()}
    assert got == {
        ("1", "ursa-major"): "mmsi",
        ("2", "sparta"): "imo,name",
        ("3", "sparta-ii"): "name",
    }
    assert found.columns == ["vessel_id", "mmsi", "entry_id", "matched_on"]


def test_csv_watchlist_and_callsign(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text(
        "id,name,aliases,mmsi,imo,callsign,note\n"
        "a,ALPHA,ALFA;ALPHA ONE,123456789;987654321,,ab c1,test\n"
    )
    watchlist = load_watchlist(path)
    assert watchlist["mmsi"].to_list() == [[123456789, 987654321]]
    assert watchlist["aliases"].to_list() == [["ALFA", "ALPHA ONE"]]
    statics = pl.DataFrame({"vessel_id": ["x"], "callsign": ["ABC1"], "name": ["alfa"]})
    assert match_watchlist(watchlist, statics)["matched_on"].to_list() == ["callsign,name"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[vessel]]\nid = "a"\nname = "A"\nimo = 9268711', r"check digit"),
        ('[[vessel]]\nid = "a"\nname = "A"\nimo = 926871', r"seven digits"),
        ('[[vessel]]\nid = "a"\nname = "A"\nmmsi = [2733961]', r"nine digits"),
        ('[[vessel]]\nid = "a"\nimo = 9268710', r"no name"),
        ('[[vessel]]\nname = "A"', r"no id"),
    ],
)
def test_bad_watchlists_name_the_value(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(body)
    with pytest.raises(InputError, match=message):
        load_watchlist(path)
