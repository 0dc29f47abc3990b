"""Scenes: one image of a site at one time, described by a :data:`~harborwatch.schemas.SCENES` row.

GeoTIFFs in any CRS are read through rasterio; PNG and JPEG images without georeferencing live in
pixel space (``crs`` and ``transform`` null). Pixel coordinates are continuous, ``(0, 0)`` at the
top-left corner of the first pixel, ``x`` to the right, ``y`` down (as DOTA, YOLO and COCO).

The ground sample distance comes, in order, from the caller, from a DOTA label header
(``gsd:0.27`` in a ``labelTxt`` file beside the image), or from the georeferencing (geodesic size
of one pixel at the scene centre, so geographic CRSs give metres too). Without any of these the
scene cannot be measured and :func:`read_scene_metadata` says to pass ``--gsd-m``.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import rasterio
import shapely
from pyproj import CRS, Geod, Transformer
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.windows import Window

from harborwatch import schemas
from harborwatch.errors import InputError
from harborwatch.files import file_sha256

_GEOD = Geod(ellps="WGS84")
_EDGE_POINTS = 11
"""Points per image edge when tracing the footprint (a UTM edge is straight in lon/lat only
approximately)."""
_MEDIA_TYPES = {
    ".tif": "image/tiff; application=geotiff",
    ".tiff": "image/tiff; application=geotiff",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
STAC_PROJECTION = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"


def scene_id_of(sha256: str, site_id: str, acquired_ts: datetime) -> str:
    """Deterministic scene id (16 hex): the same bytes, site and time always give the same id."""
    key = f"{sha256}|{site_id}|{_utc(acquired_ts).isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def read_scene_metadata(
    path: Path | str,
    site_id: str,
    acquired_ts: datetime,
    sensor: str | None = None,
    gsd_m: float | None = None,
    *,
    labels: Path | str | None = None,
    simulated: bool = False,
    note: str | None = None,
) -> dict[str, Any]:
    """One :data:`~harborwatch.schemas.SCENES` row describing the image at ``path``.

    ``labels`` names a DOTA ``labelTxt`` file whose ``gsd:`` header gives the GSD; when not
    given, one beside the image (``stem.txt``, ``labelTxt/stem.txt``, ``../labelTxt/stem.txt``)
    is used if present. Naive ``acquired_ts`` is taken as UTC.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise InputError(f"image not found: {str(path)!r}; give a GeoTIFF, PNG or JPEG file")
    acquired = _utc(acquired_ts)
    with _open(path) as dataset:
        crs, transform = _georeferencing(dataset)
        row: dict[str, Any] = {
            "scene_id": None,
            "site_id": site_id,
            "acquired_ts": acquired,
            "path": str(path),
            "sha256": file_sha256(path),
            "sensor": sensor,
            "gsd_m": None,
            "width_px": dataset.width,
            "height_px": dataset.height,
            "bands": dataset.count,
            "crs": crs,
            "transform": transform,
            "footprint_wkt": None,
            "simulated": simulated,
            "note": note,
        }
    row["scene_id"] = scene_id_of(row["sha256"], site_id, acquired)
    if crs is not None:
        row["footprint_wkt"] = _footprint(row).wkt
    row["gsd_m"] = _choose_gsd(path, row, gsd_m, labels)
    return row


