"""``harborwatch scene``, ``scenes``, ``annotations`` and ``imagery``: images of a site over time,
hand counts, detections and counts per zone.

``imagery_group`` is the home of imagery analyses; further commands join it with
``imagery_group.add_command(...)``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from typing import Any

import click
import polars as pl

from harborwatch.cli import output
from harborwatch.cli.options import json_option, parse_time, store_option
from harborwatch.errors import InputError
from harborwatch.imagery.annotations import FORMATS as ANNOTATION_FORMATS
from harborwatch.imagery.annotations import import_annotations
from harborwatch.imagery.counts import count_by_zone, plot_counts, select_source
from harborwatch.imagery.scenes import read_scene_metadata, stac_item
from harborwatch.imagery.zones import load_zones
from harborwatch.store import Store
from harborwatch.store import imagery as stored

log = logging.getLogger("harborwatch")
_SCENE_LIST_COLUMNS = [
    "scene_id", "site_id", "acquired_ts", "sensor", "gsd_m", "width_px", "height_px", "bands",
    "crs", "simulated", "path",
]  # fmt: skip


@click.group("scene")
def scene_group() -> None:
    """Register images of a site (GeoTIFF in any CRS, or PNG/JPEG in pixel space)."""


@scene_group.command("add")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", required=True, help="Site the image shows (a site id).")
@click.option("--date", "date", required=True, help="Acquisition time, YYYY-MM-DD[THH:MM] UTC.")
@click.option("--sensor", help="Sensor or product name (free text).")
@click.option("--gsd-m", type=float, help="Ground sample distance, m/px (else header or CRS).")
@click.option(
    "--labels",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="DOTA labelTxt whose gsd: header gives the GSD (default: one beside the image).",
)
@click.option("--note", help="Provenance, licence, what was simulated.")
@click.option(
    "--stac",
    "stac_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the scene's STAC Item JSON here.",
)
@store_option
@json_option
def scene_add(
    image: Path,
    site: str,
    date: str,
    sensor: str | None,
    gsd_m: float | None,
    labels: Path | None,
    note: str | None,
    stac_out: Path | None,
    store_dir: Path,
    as_json: bool,
) -> None:
    """Register IMAGE as a scene of --site at --date; the same image, site and time again adds
    nothing."""
    acquired = parse_time(date, "--date")
    assert acquired is not None  # --date is required
    row = read_scene_metadata(image, site, acquired, sensor, gsd_m, labels=labels, note=note)
    added = stored.register_scene(Store(store_dir), row)
    if stac_out is not None:
        stac_out.write_text(json.dumps(stac_item(row), indent=2, default=output.json_default))
    summary = {
        "scene_id": row["scene_id"],
        "status": "added" if added else "already registered",
        **{k: row[k] for k in ("site_id", "acquired_ts", "width_px", "height_px", "gsd_m", "crs")},
    }
    if as_json:
        output.write_json(summary)
    else:
        output.print_mapping(summary, title=f"scene {image.name}")


@click.command("scenes")
@click.option("--site", help="Only scenes of this site.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@store_option
def scenes_command(site: str | None, fmt: str, store_dir: Path) -> None:
    """Registered scenes, oldest first."""
    found = stored.scenes(Store(store_dir), site)
    if fmt == "json":
        output.write_json(found.to_dicts())
    else:
        output.print_table(found.select(_SCENE_LIST_COLUMNS).to_arrow(), title="scenes")


@click.group("annotations")
def annotations_group() -> None:
    """Hand counts drawn in other tools (DOTA, YOLO, YOLO-OBB, COCO, GeoJSON)."""


@annotations_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scene", "scene_id", required=True, help="Scene id (or a unique prefix).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *ANNOTATION_FORMATS]),
    default="auto",
    show_default=True,
)
@click.option(
    "--names",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YOLO class names: a dataset YAML (names:) or one name per line.",
)
@store_option
@json_option
def annotations_import(
    file: Path, scene_id: str, fmt: str, names: Path | None, store_dir: Path, as_json: bool
) -> None:
    """Store the objects annotated in FILE as detections of a scene (re-importing replaces)."""
    store = Store(store_dir)
    scene = stored.scene(store, scene_id)
    found = import_annotations(file, scene, fmt, names)
    total = stored.replace_detections(store, scene["scene_id"], found, [file.name])
    summary = _detection_summary(found, scene["scene_id"], file.name, total)
    if as_json:
        output.write_json(summary)
    else:
        output.print_mapping(summary, title=f"detections from {file.name}")


@click.group("imagery")
def imagery_group() -> None:
    """Analyses over the scenes of a site: counts per zone and class (and more)."""


@imagery_group.command("count")
@click.option("--site", required=True, help="Site whose scenes are counted.")
@click.option(
    "--zones",
    "zones_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Zones file (TOML/GeoJSON); stored as its sites' zones for later runs. Default: the "
    "stored zones; none means each whole image.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the time series per zone and class to this PNG.",
)
@click.option(
    "--source",
    help="Count only these detections: 'annotations' (hand counts) or a detector name. Needed "
    "when a scene has both.",
)
@store_option
def imagery_count(
    site: str,
    zones_path: Path | None,
    fmt: str,
    plot: Path | None,
    source: str | None,
    store_dir: Path,
) -> None:
    """Objects per scene date, zone and class (centre inside the zone), zeros included."""
    store = Store(store_dir)
    if zones_path is not None:
        stored.replace_zones(store, load_zones(zones_path))
    scenes = stored.scenes(store, site)
    if scenes.height == 0:
        raise InputError(
            f"no scenes of site {site!r}; register images with `harborwatch scene add`"
        )
    detections = select_source(stored.detections_of(store, site=site), source, detector_names())
    for scene_id in sorted(set(scenes["scene_id"]) - set(detections["scene_id"])):
        log.warning(
            "scene %s has no stored detections: its zeros are real only if a detector or an "
            "annotation file found nothing in it",
            scene_id,
        )
    counts = count_by_zone(detections, scenes, stored.zones(store, site))
    counts = counts.with_columns(date=pl.col("acquired_ts").dt.strftime("%Y-%m-%d"))
    if plot is not None:
        plot_counts(counts, plot, title=f"objects per zone and class at {site}")
    if fmt == "json":
        output.write_json(counts.to_dicts())
    elif fmt == "csv":
        output.write_table(counts.to_arrow(), "csv", None)
    else:
        output.print_table(counts.drop("acquired_ts").to_arrow(), title=f"counts at {site}")


def _detection_summary(
    found: pl.DataFrame, scene_id: str, source: str, total: int
) -> dict[str, Any]:
    by_class = dict(sorted(found.group_by("class").len().iter_rows()))
    return {"scene_id": scene_id, "source": source, "stored": found.height,
            "by_class": by_class, "scene_detections": total}  # fmt: skip


def detector_names() -> tuple[str, ...]:
    """Names of the detectors this installation has (none without the detectors module)."""
    if importlib.util.find_spec("harborwatch.imagery.detectors") is None:
        return ()
    from harborwatch.imagery.detectors import DETECTOR_NAMES

    return tuple(DETECTOR_NAMES)


def _parse_options(items: tuple[str, ...]) -> dict[str, Any]:
    """``--option key=value`` pairs; numbers become numbers."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--option {item!r} is not key=value, e.g. --option min_score=0.3")
        try:
            options[key.strip()] = float(value) if "." in value else int(value)
        except ValueError:
            options[key.strip()] = value
    return options


