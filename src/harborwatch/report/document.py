"""The report of one site over a time window, as a JSON-able document (``report --format json``).

:func:`build_report` takes the tables an analyst's question touches (the site, its events, the
tracks of the vessels that matter, land polygons, the daily timeline and its assessed shifts,
imagery counts and change chips, checked claims, forecasts) and returns one plain ``dict``:
every value a string, number, bool, list, dict or None, times in ISO 8601 UTC. The HTML page
(:mod:`harborwatch.report.html`) is drawn from this document alone, so the JSON and the page
never disagree.

Which rows the report shows:

- **events at the site**: those overlapping the window whose ``site_id`` is the site or whose
  position lies in the map box, plus every event a claim or an assessment cites (so each
  evidence link has a row to land on);
- **vessels**: watchlist vessels and vessels of events at the site (both sides of encounters),
  watchlist first, then by their number of events at the site, at most
  :attr:`ReportConfig.max_track_vessels`;
- **tracks**: their positions inside a box around the map (1.5 times its size), cut where a
  vessel left it or fell silent for :attr:`ReportConfig.track_break_h`, thinned to at most
  :attr:`ReportConfig.max_track_points` per vessel;
- **imagery**: the scenes acquired in the window, their counts per zone and class, what
  counted them (a detector or analyst annotations), and their detections drawn on the map (the
  map grows to hold them);
- **dark vessels**: per georeferenced scene of the window, the ship detections no AIS vessel
  accounts for at the scene time, the AIS vessels no detection accounts for, and whether AIS
  heard anything in the footprint around that time (without that, a detection without AIS
  proves nothing).

Text written by whoever transmits AIS (names, destinations) is carried as data; escaping is the
renderer's job.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl
import shapely

from harborwatch.fusion.timeline import EVENT_SERIES, IMAGERY_PREFIX
from harborwatch.geo.distance import EARTH_RADIUS_M
from harborwatch.imagery.counts import source_kind
from harborwatch.imagery.detectors import DETECTOR_NAMES
from harborwatch.imagery.scenes import is_georeferenced
from harborwatch.report.confidence import CONFIDENCE_SCALE, SCALE_SOURCE
from harborwatch.report.narrative import assessment_statements

DOCUMENT_VERSION = "harborwatch.report/1"
SIMULATED_RECEIVER = "SIMULATED"
"""The tag-block source (``s:SIMULATED``) of generated AIS: positions heard by it are simulated."""

Box = tuple[float, float, float, float]
"""west, south, east, north in degrees."""


@dataclass(frozen=True)
class ReportConfig:
    """How much the report shows."""

    map_margin_m: float = 25_000.0  # the map spans the site plus this much on every side
    max_track_vessels: int = 40  # tracks drawn (watchlist vessels first)
    max_track_points: int = 800  # per vessel, after thinning
    track_break_h: float = 6.0  # a silence this long splits a drawn track
    max_event_statements: int = 12  # assessment sentences about single events
    max_chips: int = 8  # before/after chips embedded
    max_detection_markers: int = 2000  # imagery detections drawn on the map


@dataclass(frozen=True)
class ReportInputs:
    """Everything one site report is made from (see :func:`build_report`).

    ``site`` is a SITES row; ``events`` EVENTS (any: the builder picks those it shows);
    ``positions`` holds ``vessel_id, ts, lon, lat`` of the vessels returned by
    :func:`report_vessels` over the window; ``statics`` STATICS with ``vessel_id``;
    ``watched`` maps ``vessel_id`` to watchlist ``entry_id``; ``land`` is a land geometry in
    lon/lat (None: no land drawn); ``timeline`` comes from
    :func:`~harborwatch.fusion.timeline.site_timeline` and ``assessments`` from
    :func:`~harborwatch.fusion.timeline.assess_site`; ``counts`` ZONE_COUNTS; ``scenes``
    SCENES of the site; ``chips`` ``change_id, status, class, caption, png`` (PNG bytes);
    ``claims`` CLAIMS (checked or not); ``forecasts`` any table (None: no forecast section);
    ``simulated_positions`` the number of positions in the window heard by the SIMULATED receiver;
    ``detections`` DETECTIONS of the site's scenes (one kind of source per scene).

    The dark-vessel check of each georeferenced scene (``harborwatch.store.dark``):
    ``dark_scenes`` one row per scene checked (``scene_id, acquired_ts, max_distance_m,
    near_shore_m, ships, ais_in_scene, ais_positions_nearby, ais_vessels_nearby``),
    ``dark_candidates`` the candidates of
    :func:`~harborwatch.fusion.dark_vessels.match_dark_vessels` (with ``scene_id``) and
    ``dark_unseen`` its unmatched AIS vessels with a ``scene_id`` column.
    """

    site: dict[str, Any]
    start: date
    end: date
    events: pl.DataFrame
    positions: pl.DataFrame
    statics: pl.DataFrame
    watched: pl.DataFrame
    timeline: pl.DataFrame
    assessments: pl.DataFrame
    counts: pl.DataFrame
    scenes: pl.DataFrame
    claims: pl.DataFrame
    chips: pl.DataFrame = field(default_factory=pl.DataFrame)
    land: Any = None
    forecasts: pl.DataFrame | None = None
    simulated_positions: int = 0
    detections: pl.DataFrame = field(default_factory=pl.DataFrame)
    dark_scenes: pl.DataFrame = field(default_factory=pl.DataFrame)
    dark_candidates: pl.DataFrame = field(default_factory=pl.DataFrame)
    dark_unseen: pl.DataFrame = field(default_factory=pl.DataFrame)


def anchor(prefix: str, identifier: str) -> str:
    """The HTML id of an evidence row: ``ev-`` events, ``as-`` assessments, ``cl-`` claims,
    ``sc-`` scenes, ``ch-`` chips, ``dv-`` dark-vessel candidates; characters outside
    ``[A-Za-z0-9_-]`` become ``-``."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "-" for c in identifier)
    return f"{prefix}-{safe}"


