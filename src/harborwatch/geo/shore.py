"""Distance to the nearest coast and "is this position on land", for millions of positions.

Built once from Natural Earth land polygons, cached as ``.npy`` files keyed by the source file's
SHA-256, then answered by one Numba pass over the positions:

- **Coast segments.** Every polygon ring edge except the artificial ones (the antimeridian cut
  and Antarctica's edge along the south pole), with its neighbours in the ring. Rings are
  oriented so land lies left of every edge.
- **Sites.** Points every ~1 km along those edges; a grid of corners every 0.1° stores the site
  nearest to each corner (closest-point propagation, a forward and a backward raster sweep with
  exact great-circle comparison through unit vectors, then each corner's site moved along the
  coast while that brings it closer). A position takes the closest of its cell's four corner
  sites and again walks along the coast to the nearest site: an upper bound ``U`` on its
  distance to the coast, and close to it.
- **Near the coast** (``U`` below :data:`NEAR_COAST_M`), the exact distance to the coast
  segments bucketed in 0.25° cells within ``U``, measured in a local equirectangular plane
  around the position. Consecutive positions of a track are close together, so the segments
  that can be nearest anywhere within :data:`MEMO_RADIUS_M` of a searched position are kept and
  the positions that follow within that radius scan only them (same answers, any order).
- **Land.** A 0.1° raster of cell states: water, land, or coast (a cell a coast segment crosses,
  or next to one). Water and land cells answer directly; in coast cells the position is on land
  when it lies on the land side of its nearest coast segment (at a shared vertex, of both edges
  for a convex corner, of either for a reflex one), which is exact for the polygons.

Accuracy (tests compare with shapely on the same polygons): on_land agrees exactly; distances
within 5 km of the coast match to within 60 m; further out the site bound stays within 2 % (in
the eastern Mediterranean at most 1.7 km at 160 km, typically tens of metres). Natural Earth
1:50 m itself places coasts within about 1-2 km. Build about 2-6 s; the cache is ~50 MB.
"""

from __future__ import annotations

import hashlib
import io
import os
from importlib import resources
from pathlib import Path

import numba
import numpy as np
import shapely

from harborwatch.errors import InputError
from harborwatch.geo.ports import EARTH_RADIUS_M, unit_vectors, wrap_lon

CORNER_DEG = 0.1
"""Spacing of the corner grid and the land-state raster."""
BUCKET_DEG = 0.25
"""Cells that bucket coast segments for the exact search."""
SITE_SPACING_M = 1_000.0
"""Sites are placed along coast segments at most this far apart."""
NEAR_COAST_M = 5_000.0
"""Positions whose corner bound is below this get the exact segment distance."""
MEMO_RADIUS_M = 1_000.0
"""An exact search's candidate segments serve the positions that follow within this distance."""
MASK_FILE = "globe_combined_mask_compressed.npz"
"""The land raster inside the global-land-mask package (21600 x 43200, north row first)."""
MASK_SAMPLE = 3
"""Every third pixel of it is kept (0.025°): 100 MB in memory instead of 900 MB."""
CACHE_VERSION = "shore-v2"
"""Bump when the cached arrays change meaning."""

WATER, LAND, COAST = 0, 1, 2
_ARRAYS = (
    "segments",
    "seg_prev",
    "seg_next",
    "site_xyz",
    "corner_site",
    "cell_state",
    "bucket_offsets",
    "bucket_segments",
    "land_bits",
)


def cache_dir() -> Path:
    """``$HARBORWATCH_CACHE``, else ``~/.cache/harborwatch``."""
    return Path(os.environ.get("HARBORWATCH_CACHE", Path.home() / ".cache" / "harborwatch"))


