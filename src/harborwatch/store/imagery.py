"""The store edge of imagery: scenes, zones and detections written and read back.

Each table is a derived table (:meth:`Store.replace_derived`): a write replaces it atomically,
keeping the stored rows it does not touch. Scenes are keyed by ``scene_id`` (the same bytes, site
and time register once), zones by site (a zones file defines its sites' zones whole), detections
by scene and source (re-importing a file or re-running a detector replaces its rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import polars as pl

from harborwatch.errors import InputError
from harborwatch.imagery.scenes import scenes_frame
from harborwatch.store.store import Store


def register_scene(store: Store, scene_row: dict[str, Any]) -> bool:
    """Store one SCENES row; True when it is new, False when that scene was already there
    (its row is refreshed, e.g. a moved file's path)."""
    existed = (
        store.root.is_dir()
        and _frame(
            store.connect(),
            "SELECT scene_id FROM scenes WHERE scene_id = ?",
            [scene_row["scene_id"]],
        ).height
        > 0
    )
    store.replace_derived(
        "scenes", scenes_frame([scene_row]).to_arrow(), "scene_id <> ?", [scene_row["scene_id"]]
    )
    return not existed


def scenes(store: Store, site: str | None = None) -> pl.DataFrame:
    """Stored scenes (of one site), oldest first."""
    return _frame(
        store.connect(),
        "SELECT * FROM scenes WHERE ?::VARCHAR IS NULL OR site_id = ? "
        "ORDER BY acquired_ts, site_id, scene_id",
        [site, site],
    )


def scene(store: Store, scene_id: str) -> dict[str, Any]:
    """One stored scene by id (a unique prefix will do); InputError naming how to list them."""
    found = _frame(
        store.connect(), "SELECT * FROM scenes WHERE starts_with(scene_id, ?)", [scene_id]
    )
    if found.height != 1:
        what = "no scene" if found.height == 0 else f"{found.height} scenes"
        raise InputError(
            f"{what} with id {scene_id!r} in {store.root}; list them with `harborwatch scenes` "
            "or register the image with `harborwatch scene add`"
        )
    return found.row(0, named=True)


def replace_zones(store: Store, zones: pl.DataFrame) -> int:
    """Store ``zones`` as the whole zone set of each site they name; returns rows stored."""
    sites = zones["site_id"].unique().to_list()
    placeholders = ", ".join("?" for _ in sites)
    return store.replace_derived(
        "zones", zones.to_arrow(), f"site_id NOT IN ({placeholders})", sites
    )


def zones(store: Store, site: str | None = None) -> pl.DataFrame:
    """Stored zones (of one site)."""
    return _frame(
        store.connect(),
        "SELECT * FROM zones WHERE ?::VARCHAR IS NULL OR site_id = ? ORDER BY site_id, zone_id",
        [site, site],
    )


def replace_detections(
    store: Store, scene_id: str, detections: pl.DataFrame, sources: Sequence[str]
) -> int:
    """Store ``detections`` of one scene in place of its stored rows from ``sources`` (a source
    matches when the stored source starts with it, so ``vehicles`` replaces ``vehicles v2``).
    Returns the rows of the scene now stored."""
    names = sorted({*sources, *detections["source"].unique().to_list()})
    matches = " OR ".join("starts_with(source, ?)" for _ in names) or "FALSE"
    store.replace_derived(
        "detections",
        detections.to_arrow(),
        f"NOT (scene_id = ? AND ({matches}))",
        [scene_id, *names],
    )
    return detections_of(store, scene_ids=[scene_id]).height


def detections_of(
    store: Store, site: str | None = None, scene_ids: Sequence[str] | None = None
) -> pl.DataFrame:
    """Stored detections of a site's scenes, or of the given scenes."""
    return _frame(
        store.connect(),
        """
        SELECT d.* FROM detections d JOIN scenes s USING (scene_id)
        WHERE (?::VARCHAR IS NULL OR s.site_id = ?)
          AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], d.scene_id))
        ORDER BY d.scene_id, d.detection_id
        """,
        [site, site, scene_ids, scene_ids],
    )


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> pl.DataFrame:
    frame = pl.from_arrow(con.sql(sql, params=params).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame
