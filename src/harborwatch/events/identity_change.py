"""Identity changes: an MMSI's name, call sign, IMO or ship type changing, or one MMSI seen as
two vessels at once.

Field changes (``kind`` ``name``, ``callsign``, ``imo``, ``ship_type``) come from the statics in
``context.statics``: per vessel and field, in time order, blanks and nulls (and ship type 0, "not
available") are dropped and each value is compared with the previous one after normalising text
(upper case, ``@`` padding dropped, spacing ignored). One event per change, at the first report
of the new value, with ``old``, ``new`` and ``old_last_ts`` (the old value's last report) and the
vessel's nearest position in time.

``kind=simultaneous``: positions no single ship could link. Either two consecutive positions
at least ``simultaneous_distance_m`` apart within ``simultaneous_window_min``, or the segmenter
keeping two segments of the vessel alive at overlapping times (it attributes the positions to two
transmitters). Such conflicts less than ``simultaneous_merge_gap_h`` apart form one episode.
Noise points are not read: an excursion the segmenter set aside is a spoofing teleport.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from harborwatch.config import IdentityConfig
from harborwatch.events.base import (
    US_PER_H,
    DetectionContext,
    EventType,
    finish_events,
    hours_between,
)
from harborwatch.events.spoofing import (
    same_vessel_as_previous,
    valid_positions,
)
from harborwatch.geo.distance import haversine_m_expr

_POSITION_COLUMNS = ("vessel_id", "mmsi", "ts", "lon", "lat", "seg_id", "noise")
"""The columns position-based rules read: selected first, so filtering copies only these."""
_EVIDENCE_MAX = 20
"""Far pairs and overlapping segments kept in one episode's evidence."""


