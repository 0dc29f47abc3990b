"""Tracks along sea lanes, at berth and adrift, for generated (SIMULATED) AIS.

A track is built from legs, each a small table of reports (``ts`` in Unix seconds, ``lon``,
``lat``, ``sog_knots``, ``cog_deg``, ``nav_status``): :func:`sail` follows the ``searoute``
sea-lane network between two points at a steady speed, :func:`hold` stays at a berth, :func:`drift`
wanders slowly about a point, :func:`circle` turns slowly round one. Report times are drawn
between ``interval_s`` bounds (class A reports every few seconds; shore and satellite receivers
hear a vessel every few minutes), positions carry metre-scale noise, all from a seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
import searoute

from harborwatch.config import NM_M
from harborwatch.geo.distance import METRES_PER_DEG_LAT, haversine_m

UNDER_WAY, AT_ANCHOR, MOORED = 0, 1, 5
"""AIS navigational status codes."""
_LEG_COLUMNS = {
    "ts": pl.Int64,
    "lon": pl.Float64,
    "lat": pl.Float64,
    "sog_knots": pl.Float64,
    "cog_deg": pl.Float64,
    "nav_status": pl.Int64,
}


@dataclass(frozen=True)
class Reporting:
    """How often a vessel is heard (seconds between reports) and its position noise."""

    underway_s: tuple[float, float] = (120.0, 600.0)
    berth_s: tuple[float, float] = (900.0, 1_800.0)
    noise_m: float = 8.0


@lru_cache(maxsize=512)
def lane(start: tuple[float, float], end: tuple[float, float]) -> np.ndarray:
    """(k, 2) lon/lat of the ``searoute`` sea lane from ``start`` to ``end`` (both included)."""
    route = searoute.searoute(list(start), list(end), append_orig_dest=True)
    points = np.asarray(route.geometry["coordinates"], np.float64)
    keep = np.r_[True, np.any(np.diff(points, axis=0) != 0, axis=1)]
    return points[keep]


def lane_length_m(path: np.ndarray) -> float:
    """Length of a lon/lat polyline in metres (great circles between its vertices)."""
    return float(haversine_m(path[:-1, 0], path[:-1, 1], path[1:, 0], path[1:, 1]).sum())


def _times(start_s: float, end_s: float, interval_s: tuple[float, float], rng: np.random.Generator
           ) -> np.ndarray:  # fmt: skip
    """Report times from ``start_s`` (included) to before ``end_s``, random intervals."""
    mean = (interval_s[0] + interval_s[1]) / 2.0
    draws = rng.uniform(*interval_s, size=int((end_s - start_s) / mean * 1.2) + 4)
    times = start_s + np.r_[0.0, np.cumsum(draws)]
    return np.floor(times[times < end_s])


def _noisy(lon: np.ndarray, lat: np.ndarray, noise_m: float, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    scale = noise_m / METRES_PER_DEG_LAT
    return (
        lon + rng.normal(0.0, scale, lon.size) / np.cos(np.radians(lat)),
        lat + rng.normal(0.0, scale, lat.size),
    )


def _course_deg(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Course from each point to the next (the last repeats the one before)."""
    dx = np.diff(lon) * np.cos(np.radians(lat[:-1]))
    course = np.degrees(np.arctan2(dx, np.diff(lat))) % 360.0
    return np.r_[course, course[-1:]] if course.size else np.zeros(lon.size)


def _leg(ts: np.ndarray, lon: np.ndarray, lat: np.ndarray, sog: np.ndarray, cog: np.ndarray,
         status: int) -> pl.DataFrame:  # fmt: skip
    return pl.DataFrame(
        {"ts": ts.astype(np.int64), "lon": lon, "lat": lat, "sog_knots": sog, "cog_deg": cog,
         "nav_status": np.full(ts.size, status, np.int64)},
        schema=_LEG_COLUMNS,
    )  # fmt: skip


