"""ShoreDistance on the real Natural Earth 1:50 m land polygons, checked with real places and
against shapely (exact polygon containment, exact distances in a local projection)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely

from harborwatch.config import NM_M
from harborwatch.errors import InputError
from harborwatch.geo.ports import unit_vectors
from harborwatch.geo.shore import ShoreDistance


@pytest.fixture(scope="module")
def land_path(data_dir: Path) -> Path:
    return data_dir / "geo" / "naturalearth" / "ne_50m_land.json"


@pytest.fixture(scope="module")
def shore(land_path: Path, tmp_path_factory: pytest.TempPathFactory) -> ShoreDistance:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARBORWATCH_CACHE", str(tmp_path_factory.mktemp("cache")))
        return ShoreDistance.from_natural_earth(land_path)


@pytest.fixture(scope="module")
def land(land_path: Path) -> shapely.Geometry:
    polygons = shapely.get_parts(shapely.get_parts(shapely.from_geojson(land_path.read_text())))
    geometry = shapely.multipolygons(polygons)
    shapely.prepare(geometry)
    return geometry


def test_real_places(shore: ShoreDistance) -> None:
    places = {  # (lon, lat), on land?, distance bounds in metres
        "Tartus naval piers": ((35.874, 34.915), False, (0, 5_000)),
        "Homs, inland Syria": ((36.72, 34.73), True, (0, 0)),
        "mid-Mediterranean south of Sicily": ((18.0, 34.0), False, (50 * NM_M, 400_000)),
        "15.6 nm off Tartus": ((35.55, 34.95), False, (20_000, 40_000)),
        "Strait of Gibraltar": ((-5.6, 35.95), False, (1_000, 15_000)),
    }
    lon = np.array([p[0][0] for p in places.values()])
    lat = np.array([p[0][1] for p in places.values()])
    coast_m, on_land = shore.lookup(lon, lat)
    distance_m = shore.distance_m(lon, lat)
    assert np.array_equal(distance_m, np.where(on_land, 0.0, coast_m))
    assert np.array_equal(shore.on_land(lon, lat), on_land)
    assert 40_000 < coast_m[list(places).index("Homs, inland Syria")] < 120_000  # inland depth
    for (name, (_, land_expected, (low, high))), d, is_land in zip(
        places.items(), distance_m, on_land, strict=True
    ):
        assert is_land == land_expected, name
        assert low <= d <= high, (name, d)


def test_on_land_matches_polygons(shore: ShoreDistance, land: shapely.Geometry) -> None:
    rng = np.random.default_rng(3)
    # Half worldwide, half in the coast-rich eastern Mediterranean, where grid cells are mixed.
    lon = np.concatenate([rng.uniform(-180, 180, 50_000), rng.uniform(26, 36.5, 50_000)])
    lat = np.concatenate([rng.uniform(-80, 80, 50_000), rng.uniform(30, 41, 50_000)])
    got = shore.on_land(lon, lat)
    assert np.array_equal(got, shapely.contains_xy(land, lon, lat))
    assert (shore.distance_m(lon, lat)[got] == 0).all()


def test_distance_matches_shapely_near_and_far(
    shore: ShoreDistance, land: shapely.Geometry
) -> None:
    pyproj = pytest.importorskip("pyproj")
    rng = np.random.default_rng(4)
    lon, lat = rng.uniform(31, 36.5, 400), rng.uniform(31, 37, 400)
    distance_m, on_land = shore.lookup(lon, lat)
    coast = shapely.boundary(land)
    for x, y, d in zip(
        lon[~on_land][:150], lat[~on_land][:150], distance_m[~on_land][:150], strict=True
    ):
        local = pyproj.Transformer.from_crs(
            "EPSG:4326", f"+proj=aeqd +lon_0={x} +lat_0={y} +R=6371008.8", always_xy=True
        )
        nearby = shapely.clip_by_rect(coast, x - 4, y - 4, x + 4, y + 4)
        projected = shapely.transform(
            nearby, lambda c, t=local: np.column_stack(t.transform(c[:, 0], c[:, 1]))
        )
        exact = shapely.distance(projected, shapely.Point(0, 0))
        # Exact to the polygons near the coast; within 2 % (the site bound) further out.
        assert abs(d - exact) <= max(60.0, 0.02 * exact), (x, y, d, exact)


def test_track_order_does_not_change_answers(shore: ShoreDistance, data_dir: Path) -> None:
    """The lookup reuses the previous position's candidate coast segments: a real track in
    order, the same positions shuffled, and each position looked up alone agree."""
    suez = pl.read_csv(data_dir / "ais" / "eastern-med" / "suez_2021_boat_positions.csv")
    lon, lat = suez["longitude"].to_numpy(), suez["latitude"].to_numpy()
    # A built track weaving in and out of the Syrian coast in ~40 m steps, near Tartus.
    weave_lat = np.linspace(34.6, 35.3, 2_000)
    weave_lon = 35.88 + 0.04 * np.sin(weave_lat * 150.0)
    lon, lat = np.concatenate([lon, weave_lon]), np.concatenate([lat, weave_lat])
    in_order_m, in_order_land = shore.lookup(lon, lat)
    assert (in_order_m < 5_000).mean() > 0.5 and in_order_land.any() and not in_order_land.all()
    shuffle = np.random.default_rng(5).permutation(len(lon))
    shuffled_m, shuffled_land = shore.lookup(lon[shuffle], lat[shuffle])
    np.testing.assert_allclose(shuffled_m, in_order_m[shuffle], rtol=0, atol=1e-6)
    assert np.array_equal(shuffled_land, in_order_land[shuffle])
    alone = slice(len(lon) - 2_000, None, 7)  # the weave, one position per call
    alone_m, alone_land = np.array(
        [shore.lookup(lon[i : i + 1], lat[i : i + 1]) for i in range(len(lon))[alone]]
    )[:, :, 0].T
    np.testing.assert_allclose(alone_m, in_order_m[alone], rtol=0, atol=1e-6)
    assert np.array_equal(alone_land.astype(bool), in_order_land[alone])


def test_lookup_writes_unit_vectors(shore: ShoreDistance) -> None:
    """The lookup hands each located position's unit vector to the port lookup: the same as
    unit_vectors (latitude clamped), rows without coordinates left untouched."""
    lon = np.array([35.88, -179.5, 190.0, np.nan, 12.0])
    lat = np.array([34.9, -60.0, 89.0, 10.0, 95.0])
    xyz = np.full((len(lon), 3), 7.0)
    plain = shore.lookup(lon, lat)
    with_xyz = shore.lookup(lon, lat, xyz)
    np.testing.assert_array_equal(with_xyz[0], plain[0])
    np.testing.assert_array_equal(with_xyz[1], plain[1])
    want = unit_vectors(lon, np.clip(lat, -90.0, 90.0))
    located = ~np.isnan(lon)
    np.testing.assert_allclose(xyz[located], want[located], rtol=0, atol=1e-12)
    assert (xyz[~located] == 7.0).all()


def test_nan_positions(shore: ShoreDistance) -> None:
    distance_m, on_land = shore.lookup(np.array([np.nan, 0.0]), np.array([0.0, np.nan]))
    assert np.isnan(distance_m).all() and not on_land.any()


def test_cache_is_reused(land_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARBORWATCH_CACHE", str(tmp_path))
    ShoreDistance.from_natural_earth(land_path)
    cached = sorted(p.name for p in (tmp_path / "shore").glob("*/*.npy"))
    assert "corner_site.npy" in cached
    again = ShoreDistance.from_natural_earth(land_path)
    assert again.on_land(np.array([36.72]), np.array([34.73]))[0]


def test_missing_land_file_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--geo-dir"):
        ShoreDistance.from_natural_earth(tmp_path / "ne_50m_land.json")
