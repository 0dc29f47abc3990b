"""``harborwatch assess --site S``: a site's daily timeline, its drawdowns and buildups, stored as
assessments with the event and scene ids behind each."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import click
import polars as pl

from harborwatch.cli import output
from harborwatch.cli.imagery import detector_names
from harborwatch.cli.options import store_option
from harborwatch.config import GapConfig
from harborwatch.errors import InputError
from harborwatch.fusion.timeline import TimelineConfig, assess_site
from harborwatch.geo.sites import load_sites
from harborwatch.imagery.counts import count_by_zone, select_source
from harborwatch.store import Store, queries
from harborwatch.store import imagery as stored
from harborwatch.tracks.coverage import merge_spans

log = logging.getLogger(__name__)


@click.command("assess")
@click.option("--site", "site_id", required=True, help="Site id (as in the sites file).")
@click.option("--from", "start", help="First UTC day, YYYY-MM-DD (default: the first evidence).")
@click.option("--to", "end", help="Last UTC day, inclusive (default: the last evidence).")
@click.option(
    "--sites",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sites file: the site's shape places port visits and gaps (else event site ids only).",
)
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
    store = Store(store_dir)
    site = _site_row(site_id, sites)
    con = store.connect()
    events = pl.DataFrame(pl.from_arrow(queries.events(con)))
    spans = pl.DataFrame(pl.from_arrow(queries.file_spans(con)))
    coverage = merge_spans(spans, GapConfig().min_gap_h) if spans.height else None
    counts = _zone_counts(store, site_id)
    first, last = _span(events, counts, site_id, _day(start, "--from"), _day(end, "--to"))
    assessments = assess_site(site, events, counts, first, last, TimelineConfig(), coverage)
    store.replace_derived(
        "assessments",
        assessments.to_arrow(),
        "NOT (site_id = ? AND date BETWEEN ? AND ?)",
        [site_id, first, last],
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


def _site_row(site_id: str, sites: Path | None) -> dict[str, Any]:
    """The SITES row of ``site_id`` from the sites file, or one with the id only."""
    if sites is None:
        log.warning("no --sites: port visits and gaps are placed by their site ids only")
        return {"site_id": site_id, "name": site_id, "kind": "site", "lon": None, "lat": None,
                "radius_m": None, "geometry_wkt": None}  # fmt: skip
    found = load_sites(sites).filter(pl.col("site_id") == site_id)
    if found.is_empty():
        raise InputError(f"site {site_id!r} is not in {str(sites)!r}; use one of its ids")
    return found.row(0, named=True)


def _zone_counts(store: Store, site_id: str) -> pl.DataFrame:
    """ZONE_COUNTS of the site's stored scenes (none when it has no scenes)."""
    scenes = stored.scenes(store, site_id)
    detections = select_source(stored.detections_of(store, site=site_id), None, detector_names())
    return count_by_zone(detections, scenes, stored.zones(store, site_id))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date; write YYYY-MM-DD") from None


def _span(
    events: pl.DataFrame,
    counts: pl.DataFrame,
    site_id: str,
    start: date | None,
    end: date | None,
) -> tuple[date, date]:
    """The days asked for, else those of the stored evidence (all events, the site's scenes)."""
    days = pl.concat(
        [
            events.select(pl.col("start_ts").dt.date().alias("d")),
            events.select(pl.col("end_ts").dt.date().alias("d")),
            counts.select(pl.col("acquired_ts").dt.date().alias("d")),
        ]
    )["d"].drop_nulls()
    start = start or days.min()  # type: ignore[assignment]
    end = end or days.max()  # type: ignore[assignment]
    if start is None or end is None:
        raise InputError(
            f"no events or scenes in the store to assess {site_id!r}; run `harborwatch detect` "
            "or give --from and --to"
        )
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    return start, end