# --------------------------------------------------------------------------- selection


def window_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The window as UTC times: ``start`` 00:00 to the day after ``end`` 00:00 (exclusive)."""
    first = datetime.combine(start, time(), UTC)
    return first, datetime.combine(end + timedelta(days=1), time(), UTC)


def map_box(site: dict[str, Any], config: ReportConfig) -> Box | None:
    """The map's extent: the site (its radius or polygon) plus ``map_margin_m``; None for a
    site without a position."""
    if site.get("geometry_wkt"):
        west, south, east, north = shapely.from_wkt(site["geometry_wkt"]).bounds
    elif site.get("lon") is not None and site.get("lat") is not None:
        west = east = float(site["lon"])
        south = north = float(site["lat"])
    else:
        return None
    reach_m = config.map_margin_m + float(site.get("radius_m") or 0.0)
    dlat = math.degrees(reach_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians((south + north) / 2)), 0.05)
    return (west - dlon, south - dlat, east + dlon, north + dlat)


def _grown(box: Box, factor: float) -> Box:
    west, south, east, north = box
    dx, dy = (east - west) * (factor - 1) / 2, (north - south) * (factor - 1) / 2
    return (west - dx, south - dy, east + dx, north + dy)


def _in_box(box: Box, lon: str = "lon", lat: str = "lat") -> pl.Expr:
    west, south, east, north = box
    return pl.col(lon).is_between(west, east) & pl.col(lat).is_between(south, north)


def site_events(
    events: pl.DataFrame, site: dict[str, Any], start: date, end: date, config: ReportConfig
) -> pl.DataFrame:
    """Events overlapping the window that happened at the site: its ``site_id``, or a position
    inside the map box."""
    first, after = window_bounds(start, end)
    box = map_box(site, config)
    here = (pl.col("site_id") == site["site_id"]).fill_null(False)
    if box is not None:
        here = here | _in_box(box).fill_null(False)
    return events.filter(
        pl.col("start_ts") < after, pl.col("end_ts").fill_null(pl.col("start_ts")) >= first, here
    ).sort("start_ts", "event_type", "vessel_id")


def site_claims(claims: pl.DataFrame, site_id: str, start: date, end: date) -> pl.DataFrame:
    """Claims about the site, and claims naming no site whose time overlaps the window."""
    first, after = window_bounds(start, end)
    overlaps = (pl.col("start_ts") < after) & (
        pl.col("end_ts").fill_null(pl.col("start_ts")) >= first
    )
    return claims.filter(
        (pl.col("site_id") == site_id).fill_null(False) | (pl.col("site_id").is_null() & overlaps)
    )


def report_vessels(at_site: pl.DataFrame, watched: pl.DataFrame, config: ReportConfig) -> list[str]:
    """Vessel ids whose tracks the report draws: watchlist vessels, then the vessels with the
    most events at the site (both sides of an encounter), at most ``max_track_vessels``."""
    involved = pl.concat(
        [
            at_site.select(pl.col("vessel_id")),
            at_site.select(pl.col("other_vessel_id").alias("vessel_id")),
        ]
    ).drop_nulls()
    ranked = (
        involved.group_by("vessel_id")
        .len("n")
        .join(
            watched.select("vessel_id").unique().with_columns(w=pl.lit(1)),
            on="vessel_id",
            how="full",
            coalesce=True,
        )
        .with_columns(pl.col("n").fill_null(0), pl.col("w").fill_null(0))
        .sort(["w", "n", "vessel_id"], descending=[True, True, False])
    )
    return ranked["vessel_id"].head(config.max_track_vessels).to_list()


def track_parts(positions: pl.DataFrame, box: Box, config: ReportConfig) -> pl.DataFrame:
    """``vessel_id, part, ts, lon, lat``: the positions inside ``box`` grown by half, a new
    part where a vessel re-enters it or was silent ``track_break_h``, thinned to at most
    ``max_track_points`` per vessel (each part keeps its ends)."""
    near = _grown(box, 1.5)
    break_us = int(config.track_break_h * 3600e6)
    points = (
        positions.select("vessel_id", "ts", "lon", "lat")
        .drop_nulls()
        .sort("vessel_id", "ts")
        .with_columns(_inside=_in_box(near))
        .with_columns(
            part=(
                ~pl.col("_inside")
                | (pl.col("ts").diff().dt.total_microseconds().fill_null(0) > break_us)
            )
            .cum_sum()
            .over("vessel_id")
        )
        .filter("_inside")
        .drop("_inside")
    )
    n = pl.len().over("vessel_id")
    step = (n / config.max_track_points).ceil().cast(pl.Int64).clip(lower_bound=1)
    index = pl.int_range(pl.len()).over("vessel_id")
    ends = pl.int_range(pl.len()).over("vessel_id", "part")
    keep = (index % step == 0) | (ends == 0) | (ends == pl.len().over("vessel_id", "part") - 1)
    return points.filter(keep)


def land_rings(land: Any, box: Box) -> list[list[list[float]]]:
    """Rings (outer and holes) of the land polygons cut to ``box`` grown by a tenth,
    simplified to about 1/1500 of the box width."""
    if land is None:
        return []
    cut = shapely.clip_by_rect(land, *_grown(box, 1.1))
    cut = shapely.simplify(cut, (box[2] - box[0]) / 1500, preserve_topology=True)
    rings: list[list[list[float]]] = []
    for polygon in shapely.get_parts(cut):
        if not isinstance(polygon, shapely.Polygon) or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            rings.append(np.round(shapely.get_coordinates(ring), 5).tolist())
    return rings


def site_outline(site: dict[str, Any]) -> list[list[float]]:
    """The site's boundary in lon/lat: its polygon, or a 72-sided circle of its radius."""
    if site.get("geometry_wkt"):
        shape = shapely.from_wkt(site["geometry_wkt"])
        return np.round(shapely.get_coordinates(shape.exterior), 6).tolist()
    if site.get("lon") is None or site.get("lat") is None:
        return []
    angle = np.linspace(0, 2 * np.pi, 73)
    dlat = np.degrees(float(site.get("radius_m") or 0.0) / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(site["lat"])), 0.05)
    lon, lat = site["lon"] + dlon * np.cos(angle), site["lat"] + dlat * np.sin(angle)
    return np.round(np.column_stack([lon, lat]), 6).tolist()


