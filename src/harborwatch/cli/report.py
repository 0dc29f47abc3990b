"""``harborwatch report --site S --out PATH``: one self-contained HTML page (or JSON document)
about a site over a window: map, timelines, events, imagery, claims and an assessment whose
every sentence links to its evidence."""

from __future__ import annotations

from pathlib import Path

import click

from harborwatch.cli.options import (
    geo_dir_option,
    parse_day,
    site_window_options,
    sites_option,
    store_option,
    watchlist_option,
)
from harborwatch.store import Store
from harborwatch.store.report import write_site_report


@click.command("report")
@site_window_options
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (report.html or report.json).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["html", "json"]), default="html", show_default=True
)
@sites_option("the site's shape (map, events at the site); else its id only.")
@watchlist_option("its vessels' tracks are drawn and named first.")
@geo_dir_option
@store_option
def report_command(
    site_id: str,
    start: str | None,
    end: str | None,
    out: Path,
    fmt: str,
    sites: Path | None,
    watchlist: Path | None,
    geo_dir: Path | None,
    store_dir: Path,
) -> None:
    """Write the report of one site: a map of tracks and events on land drawn from local data,
    daily timelines with their drawdowns and buildups, imagery counts and before/after chips,
    the event, change and claim tables, and an assessment in calibrated words (ICD 203) that
    links every sentence to its rows. The HTML works offline and loads nothing; anything
    simulated is labelled SIMULATED. Prints the path written."""
    path = write_site_report(
        Store(store_dir),
        site_id,
        out,
        parse_day(start, "--from"),
        parse_day(end, "--to"),
        sites,
        watchlist,
        geo_dir,
        "json" if fmt == "json" else "html",
    )
    click.echo(f"report of {site_id} written to {path}", err=True)
    click.echo(str(path))