if importlib.util.find_spec("harborwatch.imagery.detectors") is not None:
    from harborwatch.imagery.detectors import DETECTOR_NAMES, detect_objects

    @imagery_group.command("detect")
    @click.option("--scene", "scene_id", help="Scene id (or a unique prefix).")
    @click.option("--site", help="Every stored scene of this site, instead of one --scene.")
    @click.option("--detector", required=True, type=click.Choice(list(DETECTOR_NAMES)))
    @click.option("--option", "items", multiple=True, help="Detector option key=value (repeat).")
    @store_option
    @json_option
    def imagery_detect(
        scene_id: str | None,
        site: str | None,
        detector: str,
        items: tuple[str, ...],
        store_dir: Path,
        as_json: bool,
    ) -> None:
        """Find objects in a scene (or every scene of a site) and store them in place of that
        detector's earlier run."""
        store = Store(store_dir)
        options = _parse_options(items)
        summaries = []
        for scene in _chosen_scenes(store, scene_id, site):
            found = detect_objects(scene, detector, **options)
            total = stored.replace_detections(store, scene["scene_id"], found, [detector])
            summaries.append(_detection_summary(found, scene["scene_id"], detector, total))
        if as_json:
            output.write_json(summaries[0] if scene_id else summaries)
        else:
            for summary in summaries:
                output.print_mapping(summary, title=f"detections from {detector}")


def _chosen_scenes(store: Store, scene_id: str | None, site: str | None) -> list[dict[str, Any]]:
    """The scene of ``--scene``, or every scene of ``--site`` (exactly one of them given)."""
    if (scene_id is None) == (site is None):
        raise click.UsageError("give either --scene ID or --site SITE")
    if scene_id is not None:
        return [stored.scene(store, scene_id)]
    ids = stored.scenes(store, site)["scene_id"].to_list()
    if not ids:
        raise InputError(f"no scenes of site {site!r} in the store; add them with `scene add`")
    return [stored.scene(store, one) for one in ids]


