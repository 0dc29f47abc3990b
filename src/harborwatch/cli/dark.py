"""``harborwatch dark --scene SCENE``: dark-vessel candidates of one georeferenced scene."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
import polars as pl

from harborwatch.cli import output
from harborwatch.cli.options import geo_dir_option, store_option
from harborwatch.fusion.dark_vessels import (
    NEAREST_MAX_S,
    interpolate_positions,
    match_dark_vessels,
)
from harborwatch.geo.reference import LAND_FILE
from harborwatch.geo.shore import ShoreDistance
from harborwatch.store import Store, queries
from harborwatch.store.imagery import detections_of, scene

MAX_GAP_H = 1.0
"""Reports either side of the scene time are interpolated between when this close."""


@click.command("dark")
@click.option("--scene", "scene_id", required=True, help="Scene id (a unique prefix will do).")
@store_option
@geo_dir_option
@click.option(
    "--max-distance-m",
    type=click.FloatRange(min=0.0),
    default=200.0,
    show_default=True,
    help="A ship detection this close to an AIS vessel is accounted for.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def dark_command(
    scene_id: str, store_dir: Path, geo_dir: Path | None, max_distance_m: float, fmt: str
) -> None:
    """Ship detections of SCENE with no AIS vessel within --max-distance-m (dark-vessel
    candidates, flagged near shore within 2 km), and AIS vessels inside the scene that no
    detection matches. AIS positions are interpolated to the acquisition time."""
    store = Store(store_dir)
    scene_row = scene(store, scene_id)
    at = scene_row["acquired_ts"]
    window = timedelta(hours=max(MAX_GAP_H, NEAREST_MAX_S / 3600.0), microseconds=1)
    reports = pl.DataFrame(
        pl.from_arrow(queries.positions(store.connect(), at - window, at + window))
    )
    ais = interpolate_positions(reports, at, MAX_GAP_H)
    shore = (
        ShoreDistance.from_natural_earth(geo_dir / LAND_FILE)
        if geo_dir is not None
        else ShoreDistance.from_land_mask()
    )
    detections = detections_of(store, scene_ids=[scene_row["scene_id"]])
    candidates, unseen = match_dark_vessels(
        detections, ais, scene_row, shore, max_distance_m=max_distance_m
    )
    if fmt == "json":
        output.write_json(
            {
                "scene_id": scene_row["scene_id"],
                "acquired_ts": at,
                "max_distance_m": max_distance_m,
                "candidates": candidates.to_dicts(),
                "unseen": unseen.to_dicts(),
            }
        )
        return
    shown = ["detection_id", "lon", "lat", "length_m", "nearest_ais_m", "near_shore"]
    output.print_table(
        candidates.select(shown).to_arrow(), title=f"dark-vessel candidates in {scene_id}"
    )
    output.print_table(
        unseen.select("vessel_id", "lon", "lat", "method", "nearest_detection_m").to_arrow(),
        title="AIS vessels in the scene without a detection",
    )
