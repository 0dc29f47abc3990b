"""Report fixtures: a store ingested from crafted NMEA whose vessel is named like an HTML attack,
report inputs built in memory with every section filled (imagery, chips, claims), and stores
with a georeferenced scene of ship detections, with AIS around it and without."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from report_inputs import build_dark_store, build_hostile_store, build_rich_inputs

from harborwatch.report import ReportInputs


@pytest.fixture(scope="session")
def hostile_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Path]:
    """The crafted NMEA ingested and run through ``detect`` (sites, geography, watchlist)."""
    return build_hostile_store(tmp_path_factory.mktemp("hostile"), data_dir)


@pytest.fixture(scope="session")
def rich_inputs(data_dir: Path) -> ReportInputs:
    """Report inputs with every section filled."""
    return build_rich_inputs(data_dir)


@pytest.fixture(scope="session")
def ais_scene_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Any]:
    """The SF Bay RapidEye scene with three ship detections and AIS around its time."""
    return build_dark_store(tmp_path_factory.mktemp("dark-ais"), data_dir, with_ais=True)


@pytest.fixture(scope="session")
def silent_scene_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Any]:
    """The same scene and detections in a store without any AIS."""
    return build_dark_store(tmp_path_factory.mktemp("dark-none"), data_dir, with_ais=False)
