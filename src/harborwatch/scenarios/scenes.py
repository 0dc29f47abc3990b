"""SIMULATED dated scenes of a site: a real labelled image with a growing share of its vehicles
painted out (:func:`~harborwatch.imagery.simulate.simulate_removal`).

We hold no image of the Tartus piers. To show the imagery half of the pipeline (counts per date, a
vehicle drawdown), one real image with labelled vehicles stands in for the site: its first scene
is the image as published, each later one has more of the labelled vehicles painted out (each
scene is painted from the one before, so a vehicle once gone stays gone). Every scene row says
``simulated=true`` and its note names the real image and that it is not the site.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from harborwatch.imagery.annotations import import_annotations
from harborwatch.imagery.scenes import read_scene_metadata
from harborwatch.imagery.simulate import SIMULATED, simulate_removal

VEHICLE_CLASSES = ("large-vehicle", "small-vehicle")
DRAWDOWN_PLAN: tuple[tuple[date, float], ...] = (
    (date(2024, 12, 15), 0.0),
    (date(2025, 1, 10), 0.05),
    (date(2025, 1, 24), 0.35),
    (date(2025, 2, 5), 0.65),
    (date(2025, 2, 20), 0.85),
)
"""Scene dates and the share of the labelled vehicles gone by then (the brief: vehicles near the
piers decrease over the weeks after the 21-22 Jan docking)."""


@dataclass(frozen=True)
class SimulatedScene:
    """One SIMULATED scene: its SCENES row and the labelled objects it still shows."""

    scene: dict[str, Any]
    detections: pl.DataFrame


def drawdown_scenes(
    image: Path,
    labels: Path,
    out_dir: Path,
    site_id: str,
    place: str,
    plan: Sequence[tuple[date, float]] = DRAWDOWN_PLAN,
    seed: int = 0,
) -> list[SimulatedScene]:
    """Scenes of ``site_id`` on the plan's dates from ``image`` and its DOTA ``labels``: the
    image copied as ``SIMULATED_<name>`` for the first date, then the cumulative share of
    :data:`VEHICLE_CLASSES` painted out by each later date. ``place`` says what the real image
    shows (it goes into every scene's note)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    copy = out_dir / f"{SIMULATED}_{image.name}"
    shutil.copyfile(image, copy)
    first_day, _ = plan[0]
    note = f"{SIMULATED}: real image of {place}, not {site_id}"
    row = read_scene_metadata(copy, site_id, _midday(first_day), "SIMULATED stand-in",
                              labels=labels, simulated=True, note=note)  # fmt: skip
    scenes = [SimulatedScene(row, import_annotations(labels, row, "dota"))]
    gone = 0.0
    for step, (day, share) in enumerate(plan[1:], start=1):
        before = scenes[-1]
        fraction = (share - gone) / (1.0 - gone)
        removal = simulate_removal(
            before.scene, before.detections, out_dir, fraction=fraction, seed=seed + step,
            classes=VEHICLE_CLASSES, acquired_ts=_midday(day),
        )  # fmt: skip
        scene = {**removal.scene, "note": f"{note}; vehicles painted out. {removal.scene['note']}"}
        scenes.append(SimulatedScene(scene, removal.kept))
        gone = share
    return scenes


def _midday(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
