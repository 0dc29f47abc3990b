"""Gathering a site report's inputs from a store and writing the report (HTML or JSON).

The thin edge of :mod:`harborwatch.report`: it reads the tables (events, statics, the tracks of
the vessels the report draws, scenes, their detections and zone counts, checked claims), runs the
same timeline and change-point test as ``harborwatch assess`` over the window, makes
before/after chips of the first and last scene in the window, runs the dark-vessel check of
``harborwatch dark`` (:func:`harborwatch.store.dark.check_scene`) on each georeferenced scene of
the window, loads Natural Earth land from the geography folder, and hands everything to
:func:`~harborwatch.report.build_report`. Nothing is written to the store.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb
import polars as pl
import shapely

from harborwatch.errors import HarborwatchError, InputError
from harborwatch.fusion.claims import watched_vessel_ids
from harborwatch.fusion.timeline import TimelineConfig, assess_timeline, site_timeline
from harborwatch.geo.reference import LAND_FILE
from harborwatch.geo.watchlists import load_watchlist
from harborwatch.imagery.change import match_objects
from harborwatch.imagery.counts import select_source
from harborwatch.imagery.detectors import DETECTOR_NAMES
from harborwatch.imagery.evidence import write_chips
from harborwatch.imagery.scenes import is_georeferenced
from harborwatch.report import ReportConfig, ReportInputs, build_report, render_html
from harborwatch.report.document import (
    SIMULATED_RECEIVER,
    site_events,
    window_bounds,
    window_scenes,
)
from harborwatch.report.document import report_vessels as pick_vessels
from harborwatch.schemas import VESSEL_KEY_SQL
from harborwatch.store import imagery as stored
from harborwatch.store import queries
from harborwatch.store.dark import check_scene, shore_distance
from harborwatch.store.site import evidence_span, recorded_coverage, site_row, site_zone_counts
from harborwatch.store.store import Store

log = logging.getLogger(__name__)

ReportFormat = Literal["html", "json"]


def write_site_report(
    store: Store | Path | str,
    site_id: str,
    out_path: Path | str,
    start: date | None = None,
    end: date | None = None,
    sites: Path | pl.DataFrame | None = None,
    watchlist: Path | pl.DataFrame | None = None,
    geo_dir: Path | None = None,
    fmt: ReportFormat = "html",
    forecasts: pl.DataFrame | None = None,
) -> Path:
    """Write the report of ``site_id`` over the UTC days ``start``..``end`` (default: the
    stored evidence's span) to ``out_path`` as one HTML page or JSON document; returns the
    path. ``sites``/``watchlist`` are files or tables; ``geo_dir`` a folder like
    ``shared/data/geo`` (its Natural Earth land is drawn; without it the map has no land);
    ``forecasts`` any table to show as the forecasts section."""
    if fmt not in ("html", "json"):
        raise InputError(f"report format {fmt!r} is not html or json")
    store = store if isinstance(store, Store) else Store(store)
    inputs = gather_report_inputs(store, site_id, start, end, sites, watchlist, geo_dir, forecasts)
    document = build_report(inputs)
    out_path = Path(out_path)
    if fmt == "json":
        text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    else:
        text = render_html(document)
    out_path.write_text(text, encoding="utf-8")
    return out_path


def gather_report_inputs(
    store: Store,
    site_id: str,
    start: date | None = None,
    end: date | None = None,
    sites: Path | pl.DataFrame | None = None,
    watchlist: Path | pl.DataFrame | None = None,
    geo_dir: Path | None = None,
    forecasts: pl.DataFrame | None = None,
    config: ReportConfig | None = None,
) -> ReportInputs:
    """The :class:`~harborwatch.report.ReportInputs` of one site and window from ``store``."""
    config = config or ReportConfig()
    con = store.connect()
    site = site_row(site_id, sites)
    events = _frame(queries.events(con))
    counts = site_zone_counts(store, site_id)
    timeline_config = TimelineConfig()
    start, end = evidence_span(site, events, counts, start, end, timeline_config)
    coverage = recorded_coverage(con, site, timeline_config.gap_near_site_m)
    statics = _frame(queries.statics(con))
    watched = _watched(watchlist, statics, events)
    at_site = site_events(events, site, start, end, config)
    vessels = pick_vessels(at_site, watched, config)
    scenes = stored.scenes(store, site_id)
    timeline = site_timeline(site, events, counts, start, end, timeline_config, coverage)
    inputs = ReportInputs(
        site=site,
        start=start,
        end=end,
        events=events,
        positions=_positions(con, vessels, start, end),
        statics=statics,
        watched=watched,
        timeline=timeline,
        assessments=assess_timeline(timeline, site_id, timeline_config),
        counts=counts,
        scenes=scenes,
        claims=_frame(con.sql("SELECT * FROM claims").to_arrow_table()),
        chips=_chips(store, scenes, start, end, config.max_chips),
        land=_land(geo_dir),
        forecasts=forecasts,
        simulated_positions=_simulated_positions(con, start, end),
        detections=select_source(stored.detections_of(store, site=site_id), None, DETECTOR_NAMES),
    )
    return _with_dark_vessels(store, inputs, geo_dir)


def _with_dark_vessels(store: Store, inputs: ReportInputs, geo_dir: Path | None) -> ReportInputs:
    """``inputs`` with the dark-vessel check of every georeferenced scene of the window."""
    scenes = [
        row
        for row in window_scenes(inputs).to_dicts()
        if is_georeferenced(row) and row.get("footprint_wkt")
    ]
    if not scenes:
        return inputs
    shore = shore_distance(geo_dir)
    checks = [check_scene(store, row, shore) for row in scenes]
    return replace(
        inputs,
        dark_scenes=pl.DataFrame([c.summary() for c in checks]),
        dark_candidates=pl.concat([c.candidates for c in checks], how="diagonal_relaxed"),
        dark_unseen=pl.concat(
            [c.unseen.with_columns(scene_id=pl.lit(c.scene_id)) for c in checks],
            how="diagonal_relaxed",
        ),
    )


def _frame(table: Any) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _watched(
    watchlist: Path | pl.DataFrame | None, statics: pl.DataFrame, events: pl.DataFrame
) -> pl.DataFrame:
    """``vessel_id, entry_id`` of the watchlist vessels in the data (none without a list)."""
    if watchlist is None:
        return pl.DataFrame(schema={"vessel_id": pl.String, "entry_id": pl.String})
    table = watchlist if isinstance(watchlist, pl.DataFrame) else load_watchlist(watchlist)
    return watched_vessel_ids(table, statics, events)


def _positions(
    con: duckdb.DuckDBPyConnection, vessels: list[str], start: date, end: date
) -> pl.DataFrame:
    """``vessel_id, ts, lon, lat`` of ``vessels`` in the window, by vessel and time."""
    first, after = window_bounds(start, end)
    return _frame(
        con.sql(
            f"""
            SELECT {VESSEL_KEY_SQL} AS vessel_id, ts, lon, lat FROM positions
            WHERE {VESSEL_KEY_SQL} IN (SELECT unnest($vessels::VARCHAR[]))
              AND ts >= $first AND ts < $after
            ORDER BY vessel_id, ts
            """,
            params={"vessels": vessels, "first": first, "after": after},
        ).to_arrow_table()
    )


def _simulated_positions(con: duckdb.DuckDBPyConnection, start: date, end: date) -> int:
    """Positions in the window heard by the SIMULATED receiver (generated data)."""
    first, after = window_bounds(start, end)
    row = con.execute(
        "SELECT count(*) FROM positions WHERE CAST(receiver AS VARCHAR) = ? AND ts >= ? AND ts < ?",
        [SIMULATED_RECEIVER, first, after],
    ).fetchone()
    return int(row[0]) if row else 0


def _land(geo_dir: Path | None) -> Any:
    """Natural Earth land of ``geo_dir`` as one shapely geometry (None without a folder)."""
    if geo_dir is None:
        log.warning("no --geo-dir: the map is drawn without land")
        return None
    path = Path(geo_dir) / LAND_FILE
    try:
        return shapely.from_geojson(path.read_text(encoding="utf-8"))
    except (OSError, shapely.errors.GEOSException) as exc:
        raise InputError(
            f"cannot read land polygons from {str(path)!r} ({exc}); --geo-dir must hold "
            f"{LAND_FILE} (see shared/data/geo)"
        ) from exc


def _chips(store: Store, scenes: pl.DataFrame, start: date, end: date, limit: int) -> pl.DataFrame:
    """Before/after chips (PNG bytes) of the objects removed or added between the first and
    the last scene of the window; none with fewer than two scenes or when an image cannot be
    read (logged)."""
    schema = {"change_id": pl.String, "status": pl.String, "class": pl.String,
              "caption": pl.String, "png": pl.Binary}  # fmt: skip
    first, after = window_bounds(start, end)
    shown = scenes.filter(pl.col("acquired_ts").is_between(first, after, closed="left"))
    if shown.height < 2:
        return pl.DataFrame(schema=schema)
    shown = shown.sort("acquired_ts")
    before, later = shown.row(0, named=True), shown.row(-1, named=True)
    ids = [before["scene_id"], later["scene_id"]]
    detections = select_source(stored.detections_of(store, scene_ids=ids), None, DETECTOR_NAMES)
    try:
        changes = match_objects(
            detections.filter(pl.col("scene_id") == ids[0]),
            detections.filter(pl.col("scene_id") == ids[1]),
            before,
            later,
            zones=stored.zones(store, before["site_id"]),
        )
        with tempfile.TemporaryDirectory(prefix="harborwatch-chips-") as folder:
            changed = changes.filter(pl.col("status").is_in(["removed", "added"])).head(limit)
            written = write_chips(changed, before, later, folder)
            pngs = [Path(p).read_bytes() for p in written["path"]]
    except (HarborwatchError, OSError, ValueError) as exc:
        log.warning("no before/after chips for %s and %s: %s", *ids, exc)
        return pl.DataFrame(schema=schema)
    return written.drop("path").with_columns(pl.Series("png", pngs, pl.Binary)).select(list(schema))
