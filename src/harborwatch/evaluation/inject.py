"""Injected ground truth: faults written into real tracks, with a table of what was done.

:func:`inject_faults` takes real positions (:data:`harborwatch.schemas.POSITIONS`) and returns
them with faults whose answer is known, plus a truth table (:data:`TRUTH_COLUMNS`):

- ``gap`` (``ais_gap``): every position of one vessel inside a window of a chosen length is
  deleted. Only windows the vessel covers densely are cut (a point within ``dense_interval_min``
  on both sides, no natural gap of ``natural_gap_h`` within or next to the window), so the truth
  gap runs from the last kept point before the window to the first kept point after it.
- ``teleport`` (``spoofing``): one isolated position of a moving vessel is moved
  ``teleport_min_distance_m`` or more away (at sea when a land test is given); its neighbours
  stay, so the implied speed is far above any ship's.
- ``on_land`` (``spoofing``): a run of ``land_run_points`` consecutive positions is translated
  onto land far from any port.
- ``simultaneous`` (``identity_change``): vessel B's positions over a window are copied under
  vessel A's MMSI while A is heard far away, so A's MMSI is heard from two places at once.

Each fault uses vessels no other fault touches, so one fault's events cannot be mistaken for
another's. The function is pure and deterministic for a seed: land and port lookups come in as
callables (:func:`inland_test` builds one from the reference geography).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from harborwatch.errors import InputError
from harborwatch.events.base import EventType
from harborwatch.geo.distance import destination, haversine_m

if TYPE_CHECKING:
    from harborwatch.geo.reference import Geography

PositionTest = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``test(lon, lat) -> bool array``: a vectorised yes/no question about positions."""


NM_M = 1852.0
_MS_PER_H = 3_600_000
_CLEAN_SPEED_KNOTS = 30.0
"""Neighbours of a teleport or land run must be linked at plausible speeds in the original data
(below the segmenter's 25-50 kn band's top), so the injected jump is the only one there."""

_BEARINGS_DEG = np.arange(0.0, 360.0, 22.5)
_LAND_OFFSETS_M = np.array([10e3, 20e3, 40e3, 80e3, 160e3, 320e3])

TRUTH_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "truth_id": pl.String,
    "event_type": pl.String,
    "kind": pl.String,
    "vessel_id": pl.String,
    "start_ts": pl.Datetime("us", "UTC"),
    "end_ts": pl.Datetime("us", "UTC"),
    "lon": pl.Float64,
    "lat": pl.Float64,
    "detail": pl.String,
}
"""The truth table: one row per injected fault, the event a perfect detector reports for it."""

KIND_EVENT_TYPES = {
    "gap": EventType.AIS_GAP,
    "teleport": EventType.SPOOFING,
    "on_land": EventType.SPOOFING,
    "simultaneous": EventType.IDENTITY_CHANGE,
}
"""The event type each kind of injected fault should be detected as."""


@dataclass(frozen=True)
class InjectionPlan:
    """How many faults of each kind to inject, and how they are shaped."""

    gap_lengths_h: tuple[float, ...] = (6.5, 8.0, 12.0, 24.0, 48.0)  # around GapConfig's 6/12 h
    teleports: int = 20
    on_land_runs: int = 10
    second_transmitters: int = 3
    dense_interval_min: float = 15.0  # a point this close to each side of a cut or teleport
    natural_gap_h: float = 6.0  # GapConfig.min_gap_h: no such gap within or next to a cut
    teleport_min_distance_m: float = 100_000.0  # 100 km in <= 15 min is > 200 kn (limit 50 kn)
    teleport_max_distance_m: float = 200_000.0
    moving_min_speed_knots: float = 3.0  # teleports are cut from vessels making way
    land_run_points: int = 5
    second_transmitter_h: float = 6.0  # the window of B's positions copied under A's MMSI
    second_transmitter_min_distance_m: float = 100_000.0  # 2x IdentityConfig's 50 km

    def __post_init__(self) -> None:
        if any(not length > 0 for length in self.gap_lengths_h):
            raise InputError(f"gap lengths must be positive hours, got {self.gap_lengths_h!r}")
        counts = (self.teleports, self.on_land_runs, self.second_transmitters)
        if min(counts) < 0:
            raise InputError(f"fault counts must be >= 0, got {counts!r}")


