"""Voyage changes: the declared destination, ETA or draught of a vessel changing in its statics.

Per vessel and field, in time order, blanks and nulls (draught 0, "not available") are dropped.
Destinations are compared as normalised text (upper case, ``@`` padding dropped, spacing
ignored), so repeats of one destination give no event and ``PORT SAID`` → ``FOR ORDERS`` gives
one. Draught and ETA are compared with the last value that counted: steps smaller than
``min_draught_change_m`` or ``min_eta_change_h`` are ignored, but small steps that add up to the
threshold do count (a sequential scan per vessel, compiled with Numba). Each event carries
``field``, ``old``, ``new`` (as text), ``old_last_ts`` (the report before), the change in
``draught_change_m`` or ``eta_change_h``, and the vessel's position nearest in time.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numba import njit

from harborwatch.config import VoyageChangeConfig
from harborwatch.events.base import DetectionContext, EventType, finish_events
from harborwatch.events.identity_change import nearest_positions, normalised_text, value_changes

_CONFIDENCE = {"destination": 3, "draught": 3, "eta": 2}
"""Destinations and draughts are typed in by the crew; ETAs are often corrected as routine."""


def detect_voyage_changes(
    points: pl.DataFrame,
    context: DetectionContext,
    config: VoyageChangeConfig = VoyageChangeConfig(),
) -> pl.DataFrame:
    """Destination, ETA and draught changes of the vessels in ``points`` (TRACK_POINTS), read
    from ``context.statics``."""
    statics = context.statics.join(points.select("vessel_id").unique(), on="vessel_id", how="semi")
    destinations = value_changes(statics, {"destination": normalised_text("destination")})
    draughts = _stepped_changes(
        statics,
        "draught",
        pl.when(pl.col("draught_m") > 0).then(pl.col("draught_m").cast(pl.Float64).round(1)),
        config.min_draught_change_m,
    ).with_columns(pl.col("_change").round(1).alias("draught_change_m"))
    etas = _stepped_changes(
        statics,
        "eta",
        pl.col("eta").dt.epoch("us") / 3.6e9,
        config.min_eta_change_h,
    ).with_columns(
        pl.col("_change").round(2).alias("eta_change_h"),
        _hours_as_iso("old"),
        _hours_as_iso("new"),
    )
    changes = pl.concat(
        [destinations, draughts.drop("_change"), etas.drop("_change")],
        how="diagonal_relaxed",
    )
    changes = nearest_positions(changes, points).with_columns(
        pl.col("field").replace_strict(_CONFIDENCE, return_dtype=pl.Int8).alias("confidence")
    )
    return finish_events(
        changes,
        event_type=EventType.VOYAGE_CHANGE,
        rule="declared destination changed (normalised), or draught/ETA moved by at least "
        "min_draught_change_m/min_eta_change_h from the last value that counted",
        config=config,
        attributes=["field", "old", "new", "old_last_ts", "draught_change_m", "eta_change_h"],
        id_keys=["field", "new"],
    )


def _hours_as_iso(column: str) -> pl.Expr:
    """Hours since the epoch (float) as ISO 8601 UTC text."""
    micros = (pl.col(column).cast(pl.Float64) * 3.6e9).round(0).cast(pl.Int64)
    return micros.cast(pl.Datetime("us", "UTC")).dt.to_string("%Y-%m-%dT%H:%M:%SZ").alias(column)


def _stepped_changes(
    statics: pl.DataFrame, field: str, value: pl.Expr, min_step: float
) -> pl.DataFrame:
    """Changes of a numeric field of at least ``min_step`` from the last value that counted:
    ``vessel_id, mmsi, field, start_ts, old, new, old_last_ts, _change``."""
    series = (
        statics.select("vessel_id", "mmsi", "ts", value.alias("new"))
        .filter(pl.col("new").is_not_null() & pl.col("new").is_not_nan())
        .sort("vessel_id", "ts", "new")
    )
    first = (pl.col("vessel_id") != pl.col("vessel_id").shift(1)).fill_null(True)
    starts = series.select(first).to_series().to_numpy()
    keep, reference = _significant_steps(starts, series["new"].to_numpy(), min_step)
    return (
        series.with_columns(
            pl.Series("old", reference),
            pl.col("ts").shift(1).alias("old_last_ts"),
            pl.lit(field).alias("field"),
        )
        .filter(pl.Series(keep))
        .select(
            "vessel_id",
            "mmsi",
            "field",
            pl.col("ts").alias("start_ts"),
            pl.col("old").cast(pl.String),
            pl.col("new").cast(pl.String),
            "old_last_ts",
            (pl.col("new") - pl.col("old")).alias("_change"),
        )
    )


@njit(cache=True)
def _significant_steps(
    starts: np.ndarray, values: np.ndarray, min_step: float
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose value moved at least ``min_step`` from the last value that counted (the
    vessel's first value, then each accepted change), and that reference value for each row."""
    keep = np.zeros(values.size, dtype=np.bool_)
    reference = np.empty(values.size, dtype=np.float64)
    current = np.nan
    for i in range(values.size):
        if starts[i]:
            current = values[i]
        reference[i] = current
        if abs(values[i] - current) >= min_step - 1e-9:
            keep[i] = True
            current = values[i]
    return keep, reference
