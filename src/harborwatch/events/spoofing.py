"""Spoofing: positions no honest transmitter reports, one event per episode, four kinds.

- ``teleport``: consecutive positions of one transmitter further apart than any ship could sail
  in the time between them. Points are read raw, per ``vessel_id`` in time order, noise included
  when the segmenter set it aside as ``impossible_jump`` (other noise, such as sentinel speeds,
  says nothing about the position). A jump between two *different* segments that overlap in time
  is the segmenter attributing the positions to two transmitters sharing the MMSI: that is an
  ``identity_change`` of kind ``simultaneous``, not a teleport. Every other impossible jump is:
  inside one segment, to or from a noise point, or to a segment that starts after the previous
  one ended (a one-way jump the segmenter could not attribute). Consecutive jumps form one
  episode, so a point that jumps out and back is one event with both jumps.
- ``on_land``: runs of consecutive positions on land further than ``min_land_distance_from_port_m``
  from any port (a port's quays and the harbour behind them count as land in coarse polygons).
- ``same_spot``: at least ``same_spot_min_vessels`` vessels reporting one spot (cells of
  ``same_spot_radius_m``, time bins of ``same_spot_window_min``, on four grids offset by half a
  cell and/or half a bin so that a cluster across a cell or bin edge is still found). Unlike the
  other kinds this needs every vessel near the spot in the same call: partition by place and
  time, like encounters.
- ``circling``: the course turning through ``circle_min_turns`` full circles within
  ``circle_min_duration_h`` (rolling sum of the signed course change), counted only while the
  vessel makes way: at anchor or adrift the course is noise.

Each event has ``kind`` and kind-specific fields in ``attributes``, the offending positions (at
most :data:`EVIDENCE_MAX_POINTS`) in ``evidence.points`` and a rule-specific confidence 1-4.
"""

from __future__ import annotations

import math

import polars as pl

from harborwatch.config import NM_M, SpoofingConfig
from harborwatch.events.base import DetectionContext, EventType, finish_events
from harborwatch.geo.distance import EARTH_RADIUS_M, haversine_m_expr

METRES_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180.0
"""Length of one degree of latitude on the mean sphere."""

EVIDENCE_MAX_POINTS = 50
"""Positions kept in one event's evidence; ``n_points`` in the attributes counts them all."""

_US_PER_H = 3.6e9


def hours_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """``end - start`` in hours (float)."""
    return (end - start).dt.total_microseconds() / _US_PER_H


def valid_positions(points: pl.DataFrame) -> pl.DataFrame:
    """Points with a position inside the WGS 84 range (91/181 mean "not available"), with
    ``noise`` null read as false."""
    return points.filter(
        pl.col("lon").is_between(-180.0, 180.0) & pl.col("lat").is_between(-90.0, 90.0)
    ).with_columns(pl.col("noise").fill_null(False))


def same_vessel_as_previous() -> pl.Expr:
    """True where the row continues the previous row's vessel (frames sorted by vessel, time)."""
    return (pl.col("vessel_id") == pl.col("vessel_id").shift(1)).fill_null(False)


def detect_spoofing(
    points: pl.DataFrame,
    context: DetectionContext,
    config: SpoofingConfig = SpoofingConfig(),
) -> pl.DataFrame:
    """Spoofing events of all four kinds found in ``points`` (TRACK_POINTS, sorted by
    ``vessel_id, ts``); ``context`` is not read."""
    valid = valid_positions(points)
    return pl.concat(
        [
            _teleports(valid, config),
            _on_land(valid, config),
            _same_spot(valid, config),
            _circling(valid, config),
        ]
    )


def _episodes(frame: pl.DataFrame, member: pl.Expr, linked: pl.Expr) -> pl.DataFrame:
    """Rows where ``member`` holds, labelled ``_episode``: a new episode starts at each member
    row that is not ``linked`` to the previous row."""
    return (
        frame.with_columns(member.alias("_member"), linked.alias("_linked"))
        .with_columns((pl.col("_member") & ~pl.col("_linked")).cum_sum().alias("_episode"))
        .filter(pl.col("_member"))
    )


def _common_aggs(evidence: list[str]) -> list[pl.Expr]:
    """Fields every spoofing episode carries: vessel, time span, positions as evidence."""
    return [
        pl.col("vessel_id").first(),
        pl.col("mmsi").first(),
        pl.col("seg_id").drop_nulls().first(),
        pl.col("ts").min().alias("start_ts"),
        pl.col("ts").max().alias("end_ts"),
        pl.len().alias("n_points"),
        pl.struct(["ts", "lon", "lat", *evidence]).head(EVIDENCE_MAX_POINTS).alias("points"),
    ]


