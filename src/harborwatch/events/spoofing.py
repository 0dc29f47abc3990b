"""Spoofing: positions no honest transmitter reports, one event per episode, four kinds.

- ``teleport``: consecutive positions of one transmitter further apart than any ship could sail
  in the time between them. Points are read raw, per ``vessel_id`` in time order, noise included
  when the segmenter set it aside as ``impossible_jump`` (other noise, such as sentinel speeds,
  says nothing about the position). A jump between two *different* segments that overlap in time
  is the segmenter attributing the positions to two transmitters sharing the MMSI: that is an
  ``identity_change`` of kind ``simultaneous``, not a teleport. Every other impossible jump is:
  inside one segment, to or from a noise point, or to a segment that starts after the previous
  one ended (a one-way jump the segmenter could not attribute). Consecutive jumps form one
  episode, so a point that jumps out and back is one event with both jumps.
- ``on_land``: runs of consecutive positions on land further than ``min_land_distance_from_port_m``
  from any port (a port's quays and the harbour behind them count as land in coarse polygons) and
  at least ``min_inland_distance_m`` inside the coastline (the polygons' generalisation), outside
  land cells where ``waterway_min_vessels`` vessels report (a canal or river the polygons lack;
  like ``same_spot`` this compares vessels, so it needs them in one call).
- ``same_spot``: at least ``same_spot_min_vessels`` vessels reporting one spot (cells of
  ``same_spot_radius_m``, time bins of ``same_spot_window_min``, on four grids offset by half a
  cell and/or half a bin so that a cluster across a cell or bin edge is still found). Unlike the
  other kinds this needs every vessel near the spot in the same call: partition by place and
  time, like encounters.
- ``circling``: the course turning through ``circle_min_turns`` full circles within
  ``circle_min_duration_h`` (rolling sum of the signed course change), counted only while the
  vessel makes way: at anchor or adrift the course is noise.

Each event has ``kind`` and kind-specific fields in ``attributes``, the offending positions (at
most :data:`EVIDENCE_MAX_POINTS`) in ``evidence.points`` and a rule-specific confidence 1-4.

How it stays fast and small: the rules run as Numba passes over NumPy views of the numeric
columns (one byte per row for each mask, no filtered or joined copies of the table), and only the
rows that make events are gathered back into Polars, with their strings, for the per-episode
summaries. Crowds are found in two steps: a pass per grid counts the distinct vessels of each
hashed cell-and-bin key (rows arrive grouped by vessel, so a vessel counts once per bucket), and
only rows in buckets with enough vessels, a superset of the crowds, are grouped exactly.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import polars as pl

from harborwatch.config import NM_M, SpoofingConfig
from harborwatch.events.base import (
    US_PER_H,
    DetectionContext,
    EventType,
    epoch_us,
    finish_events,
)
from harborwatch.geo.distance import (
    EARTH_RADIUS_M,
    METRES_PER_DEG_LAT,
    haversine_m,
    haversine_m_expr,
)

EVIDENCE_MAX_POINTS = 50
"""Positions kept in one event's evidence; ``n_points`` in the attributes counts them all."""

_GATHERED = ("vessel_id", "mmsi", "seg_id", "ts", "lon", "lat", "port_distance_m")
"""Columns gathered at the rows that make events."""
_SPOT_GRIDS = ((0.0, 0.0), (0.0, 0.5), (0.5, 0.0), (0.5, 0.5))
"""(cell offset, time-bin offset) of the four same-spot grids, in cells and bins."""


def is_valid_position() -> pl.Expr:
    """True where the position is inside the WGS 84 range (91/181 mean "not available")."""
    return (
        pl.col("lon").is_between(-180.0, 180.0) & pl.col("lat").is_between(-90.0, 90.0)
    ).fill_null(False)


def valid_positions(points: pl.DataFrame) -> pl.DataFrame:
    """Points with a position inside the WGS 84 range, with ``noise`` null read as false."""
    return points.filter(is_valid_position()).with_columns(pl.col("noise").fill_null(False))