def scenes_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A SCENES frame of scene rows (an empty list gives an empty frame)."""
    frame = pl.from_arrow(pa.Table.from_pylist(rows, schema=schemas.SCENES))
    assert isinstance(frame, pl.DataFrame)
    return frame


def stac_item(scene_row: dict[str, Any]) -> dict[str, Any]:
    """A STAC 1.0 Item for the scene (projection extension; null geometry in pixel space)."""
    footprint = scene_row.get("footprint_wkt")
    geometry = shapely.from_wkt(footprint) if footprint else None
    crs = scene_row.get("crs")
    epsg = CRS.from_user_input(crs).to_epsg() if crs else None
    properties: dict[str, Any] = {
        "datetime": _utc(scene_row["acquired_ts"]).isoformat().replace("+00:00", "Z"),
        "gsd": scene_row.get("gsd_m"),
        "proj:epsg": epsg,
        "proj:shape": [scene_row["height_px"], scene_row["width_px"]],
        "harborwatch:site_id": scene_row["site_id"],
        "harborwatch:simulated": bool(scene_row.get("simulated")),
    }
    if crs and epsg is None:
        properties["proj:wkt2"] = CRS.from_user_input(crs).to_wkt()
    if scene_row.get("transform"):
        properties["proj:transform"] = list(scene_row["transform"])
    if scene_row.get("sensor"):
        properties["instruments"] = [scene_row["sensor"]]
    item: dict[str, Any] = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [STAC_PROJECTION],
        "id": scene_row["scene_id"],
        "geometry": shapely.geometry.mapping(geometry) if geometry is not None else None,
        "properties": properties,
        "links": [],
        "assets": {
            "image": {
                "href": scene_row["path"],
                "type": _MEDIA_TYPES.get(Path(scene_row["path"]).suffix.lower()),
                "roles": ["data"],
            }
        },
    }
    if geometry is not None:
        item["bbox"] = list(geometry.bounds)
    return item


def is_georeferenced(scene_row: dict[str, Any]) -> bool:
    """True when the scene has a CRS and an affine transform (lon/lat can be computed)."""
    return bool(scene_row.get("crs")) and bool(scene_row.get("transform"))


def pixel_to_lonlat(
    scene_row: dict[str, Any], x: Any, y: Any
) -> tuple[np.ndarray, np.ndarray] | None:
    """Lon/lat (WGS 84) of pixel coordinates ``x``, ``y`` (arrays); None in pixel space."""
    if not is_georeferenced(scene_row):
        return None
    a, b, c, d, e, f = scene_row["transform"]
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    east, north = a * x + b * y + c, d * x + e * y + f
    lon, lat = _to_lonlat(scene_row["crs"]).transform(east, north)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def lonlat_to_pixel(
    scene_row: dict[str, Any], lon: Any, lat: Any
) -> tuple[np.ndarray, np.ndarray] | None:
    """Pixel coordinates of lon/lat points (arrays); None in pixel space."""
    if not is_georeferenced(scene_row):
        return None
    east, north = _to_lonlat(scene_row["crs"]).transform(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), direction="INVERSE"
    )
    a, b, c, d, e, f = scene_row["transform"]
    det = a * e - b * d
    east, north = np.asarray(east) - c, np.asarray(north) - f
    return (e * east - b * north) / det, (a * north - d * east) / det


class SceneReader:
    """Reads a registered scene window by window; closes its file on :meth:`close` or ``with``."""

    def __init__(self, scene_row: dict[str, Any]) -> None:
        self.scene = scene_row
        self.width: int = scene_row["width_px"]
        self.height: int = scene_row["height_px"]
        self.bands: int = scene_row["bands"]
        self.gsd_m: float | None = scene_row.get("gsd_m")
        self.georeferenced = is_georeferenced(scene_row)
        self._dataset = _open(Path(scene_row["path"]))

    def read_window(self, window: Window) -> np.ndarray:
        """Pixels of ``window`` as ``(bands, rows, columns)``, clipped to the image."""
        return np.asarray(self._dataset.read(window=window))

    def pixel_to_lonlat(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray] | None:
        return pixel_to_lonlat(self.scene, x, y)

    def lonlat_to_pixel(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray] | None:
        return lonlat_to_pixel(self.scene, lon, lat)

    def close(self) -> None:
        self._dataset.close()

    def __enter__(self) -> SceneReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_scene(scene_row: dict[str, Any]) -> SceneReader:
    """A :class:`SceneReader` over the scene's image file."""
    return SceneReader(scene_row)


