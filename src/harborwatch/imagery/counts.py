"""Objects per scene, zone and class: the time series an analyst reads ("vehicles near the piers
decrease over weeks").

A detection counts in a zone when its centre lies inside the zone (as placed in that scene's
pixels by :func:`~harborwatch.imagery.zones.zones_in_scene`). Every scene gets a row for each of
its zones and each class seen anywhere at its site, zeros included, so a series has no holes where
a class was simply absent. A lon/lat zone that the scene does not cover at all gets no row: it was
not observed, which is not the same as empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import shapely

from harborwatch import schemas
from harborwatch.errors import InputError
from harborwatch.imagery.zones import ALL_ZONE, zones_in_scene

_KEY = ["scene_id", "zone_id", "class"]


def count_by_zone(
    detections: pl.DataFrame, scenes: pl.DataFrame, zones: pl.DataFrame
) -> pl.DataFrame:
    """ZONE_COUNTS rows for ``scenes`` (see the module docstring), by time, zone and class."""
    by_scene = detections.partition_by("scene_id", as_dict=True)
    observed: list[tuple[str, str]] = []
    hits = [pl.DataFrame(schema={"scene_id": pl.String, "zone_id": pl.String, "class": pl.String})]
    for scene in scenes.to_dicts():
        found = by_scene.get((scene["scene_id"],))
        for zone_id, polygon in observed_zones(zones, scene):
            observed.append((scene["scene_id"], zone_id))
            if found is not None:
                inside = shapely.contains_xy(
                    polygon, found["x_px"].to_numpy(), found["y_px"].to_numpy()
                )
                hits.append(
                    found.filter(pl.Series(inside)).select(
                        "scene_id",
                        pl.lit(zone_id).alias("zone_id"),
                        pl.col("class").cast(pl.String),
                    )
                )
    classes = (
        detections.join(scenes.select("scene_id", "site_id"), on="scene_id")
        .select("site_id", pl.col("class").cast(pl.String))
        .unique()
    )
    grid = (
        pl.DataFrame(observed, schema={"scene_id": pl.String, "zone_id": pl.String}, orient="row")
        .join(scenes.select("scene_id", "site_id", "acquired_ts"), on="scene_id")
        .join(classes, on="site_id")
    )
    counts = pl.concat(hits).group_by(_KEY).len("count")
    result = (
        grid.join(counts, on=_KEY, how="left")
        .with_columns(pl.col("count").fill_null(0))
        .sort("acquired_ts", "scene_id", "zone_id", "class")
    )
    empty = pl.from_arrow(schemas.empty(schemas.ZONE_COUNTS))
    assert isinstance(empty, pl.DataFrame)
    return pl.concat([empty, result.select(empty.columns)], how="vertical_relaxed")


ANNOTATIONS = "annotations"


def source_kind(detector_names: Sequence[str]) -> pl.Expr:
    """The kind of a detection's ``source``: the detector whose name it starts with (detectors
    write ``harborwatch.NAME/VERSION``), else ``annotations`` (hand counts are named after
    their files)."""
    kind = pl.lit(ANNOTATIONS)
    source = pl.col("source").str.strip_prefix("harborwatch.")
    for name in detector_names:
        kind = pl.when(source.str.starts_with(name)).then(pl.lit(name)).otherwise(kind)
    return kind


def select_source(
    detections: pl.DataFrame, source: str | None, detector_names: Sequence[str]
) -> pl.DataFrame:
    """The detections of one kind of source, so one object is not counted twice.

    A row's kind is its :func:`source_kind`. ``source`` picks a kind; None is fine while every
    scene has one kind only, else InputError names the kinds to choose from.
    """
    tagged = detections.with_columns(_kind=source_kind(detector_names))
    if source is None:
        mixed = (
            tagged.group_by("scene_id")
            .agg(pl.col("_kind").unique().sort())
            .filter(pl.col("_kind").list.len() > 1)
        )
        if mixed.height:
            scene_id, kinds = mixed.row(0)
            raise InputError(
                f"scene {scene_id} has detections from {', '.join(kinds)}; counting them together "
                f"would count objects twice: choose one with --source {'|'.join(kinds)}"
            )
        return detections
    return tagged.filter(pl.col("_kind") == source).drop("_kind")


def observed_zones(
    zones: pl.DataFrame, scene_row: dict[str, Any]
) -> list[tuple[str, shapely.Polygon]]:
    """The scene's zones that overlap its image (the whole image when none is defined)."""
    image = shapely.box(0, 0, scene_row["width_px"], scene_row["height_px"])
    placed = zones_in_scene(zones, scene_row)
    return [(z, p) for z, p in placed if z == ALL_ZONE or p.intersects(image)]


def plot_counts(counts: pl.DataFrame, path: Path | str, title: str = "") -> None:
    """A PNG of the count time series: one line per zone and class (matplotlib, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=120)
    series = counts.sort("acquired_ts").partition_by("zone_id", "class", as_dict=True)
    for (zone_id, name), rows in sorted(series.items()):
        axes.plot(rows["acquired_ts"], rows["count"], marker="o", label=f"{zone_id}: {name}")
    axes.set_ylabel("objects (centre inside the zone)")
    axes.set_xlabel("acquisition time (UTC)")
    axes.set_title(title)
    axes.set_ylim(bottom=0)
    if series:
        axes.legend(fontsize="small", loc="best")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
