"""Report fixtures: a store ingested from crafted NMEA whose vessel is named like an HTML attack,
and report inputs built in memory with every section filled (imagery, chips, claims)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_inputs import build_hostile_store, build_rich_inputs

from harborwatch.report import ReportInputs


@pytest.fixture(scope="session")
def hostile_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Path]:
    """The crafted NMEA ingested and run through ``detect`` (sites, geography, watchlist)."""
    return build_hostile_store(tmp_path_factory.mktemp("hostile"), data_dir)


@pytest.fixture(scope="session")
def rich_inputs(data_dir: Path) -> ReportInputs:
    """Report inputs with every section filled."""
    return build_rich_inputs(data_dir)
