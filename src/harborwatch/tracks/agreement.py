"""Agreement of two segmentations of the same messages: pairwise same-segment precision/recall.

A pair of messages counts as "together" in a segmentation when both have the same segment id. With
``expected`` the reference (GFW's segmenter) and ``actual`` ours: precision is the share of the
pairs we put together that the reference also puts together, recall the share of the reference's
pairs we also put together. A null id (noise, or a message the segmenter set aside) is a segment
of its own: it pairs with nothing. Pairs are counted from a contingency table (one count per
distinct id, and per distinct pair of ids), never by enumerating pairs.
"""

from __future__ import annotations

import numpy as np
import polars as pl

PAIR_COLUMNS = ("pairs_expected", "pairs_actual", "pairs_both")


def segmentation_agreement(
    expected: pl.Series | np.ndarray, actual: pl.Series | np.ndarray
) -> tuple[float, float]:
    """``(precision, recall)`` of ``actual`` against ``expected`` over messages of one vessel.

    Both hold one segment id per message (any hashable values; null/None is a singleton). With no
    pair on a side, the ratio over it is 1.0 (nothing to get wrong).
    """
    frame = pl.DataFrame(
        {"expected": _as_series(expected), "actual": _as_series(actual)}, strict=False
    )
    counts = _pair_counts(frame.with_columns(vessel_id=pl.lit("")), "vessel_id")
    row = counts.row(0, named=True) if counts.height else dict.fromkeys(PAIR_COLUMNS, 0)
    return _ratio(row["pairs_both"], row["pairs_actual"]), _ratio(
        row["pairs_both"], row["pairs_expected"]
    )


def agreement_by_vessel(
    frame: pl.DataFrame,
    expected: str = "expected",
    actual: str = "seg_id",
    by: str = "vessel_id",
) -> pl.DataFrame:
    """Per vessel: ``n_messages``, the pair counts, ``precision`` and ``recall``, sorted by vessel.

    ``frame`` holds one row per message with the columns ``by``, ``expected`` and ``actual``.
    """
    counts = _pair_counts(frame.select(by, expected=expected, actual=actual), by)
    return counts.with_columns(
        precision=_ratio_expr("pairs_both", "pairs_actual"),
        recall=_ratio_expr("pairs_both", "pairs_expected"),
    ).sort(by)


def overall_agreement(per_vessel: pl.DataFrame) -> tuple[float, float]:
    """``(precision, recall)`` over all vessels of :func:`agreement_by_vessel` output: pairs are
    summed first (a pair is always within one vessel), so big vessels weigh more."""
    sums = per_vessel.select(pl.col(c).sum() for c in PAIR_COLUMNS).row(0, named=True)
    return _ratio(sums["pairs_both"], sums["pairs_actual"]), _ratio(
        sums["pairs_both"], sums["pairs_expected"]
    )


def _as_series(values: pl.Series | np.ndarray) -> pl.Series:
    return values if isinstance(values, pl.Series) else pl.Series(values)


def _pair_counts(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    """Pairs together in ``expected``, in ``actual`` and in both, per ``by``, with
    ``n_messages``. Null ids are replaced by a per-row unique key so they pair with nothing."""
    row = pl.int_range(pl.len()).cast(pl.String)
    keyed = frame.with_columns(
        pl.col("expected").cast(pl.String).fill_null("\x00" + row),
        pl.col("actual").cast(pl.String).fill_null("\x00" + row),
    )

    def pairs(*keys: str) -> pl.DataFrame:
        name = "pairs_" + ("both" if len(keys) == 2 else keys[0])
        size = pl.len().cast(pl.Int64)
        grouped = keyed.group_by(by, *keys).agg((size * (size - 1) // 2).alias(name))
        return grouped.group_by(by).agg(pl.col(name).sum())

    messages = keyed.group_by(by).agg(pl.len().cast(pl.Int64).alias("n_messages"))
    out = messages
    for keys in (("expected",), ("actual",), ("expected", "actual")):
        out = out.join(pairs(*keys), on=by, how="left")
    return out.select(by, "n_messages", *PAIR_COLUMNS)


def _ratio(numerator: int, denominator: int) -> float:
    return 1.0 if denominator == 0 else numerator / denominator


def _ratio_expr(numerator: str, denominator: str) -> pl.Expr:
    return (
        pl.when(pl.col(denominator) == 0)
        .then(1.0)
        .otherwise(pl.col(numerator) / pl.col(denominator))
    )
