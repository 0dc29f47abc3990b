"""Hand counts as detections: DOTA labelTxt, YOLO, YOLO-OBB, COCO JSON and GeoJSON.

Every format becomes :data:`~harborwatch.schemas.DETECTIONS` rows with score 1.0 and the file's
name as ``source``. Class names are normalised to DOTA's (``large vehicle`` and ``large_vehicle``
become ``large-vehicle``; ``car`` becomes ``small-vehicle``, ``truck`` and ``bus``
``large-vehicle``, as DOTA's annotation guide sorts them). Sizes come from the minimum rotated
rectangle of each outline and the scene's GSD; lon/lat from the scene's georeferencing.

Formats:

- ``dota``: header lines ``imagesource:...`` and ``gsd:...``, then ``x1 y1 ... x4 y4 class
  difficulty`` in pixels.
- ``yolo``: ``class cx cy w h`` normalised to the image size (an optional sixth column is a score).
- ``yolo-obb``: ``class x1 y1 ... x4 y4`` normalised (optional tenth column: score). Class indices
  are named by a ``names:`` list (a dataset YAML such as ``dota8.yaml``, found beside or above the
  label file, or given), else by DOTA 2.0's 18 classes (whose first 15 are DOTA 1.0's).
- ``coco``: ``images``, ``annotations`` (``segmentation`` polygons, else ``bbox``), ``categories``;
  the image whose ``file_name`` is the scene's file (or the only image).
- ``geojson``: Polygon or MultiPolygon features (QGIS, CVAT) with a class in ``class``, ``label``,
  ``name``, ``category`` or ``type``; coordinates in lon/lat when the scene is georeferenced and the
  features lie on it, in the CRS a ``crs`` member names, else in pixels (QGIS draws an image without
  georeferencing with y negative; such files are flipped back).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import shapely
from pyproj import CRS, Transformer

from harborwatch import schemas
from harborwatch.errors import InputError
from harborwatch.ids import stable_ids
from harborwatch.imagery.scenes import is_georeferenced, lonlat_to_pixel, pixel_to_lonlat

FORMATS = ("dota", "yolo", "yolo-obb", "coco", "geojson")
DOTA_CLASSES = (
    "plane",
    "ship",
    "storage-tank",
    "baseball-diamond",
    "tennis-court",
    "basketball-court",
    "ground-track-field",
    "harbor",
    "bridge",
    "large-vehicle",
    "small-vehicle",
    "helicopter",
    "roundabout",
    "soccer-ball-field",
    "swimming-pool",
    "container-crane",
    "airport",
    "helipad",
)
"""DOTA 2.0 classes in the index order of its YOLO exports (the first 15 are DOTA 1.0)."""
CLASS_ALIASES = {
    "boat": "ship",
    "vessel": "ship",
    "warship": "ship",
    "car": "small-vehicle",
    "van": "small-vehicle",
    "vehicle": "small-vehicle",
    "truck": "large-vehicle",
    "bus": "large-vehicle",
    "trailer": "large-vehicle",
    "airplane": "plane",
    "aircraft": "plane",
    "harbour": "harbor",
}
_CLASS_KEYS = ("class", "label", "name", "category", "type", "class_name")


def import_annotations(
    path: Path | str,
    scene_row: dict[str, Any],
    fmt: str = "auto",
    names: Sequence[str] | Path | str | None = None,
) -> pl.DataFrame:
    """The objects annotated in ``path`` for the scene, as DETECTIONS rows.

    ``names`` (a list, or a YAML/text file) names the class indices of YOLO files.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"annotation file not found: {str(path)!r}")
    text = path.read_text(encoding="utf-8", errors="replace")
    kind = detect_format(path, text) if fmt == "auto" else fmt
    if kind == "dota":
        polygons, classes = _read_dota(text, path)
        scores = None
    elif kind in ("yolo", "yolo-obb"):
        polygons, classes, scores = _read_yolo(
            text, path, scene_row, kind, _class_names(names, path)
        )
    elif kind == "coco":
        polygons, classes = _read_coco(text, path, scene_row)
        scores = None
    elif kind == "geojson":
        polygons, classes = _read_geojson(text, path, scene_row)
        scores = None
    else:
        raise InputError(f"unknown annotation format {fmt!r}; use auto or one of {FORMATS}")
    return detections_from_polygons(scene_row, polygons, classes, path.name, scores)


