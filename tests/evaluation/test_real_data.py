"""Injected ground truth on three real Santa Barbara days, through the CLI: inject, then score.

The issue's goal: every injected gap of 6 h or more and every teleport is found (recall 1.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from harborwatch.cli.evaluation import eval_group
from harborwatch.store import Store

DAYS = ("180601", "180602", "180603")
"""Three days: the 48 h cut needs 48 h plus 6 h of clean track on each side."""


@pytest.fixture(scope="module")
def run_dir(ais_dir: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eval")
    store = Store(root / "store")
    files = sorted(
        path
        for day in DAYS
        for path in (ais_dir / "sbarc-santa-barbara" / "raw").glob(f"AIS_SBARC_{day}-*.txt.gz")
    )
    assert len(files) == 24 * len(DAYS)
    for path in files:
        store.ingest(path)
    args = ["inject", "--store", str(root / "store"), "--out", str(root / "run")]
    args += ["--geo-dir", str(data_dir / "geo"), "--seed", "1"]
    result = CliRunner().invoke(eval_group, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "run"


@pytest.fixture(scope="module")
def scored(run_dir: Path, data_dir: Path) -> dict[str, object]:
    args = ["score", str(run_dir), "--geo-dir", str(data_dir / "geo"), "--format", "json"]
    result = CliRunner().invoke(eval_group, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_inject_writes_the_run_folder(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["faults"] == {"gap": 5, "on_land": 10, "simultaneous": 3, "teleport": 20}
    truth = pl.read_csv(run_dir / "truth.csv")
    assert truth.height == 38
    original = pl.read_parquet(run_dir / "original.parquet")
    assert original.height == manifest["positions_original"]


def test_every_gap_and_teleport_is_recalled(scored: dict[str, object]) -> None:
    scores = {row["kind"]: row for row in scored["scores"]}  # type: ignore[attr-defined]
    missed = [row for row in scored["missed"] if row["kind"] in ("gap", "teleport")]  # type: ignore[attr-defined]
    assert missed == []
    assert scores["gap"]["recall"] == 1.0
    assert scores["teleport"]["recall"] == 1.0