def _finish(
    rows: pl.DataFrame, kind: str, rule: str, config: SpoofingConfig, attributes: list[str]
) -> pl.DataFrame:
    return finish_events(
        rows.with_columns(pl.lit(kind).alias("kind")),
        event_type=EventType.SPOOFING,
        rule=rule,
        config=config,
        attributes=["kind", "n_points", *attributes],
        evidence=["points"],
        id_keys=["kind"],
    )


def _teleports(valid: pl.DataFrame, config: SpoofingConfig) -> pl.DataFrame:
    """Impossible jumps between consecutive raw positions that no segment switch explains."""
    raw = valid.filter(~pl.col("noise") | (pl.col("noise_reason") == "impossible_jump"))
    prev = {name: pl.col(name).shift(1) for name in ("ts", "lon", "lat", "seg_id", "noise")}
    pairs = raw.with_columns(
        same_vessel_as_previous().alias("_same"),
        haversine_m_expr(prev["lon"], prev["lat"], pl.col("lon"), pl.col("lat")).alias("jump_m"),
        hours_between(prev["ts"], pl.col("ts")).alias("_dt_h"),
        prev["seg_id"].alias("_prev_seg"),
        prev["noise"].alias("_prev_noise"),
    )
    pairs = _join_span(_join_span(pairs, "seg_id", ""), "_prev_seg", "_prev")
    speed = pl.col("jump_m") / NM_M / pl.col("_dt_h")
    switch = (
        (pl.col("_prev_seg") != pl.col("seg_id"))
        & ~pl.col("noise")
        & ~pl.col("_prev_noise")
        & (pl.col("_first") < pl.col("_prev_last"))
        & (pl.col("_prev_first") < pl.col("_last"))
    ).fill_null(False)
    pairs = pairs.with_columns(
        pl.when(pl.col("_dt_h") > 0).then(speed).otherwise(float("inf")).alias("jump_knots")
    ).with_columns(
        (
            pl.col("_same")
            & (pl.col("jump_knots") > config.teleport_speed_knots)
            & (pl.col("jump_m") >= config.teleport_min_distance_m)
            & ~switch
        ).alias("_jump")
    )
    jump_out = pl.col("_jump").shift(-1).fill_null(False)
    episodes = _episodes(pairs, pl.col("_jump") | jump_out, pl.col("_jump"))
    jump_speed = pl.col("jump_knots").filter(pl.col("_jump"))
    rows = episodes.group_by("_episode", maintain_order=True).agg(
        *_common_aggs(["jump_knots"]),
        pl.col("_jump").sum().alias("n_jumps"),
        jump_speed.max().alias("max_implied_speed_knots"),
        pl.col("jump_m").filter(pl.col("_jump")).max().alias("max_jump_m"),
        pl.col("lon").get(1).alias("lon"),
        pl.col("lat").get(1).alias("lat"),
    )
    ratio = pl.col("max_implied_speed_knots") / config.teleport_speed_knots
    rows = rows.with_columns(
        (
            1
            + (ratio >= 2).cast(pl.Int8)
            + (ratio >= 10).cast(pl.Int8)
            + (pl.col("n_jumps") >= 2).cast(pl.Int8)
        ).alias("confidence"),
        pl.col("max_implied_speed_knots").cast(pl.Float64).round(1),
        pl.col("max_jump_m").round(0),
    )
    return _finish(
        rows,
        "teleport",
        "implied speed between consecutive positions of one transmitter above "
        "teleport_speed_knots over at least teleport_min_distance_m",
        config,
        ["n_jumps", "max_implied_speed_knots", "max_jump_m"],
    )


def _join_span(pairs: pl.DataFrame, seg_column: str, prefix: str) -> pl.DataFrame:
    """Attach the time span of the segment named in ``seg_column`` as ``<prefix>_first/_last``."""
    spans = (
        pairs.filter(~pl.col("noise") & pl.col("seg_id").is_not_null())
        .group_by("vessel_id", "seg_id")
        .agg(
            pl.col("ts").min().alias(f"{prefix}_first"),
            pl.col("ts").max().alias(f"{prefix}_last"),
        )
        .rename({"seg_id": seg_column})
    )
    return pairs.join(spans, on=["vessel_id", seg_column], how="left", maintain_order="left")