# --------------------------------------------------------------------------- the document


def build_report(inputs: ReportInputs, config: ReportConfig | None = None) -> dict[str, Any]:
    """The report document of ``inputs`` (see the module docstring for what it holds)."""
    config = config or ReportConfig()
    site = inputs.site
    at_site = site_events(inputs.events, site, inputs.start, inputs.end, config)
    claims = site_claims(inputs.claims, site["site_id"], inputs.start, inputs.end)
    vessels = vessel_labels(inputs.statics, inputs.watched)
    events = _event_rows(inputs.events, at_site, inputs.assessments, claims, vessels)
    simulated = _simulated_sources(inputs)
    title = f"{site.get('name') or site['site_id']}: {inputs.start} to {inputs.end}"
    if simulated:
        title = f"SIMULATED — {title}"
    document: dict[str, Any] = {
        "version": DOCUMENT_VERSION,
        "title": title,
        "simulated": bool(simulated),
        "simulated_sources": simulated,
        "site": _plain(site),
        "window": {"from": inputs.start.isoformat(), "to": inputs.end.isoformat()},
        "map": _map_section(inputs, at_site, vessels, config),
        "timeline": _timeline_section(inputs.timeline, inputs.assessments, inputs.counts),
        "imagery": _imagery_section(inputs, config),
        "dark_vessels": _dark_section(inputs),
        "events": events,
        "vessels": [],
        "assessments": _records(inputs.assessments, "as", "assessment_id"),
        "claims": _records(claims, "cl", "claim_id"),
        "forecasts": None if inputs.forecasts is None else _records(inputs.forecasts),
        "confidence_scale": {
            "source": SCALE_SOURCE,
            "levels": [
                {"level": s.level, "word": s.word, "probability": [s.low, s.high], "basis": s.basis}
                for s in CONFIDENCE_SCALE
            ],
        },
    }
    document["vessels"] = _vessel_rows(vessels, document)
    document["statements"] = assessment_statements(document, config.max_event_statements)
    return document