def detect_format(path: Path, text: str) -> str:
    """The annotation format of ``path`` from its suffix and first data line."""
    if path.suffix.lower() in (".json", ".geojson"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{str(path)!r} is not valid JSON: {exc}") from exc
        if isinstance(document, dict) and "annotations" in document:
            return "coco"
        if isinstance(document, dict) and "features" in document:
            return "geojson"
        raise InputError(f"{str(path)!r}: JSON that is neither COCO nor GeoJSON; pass --format")
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        if ":" in line and len(tokens) < 9:
            return "dota"  # imagesource:/gsd: header
        numeric = all(_is_number(t) for t in tokens)
        if not numeric and len(tokens) >= 9:
            return "dota"
        if numeric and len(tokens) in (5, 6):
            return "yolo"
        if numeric and len(tokens) in (9, 10):
            return "yolo-obb"
        break
    raise InputError(
        f"cannot tell the annotation format of {str(path)!r}; pass --format "
        "dota|yolo|yolo-obb|coco|geojson"
    )


def normalise_classes(classes: Sequence[str]) -> list[str]:
    """Class names in DOTA's spelling (lower case, hyphens, aliases such as car → small-vehicle)."""
    series = (
        pl.Series("class", list(classes), dtype=pl.String)
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace_all(r"[\s_]+", "-")
    )
    return series.replace(CLASS_ALIASES).to_list()


def detections_from_polygons(
    scene_row: dict[str, Any],
    polygons: Any,
    classes: Sequence[str],
    source: str,
    scores: Any = None,
) -> pl.DataFrame:
    """DETECTIONS rows for outlines in the scene's pixel coordinates (a shapely array).

    Sizes come from each outline's minimum rotated rectangle and the scene GSD (null without
    one); ids hash the scene, source, class and outline, so re-imports replace rather than add.
    """
    geoms = np.asarray(polygons, dtype=object)
    n = len(geoms)
    names = normalise_classes(classes)
    centres = shapely.centroid(geoms)
    x, y = shapely.get_x(centres), shapely.get_y(centres)
    long_px, short_px, angle_deg = _oriented_size(geoms)
    gsd_m = scene_row.get("gsd_m")
    lonlat = pixel_to_lonlat(scene_row, x, y) if n else None
    wkt = shapely.to_wkt(geoms, rounding_precision=3) if n else np.array([], dtype=object)
    columns = {
        "detection_id": _ids(scene_row["scene_id"], source, names, list(wkt)),
        "scene_id": [scene_row["scene_id"]] * n,
        "class": names,
        "score": np.ones(n, np.float32) if scores is None else np.asarray(scores, np.float32),
        "pixel_wkt": list(wkt),
        "x_px": x,
        "y_px": y,
        "lon": lonlat[0] if lonlat is not None else None,
        "lat": lonlat[1] if lonlat is not None else None,
        "length_m": long_px * gsd_m if gsd_m else None,
        "width_m": short_px * gsd_m if gsd_m else None,
        "angle_deg": angle_deg,
        "source": [source] * n,
    }
    arrays = {k: pa.nulls(n) if v is None else pa.array(v) for k, v in columns.items()}
    frame = pl.from_arrow(schemas.conform(pa.table(arrays), schemas.DETECTIONS))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _oriented_size(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long side, short side (px) and long-side angle from the x axis (0-180°, y down) of each
    outline's minimum rotated rectangle; degenerate outlines give their extent and width 0."""
    if len(geoms) == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    rects = shapely.minimum_rotated_rectangle(geoms)
    coords, index = shapely.get_coordinates(rects, return_index=True)
    counts = np.bincount(index, minlength=len(geoms))
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    last = first + counts - 1
    p0, p1, p2 = (coords[np.minimum(first + k, last)] for k in range(3))
    e1, e2 = p1 - p0, p2 - p1
    l1, l2 = np.hypot(*e1.T), np.hypot(*e2.T)
    along = np.where((l1 >= l2)[:, None], e1, e2)
    angle = np.degrees(np.arctan2(along[:, 1], along[:, 0])) % 180.0
    return np.maximum(l1, l2), np.minimum(l1, l2), angle


def _ids(scene_id: str, source: str, classes: list[str], wkt: list[str]) -> list[str]:
    """Hash of scene, source, class and outline; repeats of one object get their ordinal too."""
    keys = pl.DataFrame({"c": classes, "w": wkt}, schema={"c": pl.String, "w": pl.String})
    unique = keys.select(
        pl.format("{}|{}|{}|{}", pl.lit(scene_id), pl.lit(source), "c", "w")
        + pl.when(pl.int_range(pl.len()).over("c", "w") > 0)
        .then(pl.format("|{}", pl.int_range(pl.len()).over("c", "w")))
        .otherwise(pl.lit(""))
    ).to_series()
    return stable_ids(unique).to_list()


# -- readers -------------------------------------------------------------------------------


def _read_dota(text: str, path: Path) -> tuple[np.ndarray, list[str]]:
    """Quadrilaterals and classes of a DOTA labelTxt file (header lines skipped)."""
    coords, classes = [], []
    for line_no, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens or (":" in line and len(tokens) < 9):
            continue
        if len(tokens) < 9 or not all(_is_number(t) for t in tokens[:8]):
            raise InputError(
                f"{str(path)!r} line {line_no}: {line.strip()!r} is not 'x1 y1 ... x4 y4 class "
                "[difficulty]'; pass --format if this is not a DOTA labelTxt file"
            )
        coords.append([float(t) for t in tokens[:8]])
        classes.append(tokens[8])
    return _quads(np.asarray(coords, dtype=float).reshape(-1, 4, 2)), classes


def _read_yolo(
    text: str, path: Path, scene_row: dict[str, Any], kind: str, names: Sequence[str]
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Boxes (axis-aligned or oriented), class names and scores of a YOLO label file."""
    width = 4 if kind == "yolo" else 8
    rows = [line.split() for line in text.splitlines() if line.strip()]
    bad = [i for i, r in enumerate(rows, 1) if len(r) not in (width + 1, width + 2)]
    if bad:
        raise InputError(
            f"{str(path)!r}: line {bad[0]} does not have {width + 1} numbers (class and "
            f"{width} normalised coordinates) as {kind} needs; pass the right --format"
        )
    try:
        values = np.asarray([[float(t) for t in r[: width + 1]] for r in rows]).reshape(
            -1, width + 1
        )
    except ValueError as exc:
        raise InputError(f"{str(path)!r}: not all {kind} fields are numbers ({exc})") from exc
    scores = np.asarray([float(r[width + 1]) if len(r) > width + 1 else 1.0 for r in rows])
    index = values[:, 0].astype(int)
    if len(index) and (index.min() < 0 or index.max() >= len(names)):
        raise InputError(
            f"{str(path)!r}: class index {int(index.max())} has no name ({len(names)} known); "
            "give the dataset YAML's names with --names"
        )
    size = np.array([scene_row["width_px"], scene_row["height_px"]], dtype=float)
    if kind == "yolo":
        centre, half = values[:, 1:3] * size, values[:, 3:5] * size / 2
        signs = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=float)
        corners = centre[:, None, :] + signs[None, :, :] * half[:, None, :]
    else:
        corners = values[:, 1:].reshape(-1, 4, 2) * size
    return _quads(corners), [names[i] for i in index], scores


def _read_coco(text: str, path: Path, scene_row: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    """Polygons (segmentation, else bbox) and category names of the scene's image."""
    document = json.loads(text)
    image_id = _coco_image_id(document, path, scene_row)
    categories = {c["id"]: c["name"] for c in document.get("categories", [])}
    polygons, classes = [], []
    for ann in document.get("annotations", []):
        if ann.get("image_id") != image_id:
            continue
        polygons.append(_coco_polygon(ann))
        classes.append(categories.get(ann.get("category_id"), str(ann.get("category_id"))))
    return np.asarray(polygons, dtype=object), classes


def _coco_image_id(document: dict[str, Any], path: Path, scene_row: dict[str, Any]) -> Any:
    images = document.get("images", [])
    scene_name = Path(scene_row["path"]).name
    matching = [im for im in images if Path(str(im.get("file_name", ""))).name == scene_name]
    if len(matching) == 1:
        return matching[0]["id"]
    if len(images) == 1:
        return images[0]["id"]
    raise InputError(
        f"{str(path)!r} lists {len(images)} images and none is named {scene_name!r}; "
        "export the annotations of this image alone"
    )


def _coco_polygon(ann: dict[str, Any]) -> shapely.Geometry:
    """The largest segmentation polygon of a COCO annotation, else its bbox."""
    segmentation = ann.get("segmentation")
    if isinstance(segmentation, list) and segmentation and len(segmentation[0]) >= 6:
        rings = [shapely.Polygon(np.asarray(s, float).reshape(-1, 2)) for s in segmentation]
        return max(rings, key=lambda ring: ring.area)
    x, y, w, h = ann["bbox"]
    return shapely.box(x, y, x + w, y + h)


def _read_geojson(text: str, path: Path, scene_row: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    """Feature outlines in the scene's pixel coordinates, and their classes."""
    document = json.loads(text)
    geoms, classes = [], []
    for number, feature in enumerate(document.get("features", []), 1):
        geometry = shapely.geometry.shape(feature.get("geometry") or {"type": "Point"})
        if isinstance(geometry, shapely.MultiPolygon):
            geometry = max(geometry.geoms, key=lambda part: part.area)
        if not isinstance(geometry, shapely.Polygon):
            raise InputError(
                f"{str(path)!r} feature {number} is a {geometry.geom_type}; annotations must be "
                "Polygon or MultiPolygon outlines"
            )
        properties = feature.get("properties") or {}
        label = next((properties[k] for k in _CLASS_KEYS if properties.get(k)), "object")
        geoms.append(geometry)
        classes.append(str(label))
    polygons = np.asarray(geoms, dtype=object)
    return _to_pixels(polygons, document.get("crs"), scene_row, path), classes


def _to_pixels(
    polygons: np.ndarray, crs_member: Any, scene_row: dict[str, Any], path: Path
) -> np.ndarray:
    """GeoJSON outlines moved into pixel coordinates (see the module docstring)."""
    if not len(polygons):
        return polygons
    file_crs = _named_crs(crs_member)
    maxy = shapely.total_bounds(polygons)[3]
    if file_crs is not None and not is_georeferenced(scene_row):
        raise InputError(
            f"{str(path)!r} is in {file_crs} but the scene has no georeferencing; register a "
            "GeoTIFF or export the outlines in pixel coordinates"
        )
    if file_crs is None and is_georeferenced(scene_row) and _lonlat_on_scene(polygons, scene_row):
        file_crs = "EPSG:4326"
    if file_crs is None:
        if maxy <= 0:
            return shapely.transform(polygons, lambda xy: xy * np.array([1.0, -1.0]))
        return polygons
    to_lonlat = Transformer.from_crs(CRS.from_user_input(file_crs), 4326, always_xy=True)

    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
        pixels = lonlat_to_pixel(scene_row, lon, lat)
        assert pixels is not None
        return np.column_stack(pixels)

    return shapely.transform(polygons, move)


def _lonlat_on_scene(polygons: np.ndarray, scene_row: dict[str, Any]) -> bool:
    minx, miny, maxx, maxy = shapely.total_bounds(polygons)
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return False
    footprint = scene_row.get("footprint_wkt")
    return footprint is None or shapely.box(minx, miny, maxx, maxy).intersects(
        shapely.from_wkt(footprint)
    )


def _named_crs(member: Any) -> str | None:
    """The CRS a GeoJSON ``crs`` member names (``urn:ogc:def:crs:EPSG::26915``), if any."""
    name = (member or {}).get("properties", {}).get("name") if isinstance(member, dict) else None
    if not name or "CRS84" in name or name.endswith("EPSG::4326"):
        return None if not name else "EPSG:4326"
    return str(name)


# -- class names ---------------------------------------------------------------------------


def _class_names(names: Sequence[str] | Path | str | None, label_path: Path) -> Sequence[str]:
    """Class names by index: given, from a names file, a dataset YAML found above the label
    file, or DOTA's."""
    if names is not None and not isinstance(names, str | Path):
        return list(names)
    if names is not None:
        found = _names_from_file(Path(names))
        if not found:
            raise InputError(f"no class names found in {str(names)!r}; it needs a names: list")
        return found
    for folder in list(label_path.resolve().parents)[:3]:
        for candidate in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            found = _names_from_file(candidate)
            if found:
                return found
    return DOTA_CLASSES


def _names_from_file(path: Path) -> list[str]:
    """The ``names:`` of a YOLO dataset YAML (mapping, block list or inline list), or one name
    per line of a plain text file."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if path.suffix.lower() not in (".yaml", ".yml"):
        return [line.strip() for line in lines if line.strip()]
    for i, line in enumerate(lines):
        match = re.match(r"^names:\s*(.*)$", line)
        if not match:
            continue
        inline = match.group(1).split("#")[0].strip()
        if inline.startswith("["):
            return [_unquote(v) for v in inline.strip("[]").split(",") if v.strip()]
        entries = []
        for item in lines[i + 1 :]:
            if item.strip() and not item[0].isspace():
                break
            body = item.split("#")[0].strip()
            if body.startswith("-"):
                entries.append(_unquote(body[1:]))
            elif ":" in body:
                entries.append(_unquote(body.split(":", 1)[1]))
        return entries
    return []


def _unquote(value: str) -> str:
    return value.strip().strip("'\"")


def _quads(corners: np.ndarray) -> np.ndarray:
    """Polygons from ``(n, 4, 2)`` corner arrays."""
    return np.asarray(shapely.polygons(corners), dtype=object).reshape(-1)


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True
