"""Ports and anchorages as one :data:`~harborwatch.schemas.PORTS` table, and a fast nearest-port
lookup over millions of positions.

Sources (each loader takes a path; none reads the network):

- NGA World Port Index (Pub. 150, US public domain): ``port_id`` ``wpi:<index number>``, country
  the ISO 3166 alpha-2 code that starts the port's UN/LOCODE (null when the port has none).
- Global Fishing Watch anchorages v3: one row per S2 cell (the daily file repeats each cell per
  day), ``port_id`` ``gfw:<s2id>``, name the GFW port label, country ISO 3166 **alpha-3** as GFW
  gives it, plus a ``dock`` column (GFW's flag for berths as opposed to anchorages at sea).
- The ``searoute`` package's ports (Apache-2.0, installed with harborwatch): the fallback when no
  reference directory is given. ``port_id`` ``searoute:<UN/LOCODE>`` (``~2``, ``~3`` for the
  few codes listed twice), country alpha-2 from the code.

:class:`PortIndex` answers "nearest port within D metres" with a Numba grid lookup: ports are
bucketed into latitude rows half a D high, sorted by longitude inside each row, so a query reads a
few rows and binary-searches the longitude window that can hold a port within D. Consecutive
positions of a track are close together: a search also lists the ports that can be nearest to
any position within :data:`PORT_MEMO_RADIUS_M`, and the positions that follow within that radius
scan only that list (same answers, any order).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numba
import numpy as np
import polars as pl
import shapely

from harborwatch.errors import InputError
from harborwatch.events.base import empty_frame
from harborwatch.geo.distance import EARTH_RADIUS_M
from harborwatch.schemas import PORTS

_PORTS_SCHEMA = empty_frame(PORTS).schema


def _ports_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the PORTS columns first, typed as declared, extra columns after."""
    declared = [pl.col(name).cast(dtype) for name, dtype in _PORTS_SCHEMA.items()]
    extra = [name for name in frame.columns if name not in _PORTS_SCHEMA]
    return frame.select(*declared, *extra)


def _require_file(path: Path, what: str) -> None:
    if not Path(path).is_file():
        raise InputError(
            f"{what} not found at {str(path)!r}; pass --geo-dir pointing at a folder laid out "
            "like shared/data/geo (wpi/, anchorages/, naturalearth/)"
        )


def load_wpi(path: Path | str) -> pl.DataFrame:
    """The World Port Index CSV (``UpdatedPub150.csv``) as a PORTS table, one row per port."""
    path = Path(path)
    _require_file(path, "World Port Index CSV")
    try:
        raw = pl.read_csv(path, infer_schema_length=0)
        frame = raw.select(
            pl.concat_str(
                pl.lit("wpi:"), pl.col("World Port Index Number").str.strip_chars()
            ).alias("port_id"),
            pl.col("Main Port Name").str.strip_chars().alias("name"),
            pl.lit("port").alias("kind"),
            pl.col("UN/LOCODE")
            .str.strip_chars()
            .str.slice(0, 2)
            .replace("", None)
            .alias("country"),
            pl.col("Longitude").cast(pl.Float64).alias("lon"),
            pl.col("Latitude").cast(pl.Float64).alias("lat"),
            pl.lit("wpi").alias("source"),
        )
    except (pl.exceptions.ColumnNotFoundError, pl.exceptions.InvalidOperationError) as exc:
        raise InputError(
            f"{str(path)!r} is not a World Port Index CSV ({exc}); expected the NGA Pub. 150 "
            "columns 'World Port Index Number', 'Main Port Name', 'Latitude', 'Longitude'"
        ) from exc
    return _ports_frame(frame)