def _on_land(valid: pl.DataFrame, config: SpoofingConfig) -> pl.DataFrame:
    """Runs of consecutive positions on land and away from every port."""
    inland = pl.col("on_land").fill_null(False) & (
        pl.col("port_distance_m").fill_null(float("inf")) > config.min_land_distance_from_port_m
    )
    flagged = valid.with_columns(inland.alias("_inland"))
    linked = pl.col("_inland") & pl.col("_inland").shift(1).fill_null(False)
    episodes = _episodes(flagged, pl.col("_inland"), linked & same_vessel_as_previous())
    rows = episodes.group_by("_episode", maintain_order=True).agg(
        *_common_aggs(["port_distance_m"]),
        pl.col("port_distance_m").min().alias("min_port_distance_m"),
        pl.col("lon").first(),
        pl.col("lat").first(),
    )
    rows = rows.with_columns(
        (
            1
            + (pl.col("n_points") >= 2).cast(pl.Int8)
            + (pl.col("n_points") >= 5).cast(pl.Int8)
            + (pl.col("n_points") >= 20).cast(pl.Int8)
        ).alias("confidence"),
        pl.col("min_port_distance_m").round(0),
    )
    return _finish(
        rows,
        "on_land",
        "consecutive positions on land further than min_land_distance_from_port_m from any port",
        config,
        ["min_port_distance_m"],
    )


def _spot_keys(
    frame: pl.DataFrame, config: SpoofingConfig, offset: float, time_offset: float
) -> pl.DataFrame:
    """Grid cell (``_x``, ``_y``) and time bin (``_t``) of each point, on a grid shifted by
    ``offset`` cells and ``time_offset`` bins. Cells are ``radius / sqrt(2)`` wide, so two points
    of one cell are at most ``same_spot_radius_m`` apart."""
    cell_m = config.same_spot_radius_m / math.sqrt(2.0)
    bin_us = config.same_spot_window_min * 60e6
    y = (pl.col("lat") * METRES_PER_DEG_LAT / cell_m + offset).floor()
    row_cos = ((y - offset + 0.5) * cell_m / METRES_PER_DEG_LAT).radians().cos().clip(1e-6)
    x = (pl.col("lon") * METRES_PER_DEG_LAT * row_cos / cell_m + offset).floor()
    t = (pl.col("ts").dt.epoch("us") / bin_us + time_offset).floor()
    return frame.with_columns(
        x.cast(pl.Int64).alias("_x"), y.cast(pl.Int64).alias("_y"), t.cast(pl.Int64).alias("_t")
    )


def _spot_vessels(
    valid: pl.DataFrame, config: SpoofingConfig, offset: float, time_offset: float
) -> pl.DataFrame:
    """Per point (``_row``), the vessels sharing its cell and time bin when they are at least
    ``same_spot_min_vessels``."""
    keyed = _spot_keys(valid, config, offset, time_offset)
    keys = ["_x", "_y", "_t"]
    crowded = (
        keyed.group_by(keys)
        .agg(pl.col("vessel_id").n_unique().alias("_n"))
        .filter(pl.col("_n") >= config.same_spot_min_vessels)
        .drop("_n")
    )
    members = keyed.join(crowded, on=keys, how="inner")
    vessels = members.group_by(keys).agg(pl.col("vessel_id").unique().alias("_vessels"))
    return members.join(vessels, on=keys).select("_row", "_vessels")


def _same_spot(valid: pl.DataFrame, config: SpoofingConfig) -> pl.DataFrame:
    """Vessels reporting one spot together with at least ``same_spot_min_vessels - 1`` others."""
    indexed = valid.with_row_index("_row")
    hits = (
        pl.concat(
            [
                _spot_vessels(indexed, config, offset, time_offset)
                for offset in (0.0, 0.5)
                for time_offset in (0.0, 0.5)
            ]
        )
        .group_by("_row")
        .agg(pl.col("_vessels").list.explode(keep_nulls=False, empty_as_null=False).unique())
    )
    flagged = indexed.join(hits, on="_row", how="left", maintain_order="left")
    crowd = pl.col("_vessels").is_not_null()
    linked = crowd & crowd.shift(1).fill_null(False) & same_vessel_as_previous()
    episodes = _episodes(flagged, crowd, linked)
    rows = episodes.group_by("_episode", maintain_order=True).agg(
        *_common_aggs([]),
        pl.col("_vessels")
        .list.explode(keep_nulls=False, empty_as_null=False)
        .unique()
        .sort()
        .alias("_crowd"),
        pl.col("port_distance_m").median().alias("_port_distance_m"),
        pl.col("lon").mean(),
        pl.col("lat").mean(),
    )
    others = pl.col("_crowd").list.set_difference(pl.concat_list(pl.col("vessel_id")))
    rows = rows.with_columns(
        pl.col("_crowd").list.len().alias("n_vessels"),
        others.list.sort().list.head(EVIDENCE_MAX_POINTS).alias("other_vessel_ids"),
    ).with_columns(
        (
            2
            + (pl.col("n_vessels") >= 2 * config.same_spot_min_vessels).cast(pl.Int8)
            + (
                pl.col("_port_distance_m").fill_null(float("inf"))
                > config.min_land_distance_from_port_m
            ).cast(pl.Int8)
        ).alias("confidence")
    )
    return _finish(
        rows,
        "same_spot",
        "at least same_spot_min_vessels vessels within same_spot_radius_m of one spot in one "
        "same_spot_window_min time bin (four grids offset by half a cell and/or half a bin)",
        config,
        ["n_vessels", "other_vessel_ids"],
    )


