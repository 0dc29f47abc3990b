"""Flags from MMSI: every ITU allocation resolves, and each station kind finds its MID."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa

from harborwatch.geo.flags import flags_of, mids_of


def test_every_itu_mid_has_a_flag(data_dir: Path) -> None:
    with open(data_dir / "geo/mid/MaritimeIdentificationDigits.csv", encoding="utf-8") as handle:
        mids = sorted({int(row["MID"]) for row in csv.DictReader(handle)})
    assert len(mids) > 280
    ships = pa.array([mid * 1_000_000 + 12_345 for mid in mids], pa.uint32())
    flags = flags_of(ships).to_pylist()
    assert [mid for mid, flag in zip(mids, flags, strict=True) if flag is None] == []


def test_mid_position_depends_on_station_kind() -> None:
    mmsis = [273396130, 2190067, 21900670, 992191234, 111219123, 982191234, 821912345,
             970123456, 0]  # fmt: skip
    assert mids_of(mmsis).tolist() == [273, 219, 219, 219, 219, 219, 219, -1, -1]


def test_flags_known_registries_and_nulls() -> None:
    flags = flags_of(pa.array([273396130, 636014574, 538004030, 366342000, None], pa.uint32()))
    assert flags.to_pylist() == ["RU", "LR", "MH", "US", None]
