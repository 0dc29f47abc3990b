"""Sites files (TOML, GeoJSON), their validation, and site membership of positions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harborwatch.errors import InputError
from harborwatch.geo.distance import haversine_m
from harborwatch.geo.sites import load_sites, site_membership
from harborwatch.schemas import SITES
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "sites" / "eastern-med.toml"


def test_example_sites_cover_the_story() -> None:
    sites = load_sites(EXAMPLE)
    assert sites.columns == SITES.names
    assert set(sites["site_id"]) >= {
        "tartus-naval", "tartus-port", "latakia", "tobruk", "benghazi", "port-said",
        "gibraltar-strait", "baltiysk", "novorossiysk",
    }  # fmt: skip
    strait = sites.filter(site_id="gibraltar-strait").row(0, named=True)
    assert strait["geometry_wkt"].startswith("POLYGON") and strait["radius_m"] is None


def test_overlapping_sites_tartus_piers_inside_tartus_port() -> None:
    sites = load_sites(EXAMPLE)
    # The naval piers, a point 2 km west of Tartus in the sea, the middle of the strait.
    lon = np.array([35.874, 35.84, -5.6, np.nan])
    lat = np.array([34.915, 34.9, 35.95, 34.9])
    members = site_membership(sites, lon, lat)
    by_row = members.group_by("row").agg("site_id").sort("row")
    assert by_row["row"].to_list() == [0, 1, 2]
    assert sorted(by_row["site_id"][0]) == ["tartus-naval", "tartus-port"]
    assert by_row["site_id"][1].to_list() == ["tartus-port"]
    assert by_row["site_id"][2].to_list() == ["gibraltar-strait"]


def test_point_site_radius_is_great_circle() -> None:
    sites = load_sites(EXAMPLE).filter(site_id="tartus-naval")
    rng = np.random.default_rng(0)
    lon = 35.874 + rng.uniform(-0.02, 0.02, 5000)
    lat = 34.915 + rng.uniform(-0.02, 0.02, 5000)
    inside = np.zeros(5000, dtype=bool)
    inside[site_membership(sites, lon, lat)["row"].to_numpy()] = True
    assert np.array_equal(inside, haversine_m(lon, lat, 35.874, 34.915) <= 1000.0)


def test_geojson_sites(tmp_path: Path) -> None:
    path = tmp_path / "sites.geojson"
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [35.874, 34.915]},
         "properties": {"id": "piers", "name": "Piers", "kind": "naval_base", "radius_m": 500}},
        {"type": "Feature",
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
         "properties": {"id": "box", "name": "Box", "kind": "area"}},
    ]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    sites = load_sites(path)
    assert sites["site_id"].to_list() == ["piers", "box"]
    assert sites["radius_m"].to_list() == [500.0, None]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[site]]\nid = "a"\nlon = 200.0\nlat = 1.0\nradius_m = 10', r"lon = 200\.0"),
        ('[[site]]\nid = "a"\nlon = 1.0\nlat = 1.0\nradius_m = -5', r"radius_m = -5"),
        ('[[site]]\nid = "a"\nlon = 1.0\nlat = 1.0', r"either polygon"),
        ('[[site]]\nid = "a"\npolygon = [[0, 0], [1, 1]]', r"at least three"),
        ('[[site]]\nid = "a"\npolygon = [[0,0],[1,1],[1,0],[0,1]]', r"not valid"),
        ("[[site]]\nlon = 1.0\nlat = 1.0\nradius_m = 5", r"no id"),
        ('[[site]]\nid = "a"\nlon = 1.0\nlat = 1.0\nradius_m = 5\n' * 2, r"used twice"),
        ("site = [", r"cannot read"),
    ],
)
def test_bad_sites_name_the_value(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(body)
    with pytest.raises(InputError, match=message):
        load_sites(path)
