"""Data coverage: when each source was recording at all, so silence can be told from no data.

A vessel unheard for a day is an AIS gap only if the receivers that heard it kept recording
through that day. A store can hold a five-minute Danish sample from 2013 beside a week of
Santa Barbara exports from 2018; the years between are a hole in the data, not a vessel going dark.
Coverage is measured per ``source`` (the reader: nmea, sbarc, suez, ...): the time span of each
ingested file, and spans of one source that overlap or lie closer than ``min_hole_h`` merged into
one window.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from harborwatch.events.base import empty_frame, epoch_us
from harborwatch.schemas import COVERAGE

_US_PER_H = 3_600_000_000


def file_spans(positions: pl.DataFrame) -> pl.DataFrame:
    """The time span of each (source, file) in ``positions``: columns source, start_ts, end_ts."""
    return positions.group_by(_source(), "file_id").agg(
        pl.col("ts").min().alias("start_ts"), pl.col("ts").max().alias("end_ts")
    )


def merge_spans(spans: pl.DataFrame, min_hole_h: float) -> pl.DataFrame:
    """Coverage windows (:data:`~harborwatch.schemas.COVERAGE`) from spans of source, start_ts,
    end_ts: spans of one source closer than ``min_hole_h`` are joined."""
    if spans.height == 0:
        return empty_frame(COVERAGE)
    hole = pl.duration(microseconds=round(min_hole_h * _US_PER_H))
    ordered = spans.select(_source(), "start_ts", "end_ts").sort("source", "start_ts")
    reach = pl.col("end_ts").cum_max().over("source")
    new_window = (pl.col("start_ts") > reach.shift(1).over("source") + hole).fill_null(True)
    return (
        ordered.with_columns(
            (new_window | (pl.col("source") != pl.col("source").shift(1)).fill_null(True))
            .cum_sum()
            .alias("window")
        )
        .group_by("window")
        .agg(pl.col("source").first(), pl.col("start_ts").min(), pl.col("end_ts").max())
        .drop("window")
        .sort("source", "start_ts")
        .cast(empty_frame(COVERAGE).schema)
    )


def coverage_windows(positions: pl.DataFrame, min_hole_h: float) -> pl.DataFrame:
    """Coverage windows of the sources in ``positions`` (see the module docstring)."""
    return merge_spans(file_spans(positions), min_hole_h)


def window_bounds(
    coverage: pl.DataFrame, source: pl.Series, ts: pl.Series
) -> tuple[np.ndarray, np.ndarray]:
    """For each (source, ts), the start and end (µs since the epoch) of the coverage window
    holding it; where none does, the point's own time for both."""
    points = pl.DataFrame({"source": _labels(source), "ts": ts}).with_row_index("row")
    windows = coverage.select(_source(), "start_ts", "end_ts").sort("source", "start_ts")
    found = (
        points.sort("source", "ts")
        .join_asof(
            windows,
            left_on="ts",
            right_on="start_ts",
            by="source",
            strategy="backward",
            check_sortedness=False,  # both sides sorted by source, then time, just above
        )
        .with_columns(
            pl.when(pl.col("end_ts") >= pl.col("ts"))
            .then(pl.struct("start_ts", "end_ts"))
            .otherwise(pl.struct(pl.col("ts").alias("start_ts"), pl.col("ts").alias("end_ts")))
            .struct.unnest()
        )
        .sort("row")
    )
    return epoch_us(found["start_ts"]), epoch_us(found["end_ts"])


def _source() -> pl.Expr:
    return pl.col("source").cast(pl.String).fill_null("")


def _labels(source: pl.Series) -> pl.Series:
    return source.cast(pl.String).fill_null("").alias("source")