def vessel_labels(statics: pl.DataFrame, watched: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Per vessel id: latest declared ``name``, ``destination``, ``imo``, ``callsign`` and the
    watchlist ``entry_id`` (None when not watched)."""
    latest = (
        statics.sort("ts")
        .group_by("vessel_id")
        .agg(
            *(
                pl.col(c)
                .filter(pl.col(c).is_not_null() & (pl.col(c).cast(pl.String) != ""))
                .last()
                .alias(c)
                for c in ("name", "destination", "imo", "callsign")
            )
        )
        if not statics.is_empty()
        else pl.DataFrame(schema={"vessel_id": pl.String})
    )
    entries = watched.group_by("vessel_id").agg(pl.col("entry_id").sort().first())
    table = latest.join(entries, on="vessel_id", how="full", coalesce=True)
    return {row["vessel_id"]: row for row in table.to_dicts()}


def vessel_label(vessels: dict[str, dict[str, Any]], vessel_id: str | None) -> str:
    """``NAME (vessel id)`` when the vessel declared a name, else its id."""
    if vessel_id is None:
        return ""
    name = (vessels.get(vessel_id) or {}).get("name")
    return f"{name} ({vessel_id})" if name else vessel_id


def _vessel_rows(
    vessels: dict[str, dict[str, Any]], document: dict[str, Any]
) -> list[dict[str, Any]]:
    """The declared identity of every vessel on the map or in the event table, tracks first."""
    tracks = {t["vessel_id"]: t for t in (document["map"] or {}).get("tracks", [])}
    listed = list(tracks)
    for event in document["events"]:
        for key in ("vessel_id", "other_vessel_id"):
            if event.get(key) and event[key] not in listed:
                listed.append(event[key])
    rows = []
    for vessel_id in listed:
        known = vessels.get(vessel_id) or {}
        rows.append(
            {
                "vessel_id": vessel_id,
                "name": known.get("name"),
                "callsign": known.get("callsign"),
                "imo": known.get("imo"),
                "destination": known.get("destination"),
                "watchlist_entry": known.get("entry_id"),
                "positions_drawn": tracks[vessel_id]["positions"] if vessel_id in tracks else 0,
            }
        )
    return rows


def _event_rows(
    events: pl.DataFrame,
    at_site: pl.DataFrame,
    assessments: pl.DataFrame,
    claims: pl.DataFrame,
    vessels: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Events at the site and those cited as evidence elsewhere, each with its anchor, vessel
    names and whether it is at the site."""
    cited = set(_ids(assessments, "evidence_ids")) | set(_ids(claims, "evidence_ids"))
    extra = events.filter(
        pl.col("event_id").is_in(sorted(cited))
        & ~pl.col("event_id").is_in(at_site["event_id"].to_list())
    )
    shown = pl.concat(
        [at_site.with_columns(at_site=pl.lit(True)), extra.with_columns(at_site=pl.lit(False))],
        how="diagonal_relaxed",
    ).sort("start_ts", "event_type", "vessel_id")
    rows = _records(shown, "ev", "event_id")
    for row in rows:
        row["vessel"] = vessel_label(vessels, row["vessel_id"])
        row["other_vessel"] = vessel_label(vessels, row.get("other_vessel_id"))
        row["watchlist_entry"] = (vessels.get(row["vessel_id"]) or {}).get("entry_id")
    return rows


def _ids(frame: pl.DataFrame, column: str) -> Iterable[str]:
    if frame.is_empty() or column not in frame.columns:
        return []
    return frame[column].explode().drop_nulls().to_list()


def _simulated_sources(inputs: ReportInputs) -> list[str]:
    """What in the inputs is simulated, in words (empty: nothing is)."""
    found = []
    first, after = window_bounds(inputs.start, inputs.end)
    if not inputs.scenes.is_empty() and "simulated" in inputs.scenes.columns:
        fake = inputs.scenes.filter(
            pl.col("simulated").fill_null(False),
            pl.col("acquired_ts").is_between(first, after, closed="left"),
        )
        if not fake.is_empty():
            found.append(f"{fake.height} SIMULATED scene(s): {', '.join(fake['scene_id'])}")
    if inputs.simulated_positions:
        found.append(
            f"{inputs.simulated_positions:,} AIS positions from the receiver "
            f"{SIMULATED_RECEIVER!r} (generated, not heard)"
        )
    return found


def _map_section(
    inputs: ReportInputs,
    at_site: pl.DataFrame,
    vessels: dict[str, dict[str, Any]],
    config: ReportConfig,
) -> dict[str, Any] | None:
    """Box, land rings, site outline, tracks per vessel (parts of ``[lon, lat]``) and event
    markers; None for a site without a position."""
    box = map_box(inputs.site, config)
    if box is None:
        return None
    found = _located_detections(inputs)
    box = _holding(box, found)
    parts = track_parts(inputs.positions, box, config).partition_by(
        "vessel_id", as_dict=True, maintain_order=True
    )
    tracks = []
    for vessel_id in report_vessels(at_site, inputs.watched, config):
        mine = parts.get((vessel_id,))
        if mine is None:
            continue
        lines = [
            np.round(p.select("lon", "lat").to_numpy(), 5).tolist()
            for p in mine.partition_by("part", maintain_order=True)
        ]
        tracks.append(
            {
                "vessel_id": vessel_id,
                "label": vessel_label(vessels, vessel_id),
                "watchlist_entry": (vessels.get(vessel_id) or {}).get("entry_id"),
                "positions": mine.height,
                "parts": lines,
            }
        )
    markers = [
        {
            "event_id": e["event_id"],
            "anchor": anchor("ev", e["event_id"]),
            "event_type": e["event_type"],
            "lon": e["lon"],
            "lat": e["lat"],
            "label": f"{e['event_type']} {vessel_label(vessels, e['vessel_id'])} "
            f"{_iso(e['start_ts'])}",
        }
        for e in at_site.drop_nulls(["lon", "lat"]).to_dicts()
    ]
    return {
        "box": [round(v, 6) for v in box],
        "land": land_rings(inputs.land, box),
        "site_outline": site_outline(inputs.site),
        "tracks": tracks,
        "events": markers,
        "detections": _detection_markers(found.head(config.max_detection_markers)),
        "detections_left_out": max(found.height - config.max_detection_markers, 0),
    }


def _holding(box: Box, points: pl.DataFrame) -> Box:
    """``box`` grown to hold every ``lon, lat`` of ``points``, with a twentieth to spare."""
    if points.is_empty():
        return box
    west, south, east, north = box
    low_lon, high_lon, low_lat, high_lat = points.select(
        pl.col("lon").min(),
        pl.col("lon").max().alias("e"),
        pl.col("lat").min().alias("s"),
        pl.col("lat").max().alias("n"),
    ).row(0)
    if low_lon >= west and high_lon <= east and low_lat >= south and high_lat <= north:
        return box
    grown = (min(west, low_lon), min(south, low_lat), max(east, high_lon), max(north, high_lat))
    return _grown(grown, 1.05)


def window_scenes(inputs: ReportInputs) -> pl.DataFrame:
    """The scenes acquired in the window, oldest first."""
    first, after = window_bounds(inputs.start, inputs.end)
    return inputs.scenes.filter(pl.col("acquired_ts").is_between(first, after, closed="left")).sort(
        "acquired_ts", "scene_id"
    )


def _window_detections(inputs: ReportInputs) -> pl.DataFrame:
    """Detections of the window's scenes."""
    if inputs.detections.is_empty():
        return inputs.detections
    ids = window_scenes(inputs)["scene_id"].to_list()
    return inputs.detections.filter(pl.col("scene_id").is_in(ids))


DARK_CANDIDATE = "dark_candidate"
"""A ship no AIS vessel accounts for while AIS heard others in the footprint."""
NO_AIS_COVERAGE = "no_ais_coverage"
"""A ship no AIS vessel accounts for where AIS heard nothing: AIS cannot tell."""
STATUS_WORDS = {
    DARK_CANDIDATE: "dark-vessel candidate",
    NO_AIS_COVERAGE: "no AIS position, no AIS coverage",
}


def _unmatched_status(inputs: ReportInputs) -> pl.DataFrame:
    """``detection_id, status`` of the ships no AIS vessel accounts for: a
    :data:`DARK_CANDIDATE` where AIS heard anything in the scene's footprint around its time,
    else :data:`NO_AIS_COVERAGE`."""
    if inputs.dark_candidates.is_empty() or inputs.dark_scenes.is_empty():
        return pl.DataFrame(schema={"detection_id": pl.String, "status": pl.String})
    return (
        inputs.dark_candidates.select("detection_id", "scene_id")
        .join(
            inputs.dark_scenes.select(
                "scene_id",
                pl.when(pl.col("ais_positions_nearby") > 0)
                .then(pl.lit(DARK_CANDIDATE))
                .otherwise(pl.lit(NO_AIS_COVERAGE))
                .alias("status"),
            ),
            on="scene_id",
        )
        .select("detection_id", "status")
    )


def _located_detections(inputs: ReportInputs) -> pl.DataFrame:
    """Detections of the window's scenes with a lon/lat and the ``status`` of the unmatched
    ships (null for the others), those first (so a capped map keeps them)."""
    found = _window_detections(inputs)
    if found.is_empty():
        return pl.DataFrame(schema={"lon": pl.Float64, "lat": pl.Float64})
    return (
        found.drop_nulls(["lon", "lat"])
        .join(_unmatched_status(inputs), on="detection_id", how="left")
        .sort("status", "scene_id", "detection_id", nulls_last=True)
    )


def _detection_markers(found: pl.DataFrame) -> list[dict[str, Any]]:
    """Map markers of :func:`_located_detections` rows: unmatched ships link to their row in
    the dark-vessel section, the others to their scene's row."""
    markers = []
    for row in found.to_dicts():
        status = row["status"]
        markers.append(
            {
                "detection_id": row["detection_id"],
                "scene_id": row["scene_id"],
                "class": row["class"],
                "lon": round(row["lon"], 6),
                "lat": round(row["lat"], 6),
                "status": status,
                "anchor": anchor("dv", row["detection_id"])
                if status
                else anchor("sc", row["scene_id"]),
                "label": f"{row['class']} {row['detection_id']} in scene {row['scene_id']}"
                + (f" ({STATUS_WORDS[status]})" if status else ""),
            }
        )
    return markers


SERIES_LABELS = {
    "vessels_present": "Watchlist vessels present",
    "visits_began": "Port visits begun",
    "visits_ended": "Port visits ended",
    "gaps_began": "AIS gaps beginning near the site",
    "gaps_ended": "AIS gaps ending near the site",
}


def series_label(series: str, counts: pl.DataFrame) -> str:
    """Words for a timeline column (imagery columns name their zone and class)."""
    if series in SERIES_LABELS:
        return SERIES_LABELS[series]
    for zone_id, object_class in counts.select("zone_id", "class").unique().iter_rows():
        if series == f"{IMAGERY_PREFIX}{zone_id}_{object_class}":
            return f"Imagery: {object_class} in zone {zone_id}"
    return series


def _timeline_section(
    timeline: pl.DataFrame, assessments: pl.DataFrame, counts: pl.DataFrame
) -> dict[str, Any]:
    """Daily dates, each series with observations (all-zero ones are listed apart) and the
    assessed changes marked on them."""
    dates = [d.isoformat() for d in timeline["date"]] if "date" in timeline.columns else []
    columns = [c for c in timeline.columns if c in EVENT_SERIES or c.startswith(IMAGERY_PREFIX)]
    series, empty = [], []
    for column in columns:
        values = timeline[column].to_list()
        if not any(v for v in values if v is not None):
            empty.append(column)
            continue
        changes = [
            {
                "date": a["date"].isoformat(),
                "kind": a["kind"],
                "anchor": anchor("as", a["assessment_id"]),
            }
            for a in assessments.filter(pl.col("series") == column).to_dicts()
        ]
        series.append(
            {
                "series": column,
                "label": series_label(column, counts),
                "observed": "scenes" if column.startswith(IMAGERY_PREFIX) else "daily",
                "values": values,
                "changes": changes,
            }
        )
    return {"dates": dates, "series": series, "empty_series": empty}


def _imagery_section(inputs: ReportInputs, config: ReportConfig) -> dict[str, Any]:
    """Scenes of the window (with anchors), their counts per zone and class, and the chips as
    base64 PNG."""
    scenes = window_scenes(inputs)
    counts = inputs.counts.filter(pl.col("scene_id").is_in(scenes["scene_id"].to_list()))
    sources = _scene_sources(inputs)
    chips = []
    for chip in inputs.chips.head(config.max_chips).to_dicts():
        chips.append(
            {
                "change_id": chip["change_id"],
                "anchor": anchor("ch", chip["change_id"]),
                "status": chip["status"],
                "class": chip["class"],
                "caption": chip["caption"],
                "png_base64": base64.b64encode(chip["png"]).decode("ascii"),
            }
        )
    rows = _records(scenes.drop("transform", strict=False), "sc", "scene_id")
    for row in rows:
        row["source"] = sources.get(row["scene_id"])
    return {
        "scenes": rows,
        "counts": _records(counts.sort("zone_id", "class", "acquired_ts", "scene_id")),
        "chips": chips,
        "chips_left_out": max(inputs.chips.height - config.max_chips, 0),
    }


def _scene_sources(inputs: ReportInputs) -> dict[str, str]:
    """Per scene, what found its objects: a detector's name, or ``annotations`` (by hand)."""
    found = _window_detections(inputs)
    if found.is_empty():
        return {}
    kinds = (
        found.group_by("scene_id")
        .agg(source_kind(DETECTOR_NAMES).unique().sort().str.join(" and ").alias("kind"))
        .sort("scene_id")
    )
    return dict(kinds.iter_rows())


DARK_SCENE_COLUMNS = [
    "acquired_ts",
    "scene_id",
    "max_distance_m",
    "near_shore_m",
    "ships",
    "ais_in_scene",
    "ais_positions_nearby",
    "ais_vessels_nearby",
]
DARK_CANDIDATE_COLUMNS = [
    "detection_id",
    "scene_id",
    "lon",
    "lat",
    "length_m",
    "score",
    "near_shore",
    "shore_distance_m",
    "nearest_ais_m",
    "nearest_vessel_id",
]
DARK_UNSEEN_COLUMNS = [
    "scene_id",
    "vessel_id",
    "lon",
    "lat",
    "method",
    "dt_s",
    "nearest_detection_m",
]


def _dark_section(inputs: ReportInputs) -> dict[str, Any]:
    """The dark-vessel check of each scene of the window: per scene the numbers matched and
    whether AIS heard anything there (``ais_recorded``); the ships no AIS vessel accounts for
    (``candidates``, with anchors and ``status``: only a :data:`DARK_CANDIDATE` where AIS was
    recording) and the AIS vessels without a detection; scenes not checked with the reason."""
    scenes = window_scenes(inputs)
    ids = scenes["scene_id"].to_list()
    checked = _dark_rows(inputs.dark_scenes, ids, DARK_SCENE_COLUMNS)
    candidates = _dark_rows(inputs.dark_candidates, ids, DARK_CANDIDATE_COLUMNS)
    if not candidates.is_empty():
        candidates = candidates.join(
            _unmatched_status(inputs), on="detection_id", how="left", maintain_order="left"
        )
    unseen = _dark_rows(inputs.dark_unseen, ids, DARK_UNSEEN_COLUMNS)
    by_id = {row["scene_id"]: row for row in scenes.to_dicts()}
    rows = []
    for row in _records(checked, "sc", "scene_id"):
        mine = candidates.filter(pl.col("scene_id") == row["scene_id"])
        stamp = by_id[row["scene_id"]]["acquired_ts"]
        recorded = row["ais_positions_nearby"] > 0
        row |= {
            "simulated": bool(by_id[row["scene_id"]].get("simulated")),
            "time_of_day_known": stamp.time() != time(),
            "ais_recorded": recorded,
            "unmatched": mine.height,
            "candidates": mine.height if recorded else 0,
            "near_shore_candidates": mine["near_shore"].fill_null(False).sum(),
            "unseen": unseen.filter(pl.col("scene_id") == row["scene_id"]).height,
        }
        rows.append(row)
    not_checked = [
        {
            "scene_id": scene["scene_id"],
            "anchor": anchor("sc", scene["scene_id"]),
            "reason": "not georeferenced (no CRS, transform or footprint)"
            if not (is_georeferenced(scene) and scene.get("footprint_wkt"))
            else "not checked",
        }
        for scene in scenes.to_dicts()
        if scene["scene_id"] not in {row["scene_id"] for row in rows}
    ]
    return {
        "scenes": rows,
        "not_checked": not_checked,
        "candidates": _records(candidates, "dv", "detection_id"),
        "unseen": _records(unseen),
    }


def _dark_rows(frame: pl.DataFrame, scene_ids: list[str], columns: list[str]) -> pl.DataFrame:
    """The rows of ``frame`` about ``scene_ids``, ``columns`` only (missing ones left out),
    sorted by the first two."""
    if frame.is_empty():
        return pl.DataFrame(schema={"scene_id": pl.String, "near_shore": pl.Boolean})
    kept = [c for c in columns if c in frame.columns]
    return frame.filter(pl.col("scene_id").is_in(scene_ids)).select(kept).sort(kept[:2])


def _records(
    frame: pl.DataFrame, prefix: str | None = None, key: str | None = None
) -> list[dict[str, Any]]:
    """Rows as JSON-able dicts (times ISO 8601), each with its ``anchor`` when ``key`` given."""
    rows = [_plain(row) for row in frame.to_dicts()]
    if prefix is not None and key is not None:
        for row in rows:
            row["anchor"] = anchor(prefix, row[key])
    return rows


def _plain(value: Any) -> Any:
    """``value`` with dates as ISO strings, bytes as base64, NaN as None, recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return _iso(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()
