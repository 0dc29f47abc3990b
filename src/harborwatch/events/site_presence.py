"""``site_presence``: a watchlist vessel's stays inside the analyst's named sites.

Watched vessels are those :func:`~harborwatch.geo.watchlists.match_watchlist` finds in the
context's statics (by MMSI, IMO, call sign or name) plus those whose positions carry a listed
MMSI. A stay is a run of positions inside one site; it ends when the vessel goes unheard or
stays away longer than ``max_gap_h`` between two positions inside. Sites may overlap (a naval
pier inside a port), so one position can open stays in several sites.

Each event says how its edges were seen: ``entry_observed`` when the position before the stay
is outside the site and at most ``max_gap_h`` earlier (else the vessel appeared inside, e.g.
after a silence); ``open_at_start`` when the data has no earlier position of the vessel at all;
likewise ``exit_observed`` and ``open_at_end``. The evidence holds the position just outside
before, the first and last positions inside and the position just outside after.
"""

from __future__ import annotations

import polars as pl

from harborwatch.config import SitePresenceConfig
from harborwatch.events.base import (
    US_PER_H,
    DetectionContext,
    EventType,
    empty_frame,
    finish_events,
    hours_between,
)
from harborwatch.geo.sites import site_membership
from harborwatch.geo.watchlists import match_watchlist
from harborwatch.schemas import EVENTS

RULE = (
    "positions of a watchlist vessel inside a site (point within radius_m, or polygon); a stay "
    "ends when consecutive positions inside are more than max_gap_h apart"
)


def detect_site_presence(
    points: pl.DataFrame,
    context: DetectionContext,
    config: SitePresenceConfig = SitePresenceConfig(),
) -> pl.DataFrame:
    """One ``site_presence`` event per stay of a watched vessel in a site (see module doc)."""
    watched = watched_vessels(points, context)
    if watched.is_empty() or context.sites.is_empty() or points.is_empty():
        return empty_frame(EVENTS)
    track = _watched_track(points, watched)
    members = site_membership(context.sites, track["lon"].to_numpy(), track["lat"].to_numpy())
    inside = track.join(members, left_on="_row", right_on="row", how="inner")
    if inside.is_empty():
        return empty_frame(EVENTS)
    stays = _stays(inside, config).filter(pl.col("n_positions") >= config.min_points)
    names = context.sites.select("site_id", pl.col("name").alias("site_name"))
    stays = stays.join(names, on="site_id", how="left").join(watched, on="vessel_id", how="left")
    return finish_events(
        stays.with_columns(_confidence().alias("confidence")),
        event_type=EventType.SITE_PRESENCE,
        rule=RULE,
        config=config,
        attributes=[
            "entry_id",
            "matched_on",
            "site_name",
            "n_positions",
            "entry_observed",
            "exit_observed",
            "open_at_start",
            "open_at_end",
            "entry_gap_h",
            "exit_gap_h",
        ],
        evidence=["before", "first_inside", "last_inside", "after"],
    ).sort("vessel_id", "start_ts", "site_id")


def watched_vessels(points: pl.DataFrame, context: DetectionContext) -> pl.DataFrame:
    """``vessel_id, entry_id, matched_on`` of every vessel in ``points`` on the watchlist
    (one entry per vessel: the first by entry id when several match)."""
    schema = {"vessel_id": pl.String, "entry_id": pl.String, "matched_on": pl.String}
    if context.watchlist.is_empty():
        return pl.DataFrame(schema=schema)
    by_statics = match_watchlist(context.watchlist, context.statics).select(list(schema))
    listed = context.watchlist.select("entry_id", "mmsi").explode("mmsi").drop_nulls("mmsi")
    by_mmsi = (
        points.select("vessel_id", pl.col("mmsi").cast(pl.UInt32))
        .unique()
        .join(listed.with_columns(pl.col("mmsi").cast(pl.UInt32)), on="mmsi", how="inner")
        .select("vessel_id", "entry_id", pl.lit("mmsi").alias("matched_on"))
    )
    both = pl.concat([by_mmsi, by_statics]).cast(schema)  # type: ignore[arg-type]
    return (
        both.group_by("vessel_id", "entry_id")
        .agg(pl.col("matched_on").str.split(",").explode().unique().sort().str.join(","))
        .sort("vessel_id", "entry_id")
        .unique("vessel_id", keep="first", maintain_order=True)
    )


