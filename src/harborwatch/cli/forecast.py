"""``harborwatch forecast MMSI``: ranked next destinations of one vessel, from the store."""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from harborwatch.cli import output
from harborwatch.cli.options import geo_dir_option, parse_time, store_option
from harborwatch.errors import InputError
from harborwatch.fusion.forecast import ForecastConfig, forecast_destinations
from harborwatch.geo.reference import load_geography
from harborwatch.store import Store, queries
from harborwatch.tracks.segment import segment_tracks


@click.command("forecast")
@click.argument("vessel")
@click.option("--at", help="Forecast as of this UTC time (default: the vessel's last position).")
@store_option
@geo_dir_option
@click.option("--top", type=click.IntRange(1), default=5, show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def forecast_command(
    vessel: str, at: str | None, store_dir: Path, geo_dir: Path | None, top: int, fmt: str
) -> None:
    """Candidate next ports of VESSEL (MMSI or vessel key) with probabilities and ETAs, from
    its declared destination, its course and the stored port visits of all vessels."""
    con = Store(store_dir).connect()
    track = pl.DataFrame(pl.from_arrow(queries.track(con, vessel)))
    if track.is_empty():
        raise InputError(f"no positions of vessel {vessel!r} in the store {str(store_dir)!r}")
    when = parse_time(at, "--at") or track["ts"].max()
    statics = pl.DataFrame(pl.from_arrow(queries.statics(con)))
    visits = pl.DataFrame(pl.from_arrow(queries.events(con, event_type="port_visit")))
    points = segment_tracks(track)
    ports = load_geography(geo_dir).ports
    result = forecast_destinations(
        points,
        statics.filter(pl.col("vessel_id") == vessel),
        visits,
        ports,
        when,  # type: ignore[arg-type]
        ForecastConfig(),
        top,
    )
    if fmt == "json":
        output.write_json({"vessel": vessel, "at": when, "candidates": result.to_dicts()})
    else:
        columns = ["rank", "port_name", "probability", "eta_ts", "distance_km", "declared"]
        output.print_table(result.select(columns).to_arrow(), title=f"forecast for {vessel}")
