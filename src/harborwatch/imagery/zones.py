"""Zones of a site (piers, a vehicle park) where objects are counted, and placed in each scene.

A zones file is TOML::

    [[zone]]
    id = "piers"                       # unique within its site; "all" is reserved
    site = "tartus-naval"
    name = "Northern floating piers"
    polygon = [[35.8725, 34.914], ...] # lon/lat (WGS 84), closed or not ...

    [[zone]]
    id = "yard"
    site = "yard"
    scene = "0123456789abcdef"         # ... or pixels of one scene (images without georeferencing)
    pixel_polygon = [[10, 10], [500, 10], [500, 300], [10, 300]]

or GeoJSON: Polygon features with ``id``, ``site`` and ``name`` properties (``zone_id``,
``site_id`` also accepted), in lon/lat, or in pixels when a ``scene`` (``scene_id``) property
names the scene. The result follows :data:`~harborwatch.schemas.ZONES`.

:func:`zones_in_scene` places a site's zones in one scene's pixels: lon/lat zones through the
scene's CRS and transform (edges densified first, so a zone stays true in UTM or any other
projection), pixel zones only in their own scene. A scene that no zone applies to is counted as one
zone ``"all"``, the whole image.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import shapely

from harborwatch import schemas
from harborwatch.errors import InputError
from harborwatch.imagery.scenes import is_georeferenced, lonlat_to_pixel

ALL_ZONE = "all"
_DENSIFY_DEG = 1e-4
"""Longest zone edge (degrees, about 10 m) before reprojection."""


def load_zones(path: Path | str) -> pl.DataFrame:
    """Zones from a TOML or GeoJSON file, validated (raises InputError naming the bad value)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"zones file not found: {str(path)!r}; give a .toml or .geojson file")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            entries = list(tomllib.loads(text).get("zone", []))
        else:
            entries = [_from_feature(f) for f in json.loads(text).get("features", [])]
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, AttributeError, TypeError) as exc:
        raise InputError(
            f"cannot read zones file {str(path)!r}: {exc}; write TOML [[zone]] tables or a "
            "GeoJSON FeatureCollection of polygons"
        ) from exc
    if not entries:
        raise InputError(f"{str(path)!r} defines no zones; add [[zone]] tables or features")
    rows = [_validated(entry, path, number) for number, entry in enumerate(entries, 1)]
    keys = [(row["site_id"], row["zone_id"]) for row in rows]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise InputError(f"{str(path)!r}: zone(s) {duplicates} defined twice; ids must be unique")
    return zones_frame(rows)


def zones_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A ZONES frame of ``rows`` (dicts with ZONES keys; an empty list gives an empty frame)."""
    table = pa.Table.from_pylist(rows, schema=schemas.ZONES)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def zones_in_scene(
    zones: pl.DataFrame, scene_row: dict[str, Any]
) -> list[tuple[str, shapely.Polygon]]:
    """The zones of the scene's site as polygons in its pixel coordinates (see module docstring)."""
    site = zones.filter(pl.col("site_id") == scene_row["site_id"])
    placed: list[tuple[str, shapely.Polygon]] = []
    own = site.filter(
        (pl.col("scene_id") == scene_row["scene_id"]) & pl.col("pixel_wkt").is_not_null()
    )
    for zone_id, wkt in own.select("zone_id", "pixel_wkt").iter_rows():
        placed.append((zone_id, shapely.from_wkt(wkt)))
    if is_georeferenced(scene_row):
        ground = site.filter(pl.col("geometry_wkt").is_not_null())
        for zone_id, wkt in ground.select("zone_id", "geometry_wkt").iter_rows():
            placed.append((zone_id, _to_pixels(shapely.from_wkt(wkt), scene_row)))
    if not placed:
        whole = shapely.box(0, 0, scene_row["width_px"], scene_row["height_px"])
        placed.append((ALL_ZONE, whole))
    return placed


def _to_pixels(polygon: shapely.Polygon, scene_row: dict[str, Any]) -> shapely.Polygon:
    """A lon/lat polygon in the scene's pixel coordinates."""

    def move(lonlat: np.ndarray) -> np.ndarray:
        pixels = lonlat_to_pixel(scene_row, lonlat[:, 0], lonlat[:, 1])
        assert pixels is not None  # callers check georeferencing
        return np.column_stack(pixels)

    return shapely.transform(shapely.segmentize(polygon, _DENSIFY_DEG), move)


def _from_feature(feature: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature as the same flat entry a TOML table gives."""
    entry = dict(feature.get("properties") or {})
    entry.setdefault("id", feature.get("id"))
    geometry = feature.get("geometry") or {}
    if geometry.get("type") != "Polygon":
        entry["geometry_type"] = geometry.get("type")
        return entry
    key = "pixel_polygon" if (entry.get("scene") or entry.get("scene_id")) else "polygon"
    entry[key] = geometry["coordinates"][0]
    return entry


def _validated(entry: dict[str, Any], path: Path, number: int) -> dict[str, Any]:
    """One ZONES row from a file entry, or InputError naming the zone and the problem."""
    zone_id = entry.get("id") or entry.get("zone_id")
    site_id = entry.get("site") or entry.get("site_id")
    where = f"{str(path)!r} zone {zone_id or number}"
    if not zone_id or not site_id:
        raise InputError(f"{where}: every zone needs an id and a site")
    if str(zone_id) == ALL_ZONE:
        raise InputError(f"{where}: the id {ALL_ZONE!r} is reserved for the whole image")
    if entry.get("geometry_type"):
        raise InputError(f"{where}: a {entry['geometry_type']} is not a zone; draw a Polygon")
    scene_id = entry.get("scene") or entry.get("scene_id")
    key = "pixel_polygon" if scene_id else "polygon"
    polygon = _polygon(entry.get(key), where, key)
    if not scene_id:
        lon_min, lat_min, lon_max, lat_max = polygon.bounds
        if not (-180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90):
            raise InputError(
                f"{where}: polygon is not lon/lat ({polygon.bounds}); for pixel coordinates "
                "give scene = SCENE_ID and pixel_polygon"
            )
    return {
        "zone_id": str(zone_id),
        "site_id": str(site_id),
        "name": str(entry.get("name") or zone_id),
        "geometry_wkt": None if scene_id else polygon.wkt,
        "scene_id": str(scene_id) if scene_id else None,
        "pixel_wkt": polygon.wkt if scene_id else None,
    }


def _polygon(points: Any, where: str, key: str) -> shapely.Polygon:
    try:
        coords = np.asarray(points, dtype=float)[:, :2]
    except (TypeError, ValueError, IndexError) as exc:
        raise InputError(f"{where}: {key} must be a list of [x, y] pairs ({exc})") from exc
    polygon = shapely.Polygon(coords) if len(coords) >= 3 else shapely.Polygon()
    if polygon.is_empty or not polygon.is_valid or polygon.area <= 0:
        raise InputError(f"{where}: {key} is not a valid polygon of three or more corners")
    return polygon
