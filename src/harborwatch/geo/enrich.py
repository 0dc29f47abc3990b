"""Per-position geography: nearest port and distances, filled into TRACK_POINTS columns."""

from __future__ import annotations

import numba
import numpy as np
import polars as pl

from harborwatch.config import GeographyConfig
from harborwatch.geo.reference import Geography


def annotate_geography(
    points: pl.DataFrame, geography: Geography, config: GeographyConfig = GeographyConfig()
) -> pl.DataFrame:
    """``points`` with ``port_id``, ``port_distance_m`` (nearest port or anchorage within
    ``config.port_lookup_radius_m``; null and +inf when none), ``shore_distance_m``,
    ``inland_distance_m`` and ``on_land`` filled. Positions without coordinates get null port,
    +inf port distance and null shore columns. Other columns and the row order are kept."""
    lon = points["lon"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    lat = points["lat"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    # Each position's unit vector, computed once by the shore lookup for the port lookup too.
    unit_xyz = np.empty((len(lon), 3))
    coast_m, on_land = geography.shore.lookup(lon, lat, unit_xyz)
    rows, port_m = geography.port_index.nearest(lon, lat, config.port_lookup_radius_m, unit_xyz)
    # The shore lookup gives NaN distances exactly for positions without coordinates: nulls here.
    inland_m = np.empty(len(lon))  # NumPy's allocations: huge pages
    unlocated = np.empty(len(lon), bool)
    shore_m = _split_by_side(coast_m, on_land, inland_m, unlocated)
    if geography.ports.is_empty():
        port_ids = pl.Series("port_id", [None] * len(rows), pl.String)
    else:  # one gather, null where no port is near (a null index gathers null)
        index = pl.Series(rows).set(pl.Series(rows < 0), None)
        # From one chunk: a gather across the reference table's chunks is three times slower.
        port_ids = geography.ports["port_id"].rechunk().gather(index).alias("port_id")
    return points.with_columns(
        port_ids,
        pl.Series("port_distance_m", port_m, pl.Float64),
        pl.Series("shore_distance_m", shore_m, nan_to_null=True),
        pl.Series("inland_distance_m", inland_m, nan_to_null=True),
        pl.Series("on_land", on_land).set(pl.Series(unlocated), None),
    )


@numba.njit(cache=True)
def _split_by_side(
    coast_m: np.ndarray, on_land: np.ndarray, inland_m: np.ndarray, unlocated: np.ndarray
) -> np.ndarray:
    """Fill ``inland_m`` (the distance on land, 0 at sea, NaN without a position) and
    ``unlocated`` (NaN distance), and turn ``coast_m`` into the distance at sea (0 on land) in
    place, which it returns: one pass, no further array."""
    for i in range(coast_m.size):
        d = coast_m[i]
        nan = np.isnan(d)
        inland_m[i] = d if on_land[i] or nan else 0.0
        unlocated[i] = nan
        if on_land[i]:
            coast_m[i] = 0.0
    return coast_m
