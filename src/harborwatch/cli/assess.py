"""``harborwatch assess --site S``: a site's daily timeline, its drawdowns and buildups, stored as
assessments with the event and scene ids behind each."""

from __future__ import annotations

from pathlib import Path

import click

from harborwatch.cli import output
from harborwatch.cli.options import (
    parse_day,
    site_window_options,
    sites_option,
    store_option,
)
from harborwatch.store import Store
from harborwatch.store.site import assess_stored_site, site_row


@click.command("assess")
@site_window_options
@sites_option("the site's shape places port visits and gaps (else event site ids only).")
@store_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def assess_command(
    site_id: str,
    start: str | None,
    end: str | None,
    sites: Path | None,
    store_dir: Path,
    fmt: str,
) -> None:
    """Significant decreases (drawdowns) and increases (buildups) in the daily timeline of a
    site: watchlist vessels present, port visits, AIS gaps near it, imagery counts. Stores them
    in the assessments table, replacing the site's earlier ones in the same days. Days the
    stored AIS does not cover are left out of the AIS series (a store of events alone, without
    positions, counts every day)."""
    site = site_row(site_id, sites)
    assessments, first, last = assess_stored_site(
        Store(store_dir), site, parse_day(start, "--from"), parse_day(end, "--to")
    )
    if fmt == "json":
        output.write_json(
            {"site": site_id, "from": first, "to": last, "assessments": assessments.to_dicts()}
        )
    else:
        columns = ["kind", "series", "date", "before", "after", "relative_change", "confidence"]
        output.print_table(
            assessments.select(columns).to_arrow(), title=f"{site_id} {first} to {last}"
        )