def _open(path: Path) -> Any:
    """The rasterio dataset of ``path``; PNG/JPEG without georeferencing are opened quietly."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(path)
    except RasterioIOError as exc:
        raise InputError(
            f"cannot read image {str(path)!r}: {exc}; give a GeoTIFF, PNG or JPEG file"
        ) from exc


def _georeferencing(dataset: Any) -> tuple[str | None, list[float] | None]:
    """The CRS (``EPSG:n`` or WKT) and affine transform, or (None, None) in pixel space."""
    if dataset.crs is None or dataset.transform.is_identity:
        return None, None
    epsg = dataset.crs.to_epsg()
    crs = f"EPSG:{epsg}" if epsg else dataset.crs.to_wkt()
    return crs, [float(v) for v in list(dataset.transform)[:6]]


def _footprint(row: dict[str, Any]) -> shapely.Polygon:
    """The image outline in lon/lat, traced along its edges."""
    w, h = row["width_px"], row["height_px"]
    t = np.linspace(0.0, 1.0, _EDGE_POINTS)[:-1]
    x = np.concatenate([t * w, np.full_like(t, w), (1 - t) * w, np.zeros_like(t)])
    y = np.concatenate([np.zeros_like(t), t * h, np.full_like(t, h), (1 - t) * h])
    lonlat = pixel_to_lonlat(row, x, y)
    assert lonlat is not None  # only called for georeferenced rows
    return shapely.Polygon(np.column_stack(lonlat))


def _choose_gsd(
    path: Path, row: dict[str, Any], given: float | None, labels: Path | str | None
) -> float:
    """GSD from the caller, a DOTA label header, or the georeferencing, in that order."""
    if given is not None:
        if not given > 0:
            raise InputError(f"--gsd-m {given} must be a positive number of metres per pixel")
        return float(given)
    candidates = [Path(labels)] if labels else _label_candidates(path)
    for candidate in candidates:
        header_gsd = dota_header_gsd(candidate)
        if header_gsd is not None:
            return header_gsd
    if is_georeferenced(row):
        return _pixel_size_m(row)
    raise InputError(
        f"{str(path)!r} has no georeferencing and no DOTA label header with gsd:; "
        "give the ground sample distance with --gsd-m (metres per pixel)"
    )


def _label_candidates(path: Path) -> list[Path]:
    name = path.stem + ".txt"
    return [
        path.with_suffix(".txt"),
        path.parent / "labelTxt" / name,
        path.parent.parent / "labelTxt" / name,
    ]


def dota_header_gsd(label_path: Path) -> float | None:
    """The ``gsd:`` value of a DOTA ``labelTxt`` header; None when absent, null or not a file."""
    if not label_path.is_file():
        return None
    with open(label_path, encoding="utf-8", errors="replace") as handle:
        for _, line in zip(range(4), handle, strict=False):
            key, sep, value = line.strip().partition(":")
            if sep and key.strip().lower() == "gsd":
                try:
                    gsd = float(value)
                except ValueError:
                    return None  # DOTA writes gsd:null for unknown
                return gsd if gsd > 0 else None
    return None


def _pixel_size_m(row: dict[str, Any]) -> float:
    """Geodesic size of one pixel at the scene centre (geometric mean of its two sides)."""
    cx, cy = row["width_px"] / 2, row["height_px"] / 2
    lonlat = pixel_to_lonlat(row, [cx, cx + 1, cx], [cy, cy, cy + 1])
    assert lonlat is not None
    lon, lat = lonlat
    _, _, dx_m = _GEOD.inv(lon[0], lat[0], lon[1], lat[1])
    _, _, dy_m = _GEOD.inv(lon[0], lat[0], lon[2], lat[2])
    return float(np.sqrt(dx_m * dy_m))


@functools.lru_cache(maxsize=64)
def _to_lonlat(crs: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(crs), CRS.from_epsg(4326), always_xy=True)


def _utc(ts: datetime) -> datetime:
    """``ts`` as a UTC-aware time at microsecond precision (naive times are UTC)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