def load_gfw_anchorages(path: Path | str) -> pl.DataFrame:
    """Global Fishing Watch anchorages (GeoParquet with ``s2id``, ``port``, ``iso3``, ``dock``
    and a WKB point ``geometry``) as a PORTS table, one row per anchorage cell."""
    path = Path(path)
    _require_file(path, "GFW anchorages GeoParquet")
    try:
        raw = (
            pl.read_parquet(path, columns=["s2id", "port", "iso3", "dock", "geometry"])
            .unique("s2id", keep="first", maintain_order=True)
            .sort("s2id")
        )
    except pl.exceptions.ColumnNotFoundError as exc:
        raise InputError(
            f"{str(path)!r} lacks a GFW anchorage column ({exc}); expected s2id, port, iso3, "
            "dock and a WKB point geometry"
        ) from exc
    points = shapely.from_wkb(raw["geometry"].to_numpy())
    frame = raw.select(
        pl.concat_str(pl.lit("gfw:"), pl.col("s2id")).alias("port_id"),
        pl.col("port").alias("name"),
        pl.lit("anchorage").alias("kind"),
        pl.col("iso3").alias("country"),
        pl.Series("lon", shapely.get_x(points), pl.Float64),
        pl.Series("lat", shapely.get_y(points), pl.Float64),
        pl.lit("gfw_anchorages").alias("source"),
        pl.col("dock"),
    )
    return _ports_frame(frame)


def searoute_ports() -> pl.DataFrame:
    """The ports shipped inside the ``searoute`` package (read from its data file, without
    importing its routing graph) as a PORTS table."""
    try:
        text = resources.files("searoute").joinpath("data", "ports.geojson").read_text("utf-8")
    except ModuleNotFoundError as exc:
        raise InputError(
            "the searoute package is not installed; `pip install searoute` or pass --geo-dir"
        ) from exc
    features = json.loads(text)["features"]
    codes = [f["properties"]["port"] for f in features]
    frame = pl.DataFrame(
        {
            "code": codes,
            "name": [f["properties"]["name"] for f in features],
            "lon": [float(f["geometry"]["coordinates"][0]) for f in features],
            "lat": [float(f["geometry"]["coordinates"][1]) for f in features],
        }
    ).with_columns(occurrence=pl.int_range(1, pl.len() + 1).over("code"))
    frame = frame.select(
        pl.concat_str(
            pl.lit("searoute:"),
            pl.col("code"),
            pl.when(pl.col("occurrence") > 1)
            .then(pl.concat_str(pl.lit("~"), pl.col("occurrence").cast(pl.String)))
            .otherwise(pl.lit("")),
        ).alias("port_id"),
        "name",
        pl.lit("port").alias("kind"),
        pl.col("code").str.slice(0, 2).alias("country"),
        "lon",
        "lat",
        pl.lit("searoute").alias("source"),
    )
    return _ports_frame(frame)