def _point(prefix: str = "") -> pl.Expr:
    """A position as a struct {ts, lon, lat} from columns named ``<prefix>ts`` etc."""
    return pl.struct(
        pl.col(f"{prefix}ts").alias("ts"),
        pl.col(f"{prefix}lon").alias("lon"),
        pl.col(f"{prefix}lat").alias("lat"),
    )


def _watched_track(points: pl.DataFrame, watched: pl.DataFrame) -> pl.DataFrame:
    """The watched vessels' located, non-noise positions in time order, each with the
    positions before and after it (same vessel) and a row number."""
    located = points.filter(
        pl.col("vessel_id").is_in(watched["vessel_id"].implode())
        & pl.col("lon").is_not_null()
        & pl.col("lat").is_not_null()
        & ~pl.col("noise").fill_null(False)
    ).sort("vessel_id", "ts")
    neighbour = [
        pl.col(c).shift(s).over("vessel_id").alias(f"{name}_{c}")
        for c in ("ts", "lon", "lat")
        for name, s in (("prev", 1), ("next", -1))
    ]
    return (
        located.select("vessel_id", "mmsi", "seg_id", "ts", "lon", "lat", *neighbour)
        .with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64))
    )


def _stays(inside: pl.DataFrame, config: SitePresenceConfig) -> pl.DataFrame:
    """Runs of positions inside each site, split where consecutive ones are too far apart."""
    gap = pl.duration(microseconds=round(config.max_gap_h * US_PER_H))
    inside = inside.sort("vessel_id", "site_id", "ts").with_columns(
        ((pl.col("ts").diff() > gap).fill_null(True))
        .cum_sum()
        .over("vessel_id", "site_id")
        .alias("_stay")
    )
    return (
        inside.group_by("vessel_id", "site_id", "_stay", maintain_order=True)
        .agg(
            pl.col("mmsi").first(),
            pl.col("seg_id").first(),
            pl.col("ts").first().alias("start_ts"),
            pl.col("ts").last().alias("end_ts"),
            pl.col("lon").median(),
            pl.col("lat").median(),
            pl.len().alias("n_positions"),
            _point().first().alias("first_inside"),
            _point().last().alias("last_inside"),
            _point("prev_").first().alias("_before"),
            _point("next_").last().alias("_after"),
        )
        .with_columns(
            pl.col("_before").struct.field("ts").is_null().alias("open_at_start"),
            pl.col("_after").struct.field("ts").is_null().alias("open_at_end"),
            hours_between(pl.col("_before").struct.field("ts"), pl.col("start_ts")).alias(
                "entry_gap_h"
            ),
            hours_between(pl.col("end_ts"), pl.col("_after").struct.field("ts")).alias(
                "exit_gap_h"
            ),
        )
        .with_columns(
            (pl.col("entry_gap_h") <= config.max_gap_h).fill_null(False).alias("entry_observed"),
            (pl.col("exit_gap_h") <= config.max_gap_h).fill_null(False).alias("exit_observed"),
            # Evidence keeps the outside positions only when they are null-free.
            pl.when(pl.col("open_at_start"))
            .then(None)
            .otherwise(pl.col("_before"))
            .alias("before"),
            pl.when(pl.col("open_at_end")).then(None).otherwise(pl.col("_after")).alias("after"),
        )
        .drop("_stay", "_before", "_after")
    )


def _confidence() -> pl.Expr:
    """4: entry and exit seen, 3 positions or more; 3: one edge seen; 2: several positions but
    neither edge seen; 1: a single position."""
    edges = pl.col("entry_observed").cast(pl.Int8) + pl.col("exit_observed").cast(pl.Int8)
    return (
        pl.when((edges == 2) & (pl.col("n_positions") >= 3))
        .then(4)
        .when(edges >= 1)
        .then(3)
        .when(pl.col("n_positions") >= 2)
        .then(2)
        .otherwise(1)
        .cast(pl.Int8)
    )