def same_vessel_as_previous() -> pl.Expr:
    """True where the row continues the previous row's vessel (frames sorted by vessel, time)."""
    return (pl.col("vessel_id") == pl.col("vessel_id").shift(1)).fill_null(False)


class _Track:
    """The columns the rules read, as NumPy arrays over every row of ``points`` (views where
    Arrow allows), and row masks built from Polars expressions (one byte per row each)."""

    def __init__(self, points: pl.DataFrame) -> None:
        self.points = points
        self.vessel = points["vessel_id"].rle_id().to_numpy()
        self.ts_us = epoch_us(points["ts"])
        self.lon = np.asarray(points["lon"].cast(pl.Float64).to_numpy(), dtype=np.float64)
        self.lat = np.asarray(points["lat"].cast(pl.Float64).to_numpy(), dtype=np.float64)
        self.valid = self.mask(is_valid_position())

    def mask(self, expr: pl.Expr) -> np.ndarray:
        """A boolean expression over ``points`` as a NumPy array, null read as false."""
        return np.asarray(self.points.select(expr.fill_null(False)).to_series().to_numpy())

    def take(self, rows: np.ndarray, **columns: np.ndarray) -> pl.DataFrame:
        """The gathered columns at ``rows``, plus ``columns`` (arrays aligned with ``rows``)."""
        taken = self.points.select(_GATHERED)[rows]
        added = (pl.Series(name, values, nan_to_null=True) for name, values in columns.items())
        return taken.with_columns(added)


def detect_spoofing(
    points: pl.DataFrame,
    context: DetectionContext,
    config: SpoofingConfig = SpoofingConfig(),
) -> pl.DataFrame:
    """Spoofing events of all four kinds found in ``points`` (TRACK_POINTS, sorted by
    ``vessel_id, ts``); ``context`` is not read."""
    track = _Track(points)
    return pl.concat(
        [
            _teleports(track, config),
            _on_land(track, config),
            _same_spot(track, config),
            _circling(track, config),
        ]
    )


