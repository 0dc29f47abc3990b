"""``harborwatch sites``: list the sites of a sites file (TOML or GeoJSON)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import polars as pl
import shapely

from harborwatch.cli import output
from harborwatch.geo.sites import load_sites


@click.command("sites")
@click.option(
    "--sites",
    "sites_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HARBORWATCH_SITES",
    help="Sites file, TOML or GeoJSON (default $HARBORWATCH_SITES), e.g. "
    "examples/sites/eastern-med.toml.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "geojson"]),
    default="table",
    show_default=True,
    help="table for reading, json for scripts, geojson for maps (circles as points + radius_m).",
)
def sites_command(sites_path: Path | None, fmt: str) -> None:
    """List the named sites of a sites file."""
    if sites_path is None:
        raise click.UsageError(
            "no sites file: give --sites FILE (e.g. examples/sites/eastern-med.toml) "
            "or set HARBORWATCH_SITES"
        )
    sites = load_sites(sites_path)
    if fmt == "json":
        output.write_json(sites.to_dicts())
    elif fmt == "geojson":
        json.dump(sites_geojson(sites), sys.stdout)
        sys.stdout.write("\n")
    else:
        output.print_table(sites.drop("geometry_wkt").to_arrow(), title=f"sites in {sites_path}")


def sites_geojson(sites: pl.DataFrame) -> dict[str, Any]:
    """A FeatureCollection: polygons as drawn, point sites as points with ``radius_m``."""
    features = []
    for site in sites.to_dicts():
        wkt = site.pop("geometry_wkt")
        if wkt is None:
            geometry = {"type": "Point", "coordinates": [site["lon"], site["lat"]]}
        else:
            geometry = json.loads(shapely.to_geojson(shapely.from_wkt(wkt)))
        features.append(
            {"type": "Feature", "id": site["site_id"], "geometry": geometry, "properties": site}
        )
    return {"type": "FeatureCollection", "features": features}
