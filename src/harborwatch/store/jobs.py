"""Jobs that read the store, run domain functions and write derived tables back.

The domain code (:mod:`harborwatch.events.detect`) never sees the store; this module is the thin
edge that loads its inputs, calls it, and replaces the derived tables atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import polars as pl

from harborwatch.events.base import DetectionContext, EventType, empty_frame
from harborwatch.events.detect import DetectionConfig, build_track_points, detect_events
from harborwatch.fusion.claims import check_claims, watched_vessel_ids
from harborwatch.geo.reference import Geography
from harborwatch.schemas import SITES
from harborwatch.store import queries
from harborwatch.store.store import Store
from harborwatch.tracks.coverage import merge_spans
from harborwatch.tracks.segment import summarise_segments

DETECTION_STEPS = ("loading positions", "segmenting and locating", "detecting", "storing")


@dataclass
class DetectionReport:
    """What one detection run read and wrote."""

    positions: int = 0
    vessels: int = 0
    noise_points: int = 0
    segments: int = 0
    events: dict[str, int] = field(default_factory=dict)
    events_stored: int = 0
    elapsed_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def run_detection(
    store: Store,
    geography: Geography,
    sites: pl.DataFrame | None = None,
    watchlist: pl.DataFrame | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    config: DetectionConfig = DetectionConfig(),
    types: Iterable[EventType] | None = None,
    step: Callable[[str], None] = lambda _name: None,
) -> DetectionReport:
    """Detect events in the stored positions of ``[since, until)`` and store them.

    Re-runs replace, never duplicate: stored events of the detected types that start inside the
    window (and segments that start inside it) are replaced; the rest are kept.
    """
    started = time.perf_counter()
    chosen = list(EventType) if types is None else list(types)
    step(DETECTION_STEPS[0])
    con = store.connect()
    positions = _frame(queries.positions(con, since, until))
    statics = _frame(queries.statics(con, until))
    step(DETECTION_STEPS[1])
    points = build_track_points(positions, geography, config)
    step(DETECTION_STEPS[2])
    coverage = merge_spans(_frame(queries.file_spans(con)), config.ais_gap.min_gap_h)
    context = DetectionContext(statics=statics, ports=geography.ports, coverage=coverage)
    if sites is not None:
        context = replace(context, sites=sites)
    if watchlist is not None:
        context = replace(context, watchlist=watchlist)
    events = detect_events(points, context, config, chosen)
    segments = summarise_segments(points)
    step(DETECTION_STEPS[3])
    window, params = _window_sql(since, until)
    kept_types = ", ".join(f"'{kind}'" for kind in chosen)
    stored = store.replace_derived(
        "events",
        events.to_arrow(),
        f"event_type NOT IN ({kept_types}) OR NOT ({window.format(ts='start_ts')})",
        params,
    )
    store.replace_derived(
        "segments", segments.to_arrow(), f"NOT ({window.format(ts='first_ts')})", params
    )
    return DetectionReport(
        positions=positions.height,
        vessels=points["vessel_id"].n_unique(),
        noise_points=int(points["noise"].sum()),
        segments=segments.height,
        events=dict(events.group_by("event_type").len().sort("event_type").iter_rows()),
        events_stored=stored,
        elapsed_s=round(time.perf_counter() - started, 2),
    )


def _frame(table: Any) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _window_sql(since: datetime | None, until: datetime | None) -> tuple[str, list[Any]]:
    """A condition template (``{ts}`` is the column) true inside ``[since, until)``."""
    parts, params = ["TRUE"], []
    if since is not None:
        parts.append("{ts} >= ?::TIMESTAMPTZ")
        params.append(since)
    if until is not None:
        parts.append("{ts} < ?::TIMESTAMPTZ")
        params.append(until)
    return " AND ".join(parts), params


def check_claims_in_store(
    store: Store,
    claims: pl.DataFrame,
    watchlist: pl.DataFrame,
    sites: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Check ``claims`` (CLAIMS rows) against the stored events and segments, store them in the
    ``claims`` table and return them checked, in their order.

    The store supplies what :func:`~harborwatch.fusion.claims.check_claims` needs: events, the
    vessels tied to the watchlist (by statics or listed MMSI) and the segments of the claimed
    vessels (the times they were heard). Re-checking a claim replaces its row (``claim_id`` is
    deterministic; one claim listed twice is stored once), so re-runs never duplicate.
    """
    con = store.connect()
    events = _frame(queries.events(con))
    vessels = watched_vessel_ids(watchlist, _frame(queries.statics(con)), events)
    claimed = vessels.filter(pl.col("entry_id").is_in(claims["entry_id"].implode()))
    tracks = _frame(
        con.sql(
            "SELECT * FROM segments WHERE list_contains(?::VARCHAR[], vessel_id) "
            "ORDER BY vessel_id, first_ts",
            params=[claimed["vessel_id"].unique().sort().to_list()],
        ).to_arrow_table()
    )
    places = sites if sites is not None else empty_frame(SITES)
    checked = check_claims(claims, events, vessels, places, tracks)
    rows = checked.unique("claim_id", keep="first", maintain_order=True)
    keep = "NOT list_contains(?::VARCHAR[], claim_id)"
    store.replace_derived("claims", rows.to_arrow(), keep, [rows["claim_id"].to_list()])
    return checked


def stored_claims(store: Store) -> pl.DataFrame:
    """The checked claims in the store, by vessel, start and claim id."""
    return _frame(
        store.connect()
        .sql("SELECT * FROM claims ORDER BY vessel_name, start_ts, claim_id")
        .to_arrow_table()
    )
