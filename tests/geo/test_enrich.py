"""load_geography on the real reference folder, and annotate_geography filling TRACK_POINTS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from harborwatch.config import GeographyConfig
from harborwatch.errors import InputError
from harborwatch.geo.enrich import annotate_geography
from harborwatch.geo.reference import Geography, load_geography
from tests.builders import track_points


@pytest.fixture(scope="module")
def geography(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Geography:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARBORWATCH_CACHE", str(tmp_path_factory.mktemp("cache")))
        return load_geography(data_dir / "geo")


def test_geography_holds_wpi_ports_and_gfw_anchorages(geography: Geography) -> None:
    sources = geography.ports["source"].value_counts().sort("source")
    assert dict(sources.iter_rows()) == {"gfw_anchorages": 58594, "wpi": 3768}


def test_annotate_tartus_track(geography: Geography) -> None:
    rows = [
        ("v", 0, 35.874, 34.915, 0.0),  # Tartus naval piers
        ("v", 1, 18.0, 34.0, 12.0),  # mid-Mediterranean
        ("v", 2, 36.72, 34.73, 0.0),  # Homs, inland
        ("v", 3, 0.0, 0.0, 0.0),  # replaced by a null position below
    ]
    points = track_points(rows).with_columns(
        pl.when(pl.col("ts") == pl.col("ts").max()).then(None).otherwise(pl.col("lon")).alias("lon")
    )
    out = annotate_geography(points, geography, GeographyConfig(port_lookup_radius_m=10_000.0))
    assert out.columns == points.columns and out.height == 4
    rows_out = out.to_dicts()
    piers, sea, inland, missing = rows_out
    assert piers["port_id"] is not None and piers["port_distance_m"] < 2_000
    port = geography.ports.filter(port_id=piers["port_id"]).row(0, named=True)
    assert port["name"].lower().startswith("tartus")
    assert not piers["on_land"] and piers["shore_distance_m"] < 5_000
    assert sea["port_id"] is None and np.isinf(sea["port_distance_m"])
    assert sea["shore_distance_m"] > 92_600  # more than 50 nm out
    assert inland["on_land"] and inland["shore_distance_m"] == 0.0
    assert missing["port_id"] is None and np.isinf(missing["port_distance_m"])
    assert missing["shore_distance_m"] is None and missing["on_land"] is None


def test_missing_reference_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "wpi").mkdir()
    with pytest.raises(InputError, match=r"UpdatedPub150\.csv"):
        load_geography(tmp_path)


def test_fallback_without_reference_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """searoute ports and the global-land-mask raster, when no --geo-dir is given."""
    monkeypatch.setenv("HARBORWATCH_CACHE", str(tmp_path))
    geography = load_geography(None)
    assert set(geography.ports["source"]) == {"searoute"}
    lon = np.array([35.874, 36.72, 18.0])  # Tartus piers, Homs, mid-Mediterranean
    lat = np.array([34.915, 34.73, 34.0])
    distance_m, on_land = geography.shore.distance_m(lon, lat), geography.shore.on_land(lon, lat)
    assert on_land.tolist() == [False, True, False]
    assert distance_m[0] < 3_000 and distance_m[1] == 0 and distance_m[2] > 92_600
    rows, _ = geography.port_index.nearest(lon[:1], lat[:1], 10_000.0)
    assert geography.ports["port_id"][int(rows[0])] == "searoute:SYTTS"  # "Tartous"
