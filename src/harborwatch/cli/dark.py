"""``harborwatch dark --scene SCENE``: dark-vessel candidates of one georeferenced scene."""

from __future__ import annotations

from pathlib import Path

import click

from harborwatch.cli import output
from harborwatch.cli.options import geo_dir_option, store_option
from harborwatch.store import Store
from harborwatch.store.dark import MAX_DISTANCE_M, check_scene, shore_distance
from harborwatch.store.imagery import scene


@click.command("dark")
@click.option("--scene", "scene_id", required=True, help="Scene id (a unique prefix will do).")
@store_option
@geo_dir_option
@click.option(
    "--max-distance-m",
    type=click.FloatRange(min=0.0),
    default=MAX_DISTANCE_M,
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
    check = check_scene(store, scene_row, shore_distance(geo_dir), max_distance_m)
    candidates, unseen = check.candidates, check.unseen
    if fmt == "json":
        output.write_json(
            {
                **check.summary(),
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
