"""What a store knows about one site, gathered the same way for ``assess`` and ``report``: the
site's row, its imagery counts, when the AIS data was recording, and the days its evidence spans;
and the stored assessment of a site (``harborwatch assess``, the demo).
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from harborwatch.config import GapConfig
from harborwatch.errors import InputError
from harborwatch.fusion.timeline import TimelineConfig, assess_site
from harborwatch.geo.sites import load_sites
from harborwatch.imagery.counts import count_by_zone, select_source
from harborwatch.imagery.detectors import DETECTOR_NAMES
from harborwatch.store import imagery as stored
from harborwatch.store import queries
from harborwatch.store.store import Store
from harborwatch.tracks.coverage import merge_spans

log = logging.getLogger(__name__)


def site_row(site_id: str, sites: Path | pl.DataFrame | None) -> dict[str, Any]:
    """The SITES row of ``site_id`` from a sites file or table, or one with the id only (then
    events are placed by their site ids alone)."""
    if sites is None:
        log.warning("no --sites: port visits and gaps are placed by their site ids only")
        return {"site_id": site_id, "name": site_id, "kind": "site", "lon": None, "lat": None,
                "radius_m": None, "geometry_wkt": None}  # fmt: skip
    table = sites if isinstance(sites, pl.DataFrame) else load_sites(sites)
    found = table.filter(pl.col("site_id") == site_id)
    if found.is_empty():
        where = "the sites table" if isinstance(sites, pl.DataFrame) else repr(str(sites))
        raise InputError(f"site {site_id!r} is not in {where}; use one of its ids")
    return found.row(0, named=True)


def site_zone_counts(store: Store, site_id: str) -> pl.DataFrame:
    """ZONE_COUNTS of the site's stored scenes (none when it has no scenes)."""
    scenes = stored.scenes(store, site_id)
    detections = select_source(stored.detections_of(store, site=site_id), None, DETECTOR_NAMES)
    return count_by_zone(detections, scenes, stored.zones(store, site_id))


def recorded_coverage(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """COVERAGE windows of the stored AIS (None for a store without positions)."""
    spans = pl.DataFrame(pl.from_arrow(queries.file_spans(con)))
    return merge_spans(spans, GapConfig().min_gap_h) if spans.height else None


def evidence_span(
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


def assess_stored_site(
    store: Store, site: dict[str, Any], start: date | None = None, end: date | None = None
) -> tuple[pl.DataFrame, date, date]:
    """Assess ``site`` (a SITES row) over ``[start, end]`` (default: the days of the stored
    evidence) from the stored events and imagery counts, and store the assessments in place of
    the site's earlier ones in those days. Returns them with the first and last day."""
    con = store.connect()
    events = pl.DataFrame(pl.from_arrow(queries.events(con)))
    counts = site_zone_counts(store, site["site_id"])
    first, last = evidence_span(events, counts, site["site_id"], start, end)
    coverage = recorded_coverage(con)
    assessments = assess_site(site, events, counts, first, last, TimelineConfig(), coverage)
    store.replace_derived(
        "assessments",
        assessments.to_arrow(),
        "NOT (site_id = ? AND date BETWEEN ? AND ?)",
        [site["site_id"], first, last],
    )
    return assessments, first, last