@imagery_group.command("change")
@click.option("--site", required=True, help="Site whose scenes are compared.")
@click.option("--before", "before_date", required=True, help="Earlier scene's date, YYYY-MM-DD.")
@click.option("--after", "after_date", required=True, help="Later scene's date, YYYY-MM-DD.")
@click.option(
    "--source",
    help="Compare only these detections: 'annotations' or a detector name (needed when a scene "
    "has both).",
)
@click.option("--max-offset-m", type=float, help="Matching gate (default: half the object length).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--evidence",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write before/after PNG chips of every removed or added object to this folder.",
)
@click.option(
    "--map",
    "map_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the pixel change mask here (.tif: GeoTIFF on the before grid; .png).",
)
@store_option
def imagery_change(
    site: str,
    before_date: str,
    after_date: str,
    source: str | None,
    max_offset_m: float | None,
    fmt: str,
    evidence: Path | None,
    map_path: Path | None,
    store_dir: Path,
) -> None:
    """Objects matched, removed and added between two dates (per zone and class), and the share
    of each zone whose pixels changed (unsupervised change-vector analysis)."""
    from harborwatch.imagery.change import change_counts, match_objects, summarise_changes
    from harborwatch.imagery.change_map import change_map
    from harborwatch.imagery.evidence import write_chips

    store = Store(store_dir)
    scenes = stored.scenes(store, site)
    before = _scene_on(scenes, site, before_date, "--before")
    after = _scene_on(scenes, site, after_date, "--after")
    detections = select_source(
        stored.detections_of(store, scene_ids=[before["scene_id"], after["scene_id"]]),
        source,
        detector_names(),
    )
    zones = stored.zones(store, site)
    changes = match_objects(
        detections.filter(pl.col("scene_id") == before["scene_id"]),
        detections.filter(pl.col("scene_id") == after["scene_id"]),
        before,
        after,
        max_offset_m,
        zones,
    )
    pixels = change_map(before, after, map_path, zones=zones)
    summary = summarise_changes(changes)
    summary["pixel_change"] = pixels.zones.to_dicts()
    summary["simulated"] = bool(before.get("simulated")) or bool(after.get("simulated"))
    if evidence is not None:
        summary["evidence"] = write_chips(changes, before, after, evidence)["path"].to_list()
    if fmt == "json":
        output.write_json(summary)
        return
    title = f"{site}: {before_date} -> {after_date}"
    if summary["simulated"]:
        title += " (SIMULATED scene involved)"
    output.print_table(change_counts(changes).to_arrow(), title=f"objects, {title}")
    output.print_table(pixels.zones.to_arrow(), title=f"changed pixels, {title}")


@imagery_group.command("simulate")
@click.option("--scene", "scene_id", required=True, help="Scene whose objects are painted out.")
@click.option("--date", "date", required=True, help="Date of the SIMULATED scene, YYYY-MM-DD.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the SIMULATED image and its manifest.",
)
@click.option(
    "--fraction", type=click.FloatRange(0, 1, min_open=True), default=0.3, show_default=True
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--class", "classes", multiple=True, help="Only objects of this class (repeat).")
@click.option(
    "--source",
    help="The objects to paint out: 'annotations' or a detector name (needed when both exist).",
)
@store_option
@json_option
def imagery_simulate(
    scene_id: str,
    date: str,
    out_dir: Path,
    fraction: float,
    seed: int,
    classes: tuple[str, ...],
    source: str | None,
    store_dir: Path,
    as_json: bool,
) -> None:
    """Make a SIMULATED later scene with a seeded share of the scene's objects painted out (the
    "removed" test case), register it, and store the objects left in it; every output, scene
    row and file name says SIMULATED."""
    from harborwatch.imagery.simulate import simulate_removal

    store = Store(store_dir)
    before = stored.scene(store, scene_id)
    labels = select_source(
        stored.detections_of(store, scene_ids=[before["scene_id"]]), source, detector_names()
    )
    when = parse_time(date, "--date")
    result = simulate_removal(
        before, labels, out_dir, fraction=fraction, seed=seed, classes=classes or None,
        acquired_ts=when,
    )  # fmt: skip
    stored.register_scene(store, result.scene)
    stored.replace_detections(
        store, result.scene["scene_id"], result.kept, result.kept["source"].unique().to_list()
    )
    summary = {
        "SIMULATED": True,
        "scene_id": result.scene["scene_id"],
        "image": str(result.image_path),
        "manifest": str(result.manifest_path),
        "removed": result.removed.height,
        "kept": result.kept.height,
        "note": result.scene["note"],
    }
    if as_json:
        output.write_json(summary)
    else:
        output.print_mapping(summary, title="SIMULATED removal")


def _scene_on(scenes: pl.DataFrame, site: str, date: str, option: str) -> dict[str, Any]:
    """The one scene of the site acquired on ``date`` (a UTC day, or an exact time)."""
    when = parse_time(date, option)
    assert when is not None  # the options are required
    exact = "T" in date
    day = scenes.filter(
        (pl.col("acquired_ts") == when)
        if exact
        else (pl.col("acquired_ts").dt.date() == when.date())
    )
    if day.height != 1:
        listed = ", ".join(
            f"{r['acquired_ts']:%Y-%m-%dT%H:%M}" for r in scenes.iter_rows(named=True)
        )
        what = "no scene" if day.height == 0 else f"{day.height} scenes"
        raise InputError(
            f"{what} of site {site!r} at {option} {date}; scenes are at: {listed or 'none'} "
            "(give YYYY-MM-DDTHH:MM to pick one of several on a day)"
        )
    return day.row(0, named=True)
