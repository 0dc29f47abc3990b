"""Port tables from the real reference files, and PortIndex against brute-force haversine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.errors import InputError
from harborwatch.geo.distance import haversine_m
from harborwatch.geo.ports import (
    PortIndex,
    load_gfw_anchorages,
    load_wpi,
    searoute_ports,
    unit_vectors,
)
from harborwatch.schemas import PORTS


def _brute_force_m(
    ports: pl.DataFrame, lon: np.ndarray, lat: np.ndarray, max_distance_m: float
) -> np.ndarray:
    """Distance to the nearest port by checking every port; +inf beyond the radius."""
    d = haversine_m(lon[:, None], lat[:, None], ports["lon"].to_numpy(), ports["lat"].to_numpy())
    best_m = d.min(axis=1)
    return np.where(best_m <= max_distance_m, best_m, np.inf)


def test_wpi_has_the_ports_of_the_story(data_dir: Path) -> None:
    ports = load_wpi(data_dir / "geo" / "wpi" / "UpdatedPub150.csv")
    assert ports.height == 3768
    assert ports.columns[: len(PORTS.names)] == PORTS.names
    tartus = ports.filter(pl.col("name") == "Tartus").row(0, named=True)
    assert tartus["port_id"] == "wpi:45003"
    assert tartus["country"] == "SY"
    assert tartus["lat"] == pytest.approx(34.9) and tartus["lon"] == pytest.approx(35.866667)


def test_gfw_anchorages_one_row_per_cell(data_dir: Path) -> None:
    ports = load_gfw_anchorages(
        data_dir / "geo" / "anchorages" / "gfw_anchorages_v3_daily.geoparquet"
    )
    assert ports.height == 58594
    assert ports["port_id"].n_unique() == ports.height
    tartus = ports.filter(pl.col("name") == "Tartus")
    assert tartus.height > 0
    assert tartus["lat"].is_between(34.8, 35.0).all()
    assert tartus["country"].unique().to_list() == ["SYR"]


def test_searoute_ports_have_unique_ids() -> None:
    ports = searoute_ports()
    assert ports.height > 3000
    assert ports["port_id"].n_unique() == ports.height
    assert ports["lon"].is_between(-180, 180).all() and ports["lat"].is_between(-90, 90).all()


def test_missing_wpi_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"UpdatedPub150\.csv"):
        load_wpi(tmp_path / "UpdatedPub150.csv")


def test_nearest_real_port_to_tartus_naval_piers(data_dir: Path) -> None:
    ports = load_wpi(data_dir / "geo" / "wpi" / "UpdatedPub150.csv")
    rows, dist = PortIndex(ports).nearest(np.array([35.874]), np.array([34.915]), 10_000.0)
    assert ports["name"][int(rows[0])] == "Tartus"
    assert 1_000 < dist[0] < 2_500  # 34.915N 35.874E is ~1.8 km from the WPI point


def test_nearest_none_within_radius_and_nan() -> None:
    ports = pl.DataFrame({"lon": [0.0], "lat": [0.0]})
    rows, dist = PortIndex(ports).nearest(
        np.array([0.2, np.nan, 0.0]), np.array([0.0, 0.0, 0.05]), 10_000.0
    )
    assert rows.tolist() == [-1, -1, 0]
    assert np.isinf(dist[:2]).all()
    assert dist[2] == pytest.approx(haversine_m(0.0, 0.0, 0.0, 0.05))


coordinate = st.tuples(
    st.floats(-180, 180, allow_nan=False), st.floats(-89.9, 89.9, allow_nan=False)
)


@settings(max_examples=200, deadline=None)
@given(
    ports=st.lists(coordinate, min_size=1, max_size=40),
    queries=st.lists(coordinate, min_size=1, max_size=20),
    max_distance_m=st.sampled_from([500.0, 10_000.0, 300_000.0, 3_000_000.0]),
    near=st.booleans(),
)
def test_nearest_matches_brute_force(
    ports: list[tuple[float, float]],
    queries: list[tuple[float, float]],
    max_distance_m: float,
    near: bool,
) -> None:
    table = pl.DataFrame({"lon": [p[0] for p in ports], "lat": [p[1] for p in ports]})
    q = np.array(queries)
    if near:  # put queries within a few km of ports, where the radius matters
        base = np.array(ports)[np.arange(len(q)) % len(ports)]
        q = np.clip(base + (q / [180.0, 90.0]) * 0.05, [-180, -90], [180, 90])
    rows, dist = PortIndex(table).nearest(q[:, 0], q[:, 1], max_distance_m)
    want_m = _brute_force_m(table, q[:, 0], q[:, 1], max_distance_m)
    close = np.isfinite(want_m) & (np.abs(want_m - max_distance_m) > 1e-3)
    assert np.allclose(dist[close], want_m[close], rtol=1e-9, atol=1e-6)
    # Ties between equidistant ports may pick either; the chosen port must be that close.
    chosen = rows[close]
    got_m = haversine_m(
        q[close, 0], q[close, 1], table["lon"].to_numpy()[chosen], table["lat"].to_numpy()[chosen]
    )
    assert np.allclose(got_m, want_m[close], rtol=1e-9, atol=1e-6)
    far = ~np.isfinite(want_m)
    assert (rows[far] == -1).all() and np.isinf(dist[far]).all()


def test_track_order_does_not_change_nearest_port(data_dir: Path) -> None:
    """The index reuses the previous position's candidate ports: real tracks in order (Suez
    blockage, dense GFW anchorages), the same positions shuffled, each alone, and brute force
    agree."""
    ports = load_gfw_anchorages(
        data_dir / "geo" / "anchorages" / "gfw_anchorages_v3_daily.geoparquet"
    )
    suez = pl.read_csv(data_dir / "ais" / "eastern-med" / "suez_2021_boat_positions.csv")
    # A built track crossing Port Said's anchorages in ~30 m steps.
    lon = np.concatenate([suez["longitude"].to_numpy(), np.linspace(32.2, 32.45, 1_000)])
    lat = np.concatenate([suez["latitude"].to_numpy(), np.linspace(31.2, 31.35, 1_000)])
    index = PortIndex(ports)
    rows, dist = index.nearest(lon, lat, 10_000.0)
    assert (rows >= 0).mean() > 0.5 and (rows < 0).any()
    shuffle = np.random.default_rng(6).permutation(len(lon))
    rows_shuffled, dist_shuffled = index.nearest(lon[shuffle], lat[shuffle], 10_000.0)
    assert np.array_equal(rows_shuffled, rows[shuffle])
    assert np.array_equal(dist_shuffled, dist[shuffle])
    sample = np.concatenate([np.arange(len(lon) - 1_000, len(lon), 5), shuffle[:300]])
    alone = [index.nearest(lon[i : i + 1], lat[i : i + 1], 10_000.0) for i in sample]
    assert np.array_equal(np.concatenate([a[0] for a in alone]), rows[sample])
    assert np.array_equal(np.concatenate([a[1] for a in alone]), dist[sample])
    want_m = _brute_force_m(ports, lon[sample], lat[sample], 10_000.0)
    np.testing.assert_allclose(dist[sample], want_m, rtol=1e-9, atol=1e-6)


def test_given_unit_vectors_give_the_same_answers() -> None:
    """Unit vectors computed once (by the shore lookup) are read instead of recomputed; a
    latitude outside [-90, 90], whose vector the shore lookup clamps, is recomputed."""
    ports = pl.DataFrame({"lon": [0.0, 0.05, 179.99], "lat": [0.0, 0.02, 89.95]})
    lon = np.array([0.01, 0.04, -179.99, 0.02, np.nan])
    lat = np.array([0.0, 0.01, 89.96, 90.01, 0.0])
    index = PortIndex(ports)
    xyz = unit_vectors(lon, lat)
    xyz[3] = 0.0  # what the shore lookup writes there does not matter
    rows, dist = index.nearest(lon, lat, 10_000.0)
    given_rows, given_dist = index.nearest(lon, lat, 10_000.0, xyz)
    assert rows.tolist() == [0, 1, 2, 2, -1]
    assert np.array_equal(given_rows, rows)
    np.testing.assert_allclose(given_dist, dist, rtol=1e-12)
