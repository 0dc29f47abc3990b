"""Per-position geography: nearest port and distances, filled into TRACK_POINTS columns."""

from __future__ import annotations

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
    rows, port_m = geography.port_index.nearest(lon, lat, config.port_lookup_radius_m)
    coast_m, on_land = geography.shore.lookup(lon, lat)
    located = np.isfinite(lon) & np.isfinite(lat)
    if geography.ports.is_empty():
        port_ids = pl.Series("port_id", [None] * len(rows), pl.String)
    else:
        port_ids = geography.ports["port_id"].gather(np.maximum(rows, 0))
    return points.with_columns(
        pl.when(pl.Series(rows >= 0)).then(port_ids).otherwise(None).alias("port_id"),
        pl.Series("port_distance_m", port_m, pl.Float64),
        pl.when(pl.Series(located))
        .then(pl.Series(np.where(on_land, 0.0, coast_m)))
        .alias("shore_distance_m"),
        pl.when(pl.Series(located))
        .then(pl.Series(np.where(on_land, coast_m, 0.0)))
        .alias("inland_distance_m"),
        pl.when(pl.Series(located)).then(pl.Series(on_land)).alias("on_land"),
    )
