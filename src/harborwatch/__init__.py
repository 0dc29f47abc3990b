"""harborwatch: watch ports, bases and fleets from open AIS data and satellite imagery.

The package is laid out by pipeline stage (see docs/DESIGN.md):

- ``ais``: decode raw NMEA logs and provider exports into column tables;
- ``store``: keep those tables in one directory of Parquet files queried with DuckDB;
- ``geo``: reference geography (flags from MMSI, later ports, land, sites);
- ``cli``: the ``harborwatch`` command.

Domain code works on Arrow tables whose schemas are declared once in :mod:`harborwatch.schemas`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("harborwatch")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
