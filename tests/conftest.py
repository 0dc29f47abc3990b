"""Shared fixtures: where the real data lives (``$HARBORWATCH_DATA``, else ``../shared/data``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def find_data_dir() -> Path:
    """The shared real-data directory; fails loudly (tests must not silently skip real data)."""
    candidate = Path(os.environ.get("HARBORWATCH_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not (candidate / "ais").is_dir():
        pytest.fail(
            f"real data not found at {candidate}; set HARBORWATCH_DATA to the shared data folder"
        )
    return candidate


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return find_data_dir()


@pytest.fixture(scope="session")
def ais_dir(data_dir: Path) -> Path:
    return data_dir / "ais"