@numba.njit(cache=True)
def _runs(
    member: np.ndarray, eligible: np.ndarray, vessel: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``member`` (a subset of ``eligible``) and their episode numbers: an episode is a
    run of member rows, consecutive among the eligible rows, of one vessel."""
    rows = np.flatnonzero(member & eligible)
    episode = np.empty(rows.size, np.int64)
    e, k, prev = -1, 0, -1
    for i in range(member.size):
        if not eligible[i]:
            continue
        if member[i]:
            if prev < 0 or not member[prev] or vessel[prev] != vessel[i]:
                e += 1
            episode[k] = e
            k += 1
        prev = i
    return rows, episode


def _common_aggs(evidence: list[str]) -> list[pl.Expr]:
    """Fields every spoofing episode carries: vessel, time span, positions as evidence."""
    return [
        pl.col("vessel_id").first(),
        pl.col("mmsi").first(),
        pl.col("seg_id").drop_nulls().first(),
        pl.col("ts").min().alias("start_ts"),
        pl.col("ts").max().alias("end_ts"),
        pl.len().alias("n_points"),
        pl.struct(["ts", "lon", "lat", *evidence]).head(EVIDENCE_MAX_POINTS).alias("points"),
    ]


def _finish(
    rows: pl.DataFrame, kind: str, rule: str, config: SpoofingConfig, attributes: list[str]
) -> pl.DataFrame:
    return finish_events(
        rows.with_columns(pl.lit(kind).alias("kind")),
        event_type=EventType.SPOOFING,
        rule=rule,
        config=config,
        attributes=["kind", "n_points", *attributes],
        evidence=["points"],
        id_keys=["kind"],
    )


@numba.njit(cache=True, inline="always")
def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance, as :func:`harborwatch.geo.distance.haversine_m`."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlon = math.radians(lon2 - lon1)
    h = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(h, 0.0), 1.0)))


@numba.njit(cache=True, inline="always")
def _implausible(
    i: int,
    p: int,
    ts_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    max_knots: float,
    min_m: float,
) -> bool:
    """Whether the step from row ``p`` to row ``i`` covers at least ``min_m`` faster than
    ``max_knots`` (instantly counts as infinitely fast). The path along the parallel and then the
    meridian bounds the distance from above and settles most steps without trigonometry."""
    dt_h = (ts_us[i] - ts_us[p]) / US_PER_H
    dlon = abs(lon[i] - lon[p])
    bound_m = math.radians(abs(lat[i] - lat[p]) + min(dlon, 360.0 - dlon)) * EARTH_RADIUS_M
    if bound_m < min_m or (dt_h > 0 and bound_m / NM_M / dt_h <= max_knots):
        return False
    jump_m = _distance_m(lon[p], lat[p], lon[i], lat[i])
    return jump_m >= min_m and (dt_h <= 0 or jump_m / NM_M / dt_h > max_knots)


@numba.njit(cache=True)
def _jump_candidates(
    vessel: np.ndarray,
    ts_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    raw: np.ndarray,
    max_knots: float,
    min_m: float,
    found: np.ndarray,
) -> int:
    """Count implausible steps between consecutive ``raw`` rows of one vessel, writing the first
    ones into the columns of ``found`` (3 rows): the row, the previous raw row and the raw row
    before that (-1 when none). Called once to count and once to fill: an array grown inside the
    loop would slow every step down."""
    k, prev, before = 0, -1, -1
    for i in range(raw.size):
        if not raw[i]:
            continue
        same = prev >= 0 and vessel[prev] == vessel[i]
        if same and _implausible(i, prev, ts_us, lon, lat, max_knots, min_m):
            if k < found.shape[1]:
                found[0, k], found[1, k], found[2, k] = i, prev, before
            k += 1
        before, prev = prev, i
    return k


def _teleports(track: _Track, config: SpoofingConfig) -> pl.DataFrame:
    """Impossible jumps between consecutive raw positions that no segment switch explains."""
    noise = pl.col("noise").fill_null(False)
    raw = track.mask(is_valid_position() & (~noise | (pl.col("noise_reason") == "impossible_jump")))
    scan = (track.vessel, track.ts_us, track.lon, track.lat, raw)
    limits = (config.teleport_speed_knots, config.teleport_min_distance_m)
    found = np.empty((3, _jump_candidates(*scan, *limits, np.empty((3, 0), np.int64))), np.int64)
    _jump_candidates(*scan, *limits, found)
    to, prev, before = found[:, ~_segment_switches(track, found[0], found[1])]
    # Members: every jump and the point it jumps from; an episode starts at a member that is
    # not itself a jump (its previous raw point is then ``before``).
    members, where = np.unique(np.concatenate([to, prev]), return_index=True)
    source = np.concatenate([prev, before])[where]  # first occurrence: a jump's own step
    is_jump = np.isin(members, to)
    jump_m, jump_knots = _steps(track, source, members)
    rows = (
        track.take(
            members,
            _episode=np.cumsum(~is_jump),
            _jump=is_jump,
            jump_m=jump_m,
            jump_knots=jump_knots,
        )
        .group_by("_episode", maintain_order=True)
        .agg(
            *_common_aggs(["jump_knots"]),
            pl.col("_jump").sum().alias("n_jumps"),
            pl.col("jump_knots").filter(pl.col("_jump")).max().alias("max_implied_speed_knots"),
            pl.col("jump_m").filter(pl.col("_jump")).max().alias("max_jump_m"),
            pl.col("lon").get(1).alias("lon"),
            pl.col("lat").get(1).alias("lat"),
        )
    )
    ratio = pl.col("max_implied_speed_knots") / config.teleport_speed_knots
    rows = rows.with_columns(
        (
            1
            + (ratio >= 2).cast(pl.Int8)
            + (ratio >= 10).cast(pl.Int8)
            + (pl.col("n_jumps") >= 2).cast(pl.Int8)
        ).alias("confidence"),
        pl.col("max_implied_speed_knots").cast(pl.Float64).round(1),
        pl.col("max_jump_m").round(0),
    )
    return _finish(
        rows,
        "teleport",
        "implied speed between consecutive positions of one transmitter above "
        "teleport_speed_knots over at least teleport_min_distance_m",
        config,
        ["n_jumps", "max_implied_speed_knots", "max_jump_m"],
    )


def _steps(track: _Track, source: np.ndarray, to: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) and implied speed (kn, infinite when no time passed) of each step from row
    ``source`` to row ``to``; null where ``source`` is -1 or another vessel's row."""
    known = (source >= 0) & (track.vessel[source] == track.vessel[to])
    start = np.where(known, source, to)
    jump_m = haversine_m(track.lon[start], track.lat[start], track.lon[to], track.lat[to])
    dt_h = (track.ts_us[to] - track.ts_us[start]) / US_PER_H
    with np.errstate(divide="ignore", invalid="ignore"):
        knots = np.where(dt_h > 0, jump_m / NM_M / dt_h, np.inf)
    return np.where(known, jump_m, np.nan), np.where(known, knots, np.nan)


def _segment_switches(track: _Track, to: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """Whether each step from row ``prev`` to row ``to`` switches between two non-noise
    segments of the vessel whose time spans overlap (two transmitters on one MMSI)."""
    columns = ("vessel_id", "seg_id", "noise")
    steps = pl.concat(
        [
            track.points.select(columns)[to],
            track.points.select(columns)[prev].select(
                pl.all().name.prefix("_prev_"),
            ),
        ],
        how="horizontal",
    )
    differs = (
        (pl.col("seg_id") != pl.col("_prev_seg_id"))
        & ~pl.col("noise").fill_null(False)
        & ~pl.col("_prev_noise").fill_null(False)
    ).fill_null(False)
    steps = steps.with_row_index("_step").filter(differs)
    if steps.is_empty():
        return np.zeros(to.size, bool)
    segments = pl.concat([steps["seg_id"], steps["_prev_seg_id"]]).unique()
    spans = (
        track.points.filter(
            pl.col("seg_id").is_in(segments.implode())
            & ~pl.col("noise").fill_null(False)
            & is_valid_position()
        )
        .group_by("vessel_id", "seg_id")
        .agg(pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts"))
    )
    prev_spans = spans.select(pl.all().name.prefix("_prev_"))
    overlapping = (
        steps.join(spans, on=["vessel_id", "seg_id"], how="left")
        .join(prev_spans, on=["_prev_vessel_id", "_prev_seg_id"], how="left")
        .filter(
            (pl.col("first_ts") < pl.col("_prev_last_ts"))
            & (pl.col("_prev_first_ts") < pl.col("last_ts"))
        )
    )
    switch = np.zeros(to.size, bool)
    switch[overlapping["_step"].to_numpy()] = True
    return switch


def _on_land(track: _Track, config: SpoofingConfig) -> pl.DataFrame:
    """Runs of consecutive positions on land and away from every port."""
    inland = track.mask(
        is_valid_position()
        & pl.col("on_land").fill_null(False)
        & (pl.col("port_distance_m").fill_null(float("inf")) > config.min_land_distance_from_port_m)
        & (pl.col("inland_distance_m").fill_null(float("inf")) >= config.min_inland_distance_m)
    )
    inland[_on_waterways(track, inland, config)] = False
    members, episode = _runs(inland, track.valid, track.vessel)
    rows = (
        track.take(members, _episode=episode)
        .group_by("_episode", maintain_order=True)
        .agg(
            *_common_aggs(["port_distance_m"]),
            pl.col("port_distance_m").min().alias("min_port_distance_m"),
            pl.col("lon").first(),
            pl.col("lat").first(),
        )
    )
    rows = rows.with_columns(
        (
            1
            + (pl.col("n_points") >= 2).cast(pl.Int8)
            + (pl.col("n_points") >= 5).cast(pl.Int8)
            + (pl.col("n_points") >= 20).cast(pl.Int8)
        ).alias("confidence"),
        pl.col("min_port_distance_m").round(0),
    )
    return _finish(
        rows,
        "on_land",
        "consecutive positions on land further than min_land_distance_from_port_m from any port",
        config,
        ["min_port_distance_m"],
    )


def _on_waterways(track: _Track, inland: np.ndarray, config: SpoofingConfig) -> np.ndarray:
    """Rows of ``inland`` in land cells (``waterway_cell_m`` squares) where at least
    ``waterway_min_vessels`` distinct vessels report: water the land polygons do not draw."""
    rows = np.flatnonzero(inland)
    if rows.size == 0:
        return rows
    step_deg = np.degrees(config.waterway_cell_m / EARTH_RADIUS_M)
    lat = track.lat[rows]
    y = np.floor(lat / step_deg).astype(np.int64)
    x = np.floor(track.lon[rows] * np.cos(np.radians((y + 0.5) * step_deg)) / step_deg)
    cell = (y << 32) ^ x.astype(np.int64)
    pairs = np.unique(np.stack([cell, track.vessel[rows].astype(np.int64)]), axis=1)
    cells, vessels = np.unique(pairs[0], return_counts=True)
    crowded = cells[vessels >= config.waterway_min_vessels]
    return rows[np.isin(cell, crowded)]


@numba.njit(cache=True, inline="always")
def _spot_cell(
    lon: float,
    lat: float,
    ts_us: int,
    grid: tuple[float, float, float, float],
    known_y: int,
    known_cos: float,
) -> tuple[int, int, int, float]:
    """Grid cell (x, y), time bin (t) and cell row cosine of a point on ``grid`` (offset in
    cells, time offset in bins, cell metres, bin microseconds). Cells are ``cell_m`` wide at
    their row's centre, so two points of one cell are at most ``cell_m * sqrt(2)`` apart. The
    cosine ``known_cos`` of row ``known_y`` is reused when the point lies in that row."""
    offset, time_offset, cell_m, bin_us = grid
    y = math.floor(lat * METRES_PER_DEG_LAT / cell_m + offset)
    row_cos = known_cos
    if y != known_y:
        centre_deg = (y - offset + 0.5) * cell_m / METRES_PER_DEG_LAT
        row_cos = max(math.cos(math.radians(centre_deg)), 1e-6)
    x = math.floor(lon * METRES_PER_DEG_LAT * row_cos / cell_m + offset)
    t = math.floor(ts_us / bin_us + time_offset)
    return x, y, t, row_cos


@numba.njit(cache=True, inline="always")
def _cell_hash(x: int, y: int, t: int, bits: int) -> int:
    """Hash of a cell and time bin into ``bits`` bits (multiplicative, wrapping int64)."""
    h = x * 0x27D4EB2F165667C5 + y * 0x165667B19E3779F9 + t * 0x61C8864680B583EB
    h ^= h >> 31
    h *= 0x7FB5D329728EA185
    return int((h >> (63 - bits)) & ((1 << bits) - 1))


@numba.njit(cache=True)
def _hash_cells(
    vessel: np.ndarray,
    ts_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    eligible: np.ndarray,
    grid: tuple[float, float, float, float],
    cell_bits: int,
    row_hash: np.ndarray,
    visits: np.ndarray,
) -> int:
    """Hash each eligible row's cell and time bin on one ``grid`` (offset, time offset, cell
    metres, bin microseconds) into ``row_hash`` (-1 elsewhere), and write one ``hash << vessel
    bits | vessel`` key per visit (consecutive rows of a vessel in one cell) into ``visits``;
    return the number of visits."""
    shift, m, y, row_cos = 63 - cell_bits, 0, np.iinfo(np.int64).min, 1.0
    for i in range(eligible.size):
        row_hash[i] = -1
        if eligible[i]:
            x, y, t, row_cos = _spot_cell(lon[i], lat[i], ts_us[i], grid, y, row_cos)
            h = _cell_hash(x, y, t, cell_bits)
            row_hash[i] = h
            visit = (h << shift) | vessel[i]
            if m == 0 or visits[m - 1] != visit:
                visits[m] = visit
                m += 1
    return m


@numba.njit(cache=True)
def _crowded_hashes(visits: np.ndarray, cell_bits: int, min_vessels: int) -> np.ndarray:
    """Sorted cell hashes that at least ``min_vessels`` distinct vessels visit, from sorted
    visit keys."""
    shift = 63 - cell_bits
    crowded = np.empty(0, np.int64)
    for fill in range(2):  # count, then fill
        k, i = 0, 0
        while i < visits.size:
            h, n_vessels, j = visits[i] >> shift, 1, i + 1
            while j < visits.size and visits[j] >> shift == h:
                n_vessels += visits[j] != visits[j - 1]
                j += 1
            if n_vessels >= min_vessels:
                if fill:
                    crowded[k] = h
                k += 1
            i = j
        crowded = np.empty(k, np.int64) if not fill else crowded
    return crowded


@numba.njit(cache=True)
def _mark_crowded(row_hash: np.ndarray, crowded: np.ndarray, candidate: np.ndarray) -> None:
    """Set ``candidate`` where the row's cell hash is one of the sorted ``crowded`` hashes."""
    if crowded.size == 0:
        return
    for i in range(row_hash.size):
        h = row_hash[i]
        if h >= 0:
            j = np.searchsorted(crowded, h)
            if j < crowded.size and crowded[j] == h:
                candidate[i] = True


def _crowd_candidates(track: _Track, config: SpoofingConfig) -> np.ndarray:
    """Rows that may belong to a crowd on one of the four grids: per grid, each vessel's
    visits to a hashed cell and bin are sorted and the distinct vessels per hash counted. Hash
    collisions only add vessels, so the rows of crowded hashes include every crowd."""
    cell_m = config.same_spot_radius_m / math.sqrt(2.0)
    bin_us = config.same_spot_window_min * 60e6
    cell_bits = 63 - max(1, int(track.vessel.max(initial=0)).bit_length())
    n = track.valid.size
    row_hash, visits = np.empty(n, np.int64), np.empty(n, np.int64)
    candidate = np.zeros(n, bool)
    scan = (track.vessel, track.ts_us, track.lon, track.lat, track.valid)
    for offset, time_offset in _SPOT_GRIDS:
        grid = (offset, time_offset, cell_m, bin_us)
        m = _hash_cells(*scan, grid, cell_bits, row_hash, visits)
        found = visits[:m]
        found.sort()
        crowded = _crowded_hashes(found, cell_bits, config.same_spot_min_vessels)
        _mark_crowded(row_hash, crowded, candidate)
    return candidate


@numba.njit(cache=True)
def _spot_cells(
    rows: np.ndarray,
    ts_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    cell_m: float,
    bin_us: float,
) -> np.ndarray:
    """Cell and bin keys of ``rows``: columns x, y at offsets 0 and 0.5, then t at 0 and 0.5."""
    keys = np.empty((rows.size, 6), np.int64)
    for k in range(rows.size):
        i = rows[k]
        for half in range(2):
            grid = (0.5 * half, 0.5 * half, cell_m, bin_us)
            x, y, t, _ = _spot_cell(lon[i], lat[i], ts_us[i], grid, np.iinfo(np.int64).min, 1.0)
            keys[k, 2 * half], keys[k, 2 * half + 1], keys[k, 4 + half] = x, y, t
    return keys


def _crowd_vessels(track: _Track, config: SpoofingConfig) -> pl.DataFrame:
    """Per crowded row (``_row``), every vessel sharing one of its cells and time bins on one
    of the four grids (``_vessels``), where those are at least ``same_spot_min_vessels``."""
    cell_m = config.same_spot_radius_m / math.sqrt(2.0)
    bin_us = config.same_spot_window_min * 60e6
    rows = np.flatnonzero(_crowd_candidates(track, config))
    keys = _spot_cells(rows, track.ts_us, track.lon, track.lat, cell_m, bin_us)
    names = ["_x0", "_y0", "_x1", "_y1", "_t0", "_t1"]
    keyed = pl.DataFrame(
        {"_row": rows, "vessel_id": track.points["vessel_id"].gather(rows)}
    ).with_columns(pl.Series(name, keys[:, k]) for k, name in enumerate(names))
    hits = []
    for offset, time_offset in _SPOT_GRIDS:
        grid = [f"_x{offset > 0:d}", f"_y{offset > 0:d}", f"_t{time_offset > 0:d}"]
        crowds = (
            keyed.group_by(grid)
            .agg(pl.col("vessel_id").unique().alias("_vessels"))
            .filter(pl.col("_vessels").list.len() >= config.same_spot_min_vessels)
        )
        hits.append(keyed.join(crowds, on=grid).select("_row", "_vessels"))
    return (
        pl.concat(hits)
        .group_by("_row")
        .agg(pl.col("_vessels").list.explode(keep_nulls=False, empty_as_null=False).unique())
    )


def _same_spot(track: _Track, config: SpoofingConfig) -> pl.DataFrame:
    """Vessels reporting one spot together with at least ``same_spot_min_vessels - 1`` others."""
    hits = _crowd_vessels(track, config)
    crowd = np.zeros(track.valid.size, bool)
    crowd[hits["_row"].to_numpy()] = True
    members, episode = _runs(crowd, track.valid, track.vessel)
    episodes = track.take(members, _episode=episode, _row=members).join(
        hits, on="_row", how="left", maintain_order="left"
    )
    rows = episodes.group_by("_episode", maintain_order=True).agg(
        *_common_aggs([]),
        pl.col("_vessels")
        .list.explode(keep_nulls=False, empty_as_null=False)
        .unique()
        .sort()
        .alias("_crowd"),
        pl.col("port_distance_m").median().alias("_port_distance_m"),
        pl.col("lon").mean(),
        pl.col("lat").mean(),
    )
    others = pl.col("_crowd").list.set_difference(pl.concat_list(pl.col("vessel_id")))
    rows = rows.with_columns(
        pl.col("_crowd").list.len().alias("n_vessels"),
        others.list.sort().list.head(EVIDENCE_MAX_POINTS).alias("other_vessel_ids"),
    ).with_columns(
        (
            2
            + (pl.col("n_vessels") >= 2 * config.same_spot_min_vessels).cast(pl.Int8)
            + (
                pl.col("_port_distance_m").fill_null(float("inf"))
                > config.min_land_distance_from_port_m
            ).cast(pl.Int8)
        ).alias("confidence")
    )
    return _finish(
        rows,
        "same_spot",
        "at least same_spot_min_vessels vessels within same_spot_radius_m of one spot in one "
        "same_spot_window_min time bin (four grids offset by half a cell and/or half a bin)",
        config,
        ["n_vessels", "other_vessel_ids"],
    )


@numba.njit(cache=True)
def _course_turns(
    vessel: np.ndarray,
    ts_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    course_deg: np.ndarray,
    moving: np.ndarray,
    max_step_h: float,
) -> np.ndarray:
    """Signed course change (degrees, -180 to 180) from the previous ``moving`` row of the same
    vessel, 0 after a step longer than ``max_step_h`` and at non-moving rows. A missing (NaN)
    course is the bearing from the previous moving position of the vessel."""
    turn = np.zeros(moving.size)
    prev, prev_course = -1, math.nan
    for i in range(moving.size):
        if not moving[i]:
            continue
        same = prev >= 0 and vessel[prev] == vessel[i]
        course = float(course_deg[i])
        if math.isnan(course) and same:
            course = _bearing_deg(lon[prev], lat[prev], lon[i], lat[i])
        if same and (ts_us[i] - ts_us[prev]) / US_PER_H <= max_step_h:
            change = (course - prev_course + 180.0) % 360.0 - 180.0
            if not math.isnan(change):
                turn[i] = change
        prev, prev_course = i, course
    return turn


@numba.njit(cache=True, inline="always")
def _bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Initial great-circle bearing from the first position to the second, 0-360 degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlam = math.radians(lon2 - lon1)
    y = math.sin(dlam) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlam)
    return math.degrees(math.atan2(y, x)) % 360.0


@numba.njit(cache=True)
def _circled(
    vessel: np.ndarray,
    ts_us: np.ndarray,
    turn: np.ndarray,
    moving: np.ndarray,
    window_us: int,
    min_turn_deg: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per moving row, the course change summed over the vessel's moving rows in
    ``(ts - window, ts]``, and whether the row lies inside a window that turned at least
    ``min_turn_deg``: when a window does, its moving rows not yet marked are marked (window
    starts only grow, so each row is marked once)."""
    n = moving.size
    turned = np.zeros(n)
    inside = np.zeros(n, np.bool_)
    lo, hi, marked, total = 0, 0, 0, 0.0
    for i in range(n):
        if i == 0 or vessel[i] != vessel[i - 1]:
            lo, hi, marked, total = i, i, i, 0.0
        if not moving[i]:
            continue
        while hi < n and vessel[hi] == vessel[i] and ts_us[hi] <= ts_us[i]:
            total += turn[hi]  # zero at rows that are not moving
            hi += 1
        while not moving[lo] or ts_us[lo] <= ts_us[i] - window_us:
            total -= turn[lo]
            lo += 1
        turned[i] = total
        if abs(total) >= min_turn_deg:
            for j in range(max(lo, marked), i + 1):
                inside[j] = moving[j]
            marked = i + 1
    return turned, inside


def _circling(track: _Track, config: SpoofingConfig) -> pl.DataFrame:
    """Tracks whose course turns through ``circle_min_turns`` circles within the window."""
    moving = track.mask(
        is_valid_position()
        & ~pl.col("noise").fill_null(False)
        & (pl.col("speed_knots") >= config.circle_min_speed_knots)
    )
    course = track.points["course_deg"].fill_null(float("nan")).to_numpy()
    turn = _course_turns(
        track.vessel,
        track.ts_us,
        track.lon,
        track.lat,
        course,
        moving,
        config.circle_min_duration_h,
    )
    window_us = round(config.circle_min_duration_h * US_PER_H)
    turned, inside = _circled(
        track.vessel, track.ts_us, turn, moving, window_us, 360.0 * config.circle_min_turns
    )
    members, episode = _runs(inside, moving, track.vessel)
    rows = (
        track.take(members, _episode=episode, turn_deg=turn[members], _turned=turned[members])
        .group_by("_episode", maintain_order=True)
        .agg(
            *_common_aggs(["turn_deg"]),
            (pl.col("_turned").get(pl.col("_turned").abs().arg_max()) / 360.0).alias("_turns"),
            pl.col("lon").mean(),
            pl.col("lat").mean(),
            pl.struct(pl.col("lon").alias("_track_lon"), pl.col("lat").alias("_track_lat")).alias(
                "_track"
            ),
        )
    )
    radius = (
        rows.select("_episode", "lon", "lat", "_track")
        .explode("_track")
        .unnest("_track")
        .group_by("_episode")
        .agg(
            haversine_m_expr(
                pl.col("lon"), pl.col("lat"), pl.col("_track_lon"), pl.col("_track_lat")
            )
            .mean()
            .alias("radius_m")
        )
    )
    rows = rows.join(radius, on="_episode", how="left", maintain_order="left").with_columns(
        pl.col("_turns").abs().round(2).alias("turns_in_window"),
        pl.when(pl.col("_turns") > 0)
        .then(pl.lit("clockwise"))
        .otherwise(pl.lit("counterclockwise"))
        .alias("direction"),
        pl.col("radius_m").round(0),
        (2 + (pl.col("_turns").abs() >= 2 * config.circle_min_turns).cast(pl.Int8)).alias(
            "confidence"
        ),
    )
    return _finish(
        rows,
        "circling",
        "course turning through circle_min_turns full circles within circle_min_duration_h "
        "while making at least circle_min_speed_knots",
        config,
        ["turns_in_window", "direction", "radius_m"],
    )