class PortIndex:
    """Nearest port of many positions at once.

    Built once from a PORTS table; the latitude-row buckets are built per lookup radius on first
    use and kept. Rows of ``ports`` with null coordinates are never returned. Distances are
    compared as chords between unit vectors (exact great-circle order, no trigonometry per
    candidate); each row is searched outward from the query's longitude and the search window
    shrinks as closer ports are found.
    """

    def __init__(self, ports: pl.DataFrame) -> None:
        self.ports = ports
        lon = ports["lon"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        lat = ports["lat"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        valid = np.isfinite(lon) & np.isfinite(lat)
        self._rows = np.flatnonzero(valid).astype(np.int64)
        self._lon = ((lon[valid] + 180.0) % 360.0) - 180.0
        self._lat = lat[valid]
        self._buckets: dict[float, tuple[np.ndarray, ...]] = {}

    def _bucketed(self, max_distance_m: float) -> tuple[np.ndarray, ...]:
        """Ports sorted by (latitude row, longitude), each row's start offset, unit vectors."""
        if max_distance_m not in self._buckets:
            row_deg = _row_height_deg(max_distance_m)
            n_rows = int(np.ceil(180.0 / row_deg)) + 1
            row = np.floor((self._lat + 90.0) / row_deg).astype(np.int64)
            order = np.lexsort((self._lon, row))
            offsets = np.searchsorted(row[order], np.arange(n_rows + 1)).astype(np.int64)
            lon, lat = self._lon[order], self._lat[order]
            cell_deg = max(float(np.degrees(max_distance_m / EARTH_RADIUS_M)), MIN_OCCUPANCY_DEG)
            self._buckets[max_distance_m] = (
                offsets,
                np.ascontiguousarray(lon),
                np.ascontiguousarray(unit_vectors(lon, lat)),
                np.ascontiguousarray(self._rows[order]),
                _occupancy(lon, lat, max_distance_m, cell_deg),
                np.array([cell_deg]),
            )
        return self._buckets[max_distance_m]

    def nearest(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        max_distance_m: float,
        unit_xyz: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each position, the row of the nearest port in ``self.ports`` (int64, -1 when none
        lies within ``max_distance_m``) and its great-circle distance in metres (+inf when none).
        NaN positions get -1 and +inf. ``unit_xyz``: the positions' unit vectors when already
        computed (an (n, 3) array, as the shore lookup writes them), read instead of recomputed
        (but for latitudes outside [-90, 90])."""
        if not max_distance_m > 0:
            raise InputError(f"max_distance_m must be positive, got {max_distance_m!r}")
        lon = np.ascontiguousarray(lon, dtype=np.float64)
        lat = np.ascontiguousarray(lat, dtype=np.float64)
        offsets, plon, pxyz, prow, occupied, cell_deg = self._bucketed(float(max_distance_m))
        # Outputs allocated by NumPy (huge pages for big arrays), not in the kernel: page faults
        # cost as much as the lookups of millions of positions.
        best_row = np.full(len(lon), -1, dtype=np.int64)
        best_m = np.full(len(lon), np.inf, dtype=np.float64)
        _nearest_kernel(
            np.empty((0, 3)) if unit_xyz is None else unit_xyz,
            lon,
            lat,
            offsets,
            plon,
            pxyz,
            prow,
            occupied,
            float(cell_deg[0]),
            float(max_distance_m),
            _row_height_deg(max_distance_m),
            best_row,
            best_m,
        )
        return best_row, best_m


MIN_OCCUPANCY_DEG = 0.05
"""Cells of the occupancy grid are one lookup radius wide, but no smaller than this (26 MB)."""

ROWS_PER_RADIUS = 2
"""Latitude rows per lookup radius: finer rows mean fewer candidates in dense ports."""

PORT_MEMO_RADIUS_M = 3_000.0
"""A search's candidate ports serve the positions that follow within this distance."""


def _row_height_deg(max_distance_m: float) -> float:
    """Latitude rows half the lookup radius high (at most 45 degrees)."""
    return min(float(np.degrees(max_distance_m / EARTH_RADIUS_M)) / ROWS_PER_RADIUS, 45.0)


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 3) Earth-centred unit vectors of points given in degrees."""
    lam, phi = np.radians(lon), np.radians(lat)
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=1)


@numba.njit(cache=True)
def _occupancy(
    lon: np.ndarray, lat: np.ndarray, max_distance_m: float, cell_deg: float
) -> np.ndarray:
    """Grid of cells ``cell_deg`` square: true where some port may lie within the lookup radius
    of a point in the cell. Queries in unmarked cells (open sea) stop after one read."""
    n_rows = int(np.ceil(180.0 / cell_deg)) + 1
    n_cols = int(np.ceil(360.0 / cell_deg))
    grid = np.zeros((n_rows, n_cols), dtype=np.bool_)
    delta = max_distance_m / EARTH_RADIUS_M
    delta_deg = np.degrees(delta)
    for k in range(lon.shape[0]):
        r = int(np.floor((lat[k] + 90.0) / cell_deg))
        c = int(np.floor((lon[k] + 180.0) / cell_deg)) % n_cols
        c_min = np.cos(np.radians(min(abs(lat[k]) + delta_deg, 90.0)))
        half = _window_deg((2.0 * np.sin(delta * 0.5)) ** 2, c_min)
        reach = n_cols if half >= 180.0 else int(np.ceil(half / cell_deg)) + 1
        for rr in range(max(r - 1, 0), min(r + 2, n_rows)):
            if reach >= n_cols // 2:
                grid[rr, :] = True
                continue
            for cc in range(c - reach, c + reach + 1):
                grid[rr, cc % n_cols] = True
    return grid


@numba.njit(cache=True)
def _window_deg(chord2: float, c_min: float) -> float:
    """Largest longitude difference two points with cos(lat) >= c_min can have while their
    chord (squared) stays below ``chord2``: hav(d) >= cos(lat1) cos(lat2) hav(dlon)."""
    s = np.sqrt(chord2) * 0.5  # sin(d / 2)
    if c_min <= s:
        return 360.0
    return np.degrees(2.0 * np.arcsin(s / c_min)) + 1e-9


@numba.njit(cache=True)
def _nearest_kernel(
    unit_xyz: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    offsets: np.ndarray,
    plon: np.ndarray,
    pxyz: np.ndarray,
    prow: np.ndarray,
    occupied: np.ndarray,
    cell_deg: float,
    max_distance_m: float,
    row_deg: float,
    best_row: np.ndarray,
    best_m: np.ndarray,
) -> None:
    """Fill ``best_row`` (-1 on entry) and ``best_m`` (+inf on entry) where a port is near."""
    n = lon.shape[0]
    given_xyz = unit_xyz.shape[0] > 0
    delta_deg = np.degrees(max_distance_m / EARTH_RADIUS_M)
    max_chord2 = _chord2_of_m(max_distance_m)
    memo_chord2 = _chord2_of_m(PORT_MEMO_RADIUS_M)
    # The ports that can be nearest to any position within PORT_MEMO_RADIUS_M of the last
    # searched one (see _collect_ports): consecutive positions of a track are close together.
    candidates = np.empty(64, dtype=np.int64)
    n_candidates = -1
    mx, my, mz = 0.0, 0.0, 0.0
    for i in range(n):
        x = lon[i]
        y = lat[i]
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        x = wrap_lon(x)
        cell_r = min(max(int(np.floor((y + 90.0) / cell_deg)), 0), occupied.shape[0] - 1)
        cell_c = int(np.floor((x + 180.0) / cell_deg)) % occupied.shape[1]
        if not occupied[cell_r, cell_c]:
            continue
        if given_xyz and -90.0 <= y <= 90.0:
            qx, qy, qz = unit_xyz[i, 0], unit_xyz[i, 1], unit_xyz[i, 2]
        else:
            phi = np.radians(y)
            lam = np.radians(x)
            qx = np.cos(phi) * np.cos(lam)
            qy = np.cos(phi) * np.sin(lam)
            qz = np.sin(phi)
        moved2 = (qx - mx) ** 2 + (qy - my) ** 2 + (qz - mz) ** 2
        if n_candidates >= 0 and moved2 <= memo_chord2:
            best2, row = max_chord2, -1
            for j in range(n_candidates):
                k = candidates[j]
                c2 = (pxyz[k, 0] - qx) ** 2 + (pxyz[k, 1] - qy) ** 2 + (pxyz[k, 2] - qz) ** 2
                if c2 < best2 or (c2 == best2 and row >= 0 and prow[k] < row):
                    best2, row = c2, prow[k]
        else:
            best2, row = _search(
                x, y, qx, qy, qz, offsets, plon, pxyz, prow, delta_deg, max_chord2, row_deg
            )
            found_m = _m_of_chord2(best2) if row >= 0 else np.inf
            keep_m = min(max_distance_m, found_m + PORT_MEMO_RADIUS_M) + PORT_MEMO_RADIUS_M
            candidates, n_candidates = _collect_ports(
                x,
                y,
                qx,
                qy,
                qz,
                keep_m * (1.0 + 1e-9) + 1.0,
                offsets,
                plon,
                pxyz,
                row_deg,
                candidates,
            )
            mx, my, mz = qx, qy, qz
        best_row[i] = row
        if row >= 0:
            best_m[i] = _m_of_chord2(best2)


@numba.njit(cache=True, inline="always")
def wrap_lon(x):
    """``((x + 180) % 360) - 180`` (a longitude into [-180, 180)), the modulo taken only when
    ``x`` is outside: in range it leaves ``x + 180`` as it is, so the result is the same, without
    the call Numba makes for a float modulo (as costly as a sine, per position)."""
    shifted = x + 180.0
    if not 0.0 <= shifted < 360.0:
        shifted = shifted % 360.0
    return shifted - 180.0


@numba.njit(cache=True, inline="always")
def _chord2_of_m(distance_m):
    """Squared chord between unit vectors ``distance_m`` apart on the Earth."""
    return (2.0 * np.sin(distance_m / EARTH_RADIUS_M * 0.5)) ** 2


@numba.njit(cache=True, inline="always")
def _m_of_chord2(chord2):
    """Great-circle distance in metres of a squared chord between unit vectors."""
    return 2.0 * EARTH_RADIUS_M * np.arcsin(min(np.sqrt(chord2) * 0.5, 1.0))


@numba.njit(cache=True, inline="always")
def _search(x, y, qx, qy, qz, offsets, plon, pxyz, prow, delta_deg, max_chord2, row_deg):
    """The nearest port within ``delta_deg`` of (x, y): squared chord and row (-1 for none).
    Rows are read outward from the query's, each searched outward from its longitude; the
    window shrinks as closer ports are found."""
    n_rows = offsets.shape[0] - 1
    reach = int(np.ceil(delta_deg / row_deg)) + 1
    c_min = np.cos(np.radians(min(abs(y) + delta_deg, 90.0)))
    best2 = max_chord2
    best_row = -1
    win = _window_deg(best2, c_min)
    gap_limit_deg = delta_deg
    r_q = min(max(int(np.floor((y + 90.0) / row_deg)), 0), n_rows - 1)
    for step in range(2 * reach + 1):
        r = r_q + ((step + 1) // 2) * (1 if step % 2 == 1 else -1)
        if r < 0 or r >= n_rows or offsets[r] == offsets[r + 1]:
            continue
        band_lo = r * row_deg - 90.0
        gap_deg = max(band_lo - y, y - (band_lo + row_deg), 0.0)
        if gap_deg > gap_limit_deg:
            continue
        lo = offsets[r]
        hi = offsets[r + 1]
        pos = _first_east(plon, lo, hi, x)
        # Outward from the query's longitude, east then west, wrapping at the antimeridian.
        for direction in (1, -1):
            k = pos if direction == 1 else pos - 1
            wrapped = 0.0
            for _ in range(hi - lo):
                if k >= hi:
                    k = lo
                    wrapped = 360.0
                elif k < lo:
                    k = hi - 1
                    wrapped = 360.0
                dlon = (plon[k] - x) * direction + wrapped
                if dlon > win:
                    break
                dx = pxyz[k, 0] - qx
                dy = pxyz[k, 1] - qy
                dz = pxyz[k, 2] - qz
                c2 = dx * dx + dy * dy + dz * dz
                if c2 < best2 or (c2 == best2 and best_row >= 0 and prow[k] < best_row):
                    best2 = c2
                    best_row = prow[k]
                    win = _window_deg(best2, c_min)
                    gap_limit_deg = np.degrees(2.0 * np.arcsin(min(np.sqrt(best2) * 0.5, 1.0)))
                k += direction
    return best2, best_row


@numba.njit(cache=True, inline="always")
def _first_east(plon, lo, hi, x):
    """First index in ``plon[lo:hi]`` (sorted) whose longitude is not below ``x``."""
    pos, top = lo, hi
    while pos < top:
        mid = (pos + top) >> 1
        if plon[mid] < x:
            pos = mid + 1
        else:
            top = mid
    return pos


@numba.njit(cache=True)
def _collect_ports(x, y, qx, qy, qz, keep_m, offsets, plon, pxyz, row_deg, out):
    """Indices of the ports within ``keep_m`` of (x, y), into ``out`` (grown when full), and
    their count. With keep_m = min(D, d + r) + r, where d is the nearest port's distance from
    (x, y) and D the lookup radius, they include the nearest port within D of every position
    within r of (x, y): that port lies within min(D, d + r) of the position (triangle
    inequality on the sphere)."""
    n_rows = offsets.shape[0] - 1
    keep_deg = np.degrees(keep_m / EARTH_RADIUS_M)
    keep2 = _chord2_of_m(keep_m)
    win = _window_deg(keep2, np.cos(np.radians(min(abs(y) + keep_deg, 90.0))))
    n = 0
    for r in range(max(int(np.floor((y - keep_deg + 90.0) / row_deg)), 0), n_rows):
        band_lo = r * row_deg - 90.0
        if band_lo > y + keep_deg:
            break
        lo = offsets[r]
        hi = offsets[r + 1]
        pos = _first_east(plon, lo, hi, x)
        for direction in (1, -1):
            k = pos if direction == 1 else pos - 1
            wrapped = 0.0
            for _ in range(hi - lo):
                if k >= hi:
                    k = lo
                    wrapped = 360.0
                elif k < lo:
                    k = hi - 1
                    wrapped = 360.0
                if (plon[k] - x) * direction + wrapped > win:
                    break
                if (pxyz[k, 0] - qx) ** 2 + (pxyz[k, 1] - qy) ** 2 + (
                    pxyz[k, 2] - qz
                ) ** 2 <= keep2:
                    if n == out.shape[0]:
                        grown = np.empty(2 * n, dtype=out.dtype)
                        grown[:n] = out
                        out = grown
                    out[n] = k
                    n += 1
                k += direction
    return out, n
