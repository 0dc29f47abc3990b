"""Dark-vessel checks of stored scenes: the store side of ``harborwatch dark`` and of the report.

:func:`check_scene` reads what one georeferenced scene needs (its ship detections, the AIS
reports around its time), brings AIS to the scene time and matches them one to one
(:mod:`harborwatch.fusion.dark_vessels`), and says whether AIS was recording there at all: a
detection without AIS only makes a dark-vessel candidate where AIS heard other vessels in the
footprint around that time; where the store holds no AIS of the area, AIS can neither confirm
nor rule the ships out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import shapely

from harborwatch.fusion.dark_vessels import (
    NEAREST_MAX_S,
    interpolate_positions,
    match_dark_vessels,
)
from harborwatch.geo.reference import LAND_FILE
from harborwatch.geo.shore import ShoreDistance
from harborwatch.store import queries
from harborwatch.store.imagery import detections_of
from harborwatch.store.store import Store

MAX_GAP_H = 1.0
"""Reports either side of the scene time are interpolated between when this close."""
COVERAGE_H = 1.0
"""AIS counts as recording the scene's area when it heard any vessel inside the footprint
within this many hours of the scene time."""
MAX_DISTANCE_M = 200.0
"""A ship detection this close to an AIS vessel (at the scene time) is accounted for."""
NEAR_SHORE_M = 2000.0
"""Candidates this close to the coast are flagged (piers, moored small craft)."""


@dataclass(frozen=True)
class DarkVesselCheck:
    """One scene's matching: ``candidates`` and ``unseen`` as
    :func:`~harborwatch.fusion.dark_vessels.match_dark_vessels` returns them; ``ships`` the
    ship detections matched; ``ais_positions_nearby``/``ais_vessels_nearby`` the AIS positions
    (and distinct vessels) inside the footprint within :data:`COVERAGE_H` of the scene time."""

    scene_id: str
    acquired_ts: datetime
    max_distance_m: float
    near_shore_m: float
    ships: int
    ais_in_scene: int
    ais_positions_nearby: int
    ais_vessels_nearby: int
    candidates: pl.DataFrame
    unseen: pl.DataFrame

    def summary(self) -> dict[str, Any]:
        """The scalar fields, one row of a per-scene table."""
        return {
            "scene_id": self.scene_id,
            "acquired_ts": self.acquired_ts,
            "max_distance_m": self.max_distance_m,
            "near_shore_m": self.near_shore_m,
            "ships": self.ships,
            "ais_in_scene": self.ais_in_scene,
            "ais_positions_nearby": self.ais_positions_nearby,
            "ais_vessels_nearby": self.ais_vessels_nearby,
        }


def shore_distance(geo_dir: Path | None) -> ShoreDistance:
    """Distance to the coast from Natural Earth land of ``geo_dir``, else the built-in mask."""
    if geo_dir is not None:
        return ShoreDistance.from_natural_earth(Path(geo_dir) / LAND_FILE)
    return ShoreDistance.from_land_mask()


def check_scene(
    store: Store,
    scene_row: dict[str, Any],
    shore: ShoreDistance | None,
    max_distance_m: float = MAX_DISTANCE_M,
    near_shore_m: float = NEAR_SHORE_M,
) -> DarkVesselCheck:
    """Dark-vessel candidates of one georeferenced stored scene (a SCENES row): its ship
    detections matched one to one with AIS interpolated to its time; InputError for a scene
    without georeferencing."""
    at = scene_row["acquired_ts"]
    window = timedelta(hours=max(MAX_GAP_H, COVERAGE_H, NEAREST_MAX_S / 3600.0), microseconds=1)
    reports = pl.DataFrame(
        pl.from_arrow(queries.positions(store.connect(), at - window, at + window))
    )
    detections = detections_of(store, scene_ids=[scene_row["scene_id"]])
    candidates, unseen = match_dark_vessels(
        detections,
        interpolate_positions(reports, at, MAX_GAP_H),
        scene_row,
        shore,
        max_distance_m=max_distance_m,
        near_shore_m=near_shore_m,
    )
    nearby = _heard_inside(reports, scene_row["footprint_wkt"], at)
    ships = detections.filter(pl.col("class") == "ship").height
    return DarkVesselCheck(
        scene_id=scene_row["scene_id"],
        acquired_ts=at,
        max_distance_m=max_distance_m,
        near_shore_m=near_shore_m,
        ships=ships,
        ais_in_scene=unseen.height + ships - candidates.height,
        ais_positions_nearby=nearby.height,
        ais_vessels_nearby=nearby.n_unique(),
        candidates=candidates,
        unseen=unseen,
    )


def _heard_inside(reports: pl.DataFrame, footprint_wkt: str, at: datetime) -> pl.DataFrame:
    """``mmsi, vessel_key`` of the AIS reports inside the footprint within :data:`COVERAGE_H`
    of ``at``: whether anything was heard there, whoever it was."""
    near = timedelta(hours=COVERAGE_H)
    timely = reports.filter(
        pl.col("ts").is_between(at - near, at + near),
        pl.col("lon").is_not_null(),
        pl.col("lat").is_not_null(),
    )
    inside = shapely.contains_xy(
        shapely.from_wkt(footprint_wkt), timely["lon"].to_numpy(), timely["lat"].to_numpy()
    )
    return timely.filter(pl.Series(inside, dtype=pl.Boolean)).select("mmsi", "vessel_key")