def _bearing_deg(lon1: pl.Expr, lat1: pl.Expr, lon2: pl.Expr, lat2: pl.Expr) -> pl.Expr:
    """Initial great-circle bearing from the first position to the second, 0-360 degrees."""
    phi1, phi2 = lat1.radians(), lat2.radians()
    dlam = (lon2 - lon1).radians()
    y = dlam.sin() * phi2.cos()
    x = phi1.cos() * phi2.sin() - phi1.sin() * phi2.cos() * dlam.cos()
    return pl.arctan2(y, x).degrees() % 360.0


def _circling(valid: pl.DataFrame, config: SpoofingConfig) -> pl.DataFrame:
    """Tracks whose course turns through ``circle_min_turns`` circles within the window."""
    window = f"{round(config.circle_min_duration_h * _US_PER_H)}us"
    moving = valid.filter(
        ~pl.col("noise") & (pl.col("speed_knots") >= config.circle_min_speed_knots)
    )
    derived = _bearing_deg(
        pl.col("lon").shift(1), pl.col("lat").shift(1), pl.col("lon"), pl.col("lat")
    )
    course = (
        pl.col("course_deg")
        .cast(pl.Float64)
        .fill_null(pl.when(same_vessel_as_previous()).then(derived))
    )
    moving = moving.with_columns(course.alias("_course"))
    change = (pl.col("_course") - pl.col("_course").shift(1) + 180.0) % 360.0 - 180.0
    linked = same_vessel_as_previous() & (
        hours_between(pl.col("ts").shift(1), pl.col("ts")) <= config.circle_min_duration_h
    )
    moving = moving.with_columns(
        pl.when(linked).then(change).otherwise(0.0).fill_null(0.0).alias("turn_deg")
    ).with_columns(
        pl.col("turn_deg").rolling_sum_by("ts", window).over("vessel_id").alias("_turned"),
        pl.col("ts").rolling_min_by("ts", window).over("vessel_id").alias("_window_start"),
    )
    circled = pl.col("_turned").abs() >= 360.0 * config.circle_min_turns
    ends = moving.filter(circled).select(
        "vessel_id", pl.col("ts").alias("_end"), pl.col("_window_start").alias("_circle_start")
    )
    # The nearest circling window ending at or after a point has the earliest start of all
    # such windows (starts grow with ends), so it alone says whether the point is inside one.
    inside = moving.join_asof(
        ends,
        left_on="ts",
        right_on="_end",
        by="vessel_id",
        strategy="forward",
        check_sortedness=False,  # both sides sorted by vessel_id, ts
    ).with_columns((pl.col("_circle_start") <= pl.col("ts")).fill_null(False).alias("_inside"))
    linked_inside = pl.col("_inside") & pl.col("_inside").shift(1).fill_null(False)
    episodes = _episodes(inside, pl.col("_inside"), linked_inside & same_vessel_as_previous())
    rows = episodes.group_by("_episode", maintain_order=True).agg(
        *_common_aggs(["turn_deg"]),
        (pl.col("_turned").get(pl.col("_turned").abs().arg_max()) / 360.0).alias("_turns"),
        pl.col("lon").mean(),
        pl.col("lat").mean(),
        pl.struct(pl.col("lon").alias("_track_lon"), pl.col("lat").alias("_track_lat")).alias(
            "_track"
        ),
    )
    radius = (
        rows.select("_episode", "lon", "lat", "_track")
        .explode("_track")
        .unnest("_track")
        .group_by("_episode")
        .agg(
            haversine_m_expr(
                pl.col("lon"), pl.col("lat"), pl.col("_track_lon"), pl.col("_track_lat")
            )
            .mean()
            .alias("radius_m")
        )
    )
    rows = rows.join(radius, on="_episode", how="left", maintain_order="left").with_columns(
        pl.col("_turns").abs().round(2).alias("turns_in_window"),
        pl.when(pl.col("_turns") > 0)
        .then(pl.lit("clockwise"))
        .otherwise(pl.lit("counterclockwise"))
        .alias("direction"),
        pl.col("radius_m").round(0),
        (2 + (pl.col("_turns").abs() >= 2 * config.circle_min_turns).cast(pl.Int8)).alias(
            "confidence"
        ),
    )
    return _finish(
        rows,
        "circling",
        "course turning through circle_min_turns full circles within circle_min_duration_h "
        "while making at least circle_min_speed_knots",
        config,
        ["turns_in_window", "direction", "radius_m"],
    )