def normalised_text(column: str) -> pl.Expr:
    """Text as compared and shown: upper case, ``@`` padding dropped, runs of spaces as one,
    blank as null."""
    text = (
        pl.col(column)
        .cast(pl.String)
        .str.to_uppercase()
        .str.replace_all("@", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    return pl.when(text != "").then(text)


IDENTITY_FIELDS: Mapping[str, pl.Expr] = {
    "name": normalised_text("name"),
    "callsign": normalised_text("callsign"),
    "imo": pl.col("imo").cast(pl.String),
    "ship_type": pl.when(pl.col("ship_type") != 0).then(pl.col("ship_type").cast(pl.String)),
}
"""Identity fields and their normalised text (ship type 0 means "not available")."""


def detect_identity_changes(
    points: pl.DataFrame,
    context: DetectionContext,
    config: IdentityConfig = IdentityConfig(),
) -> pl.DataFrame:
    """Field changes of the vessels in ``points`` (from ``context.statics``) and their
    simultaneous-position episodes."""
    statics = context.statics.join(points.select("vessel_id").unique(), on="vessel_id", how="semi")
    changes = nearest_positions(value_changes(statics, IDENTITY_FIELDS), points)
    fields = finish_events(
        changes.with_columns(pl.col("field").alias("kind"), pl.lit(2, pl.Int8).alias("confidence")),
        event_type=EventType.IDENTITY_CHANGE,
        rule="a normalised identity field reported with a new non-blank value",
        config=config,
        attributes=["kind", "field", "old", "new", "old_last_ts"],
        id_keys=["field", "new"],
    )
    return pl.concat([fields, _simultaneous(points, config)])


def value_changes(statics: pl.DataFrame, fields: Mapping[str, pl.Expr]) -> pl.DataFrame:
    """Each change of a field's value per vessel: ``vessel_id, mmsi, field, start_ts, old, new,
    old_last_ts``. ``fields`` maps a field name to its value as text (null when unknown); values
    are compared with spaces removed, so ``PORT SAID`` equals ``PORTSAID``."""
    long = pl.concat(
        [
            statics.select(
                "vessel_id", "mmsi", "ts", pl.lit(name).alias("field"), value.alias("value")
            )
            for name, value in fields.items()
        ]
    ).filter(pl.col("value").is_not_null())
    key = pl.col("value").str.replace_all(" ", "")
    same_series = (pl.col("vessel_id") == pl.col("vessel_id").shift(1)) & (
        pl.col("field") == pl.col("field").shift(1)
    )
    long = long.sort("vessel_id", "field", "ts", "value").with_columns(
        (same_series & (key != key.shift(1))).fill_null(False).alias("_change"),
        pl.col("value").shift(1).alias("old"),
        pl.col("ts").shift(1).alias("old_last_ts"),
    )
    return long.filter("_change").select(
        "vessel_id",
        "mmsi",
        "field",
        pl.col("ts").alias("start_ts"),
        "old",
        pl.col("value").alias("new"),
        "old_last_ts",
    )


def nearest_positions(rows: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (``vessel_id``, ``start_ts``) with ``lon``, ``lat`` and ``seg_id`` of the
    vessel's position nearest in time (noise and missing positions skipped)."""
    track = (
        valid_positions(points.select(_POSITION_COLUMNS))
        .filter(~pl.col("noise"))
        .select("vessel_id", pl.col("ts").alias("start_ts"), "lon", "lat", "seg_id")
    )
    return rows.sort("vessel_id", "start_ts").join_asof(
        track,
        on="start_ts",
        by="vessel_id",
        strategy="nearest",
        check_sortedness=False,  # both sorted by vessel_id, then time
    )


def _simultaneous(points: pl.DataFrame, config: IdentityConfig) -> pl.DataFrame:
    """Episodes of one vessel id reported in two places no single ship could link."""
    clean = valid_positions(points.select(_POSITION_COLUMNS)).filter(~pl.col("noise"))
    conflicts = pl.concat([_far_pairs(clean, config), _overlaps(clean)], how="diagonal_relaxed")
    rows = (
        _label_episodes(conflicts, config)
        .group_by("_episode", maintain_order=True)
        .agg(
            pl.col("vessel_id").first(),
            pl.col("mmsi").first(),
            pl.col("start_ts").min(),
            pl.col("end_ts").max(),
            pl.col("n_far_pairs").sum(),
            pl.col("n_overlaps").sum(),
            pl.col("max_distance_m").max().round(0),
            pl.col("lon").first(),
            pl.col("lat").first(),
            pl.col("far_pair").drop_nulls().head(_EVIDENCE_MAX).alias("far_pairs"),
            pl.col("segment").drop_nulls().head(_EVIDENCE_MAX).alias("segments"),
        )
    )
    confidence = (
        1
        + (pl.col("n_far_pairs") >= 2).cast(pl.Int8)
        + (pl.col("n_far_pairs") >= 10).cast(pl.Int8)
        + (pl.col("n_overlaps") >= 1).cast(pl.Int8)
    )
    return finish_events(
        rows.with_columns(pl.lit("simultaneous").alias("kind"), confidence.alias("confidence")),
        event_type=EventType.IDENTITY_CHANGE,
        rule="consecutive positions at least simultaneous_distance_m apart within "
        "simultaneous_window_min, or two segments of the vessel alive at overlapping times",
        config=config,
        attributes=["kind", "n_far_pairs", "n_overlaps", "max_distance_m"],
        evidence=["far_pairs", "segments"],
        id_keys=["kind"],
    )


def _far_pairs(clean: pl.DataFrame, config: IdentityConfig) -> pl.DataFrame:
    """Consecutive positions too far apart for the time between them: one conflict each."""
    prev_lon, prev_lat, prev_ts = (pl.col(name).shift(1) for name in ("lon", "lat", "ts"))
    distance = haversine_m_expr(prev_lon, prev_lat, pl.col("lon"), pl.col("lat"))
    far = (
        same_vessel_as_previous()
        & (hours_between(prev_ts, pl.col("ts")) * 60 <= config.simultaneous_window_min)
        & (distance >= config.simultaneous_distance_m)
    ).fill_null(False)
    pair = pl.struct(
        prev_ts.alias("ts"),
        prev_lon.alias("lon"),
        prev_lat.alias("lat"),
        pl.col("ts").alias("other_ts"),
        pl.col("lon").alias("other_lon"),
        pl.col("lat").alias("other_lat"),
    )
    return (
        clean.with_columns(
            far.alias("_far"),
            prev_ts.alias("start_ts"),
            pl.col("ts").alias("end_ts"),
            distance.alias("max_distance_m"),
            pair.alias("far_pair"),
            pl.lit(1).alias("n_far_pairs"),
            pl.lit(0).alias("n_overlaps"),
        )
        .filter("_far")
        .select(*_CONFLICT_KEYS, "max_distance_m", "far_pair")
    )


def _overlaps(clean: pl.DataFrame) -> pl.DataFrame:
    """Segments that start before an earlier segment of the same vessel has ended: one conflict
    each, spanning the overlap."""
    spans = (
        clean.filter(pl.col("seg_id").is_not_null())
        .group_by("vessel_id", "seg_id")
        .agg(
            pl.col("mmsi").first(),
            pl.col("ts").min().alias("start_ts"),
            pl.col("ts").max().alias("_last"),
            pl.col("lon").first(),
            pl.col("lat").first(),
            pl.len().alias("n_positions"),
        )
        .sort("vessel_id", "start_ts", "seg_id")
    )
    open_until = pl.col("_last").cum_max().shift(1).over("vessel_id")
    segment = pl.struct("seg_id", "start_ts", pl.col("_last").alias("end_ts"), "n_positions")
    return (
        spans.with_columns(open_until.alias("_open_until"))
        .filter(pl.col("start_ts") < pl.col("_open_until"))
        .with_columns(
            pl.min_horizontal("_last", "_open_until").alias("end_ts"),
            segment.alias("segment"),
            pl.lit(0).alias("n_far_pairs"),
            pl.lit(1).alias("n_overlaps"),
        )
        .select(*_CONFLICT_KEYS, "segment")
    )


_CONFLICT_KEYS = (
    "vessel_id",
    "mmsi",
    "start_ts",
    "end_ts",
    "lon",
    "lat",
    "n_far_pairs",
    "n_overlaps",
)


def _label_episodes(conflicts: pl.DataFrame, config: IdentityConfig) -> pl.DataFrame:
    """Conflicts labelled ``_episode``: per vessel, in time order, a conflict starting more than
    ``simultaneous_merge_gap_h`` after every earlier one has ended starts a new episode."""
    merge_gap = pl.duration(microseconds=round(config.simultaneous_merge_gap_h * US_PER_H))
    reach = (pl.col("end_ts").cum_max().shift(1) + merge_gap).over("vessel_id")
    new = (pl.col("start_ts") > reach).fill_null(True)
    return (
        conflicts.sort("vessel_id", "start_ts", "end_ts")
        .with_columns(new.alias("_new"))
        .with_columns(pl.col("_new").cum_sum().alias("_episode"))
    )
