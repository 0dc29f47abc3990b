"""Dark-vessel candidates: ship detections in a scene that no AIS vessel accounts for.

AIS positions are brought to the scene's acquisition time per vessel
(:func:`interpolate_positions`), then ship detections and the AIS vessels inside the scene
footprint are matched one to one as in xView3: the assignment
(``scipy.optimize.linear_sum_assignment``) that matches the most pairs at most
``max_distance_m`` apart, and among those the smallest total distance
(:func:`match_dark_vessels`). Unmatched detections are the dark-vessel candidates; unmatched AIS
vessels are listed too (a vessel AIS places in the scene that the imagery does not show: missed by
the detector, under cloud, or a spoofed position).

One-to-one means two ships side by side with one transmitter leave one detection unmatched even
though an AIS vessel lies within ``max_distance_m``; the candidates carry ``nearest_ais_m`` so such
cases show.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import shapely
from scipy.optimize import linear_sum_assignment

from harborwatch.errors import InputError
from harborwatch.geo.distance import haversine_m
from harborwatch.geo.shore import ShoreDistance
from harborwatch.imagery.scenes import is_georeferenced, pixel_to_lonlat

NEAREST_MAX_S = 600.0
"""With a report on one side of the scene time only, it is used when this close (10 min)."""

INTERPOLATED_SCHEMA: dict[str, pl.DataType] = {
    "vessel_id": pl.String(),
    "mmsi": pl.UInt32(),
    "lon": pl.Float64(),
    "lat": pl.Float64(),
    "method": pl.String(),
    "dt_s": pl.Float64(),
}
"""One row per vessel: its position at the requested time. ``method`` is ``interpolated``
(between the reports either side) or ``nearest`` (one report within :data:`NEAREST_MAX_S`);
``dt_s`` is the time from the requested time to the nearest report used."""

_UNMATCHED_COST = 1e12
"""Cost of a pair beyond the gate: larger than any sum of gated distances, so the assignment
first maximises the matched pairs, then minimises their distance."""


def interpolate_positions(
    positions: pl.DataFrame, at: datetime, max_gap_h: float = 1.0
) -> pl.DataFrame:
    """Each vessel's position at ``at`` (UTC-aware), linear in lon/lat between its last report
    before and its first report after, when both lie within ``max_gap_h`` of ``at``; else its
    report nearest ``at`` when within :data:`NEAREST_MAX_S`; vessels with neither are left out.

    ``positions`` has the POSITIONS columns (``mmsi``, ``vessel_key``, ``ts``, ``lon``, ``lat``);
    vessels are keyed by the MMSI as text, else ``vessel_key``. Linear in degrees is within metres
    of the great circle over the distance a ship covers in an hour. Rows sorted by ``vessel_id``.
    """
    window = timedelta(hours=max(max_gap_h, NEAREST_MAX_S / 3600.0))
    reports = (
        positions.filter(
            pl.col("lon").is_not_null()
            & pl.col("lat").is_not_null()
            & pl.col("ts").is_between(at - window, at + window)
        )
        .select(
            pl.coalesce(pl.col("mmsi").cast(pl.String), pl.col("vessel_key")).alias("vessel_id"),
            pl.col("mmsi").cast(pl.UInt32),
            pl.col("ts").cast(pl.Datetime("us", "UTC")),
            pl.col("lon").cast(pl.Float64),
            pl.col("lat").cast(pl.Float64),
        )
        .filter(pl.col("vessel_id").is_not_null())
        .sort("ts", "vessel_id")
    )
    query = (
        reports.group_by("vessel_id")
        .agg(pl.col("mmsi").drop_nulls().first())
        .with_columns(pl.lit(at).cast(pl.Datetime("us", "UTC")).alias("at"))
        .sort("vessel_id")
    )
    sides = [
        reports.select(
            "vessel_id",
            pl.col("ts").alias(f"ts_{side}"),
            pl.col("lon").alias(f"lon_{side}"),
            pl.col("lat").alias(f"lat_{side}"),
        )
        for side in ("before", "after")
    ]
    joined = query.join_asof(  # both sides sorted by ts above
        sides[0], left_on="at", right_on="ts_before", by="vessel_id", check_sortedness=False
    ).join_asof(
        sides[1],
        left_on="at",
        right_on="ts_after",
        by="vessel_id",
        strategy="forward",
        check_sortedness=False,
    )
    return _place(joined, max_gap_h * 3600.0).sort("vessel_id")


def _place(joined: pl.DataFrame, max_gap_s: float) -> pl.DataFrame:
    """Interpolated or nearest position from the reports either side of ``at``."""
    before_s = (pl.col("at") - pl.col("ts_before")).dt.total_microseconds() / 1e6
    after_s = (pl.col("ts_after") - pl.col("at")).dt.total_microseconds() / 1e6
    span_s = before_s + after_s
    fraction = pl.when(span_s > 0).then(before_s / span_s).otherwise(0.0)
    dlon = (pl.col("lon_after") - pl.col("lon_before") + 540.0) % 360.0 - 180.0
    both = (before_s <= max_gap_s) & (after_s <= max_gap_s)
    before_nearer = after_s.is_null() | (before_s <= after_s)
    nearest_s = pl.when(before_nearer).then(before_s).otherwise(after_s)
    method = (
        pl.when(both)
        .then(pl.lit("interpolated"))
        .when(nearest_s <= NEAREST_MAX_S)
        .then(pl.lit("nearest"))
    )
    lon = (
        pl.when(both)
        .then((pl.col("lon_before") + fraction * dlon + 540.0) % 360.0 - 180.0)
        .when(before_nearer)
        .then(pl.col("lon_before"))
        .otherwise(pl.col("lon_after"))
    )
    lat = (
        pl.when(both)
        .then(pl.col("lat_before") + fraction * (pl.col("lat_after") - pl.col("lat_before")))
        .when(before_nearer)
        .then(pl.col("lat_before"))
        .otherwise(pl.col("lat_after"))
    )
    placed = joined.select(
        "vessel_id",
        "mmsi",
        lon.alias("lon"),
        lat.alias("lat"),
        method.alias("method"),
        pl.min_horizontal(before_s, after_s).alias("dt_s"),
    )
    return placed.filter(pl.col("method").is_not_null()).cast(pl.Schema(INTERPOLATED_SCHEMA))


def match_dark_vessels(
    detections: pl.DataFrame,
    ais_at_scene: pl.DataFrame,
    scene_row: dict[str, Any],
    shore: ShoreDistance | None = None,
    max_distance_m: float = 200.0,
    near_shore_m: float = 2000.0,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Match the scene's ship detections one to one with the AIS vessels inside its footprint.

    ``detections`` has the DETECTIONS columns (only ``class == "ship"`` rows are used; a missing
    lon/lat is computed from the pixel centre); ``ais_at_scene`` is
    :func:`interpolate_positions` at the scene time. Returns ``(candidates, unseen)``:

    - candidates: the unmatched ship detections (sorted by ``detection_id``) with
      ``nearest_vessel_id``, ``nearest_ais_m`` (null when no AIS vessel is in the scene),
      ``shore_distance_m`` and ``near_shore`` (within ``near_shore_m``; null without ``shore``);
    - unseen: the unmatched AIS vessels inside the footprint (sorted by ``vessel_id``) with
      their position at the scene time and ``nearest_detection_m``.
    """
    if not is_georeferenced(scene_row) or not scene_row.get("footprint_wkt"):
        raise InputError(
            f"scene {scene_row.get('scene_id')!r} has no georeferencing: dark-vessel matching "
            "needs georeferenced scenes only (a GeoTIFF with a CRS); register one with "
            "`harborwatch scene add`"
        )
    ships = _ship_positions(detections, scene_row)
    footprint = shapely.from_wkt(scene_row["footprint_wkt"])
    lon, lat = ais_at_scene["lon"].to_numpy(), ais_at_scene["lat"].to_numpy()
    inside = shapely.contains_xy(footprint, lon, lat)
    ais = ais_at_scene.filter(pl.Series(inside, dtype=pl.Boolean)).sort("vessel_id")
    distance_m = haversine_m(
        ships["lon"].to_numpy()[:, None],
        ships["lat"].to_numpy()[:, None],
        ais["lon"].to_numpy()[None, :],
        ais["lat"].to_numpy()[None, :],
    ).reshape(ships.height, ais.height)
    ship_matched, ais_matched = _assign(distance_m, max_distance_m)
    candidates = _candidates(ships, ais, distance_m, ship_matched, shore, near_shore_m)
    nearest = np.full(ais.height, np.nan)
    if ships.height:
        nearest = distance_m.min(axis=0)
    unseen = ais.with_columns(pl.Series("nearest_detection_m", nearest, nan_to_null=True))
    return candidates, unseen.filter(pl.Series(~ais_matched))


