"""Named sites an analyst watches (a port, a base, a strait) and which positions lie in them.

A sites file is TOML::

    [[site]]
    id = "tartus-naval"            # short, unique
    name = "Tartus naval facility"
    kind = "naval_base"            # free text: naval_base, port, strait, ...
    lon = 35.874                   # a point and a radius ...
    lat = 34.915
    radius_m = 1000
    # polygon = [[lon, lat], ...]  # ... or a polygon (closed or not)

or GeoJSON: a FeatureCollection of Point features (with ``radius_m`` in their properties) or
Polygon features, each with ``id``, ``name`` and ``kind`` properties. The result follows
:data:`~harborwatch.schemas.SITES`; a polygon's ``lon``/``lat`` is its centroid.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import shapely

from harborwatch.errors import InputError
from harborwatch.events.base import empty_frame
from harborwatch.geo.distance import EARTH_RADIUS_M, haversine_m
from harborwatch.schemas import SITES

_SITES_SCHEMA = empty_frame(SITES).schema


def load_sites(path: Path | str) -> pl.DataFrame:
    """Sites from a TOML or GeoJSON file, validated (raises InputError naming the bad value)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"sites file not found: {str(path)!r}; give an existing .toml or .geojson")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            entries = [_from_toml(e) for e in tomllib.loads(text).get("site", [])]
        else:
            entries = [_from_feature(f) for f in json.loads(text).get("features", [])]
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, AttributeError) as exc:
        raise InputError(
            f"cannot read sites file {str(path)!r}: {exc}; write TOML [[site]] tables or a "
            "GeoJSON FeatureCollection"
        ) from exc
    if not entries:
        raise InputError(f"{str(path)!r} defines no sites; add [[site]] tables or features")
    rows = [_validated(entry, path) for entry in entries]
    ids = [row["site_id"] for row in rows]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InputError(f"{str(path)!r}: site id(s) {duplicates} used twice; ids must be unique")
    return pl.DataFrame(rows, schema=_SITES_SCHEMA)


def _from_toml(entry: dict[str, Any]) -> dict[str, Any]:
    return dict(entry)


def _from_feature(feature: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature as the same flat entry a TOML table gives."""
    entry = dict(feature.get("properties") or {})
    entry.setdefault("id", feature.get("id") or entry.get("site_id"))
    geometry = feature.get("geometry") or {}
    if geometry.get("type") == "Point":
        entry["lon"], entry["lat"] = geometry["coordinates"][:2]
    elif geometry.get("type") == "Polygon":
        entry["polygon"] = geometry["coordinates"][0]
    else:
        entry["geometry_type"] = geometry.get("type")
    return entry


def _validated(entry: dict[str, Any], path: Path) -> dict[str, Any]:
    """One SITES row; every rejected value is named with how to fix it."""
    site_id = entry.get("id")
    where = f"{str(path)!r}, site {site_id!r}"
    if not isinstance(site_id, str) or not site_id.strip():
        raise InputError(f"{str(path)!r}: a site has no id ({entry!r}); give each site id = '...'")
    if "geometry_type" in entry:
        raise InputError(f"{where}: geometry {entry['geometry_type']!r}; use Point or Polygon")
    polygon = entry.get("polygon")
    radius_m = entry.get("radius_m")
    if (polygon is None) == (radius_m is None):
        raise InputError(f"{where}: give either polygon = [[lon, lat], ...] or lon, lat, radius_m")
    row: dict[str, Any] = {
        "site_id": site_id.strip(),
        "name": str(entry.get("name") or site_id),
        "kind": str(entry.get("kind") or "site"),
        "radius_m": None,
        "geometry_wkt": None,
    }
    if polygon is not None:
        shape = _polygon(polygon, where)
        row["lon"], row["lat"] = shape.centroid.x, shape.centroid.y
        row["geometry_wkt"] = shape.wkt
    else:
        row["lon"], row["lat"] = _coordinate(entry.get("lon"), entry.get("lat"), where)
        if not isinstance(radius_m, int | float) or isinstance(radius_m, bool) or radius_m <= 0:
            raise InputError(f"{where}: radius_m = {radius_m!r}; give a positive number of metres")
        row["radius_m"] = float(radius_m)
    return row


def _coordinate(lon: Any, lat: Any, where: str) -> tuple[float, float]:
    for name, value, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if not isinstance(value, int | float) or isinstance(value, bool) or abs(value) > limit:
            raise InputError(
                f"{where}: {name} = {value!r}; give decimal degrees within ±{limit:g} "
                "(longitude east positive, latitude north positive)"
            )
    return float(lon), float(lat)


def _polygon(points: Any, where: str) -> shapely.Polygon:
    if not isinstance(points, list) or len(points) < 3:
        raise InputError(f"{where}: polygon = {points!r}; give at least three [lon, lat] pairs")
    ring = []
    for point in points:
        if not isinstance(point, list | tuple) or len(point) < 2:
            raise InputError(f"{where}: polygon vertex {point!r}; give [lon, lat] pairs")
        ring.append(_coordinate(point[0], point[1], where))
    shape = shapely.Polygon(ring)
    if not shape.is_valid or shape.area == 0:
        reason = shapely.is_valid_reason(shape)
        raise InputError(f"{where}: polygon is not valid ({reason}); list vertices in order")
    return shape


def site_membership(sites: pl.DataFrame, lon: np.ndarray, lat: np.ndarray) -> pl.DataFrame:
    """One row per (position, site containing it): ``row`` (int64 index into lon/lat) and
    ``site_id``. Sites may overlap, so a position can appear under several sites. Point sites
    contain positions within ``radius_m`` (great circle); polygons by planar lon/lat
    containment. NaN positions are in no site."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    rows: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    for site in sites.iter_rows(named=True):  # sites are few; each test is vectorised
        inside = _inside(site, lon, lat)
        rows.append(inside)
        ids.append(np.full(len(inside), site["site_id"], dtype=object))
    if not rows:
        return pl.DataFrame(schema={"row": pl.Int64, "site_id": pl.String})
    frame = pl.DataFrame(
        {
            "row": np.concatenate(rows).astype(np.int64),
            "site_id": pl.Series(np.concatenate(ids), dtype=pl.String),
        }
    )
    return frame.with_row_index("_order").sort("row", "_order").drop("_order")


def _inside(site: dict[str, Any], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Indices of the positions inside one site."""
    if site["geometry_wkt"] is not None:
        shape = shapely.from_wkt(site["geometry_wkt"])
        west, south, east, north = shape.bounds
        candidates = np.flatnonzero((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
        return candidates[shapely.contains_xy(shape, lon[candidates], lat[candidates])]
    radius_deg = np.degrees(site["radius_m"] / EARTH_RADIUS_M)
    near = np.abs(lat - site["lat"]) <= radius_deg * 1.001
    candidates = np.flatnonzero(near)
    distance = haversine_m(lon[candidates], lat[candidates], site["lon"], site["lat"])
    return candidates[distance <= site["radius_m"]]