class ShoreDistance:
    """Distance to the nearest coast (0 on land) and land test, vectorised over positions."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._arrays = arrays

    @classmethod
    def from_natural_earth(cls, path: Path | str) -> ShoreDistance:
        """Build (or load from the cache) the lookup for a Natural Earth land GeoJSON file
        such as ``ne_50m_land.json``."""
        path = Path(path)
        if not path.is_file():
            raise InputError(
                f"Natural Earth land file not found at {str(path)!r}; pass --geo-dir pointing at "
                "a folder with naturalearth/ne_50m_land.json"
            )
        data = path.read_bytes()
        folder = cache_dir() / "shore" / _cache_key(data, "polygons")
        cached = _load(folder)
        if cached is not None:
            return cls(cached)
        try:
            geometry = shapely.from_geojson(data.decode("utf-8"))
        except (shapely.errors.GEOSException, UnicodeDecodeError) as exc:
            raise InputError(
                f"{str(path)!r} is not a GeoJSON file of land polygons ({exc}); use Natural "
                "Earth's ne_50m_land.json"
            ) from exc
        arrays = build_arrays(geometry)
        _save(folder, arrays)
        return cls(arrays)

    @classmethod
    def from_land_mask(cls) -> ShoreDistance:
        """The lookup built from the ``global-land-mask`` package's 1 km GLOBE land mask (MIT),
        for use without reference files: sampled every 3 pixels (0.025°, ~2.8 km), coast
        segments along the pixel edges, land from the mask's bits. Coarser than Natural Earth
        polygons: expect coasts to be off by up to ~3 km."""
        try:
            source = resources.files("global_land_mask").joinpath(MASK_FILE)
            data = source.read_bytes()
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            raise InputError(
                "no built-in land data: `pip install global-land-mask`, or pass --geo-dir "
                "pointing at a folder with naturalearth/ne_50m_land.json"
            ) from exc
        folder = cache_dir() / "shore" / _cache_key(data, "mask")
        cached = _load(folder)
        if cached is not None:
            return cls(cached)
        with np.load(io.BytesIO(data)) as archive:
            ocean = archive["mask"][1::MASK_SAMPLE, 1::MASK_SAMPLE][::-1]  # rows south to north
        mask = ~ocean  # the package's mask is True at sea
        arrays = build_mask_arrays(np.ascontiguousarray(mask))
        _save(folder, arrays)
        return cls(arrays)

    def distance_m(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Great-circle distance in metres to the nearest coast; 0 on land, NaN for NaN input."""
        coast_m, land = self._lookup(lon, lat)
        return np.where(land, 0.0, coast_m)

    def on_land(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """True where the position lies inside a land polygon (False for NaN input)."""
        return self._lookup(lon, lat)[1]

    def lookup(
        self, lon: np.ndarray, lat: np.ndarray, unit_xyz: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Both answers in one pass: (distance to the coast on either side, on_land). On land the
        distance says how far inland: a position a few hundred metres inside a coarse coastline
        is a harbour the map does not draw; one 20 km inland is not.

        ``unit_xyz``, an (n, 3) array when given, receives each located position's unit vector
        (as :func:`~harborwatch.geo.ports.unit_vectors` computes it; latitudes clamped to
        [-90, 90]) for the port lookup to reuse; rows of positions without coordinates are left
        as they are."""
        return self._lookup(lon, lat, unit_xyz)

    def _lookup(
        self, lon: np.ndarray, lat: np.ndarray, unit_xyz: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        a = self._arrays
        # Outputs allocated by NumPy (huge pages for big arrays), not in the kernel: page faults
        # cost as much as the lookups of millions of positions.
        dist = np.empty(len(lon), dtype=np.float64)
        land = np.zeros(len(lon), dtype=np.bool_)
        xyz = np.empty((0, 3)) if unit_xyz is None else unit_xyz
        _lookup_kernel(
            np.ascontiguousarray(lon, dtype=np.float64),
            np.ascontiguousarray(lat, dtype=np.float64),
            a["segments"],
            a["seg_prev"],
            a["seg_next"],
            a["site_xyz"],
            a["corner_site"],
            a["cell_state"],
            a["bucket_offsets"],
            a["bucket_segments"],
            a["land_bits"],
            dist,
            land,
            xyz,
        )
        return dist, land


def _cache_key(data: bytes, kind: str) -> str:
    """Cache folder name: the source's SHA-256 with the algorithm version and source kind."""
    return hashlib.sha256(data + f"{CACHE_VERSION}/{kind}".encode()).hexdigest()[:24]


def _load(folder: Path) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when any is missing."""
    if not all((folder / f"{name}.npy").is_file() for name in _ARRAYS):
        return None
    return {name: np.load(folder / f"{name}.npy") for name in _ARRAYS}


def _save(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays atomically (temporary names, then rename) so a killed build leaves no
    half cache behind."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        tmp = folder / f".{name}.{os.getpid()}.npy"
        np.save(tmp, array)
        tmp.replace(folder / f"{name}.npy")


def build_arrays(geometry: shapely.Geometry) -> dict[str, np.ndarray]:
    """All lookup arrays from land (multi)polygons in lon/lat."""
    polygons = shapely.get_parts(shapely.get_parts(geometry))
    polygons = shapely.orient_polygons(polygons[shapely.get_type_id(polygons) == 3])
    rings = shapely.get_rings(polygons)
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    starts = np.flatnonzero(np.diff(ring_index, prepend=-1))
    ends = np.append(starts[1:], len(coords))
    edges, seg_prev, seg_next = _ring_edges(coords, starts, ends)
    real = ~_artificial(edges)
    segments, seg_prev, seg_next = _keep(edges, seg_prev, seg_next, real)
    site_lon, site_lat, site_seg = _sites(segments)
    site_xyz = np.ascontiguousarray(unit_vectors(site_lon, site_lat))
    corner_site = _propagate(_seed_corners(site_lon, site_lat, site_xyz), site_xyz)
    corner_site = _climb_corners(corner_site, site_xyz)
    cell_state = _cell_state(edges, site_lon, site_lat)
    offsets, members = _buckets(site_lon, site_lat, site_seg)
    return {
        "segments": segments,
        "seg_prev": seg_prev,
        "seg_next": seg_next,
        "site_xyz": site_xyz,
        "corner_site": corner_site,
        "cell_state": cell_state,
        "bucket_offsets": offsets,
        "bucket_segments": members,
        "land_bits": np.zeros((0, 0), dtype=np.uint8),
    }


def build_mask_arrays(mask: np.ndarray) -> dict[str, np.ndarray]:
    """All lookup arrays from a global land raster (rows south to north from -90°, columns
    from -180°, square pixels): coast segments are the pixel edges between land and water."""
    step = 180.0 / mask.shape[0]
    segments = _pixel_edges(mask, step)
    site_lon, site_lat, site_seg = _sites(segments)
    site_xyz = np.ascontiguousarray(unit_vectors(site_lon, site_lat))
    corner_site = _propagate(_seed_corners(site_lon, site_lat, site_xyz), site_xyz)
    offsets, members = _buckets(site_lon, site_lat, site_seg)
    no_neighbour = np.full(len(segments), -1, dtype=np.int32)
    return {
        "segments": segments,
        "seg_prev": no_neighbour,
        "seg_next": no_neighbour,
        "site_xyz": site_xyz,
        "corner_site": _climb_corners(corner_site, site_xyz),
        "cell_state": _mask_cell_state(mask),
        "bucket_offsets": offsets,
        "bucket_segments": members,
        "land_bits": np.packbits(mask, axis=1),
    }


def _pixel_edges(mask: np.ndarray, step: float) -> np.ndarray:
    """(x1, y1, x2, y2) of every pixel edge with land on one side and water on the other
    (columns wrap at the antimeridian)."""
    rows, cols = np.nonzero(mask[:-1] != mask[1:])  # between row r and r + 1
    y = (rows + 1) * step - 90.0
    x = cols * step - 180.0
    horizontal = np.column_stack([x, y, x + step, y])
    rows, cols = np.nonzero(mask != np.roll(mask, -1, axis=1))  # between col c and c + 1
    x = (cols + 1) * step - 180.0
    y = rows * step - 90.0
    vertical = np.column_stack([x, y, x, y + step])
    return np.ascontiguousarray(np.concatenate([horizontal, vertical]))


def _mask_cell_state(mask: np.ndarray) -> np.ndarray:
    """LAND / WATER where every pixel of the cell agrees, COAST otherwise and next to it."""
    n_rows, n_cols = _grid_shape()
    blocks = mask.reshape(n_rows, mask.shape[0] // n_rows, n_cols, mask.shape[1] // n_cols)
    land = blocks.all(axis=(1, 3))
    mixed = np.asarray(blocks.any(axis=(1, 3)) & ~land)
    state = np.where(land, LAND, WATER).astype(np.uint8)
    state[_grow(mixed)] = COAST
    return state


def _ring_edges(
    coords: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges (x1, y1, x2, y2) of closed rings and each edge's previous and next edge."""
    first = np.concatenate([np.arange(s, e - 1) for s, e in zip(starts, ends, strict=True)])
    edges = np.column_stack([coords[first], coords[first + 1]])
    n_edges = ends - starts - 1
    edge_start = np.concatenate([[0], np.cumsum(n_edges)[:-1]])
    ring_of_edge = np.repeat(np.arange(len(starts)), n_edges)
    pos = np.arange(len(first)) - edge_start[ring_of_edge]
    size = n_edges[ring_of_edge]
    base = edge_start[ring_of_edge]
    seg_prev = base + (pos - 1) % size
    seg_next = base + (pos + 1) % size
    return edges, seg_prev, seg_next


def _artificial(edges: np.ndarray) -> np.ndarray:
    """Edges that are cuts, not coast: along the antimeridian or the south pole's parallel."""
    x1, y1, x2, y2 = edges.T
    seam = (np.abs(x1) >= 180.0 - 1e-7) & (np.abs(x2) >= 180.0 - 1e-7)
    pole = (y1 <= -90.0 + 1e-4) & (y2 <= -90.0 + 1e-4)
    return seam | pole


def _keep(
    edges: np.ndarray, seg_prev: np.ndarray, seg_next: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kept edges with neighbour links renumbered (-1 where the neighbour was dropped)."""
    new_index = np.full(len(edges), -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    return (
        np.ascontiguousarray(edges[keep]),
        new_index[seg_prev[keep]].astype(np.int32),
        new_index[seg_next[keep]].astype(np.int32),
    )


def _sites(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along each segment at most SITE_SPACING_M apart (start included, end not)."""
    x1, y1, x2, y2 = segments.T
    length_m = _approx_length_m(x1, y1, x2, y2)
    pieces = np.maximum(np.ceil(length_m / SITE_SPACING_M).astype(np.int64), 1)
    seg = np.repeat(np.arange(len(segments)), pieces)
    offset = np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    t = offset / pieces[seg]
    return x1[seg] + t * (x2 - x1)[seg], y1[seg] + t * (y2 - y1)[seg], seg.astype(np.int32)


def _approx_length_m(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> np.ndarray:
    """Edge length in a local equirectangular plane (edges are short)."""
    mid = np.radians((y1 + y2) / 2)
    dx = np.radians(x2 - x1) * np.cos(mid)
    dy = np.radians(y2 - y1)
    return np.asarray(np.hypot(dx, dy) * EARTH_RADIUS_M)


def _grid_shape() -> tuple[int, int]:
    return round(180.0 / CORNER_DEG), round(360.0 / CORNER_DEG)


def _seed_corners(site_lon: np.ndarray, site_lat: np.ndarray, site_xyz: np.ndarray) -> np.ndarray:
    """Corner grid with each site written at its nearest corner (closest site wins)."""
    n_rows, n_cols = _grid_shape()
    corner = np.full((n_rows + 1, n_cols), -1, dtype=np.int32)
    rows = np.rint((site_lat + 90.0) / CORNER_DEG).astype(np.int64)
    cols = np.rint((site_lon + 180.0) / CORNER_DEG).astype(np.int64) % n_cols
    corner_xyz = unit_vectors(cols * CORNER_DEG - 180.0, rows * CORNER_DEG - 90.0)
    chord2 = ((site_xyz - corner_xyz) ** 2).sum(axis=1)
    order = np.lexsort((chord2, cols, rows))  # per corner, the closest site first
    flat = rows[order] * n_cols + cols[order]
    first = np.flatnonzero(np.diff(flat, prepend=-1))
    corner.ravel()[flat[first]] = order[first]
    return corner


@numba.njit(cache=True)
def _propagate(corner: np.ndarray, site_xyz: np.ndarray) -> np.ndarray:
    """Closest-site propagation: a forward and a backward raster sweep over the corners, each
    corner taking a neighbour's site when it is closer (columns wrap at the antimeridian).
    Written as one loop nest: helper calls taking arrays cost more than the work here."""
    n_r, n_c = corner.shape
    cos_lat = np.cos(np.radians(np.arange(n_r) * CORNER_DEG - 90.0))
    sin_lat = np.sin(np.radians(np.arange(n_r) * CORNER_DEG - 90.0))
    cos_lon = np.cos(np.radians(np.arange(n_c) * CORNER_DEG - 180.0))
    sin_lon = np.sin(np.radians(np.arange(n_c) * CORNER_DEG - 180.0))
    best = np.full((n_r, n_c), 5.0)
    for i in range(n_r):
        for j in range(n_c):
            s = corner[i, j]
            if s >= 0:
                x, y, z = cos_lat[i] * cos_lon[j], cos_lat[i] * sin_lon[j], sin_lat[i]
                best[i, j] = (
                    (site_xyz[s, 0] - x) ** 2
                    + (site_xyz[s, 1] - y) ** 2
                    + (site_xyz[s, 2] - z) ** 2
                )
    for step in (1, -1):  # forward sweep, then backward
        for ii in range(n_r):
            i = ii if step == 1 else n_r - 1 - ii
            prev_row = i - step
            # Along the row in the sweep direction (neighbours: previous row and previous
            # column), then back (neighbour: the column just passed).
            for along in (True, False):
                d = -step if along else step
                for jj in range(n_c):
                    j = jj if (step == 1) == along else n_c - 1 - jj
                    x, y, z = cos_lat[i] * cos_lon[j], cos_lat[i] * sin_lon[j], sin_lat[i]
                    own, cur = best[i, j], corner[i, j]
                    for q in range(4 if along else 1):
                        ni, nj = (i, (j + d) % n_c) if q == 0 else (prev_row, (j + q - 2) % n_c)
                        if ni < 0 or ni >= n_r:
                            continue
                        c = corner[ni, nj]
                        if c < 0 or c == cur:
                            continue
                        d2 = (
                            (site_xyz[c, 0] - x) ** 2
                            + (site_xyz[c, 1] - y) ** 2
                            + (site_xyz[c, 2] - z) ** 2
                        )
                        if d2 < own:
                            own, cur = d2, c
                    best[i, j] = own
                    corner[i, j] = cur
    return corner


@numba.njit(cache=True)
def _climb_corners(corner: np.ndarray, site_xyz: np.ndarray) -> np.ndarray:
    """Move each corner's site along the coast while that brings it closer: a raster sweep
    only passes on sites that are some neighbour's nearest, and this recovers the rest."""
    n_r, n_c = corner.shape
    for i in range(n_r):
        lat = np.radians(i * CORNER_DEG - 90.0)
        for j in range(n_c):
            lon = np.radians(j * CORNER_DEG - 180.0)
            x, y, z = np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)
            s = corner[i, j]
            if s >= 0:
                corner[i, j] = _climb(site_xyz, s, _chord2(site_xyz, s, x, y, z), x, y, z)[0]
    return corner


@numba.njit(cache=True, inline="always")
def _climb(site_xyz, start, start2, x, y, z):
    """From site ``start`` (squared chord ``start2`` to (x, y, z)), step to the neighbouring
    site along the coast (index +-1) while it is closer; the nearest site is a local minimum
    along the coast. Returns the site reached and its squared chord."""
    best, best2 = start, start2
    for direction in (1, -1):
        k = best + direction
        while 0 <= k < site_xyz.shape[0]:
            d2 = _chord2(site_xyz, k, x, y, z)
            if d2 >= best2:
                break
            best, best2 = k, d2
            k += direction
    return best, best2


@numba.njit(cache=True, inline="always")
def _chord2(site_xyz: np.ndarray, k: int, x: float, y: float, z: float) -> float:
    return (site_xyz[k, 0] - x) ** 2 + (site_xyz[k, 1] - y) ** 2 + (site_xyz[k, 2] - z) ** 2


def _grow(flags: np.ndarray) -> np.ndarray:
    """``flags`` with every cell's eight neighbours set too (columns wrap)."""
    grown = flags.copy()
    for dr in (-1, 0, 1):
        shifted = np.roll(flags, dr, axis=0)
        if dr == 1:
            shifted[0] = False
        elif dr == -1:
            shifted[-1] = False
        for dc in (-1, 0, 1):
            grown |= np.roll(shifted, dc, axis=1)
    return grown


def _cell_state(edges: np.ndarray, site_lon: np.ndarray, site_lat: np.ndarray) -> np.ndarray:
    """WATER / LAND by the cell centre (even-odd scanline over all ring edges), COAST where a
    site lies in the cell or one of its eight neighbours."""
    n_rows, n_cols = _grid_shape()
    state = _scanline_fill(edges, n_rows, n_cols)
    coast = np.zeros((n_rows, n_cols), dtype=np.bool_)
    rows = np.clip(np.floor((site_lat + 90.0) / CORNER_DEG).astype(np.int64), 0, n_rows - 1)
    cols = np.floor((site_lon + 180.0) / CORNER_DEG).astype(np.int64) % n_cols
    coast[rows, cols] = True
    grown = _grow(coast)
    state[grown] = COAST
    return state


def _scanline_fill(edges: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Land raster by the even-odd rule at cell centres, one row at a time."""
    counts = np.zeros(n_rows, dtype=np.int64)
    _crossings(edges, n_rows, counts, np.zeros(0), np.zeros(0, dtype=np.int64))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    xs = np.empty(offsets[-1], dtype=np.float64)
    _crossings(edges, n_rows, counts, xs, offsets[:-1].copy())
    return _fill_rows(xs, offsets, n_rows, n_cols)


@numba.njit(cache=True)
def _crossings(edges, n_rows, counts, xs, fill):
    """Where each edge crosses each row's centre latitude: counted when ``xs`` is empty,
    written to ``xs`` at ``fill[row]`` otherwise."""
    write = xs.shape[0] > 0
    for k in range(edges.shape[0]):
        x1, y1, x2, y2 = edges[k, 0], edges[k, 1], edges[k, 2], edges[k, 3]
        if y1 == y2:
            continue
        lo, hi = min(y1, y2), max(y1, y2)
        r0 = max(int(np.floor((lo + 90.0) / CORNER_DEG - 0.5)), 0)
        r1 = min(int(np.ceil((hi + 90.0) / CORNER_DEG - 0.5)), n_rows - 1)
        for r in range(r0, r1 + 1):
            yc = (r + 0.5) * CORNER_DEG - 90.0
            if not (lo <= yc < hi):
                continue
            if write:
                xs[fill[r]] = x1 + (yc - y1) * (x2 - x1) / (y2 - y1)
                fill[r] += 1
            else:
                counts[r] += 1


@numba.njit(cache=True)
def _fill_rows(xs, offsets, n_rows, n_cols):
    """LAND between each pair of sorted crossings of a row."""
    state = np.zeros((n_rows, n_cols), dtype=np.uint8)
    for r in range(n_rows):
        row = np.sort(xs[offsets[r] : offsets[r + 1]])
        for p in range(0, row.shape[0] - 1, 2):
            c0 = max(int(np.ceil((row[p] + 180.0) / CORNER_DEG - 0.5)), 0)
            c1 = min(int(np.ceil((row[p + 1] + 180.0) / CORNER_DEG - 0.5)), n_cols)
            state[r, c0:c1] = LAND
    return state


def _buckets(
    site_lon: np.ndarray, site_lat: np.ndarray, site_seg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CSR lists of the segments with a site in each BUCKET_DEG cell."""
    n_rows, n_cols = round(180.0 / BUCKET_DEG), round(360.0 / BUCKET_DEG)
    rows = np.clip(np.floor((site_lat + 90.0) / BUCKET_DEG).astype(np.int64), 0, n_rows - 1)
    cols = np.floor((site_lon + 180.0) / BUCKET_DEG).astype(np.int64) % n_cols
    keys = np.unique(np.stack([rows * n_cols + cols, site_seg.astype(np.int64)], axis=1), axis=0)
    offsets = np.searchsorted(keys[:, 0], np.arange(n_rows * n_cols + 1)).astype(np.int32)
    return offsets, keys[:, 1].astype(np.int32)


@numba.njit(cache=True)
def _lookup_kernel(
    lon: np.ndarray,
    lat: np.ndarray,
    segments: np.ndarray,
    seg_prev: np.ndarray,
    seg_next: np.ndarray,
    site_xyz: np.ndarray,
    corner_site: np.ndarray,
    cell_state: np.ndarray,
    bucket_offsets: np.ndarray,
    bucket_segments: np.ndarray,
    land_bits: np.ndarray,
    dist: np.ndarray,
    land: np.ndarray,
    unit_xyz: np.ndarray,
) -> None:
    """Fill ``dist`` and ``land`` (all false on entry) for every position, and ``unit_xyz``
    (unless it has no rows) with each located position's unit vector."""
    n = lon.shape[0]
    keep_xyz = unit_xyz.shape[0] > 0
    n_rows, n_cols = cell_state.shape
    b_cols = round(360.0 / BUCKET_DEG)
    b_rows = round(180.0 / BUCKET_DEG)
    ky = np.radians(1.0) * EARTH_RADIUS_M  # metres per degree of latitude
    # The last exact search's candidate segments (see _collect), reused by the positions that
    # follow it within MEMO_RADIUS_M: consecutive positions of a track are close together.
    candidates = np.empty(256, dtype=np.int32)
    n_candidates = 0
    memo_x, memo_y = np.nan, np.nan
    for i in range(n):
        x = lon[i]
        y = lat[i]
        if not (np.isfinite(x) and np.isfinite(y)):
            dist[i] = np.nan
            continue
        x = wrap_lon(x)
        y = min(max(y, -90.0), 90.0)
        r = min(int(np.floor((y + 90.0) / CORNER_DEG)), n_rows - 1)
        c = int(np.floor((x + 180.0) / CORNER_DEG)) % n_cols
        state = cell_state[r, c]
        cos_phi = np.cos(np.radians(y))
        lam = np.radians(x)
        qx, qy, qz = cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(np.radians(y))
        if keep_xyz:
            unit_xyz[i, 0], unit_xyz[i, 1], unit_xyz[i, 2] = qx, qy, qz
        best2 = 4.0
        start = -1
        for rr in (r, r + 1):
            for cc in (c, (c + 1) % n_cols):
                s = corner_site[rr, cc]
                if s != start:  # neighbouring corners often share their site
                    d2 = _chord2(site_xyz, s, qx, qy, qz)
                    if d2 < best2:
                        best2, start = d2, s
        best2 = _climb(site_xyz, start, best2, qx, qy, qz)[1]
        bound_m = 2.0 * EARTH_RADIUS_M * np.arcsin(min(np.sqrt(best2) * 0.5, 1.0))
        if state != COAST and bound_m >= NEAR_COAST_M:
            dist[i] = bound_m
            land[i] = state == LAND
            continue
        kx = ky * cos_phi  # metres per degree of longitude
        dx_m, dy_m = _unwrap(x - memo_x) * kx, (y - memo_y) * ky
        if not dx_m * dx_m + dy_m * dy_m <= MEMO_RADIUS_M * MEMO_RADIUS_M:
            candidates, n_candidates = _collect(
                x, y, bound_m, segments, bucket_offsets, bucket_segments, b_rows, b_cols, candidates
            )
            memo_x, memo_y = x, y
        # The nearest candidate segment (distance, segment, where along it), then the side of it
        # the position lies on. Written out here rather than in helpers taking the arrays: Numba
        # counts references to the arrays an inlined function takes, atomically, and that was a
        # third of the lookup time. The ring neighbours are read only at vertices.
        d, s, t = np.inf, -1, 0.0
        for k in range(n_candidates):
            d_k, t_k = _segment_m(segments, candidates[k], x, y, kx, ky)
            if d_k < d:
                d, s, t = d_k, candidates[k], t_k
        if s < 0:
            on_land = False
        elif 0.0 < t < 1.0:  # nearest point inside the edge: its side decides
            on_land = _left(segments, s, x, y, kx, ky) > 0.0
        else:
            on_land = _vertex_land_side(segments, seg_prev, seg_next, s, t, x, y, kx, ky)
        if land_bits.shape[0] > 0:  # a land raster: its bit decides
            step = 180.0 / land_bits.shape[0]
            pr = min(int((y + 90.0) / step), land_bits.shape[0] - 1)
            pc = int((x + 180.0) / step) % (land_bits.shape[1] * 8)
            on_land = (land_bits[pr, pc >> 3] >> (7 - (pc & 7))) & 1 == 1
        land[i] = state == LAND or (state == COAST and on_land)
        dist[i] = min(d, bound_m)


@numba.njit(cache=True)
def _collect(x, y, bound_m, segments, bucket_offsets, bucket_segments, b_rows, b_cols, out):
    """The segments that can be nearest to any position within MEMO_RADIUS_M of (x, y): those
    within ``bound_m`` + 2 MEMO_RADIUS_M (+ a margin for the change of local plane). The nearest
    segment of a position q that close lies within bound_m + MEMO_RADIUS_M of q (the bound
    holds at (x, y), and moving by MEMO_RADIUS_M changes distances by at most that), hence
    within bound_m + 2 MEMO_RADIUS_M of (x, y). Segments are found through the sites bucketed
    within that reach plus the site spacing. Returns ``out`` (grown when full) and the count."""
    keep_m = (bound_m + 2.0 * MEMO_RADIUS_M) * 1.01 + 10.0
    reach_m = keep_m + SITE_SPACING_M
    ky = np.radians(1.0) * EARTH_RADIUS_M
    kx = ky * np.cos(np.radians(y))
    dlat = reach_m / ky
    r0 = max(int(np.floor((y - dlat + 90.0) / BUCKET_DEG)), 0)
    r1 = min(int(np.floor((y + dlat + 90.0) / BUCKET_DEG)), b_rows - 1)
    cos_edge = np.cos(np.radians(min(abs(y) + dlat, 90.0)))
    if cos_edge * 180.0 * ky <= reach_m:
        c0, c1 = 0, b_cols - 1
    else:
        dlon = reach_m / (ky * cos_edge)
        c0 = int(np.floor((x - dlon + 180.0) / BUCKET_DEG))
        c1 = int(np.floor((x + dlon + 180.0) / BUCKET_DEG))
    n = 0
    for rr in range(r0, r1 + 1):
        for cc_raw in range(c0, c1 + 1):
            cell = rr * b_cols + cc_raw % b_cols
            for k in range(bucket_offsets[cell], bucket_offsets[cell + 1]):
                s = bucket_segments[k]
                if _segment_m(segments, s, x, y, kx, ky)[0] > keep_m:
                    continue
                if n == out.shape[0]:
                    grown = np.empty(2 * n, dtype=out.dtype)
                    grown[:n] = out
                    out = grown
                out[n] = s
                n += 1
    return out, n


@numba.njit(cache=True, inline="always")
def _segment_m(segments, s, x, y, kx, ky):
    """Distance from (x, y) to segment ``s`` in the local plane, and where along the segment
    (0 to 1) the nearest point lies."""
    ax, ay, bx, by = _project(segments, s, x, y, kx, ky)
    ex, ey = bx - ax, by - ay
    length2 = ex * ex + ey * ey
    t = 0.0 if length2 == 0.0 else min(max(-(ax * ex + ay * ey) / length2, 0.0), 1.0)
    px, py = ax + t * ex, ay + t * ey
    return np.sqrt(px * px + py * py), t


@numba.njit(cache=True, inline="always")
def _unwrap(dlon):
    """A longitude difference folded into [-180, 180]."""
    return dlon - 360.0 if dlon > 180.0 else (dlon + 360.0 if dlon < -180.0 else dlon)


@numba.njit(cache=True, inline="always")
def _project(segments, s, x, y, kx, ky):
    """Segment ``s`` in metres in the plane centred on (x, y), longitudes unwrapped."""
    ax = segments[s, 0] - x
    bx = segments[s, 2] - x
    ax = ax - 360.0 if ax > 180.0 else (ax + 360.0 if ax < -180.0 else ax)
    bx = bx - 360.0 if bx > 180.0 else (bx + 360.0 if bx < -180.0 else bx)
    return ax * kx, (segments[s, 1] - y) * ky, bx * kx, (segments[s, 3] - y) * ky


@numba.njit(cache=True, inline="always")
def _vertex_land_side(segments, seg_prev, seg_next, s, t, x, y, kx, ky):
    """Land lies left of every oriented edge. When the nearest point is a vertex (``t`` 0 or 1)
    shared with the next or previous edge, the answer depends on both edges: inside both
    half-planes at a convex corner, either at a reflex one."""
    into, out = (s, seg_next[s]) if t >= 1.0 else (seg_prev[s], s)
    if into < 0 or out < 0:
        return _left(segments, s, x, y, kx, ky) > 0.0
    ax, ay, bx, by = _project(segments, into, x, y, kx, ky)
    cx, cy, dx, dy = _project(segments, out, x, y, kx, ky)
    turn = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx)
    left_in = _left(segments, into, x, y, kx, ky) > 0.0
    left_out = _left(segments, out, x, y, kx, ky) > 0.0
    return (left_in and left_out) if turn > 0.0 else (left_in or left_out)


@numba.njit(cache=True, inline="always")
def _left(segments, s, x, y, kx, ky):
    """Cross product of the edge with the position (positive: position left of the edge)."""
    ax, ay, bx, by = _project(segments, s, x, y, kx, ky)
    return (bx - ax) * (-ay) - (by - ay) * (-ax)