def _ship_positions(detections: pl.DataFrame, scene_row: dict[str, Any]) -> pl.DataFrame:
    """Ship detections sorted by id, lon/lat filled from the pixel centre where missing."""
    ships = detections.filter(pl.col("class") == "ship").sort("detection_id")
    lonlat = pixel_to_lonlat(scene_row, ships["x_px"].to_numpy(), ships["y_px"].to_numpy())
    assert lonlat is not None  # georeferenced, checked by the caller
    return ships.with_columns(
        pl.coalesce(pl.col("lon"), pl.Series(lonlat[0])).alias("lon"),
        pl.coalesce(pl.col("lat"), pl.Series(lonlat[1])).alias("lat"),
    )


def _assign(distance_m: np.ndarray, max_distance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Matched flags of rows and columns: the most pairs within the gate, then least distance."""
    rows_matched = np.zeros(distance_m.shape[0], dtype=bool)
    cols_matched = np.zeros(distance_m.shape[1], dtype=bool)
    if distance_m.size == 0:
        return rows_matched, cols_matched
    within = distance_m <= max_distance_m
    rows, cols = linear_sum_assignment(np.where(within, distance_m, _UNMATCHED_COST))
    kept = within[rows, cols]
    rows_matched[rows[kept]] = True
    cols_matched[cols[kept]] = True
    return rows_matched, cols_matched


def _candidates(
    ships: pl.DataFrame,
    ais: pl.DataFrame,
    distance_m: np.ndarray,
    matched: np.ndarray,
    shore: ShoreDistance | None,
    near_shore_m: float,
) -> pl.DataFrame:
    """The unmatched ships with their nearest AIS vessel and distance to the coast."""
    nearest_m = np.full(ships.height, np.nan)
    nearest_id: list[str | None] = [None] * ships.height
    if ais.height:
        column = distance_m.argmin(axis=1)
        nearest_m = distance_m[np.arange(ships.height), column]
        nearest_id = ais["vessel_id"].gather(column).to_list()
    shore_m = np.full(ships.height, np.nan)
    if shore is not None and ships.height:
        shore_m = shore.distance_m(ships["lon"].to_numpy(), ships["lat"].to_numpy())
    shore_series = pl.Series("shore_distance_m", shore_m, dtype=pl.Float64, nan_to_null=True)
    return ships.with_columns(
        pl.Series("nearest_vessel_id", nearest_id, dtype=pl.String),
        pl.Series("nearest_ais_m", nearest_m, dtype=pl.Float64, nan_to_null=True),
        shore_series,
        (shore_series <= near_shore_m).alias("near_shore"),
    ).filter(pl.Series(~matched))
