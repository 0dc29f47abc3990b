"""The reference geography the detectors read: ports with their index, and the coast.

``load_geography(geo_dir)`` with a folder laid out like ``shared/data/geo``::

    GEO_DIR/wpi/UpdatedPub150.csv                               World Port Index
    GEO_DIR/anchorages/gfw_anchorages_v3_daily.geoparquet       GFW anchorages
    GEO_DIR/naturalearth/ne_50m_land.json                       Natural Earth land

uses all three; with ``None`` it falls back to what installs with pip: the ``searoute``
package's ports and the ``global-land-mask`` 1 km land raster (coast distance from that
raster, coarser than Natural Earth polygons).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from harborwatch.errors import InputError
from harborwatch.geo.ports import PortIndex, load_gfw_anchorages, load_wpi, searoute_ports
from harborwatch.geo.shore import ShoreDistance

WPI_FILE = Path("wpi") / "UpdatedPub150.csv"
ANCHORAGES_FILE = Path("anchorages") / "gfw_anchorages_v3_daily.geoparquet"
LAND_FILE = Path("naturalearth") / "ne_50m_land.json"


@dataclass(frozen=True)
class Geography:
    """Ports (PORTS schema, WPI ports then GFW anchorages), their index, and the coast."""

    ports: pl.DataFrame
    port_index: PortIndex
    shore: ShoreDistance


def load_geography(geo_dir: Path | None) -> Geography:
    """Reference geography from ``geo_dir`` (see the module docstring), or the pip fallback."""
    if geo_dir is None:
        ports = searoute_ports()
        return Geography(ports, PortIndex(ports), ShoreDistance.from_land_mask())
    geo_dir = Path(geo_dir)
    if not geo_dir.is_dir():
        raise InputError(f"--geo-dir {str(geo_dir)!r} is not a directory; give the geo folder")
    for relative in (WPI_FILE, ANCHORAGES_FILE, LAND_FILE):
        if not (geo_dir / relative).is_file():
            raise InputError(
                f"{str(geo_dir / relative)!r} is missing; --geo-dir must hold {relative} "
                "(see shared/data/geo), or leave --geo-dir out to use the built-in fallback"
            )
    ports = pl.concat(
        [load_wpi(geo_dir / WPI_FILE), load_gfw_anchorages(geo_dir / ANCHORAGES_FILE)],
        how="diagonal_relaxed",
    )
    return Geography(ports, PortIndex(ports), ShoreDistance.from_natural_earth(geo_dir / LAND_FILE))
