"""Imagery throughput on a 10,000 × 10,000 px mosaic built from the real DOTA images.

The mosaic repeats P0706 (harbour, ships) beside P1888 (bus yard, vehicles) and is written once,
window by window, as a tiled GeoTIFF under ``benchmarks/.work/``; the "after" copy is the same
mosaic moved by (+5, -3) px, 10 % brighter, with 400 rectangles of 20-80 px repainted (the
change to find). Each stage runs in its own process so its peak RSS is its own:

- detection: ``detect_objects(mosaic, "vehicles")`` (the model-free vehicle detector);
- change: ``change_map`` between the mosaic and the altered copy (co-registration by phase
  correlation included), the mask written as a tiled GeoTIFF.

Prints megapixels/s (wall time, best of ``--repeat``), peak RSS (goal < 2 GB) and the machine.

    python benchmarks/imagery.py [--size-px N] [--repeat N] [--stage detection|change]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from _data import WORK_DIR, data_dir, machine
from PIL import Image
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

SHIFT_PX = (5, -3)
PATCHES = 400
ROWS_PER_WRITE = 1024


def composite() -> np.ndarray:
    """P0706 and P1888 side by side (P1888 padded by reflection to P0706's height), (3, H, W)."""
    folder = data_dir() / "imagery/dota-devkit-example/images"
    harbour = np.asarray(Image.open(folder / "P0706.png"))[..., :3]
    yard = np.asarray(Image.open(folder / "P1888.png"))[..., :3]
    yard = np.pad(yard, ((0, harbour.shape[0] - yard.shape[0]), (0, 0), (0, 0)), mode="reflect")
    return np.moveaxis(np.concatenate([harbour, yard], axis=1), 2, 0)


def mosaic_rows(tile: np.ndarray, row0: int, rows: int, width: int, dx: int, dy: int) -> np.ndarray:
    """Rows ``row0 .. row0+rows`` of the endless mosaic, content moved by ``(dx, dy)``."""
    r = (np.arange(row0, row0 + rows) - dy) % tile.shape[1]
    c = (np.arange(width) - dx) % tile.shape[2]
    return tile[:, r[:, None], c[None, :]]


def build(size_px: int) -> tuple[Path, Path]:
    """The before and after mosaics (written once; reused when present)."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    before_path = WORK_DIR / f"mosaic_{size_px}.tif"
    after_path = WORK_DIR / f"mosaic_{size_px}_altered.tif"
    if before_path.exists() and after_path.exists():
        return before_path, after_path
    warnings.simplefilter("ignore", NotGeoreferencedWarning)  # the mosaic lives in pixel space
    tile = composite()
    rng = np.random.default_rng(0)
    patches = np.column_stack([rng.integers(0, size_px - 80, (PATCHES, 2)),
                               rng.integers(20, 80, (PATCHES, 2))])  # fmt: skip
    colours = rng.integers(0, 255, (PATCHES, 3))
    profile = {"driver": "GTiff", "width": size_px, "height": size_px, "count": 3,
               "dtype": "uint8", "tiled": True, "blockxsize": 512, "blockysize": 512,
               "compress": "deflate", "BIGTIFF": "IF_SAFER"}  # fmt: skip
    with (
        rasterio.open(before_path, "w", **profile) as before,
        rasterio.open(after_path, "w", **profile) as after,
    ):
        for row0 in range(0, size_px, ROWS_PER_WRITE):
            rows = min(ROWS_PER_WRITE, size_px - row0)
            window = Window(0, row0, size_px, rows)
            before.write(mosaic_rows(tile, row0, rows, size_px, 0, 0), window=window)
            moved = mosaic_rows(tile, row0, rows, size_px, *SHIFT_PX).astype(np.float32) * 1.1
            for (x, y, w, h), colour in zip(patches, colours, strict=True):
                top, bottom = max(y, row0), min(y + h, row0 + rows)
                if top < bottom:
                    moved[:, top - row0 : bottom - row0, x : x + w] = colour[:, None, None]
            after.write(np.clip(moved, 0, 255).astype(np.uint8), window=window)
    return before_path, after_path


def scene(path: Path, day: int) -> dict[str, Any]:
    from harborwatch.imagery.scenes import read_scene_metadata

    return read_scene_metadata(path, "bench", datetime(2024, 1, day, tzinfo=UTC), gsd_m=0.27)


def run_stage(stage: str, size_px: int, repeat: int) -> dict[str, Any]:
    """Time one stage in this process (called in a child process by :func:`main`)."""
    before_path, after_path = build(size_px)
    before, after = scene(before_path, 1), scene(after_path, 2)
    best = float("inf")
    extra: dict[str, Any] = {}
    for _ in range(repeat):
        start = time.perf_counter()
        if stage == "detection":
            from harborwatch.imagery.detectors import detect_objects

            extra["objects"] = detect_objects(before, "vehicles").height
        else:
            from harborwatch.imagery.change_map import change_map

            result = change_map(before, after, WORK_DIR / "change_mask.tif")
            extra["shift_px"] = [result.shift.dx_px, result.shift.dy_px] if result.shift else None
            extra["changed_fraction"] = float(result.zones["changed_fraction"][0])
        best = min(best, time.perf_counter() - start)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    megapixels = size_px * size_px / 1e6
    return {
        "stage": stage,
        "seconds": best,
        "mp_per_s": megapixels / best,
        "rss_mb": rss_mb,
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-px", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--stage", choices=["detection", "change"])
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.size_px, args.repeat)))
        return
    start = time.perf_counter()
    build(args.size_px)
    print(f"mosaic {args.size_px} x {args.size_px} px ready in {time.perf_counter() - start:.1f} s "
          f"({WORK_DIR})")  # fmt: skip
    for stage in ("detection", "change"):
        child = subprocess.run(
            [sys.executable, __file__, "--stage", stage, "--size-px", str(args.size_px),
             "--repeat", str(args.repeat)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if child.returncode != 0:
            print(f"{stage}: failed\n{child.stderr.strip()[-2000:]}")
            continue
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        details = {
            k: v for k, v in figures.items() if k not in ("stage", "seconds", "mp_per_s", "rss_mb")
        }
        print(f"{stage:9s} {figures['seconds']:7.1f} s  {figures['mp_per_s']:6.2f} MP/s  "
              f"peak RSS {figures['rss_mb']:6.0f} MB  {details}")  # fmt: skip
    print(machine())


if __name__ == "__main__":
    main()
