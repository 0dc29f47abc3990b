"""Raster fixtures shared by the imagery tests."""

from __future__ import annotations

from pathlib import Path

import rasterio
from rasterio.warp import Resampling, calculate_default_transform, reproject

JOPLIN_PRE = "imagery/xview2-deploy-prepost/pre/tile_1361-9136.tif"
"""A real georeferenced tile (EPSG:26915, 0.6 m), relative to the shared data folder."""


def warp_to_wgs84(source: Path, dest: Path) -> Path:
    """``source`` reprojected to EPSG:4326 (bilinear) at ``dest``: the same ground in another
    CRS, as the Joplin post images are."""
    with rasterio.open(source) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:4326", src.width, src.height, *src.bounds
        )
        profile = src.profile | {
            "crs": "EPSG:4326",
            "transform": transform,
            "width": width,
            "height": height,
        }
        with rasterio.open(dest, "w", **profile) as dst:
            for band in range(1, src.count + 1):
                reproject(
                    rasterio.band(src, band),
                    rasterio.band(dst, band),
                    resampling=Resampling.bilinear,
                )
    return dest
