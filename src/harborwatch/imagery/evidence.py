"""Picture evidence of object-level change: before and after chips side by side, one PNG per object.

Both chips show the same piece of ground: when the scenes are georeferenced the after image is
warped onto the before scene's grid (any two CRSs) and the same window is read from each; for
pixel-space scenes the after window is the before window moved by the co-registration shift. The
object's outline is drawn in both chips (solid where it is, dashed where it was or will be), and a
caption names the class, status, ids and dates, and says SIMULATED when either scene is.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import shapely
import shapely.affinity
from PIL import Image, ImageDraw, ImageFont
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from harborwatch.imagery.change_map import (
    is_georeferenced,
    open_raster,
    read_padded,
    scene_crs,
    scene_transform,
)
from harborwatch.imagery.scenes import lonlat_to_pixel, pixel_to_lonlat

Scene = Mapping[str, Any]
_REMOVED, _ADDED = (230, 40, 40), (40, 220, 60)
_CAPTION_PX = 72
_CONTEXT = 2.5
"""Chip side as a multiple of the object's length, so its surroundings show."""


def write_chips(
    changes: pl.DataFrame,
    before_scene: Scene,
    after_scene: Scene,
    out_dir: Path | str,
    size_px: int = 256,
) -> pl.DataFrame:
    """One PNG per removed or added object in ``changes`` (rows of :func:`match_objects`).

    Each chip covers at least ``size_px / 2`` before-scene pixels and 2.5 object lengths, resampled
    to ``size_px`` square. Returns change_id, status, class, path, caption of each file written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = changes.filter(pl.col("status").is_in(["removed", "added"]))
    simulated = bool(before_scene.get("simulated")) or bool(after_scene.get("simulated"))
    gsd_m = float(before_scene.get("gsd_m") or 1.0)
    written: list[dict[str, Any]] = []
    before = open_raster(before_scene)
    after_file = open_raster(after_scene)
    after = _after_on_before_grid(after_file, before_scene, after_scene, before)
    try:
        for row in rows.iter_rows(named=True):
            outline = _outline_in_before(row, before_scene, after_scene)
            length_px = (row.get("length_m") or 0.0) / gsd_m
            side = max(size_px // 2, math.ceil(_CONTEXT * length_px))
            window = Window(
                round(row["x_px"] - side / 2), round(row["y_px"] - side / 2), side, side
            )
            shift = (0, 0) if after is not after_file else _shift(row)
            chips = [_chip(before, window, (0, 0)), _chip(after, window, shift)]
            caption = _caption(row, before_scene, after_scene, simulated)
            image = _compose(chips, outline, window, size_px, row["status"], caption)
            prefix = "SIMULATED_" if simulated else ""
            path = out_dir / f"{prefix}{row['status']}_{row['class']}_{row['change_id']}.png"
            image.save(path)
            written.append(
                {"change_id": row["change_id"], "status": row["status"], "class": row["class"],
                 "path": str(path), "caption": caption}
            )  # fmt: skip
    finally:
        if after is not after_file:
            after.close()
        after_file.close()
        before.close()
    schema = {name: pl.String for name in ("change_id", "status", "class", "path", "caption")}
    return pl.DataFrame(written, schema=schema)


def _after_on_before_grid(
    after_file: Any, before_scene: Scene, after_scene: Scene, before: Any
) -> Any:
    """The after image warped onto the before grid when both are georeferenced, else the file."""
    if not (is_georeferenced(before_scene) and is_georeferenced(after_scene)):
        return after_file
    return WarpedVRT(
        after_file,
        src_crs=scene_crs(after_scene),
        src_transform=scene_transform(after_scene),
        crs=scene_crs(before_scene),
        transform=scene_transform(before_scene),
        width=before.width,
        height=before.height,
        resampling=Resampling.bilinear,
    )


def _shift(row: Mapping[str, Any]) -> tuple[int, int]:
    return round(row.get("shift_dx_px") or 0.0), round(row.get("shift_dy_px") or 0.0)


def _outline_in_before(row: Mapping[str, Any], before_scene: Scene, after_scene: Scene) -> Any:
    """The object's outline in the before scene's pixels (after outlines are moved there)."""
    if row["status"] == "removed" or not row.get("after_pixel_wkt"):
        return shapely.from_wkt(row["before_pixel_wkt"]) if row.get("before_pixel_wkt") else None
    outline = shapely.from_wkt(row["after_pixel_wkt"])
    if is_georeferenced(before_scene) and is_georeferenced(after_scene):

        def move(xy: np.ndarray) -> np.ndarray:
            lonlat = pixel_to_lonlat(dict(after_scene), xy[:, 0], xy[:, 1])
            assert lonlat is not None
            pixels = lonlat_to_pixel(dict(before_scene), *lonlat)
            assert pixels is not None
            return np.column_stack(pixels)

        return shapely.transform(outline, move)
    return shapely.affinity.translate(outline, -(row.get("shift_dx_px") or 0.0),
                                      -(row.get("shift_dy_px") or 0.0))  # fmt: skip


def _chip(dataset: Any, window: Window, shift: tuple[int, int]) -> Image.Image:
    """RGB chip of ``window`` (moved by ``shift``), black outside the image."""
    bands = list(range(1, min(dataset.count, 3) + 1))
    pixels, _ = read_padded(dataset, window, shift[0], shift[1], bands)
    if len(bands) < 3:
        pixels = np.repeat(pixels[:1], 3, axis=0)
    return Image.fromarray(np.clip(np.moveaxis(pixels, 0, 2), 0, 255).astype(np.uint8))


def _compose(
    chips: list[Image.Image],
    outline: Any,
    window: Window,
    size_px: int,
    status: str,
    caption: str,
) -> Image.Image:
    """Both chips resized side by side, outline drawn, caption below."""
    scale = size_px / float(window.width)
    canvas = Image.new("RGB", (2 * size_px + 4, size_px + _CAPTION_PX), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    colour = _REMOVED if status == "removed" else _ADDED
    for index, chip in enumerate(chips):
        left = index * (size_px + 4)
        canvas.paste(chip.resize((size_px, size_px), Image.Resampling.BILINEAR), (left, 0))
        if outline is not None:
            coords = shapely.get_coordinates(outline)
            xy = [
                (left + (x - window.col_off) * scale, (y - window.row_off) * scale)
                for x, y in coords
            ]
            present = (status == "removed") == (index == 0)
            _polyline(draw, xy, colour, dashed=not present)
    font = ImageFont.load_default(size=12)
    draw.multiline_text((4, size_px + 4), caption, fill=(0, 0, 0), font=font, spacing=3)
    return canvas


def _polyline(
    draw: ImageDraw.ImageDraw,
    xy: list[tuple[float, float]],
    colour: tuple[int, int, int],
    dashed: bool,
) -> None:
    """Closed outline, solid or dashed (every other ~4 px piece)."""
    for (x0, y0), (x1, y1) in itertools.pairwise(xy):
        if not dashed:
            draw.line([(x0, y0), (x1, y1)], fill=colour, width=2)
            continue
        pieces = max(1, int(math.hypot(x1 - x0, y1 - y0) / 4))
        for k in range(0, pieces, 2):
            a, b = k / pieces, min(1.0, (k + 1) / pieces)
            draw.line([(x0 + a * (x1 - x0), y0 + a * (y1 - y0)),
                       (x0 + b * (x1 - x0), y0 + b * (y1 - y0))], fill=colour, width=2)  # fmt: skip


def _caption(
    row: Mapping[str, Any], before_scene: Scene, after_scene: Scene, simulated: bool
) -> str:
    """Three or four lines: what, which objects when, the change id, SIMULATED if so."""
    before_id = (row.get("before_detection_id") or "-")[:12]
    after_id = (row.get("after_detection_id") or "-")[:12]
    lines = [
        f"{row['status'].upper()}  {row['class']}  zone {row.get('zone_id') or '-'}",
        f"before {_date(before_scene)} {before_id}   after {_date(after_scene)} {after_id}",
        f"change {row['change_id']}",
    ]
    if simulated:
        lines.append("SIMULATED: objects painted out of a real image")
    return "\n".join(lines)


def _date(scene: Scene) -> str:
    ts = scene.get("acquired_ts")
    return ts.strftime("%Y-%m-%d") if ts is not None else "?"