def sail(
    path: np.ndarray,
    start_s: float,
    speed_knots: float,
    rng: np.random.Generator,
    reporting: Reporting = Reporting(),
) -> tuple[pl.DataFrame, float]:
    """Reports of a vessel following ``path`` (lon/lat vertices) at about ``speed_knots`` from
    ``start_s``; returns them and the arrival time (Unix seconds)."""
    step_m = haversine_m(path[:-1, 0], path[:-1, 1], path[1:, 0], path[1:, 1])
    along_m = np.r_[0.0, np.cumsum(step_m)]
    end_s = start_s + along_m[-1] / (speed_knots * NM_M / 3600.0)
    ts = _times(start_s, end_s, reporting.underway_s, rng)
    sog = speed_knots + rng.normal(0.0, 0.3, ts.size)
    lon = np.interp((ts - start_s) * speed_knots * NM_M / 3600.0, along_m, path[:, 0])
    lat = np.interp((ts - start_s) * speed_knots * NM_M / 3600.0, along_m, path[:, 1])
    cog = (_course_deg(lon, lat) + rng.normal(0.0, 1.5, ts.size)) % 360.0
    lon, lat = _noisy(lon, lat, reporting.noise_m, rng)
    return _leg(ts, lon, lat, np.abs(sog), cog, UNDER_WAY), end_s


def hold(
    point: tuple[float, float],
    start_s: float,
    end_s: float,
    rng: np.random.Generator,
    reporting: Reporting = Reporting(),
) -> pl.DataFrame:
    """Reports of a vessel moored at ``point`` (speed 0-0.1 kn) from ``start_s`` to ``end_s``."""
    ts = _times(start_s, end_s, reporting.berth_s, rng)
    lon, lat = _noisy(np.full(ts.size, point[0]), np.full(ts.size, point[1]),
                      reporting.noise_m, rng)  # fmt: skip
    sog = np.round(rng.uniform(0.0, 0.1, ts.size), 1)
    return _leg(ts, lon, lat, sog, rng.uniform(0.0, 360.0, ts.size), MOORED)


def drift(
    point: tuple[float, float],
    start_s: float,
    end_s: float,
    rng: np.random.Generator,
    radius_m: float = 1_500.0,
    reporting: Reporting = Reporting(),
) -> pl.DataFrame:
    """Reports of a vessel waiting at sea near ``point``: a slow random walk (0.3-1.5 kn) kept
    within ``radius_m``, engines stopped or dead slow."""
    ts = _times(start_s, end_s, reporting.underway_s, rng)
    angle = np.cumsum(rng.normal(0.0, 0.3, ts.size)) + rng.uniform(0, 2 * np.pi)
    wander = radius_m * np.sin(np.cumsum(rng.normal(0.0, 0.02, ts.size)))
    east = wander * np.sin(angle)
    north = wander * np.cos(angle)
    lat = point[1] + north / METRES_PER_DEG_LAT
    lon = point[0] + east / (METRES_PER_DEG_LAT * np.cos(np.radians(point[1])))
    sog = rng.uniform(0.3, 1.5, ts.size)
    return _leg(ts, lon, lat, sog, _course_deg(lon, lat), AT_ANCHOR)


def circle(
    centre: tuple[float, float],
    start_s: float,
    end_s: float,
    rng: np.random.Generator,
    radius_m: float = 900.0,
    speed_knots: float = 1.4,
    reporting: Reporting = Reporting(),
) -> pl.DataFrame:
    """Reports of a vessel turning slowly round ``centre`` at ``speed_knots`` (one turn takes
    ``2 pi radius / speed``: about 2 h at 900 m and 1.4 kn)."""
    ts = _times(start_s, end_s, reporting.underway_s, rng)
    angle = (ts - start_s) * speed_knots * NM_M / 3600.0 / radius_m
    lat = centre[1] + radius_m * np.cos(angle) / METRES_PER_DEG_LAT
    metres_per_deg_lon = METRES_PER_DEG_LAT * np.cos(np.radians(centre[1]))
    lon = centre[0] + radius_m * np.sin(angle) / metres_per_deg_lon
    lon, lat = _noisy(lon, lat, reporting.noise_m, rng)
    sog = speed_knots + rng.normal(0.0, 0.1, ts.size)
    return _leg(ts, lon, lat, np.abs(sog), _course_deg(lon, lat), UNDER_WAY)
