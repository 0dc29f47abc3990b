"""What a store knows about one site, gathered the same way for ``assess`` and ``report``: the
site's row, its imagery counts, when the AIS data was recording, and the days its evidence spans;
and the stored assessment of a site (``harborwatch assess``, the demo).
"""

from __future__ import annotations

import logging
import math
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import shapely

from harborwatch.config import GapConfig
from harborwatch.errors import InputError
from harborwatch.fusion.timeline import TimelineConfig, assess_site, site_evidence_days
from harborwatch.geo.distance import METRES_PER_DEG_LAT
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


def recorded_coverage(
    con: duckdb.DuckDBPyConnection, site: dict[str, Any], near_m: float
) -> pl.DataFrame | None:
    """COVERAGE windows of the stored AIS sources that heard a vessel within about ``near_m`` of
    ``site`` (a box around it): a receiver on another coast recording says nothing of whether
    the site's days were recorded. All sources for a site without position; None for a store
    without positions."""
    spans = pl.DataFrame(pl.from_arrow(queries.file_spans(con)))
    if spans.is_empty():
        return None
    box = _box_around(site, near_m)
    if box is not None:
        spans = spans.filter(pl.col("source").is_in(queries.sources_in_box(con, *box)))
    return merge_spans(spans, GapConfig().min_gap_h)


def _box_around(site: dict[str, Any], margin_m: float) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the site grown by ``margin_m``; None without position."""
    if site.get("geometry_wkt"):
        west, south, east, north = shapely.from_wkt(site["geometry_wkt"]).bounds
    elif site.get("lon") is not None:
        west = east = site["lon"]
        south = north = site["lat"]
        margin_m += site.get("radius_m") or 0.0
    else:
        return None
    dlat = margin_m / METRES_PER_DEG_LAT
    dlon = dlat / max(math.cos(math.radians(max(abs(south), abs(north)))), 0.01)
    return west - dlon, south - dlat, east + dlon, north + dlat


def evidence_span(
    site: dict[str, Any],
    events: pl.DataFrame,
    counts: pl.DataFrame,
    start: date | None,
    end: date | None,
    config: TimelineConfig = TimelineConfig(),
) -> tuple[date, date]:
    """The days asked for, else the first and last day of the site's own evidence (its events
    and scenes, :func:`~harborwatch.fusion.timeline.site_evidence_days`)."""
    days = site_evidence_days(site, events, counts, config)
    start = start or (days.min() if days.len() else None)  # type: ignore[assignment]
    end = end or (days.max() if days.len() else None)  # type: ignore[assignment]
    if start is None or end is None:
        raise InputError(
            f"no stored events or scenes at site {site['site_id']!r}; run `harborwatch detect` "
            "(with --sites for site presence), add scenes, or give --from and --to"
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
    config = TimelineConfig()
    first, last = evidence_span(site, events, counts, start, end, config)
    coverage = recorded_coverage(con, site, config.gap_near_site_m)
    assessments = assess_site(site, events, counts, first, last, config, coverage)
    store.replace_derived(
        "assessments",
        assessments.to_arrow(),
        "NOT (site_id = ? AND date BETWEEN ? AND ?)",
        [site["site_id"], first, last],
    )
    return assessments, first, last