def inland_test(
    geography: Geography,
    min_port_distance_m: float = 20_000.0,
    min_inland_distance_m: float = 5_000.0,
) -> PositionTest:
    """A test for positions on land, further than ``min_port_distance_m`` from every port (four
    times SpoofingConfig's 5 km, so a translated land run stays clear of ports) and at least
    ``min_inland_distance_m`` inside the coastline (beyond SpoofingConfig's 2 km allowance for
    coarse coastlines)."""

    def test(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        _, distance_m = geography.port_index.nearest(lon, lat, min_port_distance_m)
        coast_m, land = geography.shore.lookup(lon, lat)
        deep = np.asarray(land, dtype=bool) & (coast_m >= min_inland_distance_m)
        return deep & ~np.isfinite(distance_m)

    return test


def inject_faults(
    positions: pl.DataFrame,
    plan: InjectionPlan,
    seed: int,
    *,
    is_inland: PositionTest | None = None,
    is_land: PositionTest | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``positions`` with the faults of ``plan`` injected, and the truth table.

    ``is_inland`` says where on-land runs may go (required when ``plan.on_land_runs > 0``);
    ``is_land``, when given, keeps teleported positions at sea. The output keeps the input's
    columns, sorted by vessel key and time. Raises :class:`InputError` when the positions hold
    too few suitable vessels for the plan (fewer faults would silently skew the scores).
    """
    if plan.on_land_runs and is_inland is None:
        raise InputError("on-land runs need an inland test (pass is_inland, or --land 0)")
    frame = _prepared(positions)
    tracks = _Tracks.of(frame, plan)
    rng = np.random.default_rng(seed)
    edits = _Edits()
    for length_h in sorted(plan.gap_lengths_h, reverse=True):
        _inject_gap(tracks, plan, length_h, rng, edits)
    index = np.arange(tracks.key.size)
    clean = _clean(tracks, index, 2, 2) & _moving(tracks, index, plan)
    for _ in range(plan.teleports):
        _inject_teleport(tracks, index[clean], plan, rng, edits, is_land)
    clean = _clean(tracks, index, 1, plan.land_run_points)
    for _ in range(plan.on_land_runs):
        assert is_inland is not None
        _inject_land_run(tracks, index[clean], plan, rng, edits, is_inland)
    for _ in range(plan.second_transmitters):
        _inject_second_transmitter(frame, tracks, plan, rng, edits)
    return edits.apply(frame, positions.columns), edits.truth()


def _prepared(positions: pl.DataFrame) -> pl.DataFrame:
    """Positions with ``_vid`` (the vessel key) and ``_row``, sorted so that the result does not
    depend on the input order."""
    vid = pl.coalesce(pl.col("mmsi").cast(pl.String), pl.col("vessel_key"))
    ties = [c for c in ("lon", "lat", "sog_knots", "cog_deg", "line_no") if c in positions.columns]
    return (
        positions.with_columns(vid.alias("_vid"))
        .sort(["_vid", "ts", *ties], nulls_last=True)
        .with_row_index("_row")
    )


@dataclass
class _Tracks:
    """The located positions as arrays sorted by vessel and time, with per-point context."""

    row: np.ndarray
    vessel: np.ndarray
    vessel_ids: list[str]
    ts_ms: np.ndarray
    key: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    sog: np.ndarray
    first: np.ndarray
    last: np.ndarray
    speed_next_knots: np.ndarray
    dense_ms: int
    used: set[str]
    used_code: np.ndarray

    @classmethod
    def of(cls, frame: pl.DataFrame, plan: InjectionPlan) -> _Tracks:
        located = frame.filter(
            pl.col("lon").is_between(-180.0, 180.0) & pl.col("lat").is_between(-90.0, 90.0)
        )
        codes = located["_vid"].rle_id().to_numpy().astype(np.int64)
        ts_ms = located["ts"].dt.epoch("ms").to_numpy().astype(np.int64)
        # Keys of one vessel stay below the next vessel's even when shifted by the longest cut
        # and its margins, so searches never cross vessels.
        reach_h = max(plan.gap_lengths_h, default=0.0) + 2 * plan.natural_gap_h + 2.0
        span_ms = int(ts_ms.max() - ts_ms.min() if ts_ms.size else 0) + round(reach_h * _MS_PER_H)
        index = np.arange(codes.size)
        starts = np.r_[True, codes[1:] != codes[:-1]] if codes.size else np.zeros(0, bool)
        ends = np.r_[codes[1:] != codes[:-1], True] if codes.size else np.zeros(0, bool)
        lon = located["lon"].to_numpy()
        lat = located["lat"].to_numpy()
        step_m = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
        step_h = np.diff(ts_ms) / _MS_PER_H
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = np.where(step_h > 0, step_m / NM_M / step_h, np.inf)
        return cls(
            row=located["_row"].to_numpy(),
            vessel=codes,
            vessel_ids=located["_vid"].unique(maintain_order=True).to_list(),
            ts_ms=ts_ms,
            key=codes * span_ms + (ts_ms - (ts_ms.min() if ts_ms.size else 0)),
            lon=lon,
            lat=lat,
            sog=located["sog_knots"].cast(pl.Float64).fill_null(np.nan).to_numpy(),
            first=np.maximum.accumulate(np.where(starts, index, 0)),
            last=np.minimum.accumulate(np.where(ends, index, codes.size)[::-1])[::-1],
            speed_next_knots=np.append(np.where(ends[:-1], 0.0, speed), 0.0),
            dense_ms=round(plan.dense_interval_min * 60_000),
            used=set(),
            used_code=np.zeros(int(codes.max()) + 1 if codes.size else 0, dtype=bool),
        )

    def vid(self, i: int) -> str:
        return self.vessel_ids[self.vessel[i]]

    def shifted(self, index: np.ndarray, delta: int) -> np.ndarray:
        """``index + delta`` clipped to the vessel; -1 where that leaves the vessel."""
        moved = index + delta
        inside = (moved >= self.first[index]) & (moved <= self.last[index])
        return np.where(inside, moved, -1)

    def free(self, candidates: np.ndarray) -> np.ndarray:
        """Candidates on vessels no fault has used yet."""
        return candidates[~self.used_code[self.vessel[candidates]]]

    def use(self, *vids: str) -> None:
        """Mark vessels as taken by a fault."""
        self.used.update(vids)
        codes = [self.vessel_ids.index(vid) for vid in vids if vid in self.vessel_ids]
        self.used_code[codes] = True


def _pick(candidates: np.ndarray, tracks: _Tracks, rng: np.random.Generator) -> int:
    """A random candidate of a random vessel (so busy vessels are not favoured)."""
    vessels = np.unique(tracks.vessel[candidates])
    vessel = rng.choice(vessels)
    mine = candidates[tracks.vessel[candidates] == vessel]
    return int(rng.choice(mine))


def _shortage(what: str) -> InputError:
    return InputError(
        f"not enough suitable vessels for {what}; give more data (--since/--until) or ask for "
        "fewer faults"
    )


def _clean(tracks: _Tracks, index: np.ndarray, before: int, after: int) -> np.ndarray:
    """True where the points ``index - before .. index + after`` exist, follow each other within
    the dense interval and at plausible speeds (none of them is an existing jump)."""
    ok = np.ones(index.size, dtype=bool)
    for delta in range(-before, after):
        a, b = tracks.shifted(index, delta), tracks.shifted(index, delta + 1)
        ok &= (a >= 0) & (b >= 0)
        a, b = np.where(ok, a, 0), np.where(ok, b, 0)
        ok &= tracks.ts_ms[b] - tracks.ts_ms[a] <= tracks.dense_ms
        ok &= tracks.ts_ms[b] > tracks.ts_ms[a]
        ok &= tracks.speed_next_knots[a] <= _CLEAN_SPEED_KNOTS
    return ok


def _gap_candidates(tracks: _Tracks, plan: InjectionPlan, length_h: float) -> np.ndarray:
    """Anchor points ``i`` (the last kept point) of cuts of ``length_h``, with the first kept
    point after each cut: ``(i, j)`` pairs as a 2 x n array."""
    length_ms = round(length_h * _MS_PER_H)
    margin_ms = round(plan.natural_gap_h * _MS_PER_H)
    key, ts = tracks.key, tracks.ts_ms
    i = np.arange(key.size)
    target = key + length_ms
    j = np.minimum(np.searchsorted(key, target, side="left"), key.size - 1)
    prev = tracks.shifted(i, -1)
    ok = (j <= tracks.last) & (j - i >= 2) & (prev >= 0)
    ok &= ts - ts[np.maximum(prev, 0)] <= tracks.dense_ms
    ok &= (key[j] >= target) & (key[j] - target <= tracks.dense_ms)
    ok &= (ts - ts[tracks.first] >= _MS_PER_H) & (ts[tracks.last] - ts[j] >= _MS_PER_H)
    big = np.r_[(np.diff(ts) >= margin_ms) & (tracks.vessel[1:] == tracks.vessel[:-1]), False]
    cum = np.r_[0, np.cumsum(big)]
    lo = np.maximum(np.searchsorted(key, key - margin_ms, side="left") - 1, tracks.first)
    hi = np.searchsorted(key, key[j] + margin_ms, side="right") - 1
    ok &= cum[hi + 1] - cum[lo] == 0
    return np.vstack([i[ok], j[ok]])


def _inject_gap(
    tracks: _Tracks, plan: InjectionPlan, length_h: float, rng: np.random.Generator, edits: _Edits
) -> None:
    pairs = _gap_candidates(tracks, plan, length_h)
    pairs = pairs[:, np.isin(pairs[0], tracks.free(pairs[0]))]
    if pairs.shape[1] == 0:
        raise _shortage(f"a {length_h:g} h gap")
    i = _pick(pairs[0], tracks, rng)
    j = int(pairs[1][np.flatnonzero(pairs[0] == i)[0]])
    vid = tracks.vid(i)
    tracks.use(vid)
    start_ms, end_ms = int(tracks.ts_ms[i]), int(tracks.ts_ms[j])
    edits.delete_window(vid, start_ms, end_ms)
    edits.add_truth(
        "gap",
        vid,
        start_ms,
        end_ms,
        tracks.lon[i],
        tracks.lat[i],
        {"gap_h": length_h, "duration_h": round((end_ms - start_ms) / _MS_PER_H, 4)},
    )


def _moving(tracks: _Tracks, index: np.ndarray, plan: InjectionPlan) -> np.ndarray:
    speed = np.where(np.isnan(tracks.sog[index]), tracks.speed_next_knots[index], tracks.sog[index])
    return speed >= plan.moving_min_speed_knots


def _inject_teleport(
    tracks: _Tracks,
    clean: np.ndarray,
    plan: InjectionPlan,
    rng: np.random.Generator,
    edits: _Edits,
    is_land: PositionTest | None,
) -> None:
    candidates = tracks.free(clean)
    while candidates.size:
        i = _pick(candidates, tracks, rng)
        distance_m = rng.uniform(plan.teleport_min_distance_m, plan.teleport_max_distance_m)
        bearings = (rng.uniform(0.0, 360.0) + _BEARINGS_DEG) % 360.0
        lon, lat = destination(
            np.full(bearings.size, tracks.lon[i]),
            np.full(bearings.size, tracks.lat[i]),
            bearings,
            np.full(bearings.size, distance_m),
        )
        at_sea = np.ones(bearings.size, bool) if is_land is None else ~is_land(lon, lat)
        if at_sea.any():
            k = int(np.argmax(at_sea))
            _record_teleport(tracks, i, float(lon[k]), float(lat[k]), edits)
            return
        candidates = candidates[tracks.vessel[candidates] != tracks.vessel[i]]
    raise _shortage("a teleport")


def _record_teleport(tracks: _Tracks, i: int, lon: float, lat: float, edits: _Edits) -> None:
    vid = tracks.vid(i)
    tracks.use(vid)
    edits.move(np.array([tracks.row[i]]), np.array([lon]), np.array([lat]))
    jump_m = float(haversine_m(tracks.lon[i], tracks.lat[i], lon, lat))
    hours = [(tracks.ts_ms[i] - tracks.ts_ms[i - 1]) / _MS_PER_H]
    hours.append((tracks.ts_ms[i + 1] - tracks.ts_ms[i]) / _MS_PER_H)
    edits.add_truth(
        "teleport",
        vid,
        int(tracks.ts_ms[i]),
        int(tracks.ts_ms[i]),
        lon,
        lat,
        {
            "original_lon": float(tracks.lon[i]),
            "original_lat": float(tracks.lat[i]),
            "jump_m": round(jump_m),
            "min_implied_speed_knots": round(jump_m / NM_M / max(hours), 1),
        },
    )


def _inject_land_run(
    tracks: _Tracks,
    clean: np.ndarray,
    plan: InjectionPlan,
    rng: np.random.Generator,
    edits: _Edits,
    is_inland: PositionTest,
) -> None:
    n = plan.land_run_points
    candidates = tracks.free(clean)
    while candidates.size:
        i = _pick(candidates, tracks, rng)
        run = np.arange(i, i + n)
        shift = _inland_shift(tracks.lon[run], tracks.lat[run], rng, is_inland)
        if shift is not None:
            vid = tracks.vid(i)
            tracks.use(vid)
            lon, lat = tracks.lon[run] + shift[0], tracks.lat[run] + shift[1]
            edits.move(tracks.row[run], lon, lat)
            edits.add_truth(
                "on_land",
                vid,
                int(tracks.ts_ms[i]),
                int(tracks.ts_ms[i + n - 1]),
                float(lon[0]),
                float(lat[0]),
                {
                    "n_positions": n,
                    "offset_m": round(
                        float(haversine_m(tracks.lon[i], tracks.lat[i], lon[0], lat[0]))
                    ),
                },
            )
            return
        candidates = candidates[tracks.vessel[candidates] != tracks.vessel[i]]
    raise _shortage("an on-land run")


def _inland_shift(
    lon: np.ndarray, lat: np.ndarray, rng: np.random.Generator, is_inland: PositionTest
) -> tuple[float, float] | None:
    """The shortest translation (degrees) among the tried offsets and bearings that puts every
    position of the run inland, or None."""
    bearings = (rng.uniform(0.0, 360.0) + _BEARINGS_DEG) % 360.0
    distance = np.repeat(_LAND_OFFSETS_M, bearings.size)
    bearing = np.tile(bearings, _LAND_OFFSETS_M.size)
    to_lon, to_lat = destination(
        np.full(distance.size, lon[0]), np.full(distance.size, lat[0]), bearing, distance
    )
    d_lon, d_lat = to_lon - lon[0], to_lat - lat[0]
    moved_lon = (lon[None, :] + d_lon[:, None]).ravel()
    moved_lat = (lat[None, :] + d_lat[:, None]).ravel()
    inland = is_inland(moved_lon, moved_lat).reshape(distance.size, lon.size).all(axis=1)
    if not inland.any():
        return None
    k = int(np.argmax(inland))
    return float(d_lon[k]), float(d_lat[k])


def _windows(frame: pl.DataFrame, window_h: float) -> pl.DataFrame:
    """Per vessel and aligned window of ``window_h``: count, time span, centroid and radius."""
    every = f"{round(window_h * 3600)}s"
    located = frame.filter(
        pl.col("lon").is_between(-180.0, 180.0) & pl.col("lat").is_between(-90.0, 90.0)
    )
    stats = (
        located.with_columns(pl.col("ts").dt.truncate(every).alias("_win"))
        .group_by("_vid", "_win")
        .agg(
            pl.len().alias("n"),
            pl.col("ts").min().alias("first_ts"),
            pl.col("ts").max().alias("last_ts"),
            pl.col("ts").diff().max().alias("max_step"),
            pl.col("lon").mean().alias("c_lon"),
            pl.col("lat").mean().alias("c_lat"),
            pl.col("lon").alias("_lons"),
            pl.col("lat").alias("_lats"),
        )
    )
    exploded = stats.select("_vid", "_win", "c_lon", "c_lat", "_lons", "_lats").explode(
        "_lons", "_lats"
    )
    dist = haversine_m(
        exploded["c_lon"].to_numpy(),
        exploded["c_lat"].to_numpy(),
        exploded["_lons"].to_numpy(),
        exploded["_lats"].to_numpy(),
    )
    radii = (
        exploded.select("_vid", "_win")
        .with_columns(pl.Series("radius_m", dist))
        .group_by("_vid", "_win")
        .agg(pl.col("radius_m").max())
    )
    return stats.drop("_lons", "_lats").join(radii, on=["_vid", "_win"]).sort("_vid", "_win")


def _inject_second_transmitter(
    frame: pl.DataFrame,
    tracks: _Tracks,
    plan: InjectionPlan,
    rng: np.random.Generator,
    edits: _Edits,
) -> None:
    window = pl.duration(milliseconds=round(plan.second_transmitter_h * _MS_PER_H))
    # both vessels heard at least every four dense intervals (an hour) all through the window
    step_limit = pl.duration(milliseconds=round(plan.dense_interval_min * 4 * 60_000))
    windows = _windows(frame, plan.second_transmitter_h).filter(
        ~pl.col("_vid").is_in(list(tracks.used))
        & (pl.col("last_ts") - pl.col("first_ts") >= window * 0.8)
        & (pl.col("max_step") <= step_limit)
    )
    pairs = windows.join(windows, on="_win", suffix="_b").filter(pl.col("_vid") != pl.col("_vid_b"))
    if pairs.height:
        apart = haversine_m(
            pairs["c_lon"].to_numpy(),
            pairs["c_lat"].to_numpy(),
            pairs["c_lon_b"].to_numpy(),
            pairs["c_lat_b"].to_numpy(),
        )
        clear = apart - pairs["radius_m"].to_numpy() - pairs["radius_m_b"].to_numpy()
        pairs = pairs.with_columns(pl.Series("_apart_m", clear)).filter(
            pl.col("_apart_m") >= plan.second_transmitter_min_distance_m
        )
    if pairs.height == 0:
        raise _shortage("a second transmitter")
    pairs = pairs.sort("_vid", "_win", "_vid_b")
    a_ids = pairs["_vid"].unique(maintain_order=True).to_list()
    vid_a = str(rng.choice(a_ids))
    mine = pairs.filter(pl.col("_vid") == vid_a)
    chosen = mine.row(int(rng.integers(mine.height)), named=True)
    vid_b = chosen["_vid_b"]
    tracks.use(vid_a, vid_b)
    copied = frame.filter(
        (pl.col("_vid") == vid_b)
        & pl.col("ts").is_between(chosen["first_ts_b"], chosen["last_ts_b"])
        & pl.col("lon").is_between(-180.0, 180.0)
        & pl.col("lat").is_between(-90.0, 90.0)
    )
    identity = frame.filter(pl.col("_vid") == vid_a).select("mmsi", "vessel_key").row(0)
    edits.add_rows(
        copied.with_columns(
            pl.lit(identity[0], frame.schema["mmsi"]).alias("mmsi"),
            pl.lit(identity[1], frame.schema["vessel_key"]).alias("vessel_key"),
            pl.lit(vid_a).alias("_vid"),
        )
    )
    first = copied.row(0, named=True)
    edits.add_truth(
        "simultaneous",
        vid_a,
        _epoch_ms(first["ts"]),
        _epoch_ms(copied["ts"].max()),  # type: ignore[arg-type]
        float(first["lon"]),
        float(first["lat"]),
        {
            "source_vessel_id": vid_b,
            "copied_positions": copied.height,
            "min_distance_m": round(float(chosen["_apart_m"])),
        },
    )


def _epoch_ms(ts: datetime) -> int:
    return math.floor(ts.timestamp() * 1000)


class _Edits:
    """The changes decided so far, applied to the frame in one pass at the end."""

    def __init__(self) -> None:
        self.windows: list[tuple[str, int, int]] = []
        self.moved: list[pl.DataFrame] = []
        self.added: list[pl.DataFrame] = []
        self.rows: list[dict[str, object]] = []

    def delete_window(self, vid: str, start_ms: int, end_ms: int) -> None:
        """Delete every row of ``vid`` strictly between the two times."""
        self.windows.append((vid, start_ms, end_ms))

    def move(self, rows: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
        self.moved.append(
            pl.DataFrame(
                {"_row": rows, "_lon": lon, "_lat": lat},
                schema={"_row": pl.UInt32, "_lon": pl.Float64, "_lat": pl.Float64},
            )
        )

    def add_rows(self, rows: pl.DataFrame) -> None:
        self.added.append(rows)

    def add_truth(
        self,
        kind: str,
        vid: str,
        start_ms: int,
        end_ms: int,
        lon: float,
        lat: float,
        detail: dict[str, object],
    ) -> None:
        self.rows.append(
            {
                "event_type": str(KIND_EVENT_TYPES[kind]),
                "kind": kind,
                "vessel_id": vid,
                "start_ts": datetime.fromtimestamp(start_ms / 1000, UTC),
                "end_ts": datetime.fromtimestamp(end_ms / 1000, UTC),
                "lon": float(lon),
                "lat": float(lat),
                "detail": json.dumps(detail, sort_keys=True),
            }
        )

    def apply(self, frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
        out = frame
        for vid, start_ms, end_ms in self.windows:
            ms = pl.col("ts").dt.epoch("ms")
            out = out.filter(~((pl.col("_vid") == vid) & (ms > start_ms) & (ms < end_ms)))
        if self.moved:
            moved = pl.concat(self.moved)
            out = out.join(moved, on="_row", how="left", maintain_order="left").with_columns(
                pl.coalesce("_lon", "lon").alias("lon"), pl.coalesce("_lat", "lat").alias("lat")
            )
        out = pl.concat([out.select(frame.columns), *[a.select(frame.columns) for a in self.added]])
        return out.sort("_vid", "ts", "_row").select(columns)

    def truth(self) -> pl.DataFrame:
        truth = pl.DataFrame(
            self.rows, schema={k: v for k, v in TRUTH_COLUMNS.items() if k != "truth_id"}
        )
        truth = truth.sort("kind", "start_ts", "vessel_id")
        ids = pl.concat_str(
            pl.col("kind"),
            pl.lit("-"),
            (pl.int_range(pl.len()).over("kind") + 1).cast(pl.String).str.zfill(2),
        )
        return truth.with_columns(ids.alias("truth_id")).select(list(TRUTH_COLUMNS))
