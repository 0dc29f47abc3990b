"""``harborwatch eval inject`` and ``eval score``: injected ground truth for the event detectors.

``inject`` reads the store's positions, writes faults into them and saves both versions with the
truth table; ``score`` runs the detectors on both in memory (nothing is written to the store) and
prints precision and recall per event type and kind.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click
import polars as pl

from harborwatch.cli import output
from harborwatch.cli.options import (
    geo_dir_option,
    parse_time,
    since_option,
    store_option,
    until_option,
)
from harborwatch.errors import InputError
from harborwatch.evaluation.inject import InjectionPlan, inject_faults, inland_test
from harborwatch.evaluation.score import recall_detail, score_events
from harborwatch.events.base import DetectionContext, EventType
from harborwatch.events.detect import DetectionConfig, build_track_points, detect_events
from harborwatch.geo.reference import Geography, load_geography
from harborwatch.store import Store, queries

SCORED_TYPES = (EventType.AIS_GAP, EventType.SPOOFING, EventType.IDENTITY_CHANGE)
"""The event types injected faults are meant to be found as."""

_FILES = ("original.parquet", "injected.parquet", "truth.parquet")


@click.group("eval")
def eval_group() -> None:
    """Injected ground truth: write known faults into real tracks and score the detectors."""


@eval_group.command("inject")
@store_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for original.parquet, injected.parquet, truth.csv/.parquet, manifest.json.",
)
@geo_dir_option
@since_option
@until_option
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--gaps",
    default="6.5,8,12,24,48",
    show_default=True,
    help="Gap lengths in hours, comma-separated, each cut from a different vessel ('' for none).",
)
@click.option("--teleports", type=click.IntRange(0), default=20, show_default=True)
@click.option(
    "--land",
    type=click.IntRange(0),
    default=10,
    show_default=True,
    help="Runs of positions moved onto land far from ports.",
)
@click.option(
    "--second-transmitters",
    type=click.IntRange(0),
    default=3,
    show_default=True,
    help="MMSIs also heard from another vessel's positions far away.",
)
def inject(
    store_dir: Path,
    out_dir: Path,
    geo_dir: Path | None,
    since: str | None,
    until: str | None,
    seed: int,
    gaps: str,
    teleports: int,
    land: int,
    second_transmitters: int,
) -> None:
    """Write faults with known answers into the stored positions, and the truth table."""
    plan = InjectionPlan(
        gap_lengths_h=_parse_hours(gaps),
        teleports=teleports,
        on_land_runs=land,
        second_transmitters=second_transmitters,
    )
    since_ts, until_ts = parse_time(since, "--since"), parse_time(until, "--until")
    con = Store(store_dir).connect()
    positions = _frame(queries.positions(con, since_ts, until_ts))
    statics = _frame(queries.statics(con, until_ts))
    if positions.height == 0:
        raise InputError(f"no positions in {store_dir} for the chosen window; ingest data first")
    geography = load_geography(geo_dir)
    faulty, truth = inject_faults(
        positions,
        plan,
        seed,
        is_inland=inland_test(geography),
        is_land=geography.shore.on_land,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    positions.write_parquet(out_dir / "original.parquet")
    faulty.write_parquet(out_dir / "injected.parquet")
    statics.write_parquet(out_dir / "statics.parquet")
    truth.write_parquet(out_dir / "truth.parquet")
    output.write_table(truth.to_arrow(), "csv", out_dir / "truth.csv")
    manifest = {
        "seed": seed,
        "plan": dataclasses.asdict(plan),
        "store": str(store_dir),
        "since": since_ts,
        "until": until_ts,
        "positions_original": positions.height,
        "positions_injected": faulty.height,
        "faults": dict(truth.group_by("kind").len().sort("kind").iter_rows()),
    }
    with open(out_dir / "manifest.json", "w", encoding="utf-8") as handle:
        output.write_json(manifest, handle)
    output.print_mapping(manifest, title=f"eval inject → {out_dir}")


@eval_group.command("score")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@geo_dir_option
@click.option(
    "--tolerance-min",
    type=click.FloatRange(0.0),
    default=30.0,
    show_default=True,
    help="Time ranges overlapping once widened by this much match.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def score(run_dir: Path, geo_dir: Path | None, tolerance_min: float, fmt: str) -> None:
    """Detect events on the original and injected positions of RUN_DIR and score them."""
    missing = [name for name in _FILES if not (run_dir / name).is_file()]
    if missing:
        raise InputError(f"{run_dir} lacks {', '.join(missing)}; run `harborwatch eval inject`")
    geography = load_geography(geo_dir)
    statics_path = run_dir / "statics.parquet"
    statics = pl.read_parquet(statics_path) if statics_path.is_file() else None
    truth = pl.read_parquet(run_dir / "truth.parquet")
    baseline = detect_scored(pl.read_parquet(run_dir / "original.parquet"), geography, statics)
    found = detect_scored(pl.read_parquet(run_dir / "injected.parquet"), geography, statics)
    scores = score_events(baseline, found, truth, tolerance_min)
    missed = recall_detail(found, truth, tolerance_min).filter(~pl.col("recalled"))
    if fmt == "json":
        output.write_json(
            {
                "scores": scores.to_dicts(),
                "missed": missed.drop("recalled", "n_events").to_dicts(),
                "events_baseline": baseline.height,
                "events_injected": found.height,
                "tolerance_min": tolerance_min,
            }
        )
        return
    output.print_table(scores.to_arrow(), title=f"eval score: {run_dir}")
    if missed.height:
        output.print_table(missed.drop("recalled").to_arrow(), title="missed truth rows")


def detect_scored(
    positions: pl.DataFrame, geography: Geography, statics: pl.DataFrame | None
) -> pl.DataFrame:
    """Events of the scored types in ``positions``, detected in memory."""
    context = DetectionContext(ports=geography.ports)
    if statics is not None:
        context = dataclasses.replace(context, statics=statics)
    config = DetectionConfig()
    points = build_track_points(positions, geography, config)
    return detect_events(points, context, config, SCORED_TYPES)


def _parse_hours(value: str) -> tuple[float, ...]:
    try:
        return tuple(float(item) for item in value.split(",") if item.strip())
    except ValueError:
        message = f"--gaps {value!r} is not a list of hours; e.g. --gaps 6.5,12,24"
        raise InputError(message) from None


def _frame(table: Any) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
