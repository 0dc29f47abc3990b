"""Destination forecast: where a vessel is going next, with probabilities and ETAs.

For one vessel at a time ``at`` (only data up to ``at`` is read: the future stays hidden), the
candidate ports come from three sources and are ranked by one log-linear score:

- the **declared destination** (AIS type 5 text) matched to a port name or a UN/LOCODE
  ("USLGB", "US LGB", "LONG BEACH CA", "USNTD>USLGB" -> the part after ``>``); texts that name no
  port ("FOR ORDERS", "TBA") give no candidate;
- the **heading**: ports within ``cone_half_angle_deg`` of the course made good over the last
  ``course_window_h``, nearer and better aligned first;
- the **port-to-port history** of every vessel's port visits known at ``at``: how often a visit
  to the vessel's last port was followed by one to the candidate.

``score = declared_weight * [declared] + heading_weight * (cos(off_course) - 1)
- distance_weight * ln(1 + distance_km / distance_scale_km)
+ history_weight * ln((n(last -> c) + a) / (n(last) + a))``; probabilities are the softmax of the
scores over ``temperature``, sharing what an "other" outcome (a port not listed) leaves, both
calibrated on the Santa Barbara week (docs/EVALUATION.md). ETA is the
sea distance over the recent mean speed: the ``searoute`` sea-lane network's route length (through
passages such as Suez, Gibraltar, the Bosporus) for candidates at least ``sea_lane_min_km`` away,
never less than the great-circle distance times ``detour_factor``, which alone serves nearer ones.

Ports are compared by a key made from their name (upper case, letters and digits), so a World Port
Index port and the GFW anchorages of the same port count as one place; among the rows of one key
the one nearest the vessel stands for it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import searoute

from harborwatch.geo.distance import haversine_m
from harborwatch.geo.ports import searoute_ports


@dataclass(frozen=True)
class ForecastConfig:
    """Weights and windows of the destination forecast.

    Windows and radii are set by hand. The three weights of heading, distance and history were
    chosen on a small grid (history 1/2/3, heading 0.5/1/2, distance 0.5/1) by top-1 and top-3
    accuracy on the first half of the Santa Barbara week (departures before 2018-06-04), and
    checked on the second half (docs/EVALUATION.md)."""

    declared_weight: float = 3.0
    """Log-odds bonus of the declared destination: e^3 = 20 times a port that is not declared."""
    heading_weight: float = 0.5
    """Times (cos(off-course angle) - 1): 0 dead ahead, -0.07 at 30 degrees, -1 astern (weak:
    an hour out of port, many vessels are heading away from a port they will return to)."""
    distance_weight: float = 1.0
    """Times -ln(1 + distance_km / distance_scale_km): nearer ports ahead are likelier."""
    distance_scale_km: float = 20.0
    history_weight: float = 3.0
    """Times ln((n(last -> c) + a) / (n(last) + a)): 0 when the last port has no history."""
    history_smoothing: float = 1.0
    """``a`` above: one pseudo-visit, so a single transition is not a certainty."""
    other_probability: float = 0.15
    """Probability of "some port not listed": in the Santa Barbara evaluation the next call was
    outside the top 5 candidates after 14 % of departures."""
    temperature: float = 2.0
    """Scores are divided by this before the softmax: ranks do not change, probabilities do.
    Chosen like the weights on the Santa Barbara departures of June 1-3: the top candidate's
    mean probability 0.48 for a top-1 accuracy of 0.50 (1.0 gave 0.65, over-confident); over
    the whole week 0.57 for 0.64."""
    cone_half_angle_deg: float = 30.0
    max_range_km: float = 1_000.0
    """Heading candidates lie within this great-circle distance."""
    cone_candidates: int = 8
    """At most this many heading candidates (best scored) join the declared and history ones."""
    course_window_h: float = 1.0
    """Course made good from the position this long before ``at``."""
    min_course_distance_m: float = 1_000.0
    """Below this displacement the last reported course is used instead."""
    speed_window_h: float = 3.0
    min_speed_knots: float = 2.0
    """Speeds below this (in port, drifting) are left out of the recent mean."""
    default_speed_knots: float = 10.0
    """Speed assumed when the vessel made none above ``min_speed_knots`` recently."""
    detour_factor: float = 1.3
    """Sea distance over great-circle distance (coasts, lanes, harbour approaches)."""
    sea_lane_min_km: float = 100.0
    """Candidates at least this far get the sea-lane route length (about 1 ms a route);
    ``inf`` turns the network off."""
    locode_radius_km: float = 30.0
    """A UN/LOCODE's point resolves to the nearest port within this distance."""
    name_cutoff: float = 0.85
    """Smallest similarity (difflib ratio) of a declared text to a port name."""
    match_radius_km: float = 5.0
    """Evaluation: a candidate this close to the visited port counts as a hit (one place)."""


NO_PORT = re.compile(
    r"^(FOR ORDERS?|ORDERS?|TBA|TBN|TBC|N ?A|NONE|UNKNOWN|FISHING|HOME|SEA|AT SEA|[0-9 ]*)$"
)
"""Declared texts that name no port."""

_SUFFIXES = {"CA", "US", "USA", "CALIFORNIA", "PORT", "HARBOR", "HBR", "ANCH", "ANCHORAGE", "ANC"}
_PREFIXES = {"US", "USA", "MX", "PORT OF"}
_US_PER_H = 3_600_000_000


def port_key(text: pl.Expr) -> pl.Expr:
    """Upper-case letters and digits separated by single spaces: the name ports are compared by."""
    return (
        text.str.to_uppercase()
        .str.replace_all(r"[^A-Z0-9]+", " ")
        .str.strip_chars()
        .replace("", None)
    )


def _key(text: str) -> str:
    """:func:`port_key` of one Python string."""
    return re.sub(r"[^A-Z0-9]+", " ", text.upper()).strip()


class PortGazetteer:
    """Ports grouped by name key, with name and UN/LOCODE look-ups of declared destinations.

    Built once per ports table (a forecast of many departures shares it); matches are cached.
    """

    def __init__(self, ports: pl.DataFrame, config: ForecastConfig = ForecastConfig()) -> None:
        rows = ports.select("port_id", "name", "lon", "lat", port_key(pl.col("name")).alias("key"))
        rows = rows.filter(pl.col("key").is_not_null() & pl.col("lat").is_not_null()).sort("key")
        self.config = config
        self.rows = rows
        self.lon = rows["lon"].to_numpy()
        self.lat = rows["lat"].to_numpy()
        self.keys, self.first, group_size = np.unique(
            rows["key"].to_numpy().astype(str), return_index=True, return_counts=True
        )
        self.group = np.repeat(np.arange(self.keys.size), group_size)
        self._compact = {str(key).replace(" ", ""): str(key) for key in self.keys}
        self._locodes = _locode_points()
        self._matched: dict[str, str | None] = {}

    def nearest_rows(self, lon: float, lat: float) -> tuple[np.ndarray, np.ndarray]:
        """Per key (``keys`` order): its row nearest (lon, lat) and that distance in metres."""
        distance_m = haversine_m(lon, lat, self.lon, self.lat)
        rows = np.lexsort((distance_m, self.group))[self.first]
        return rows, distance_m[rows]

    def within(self, key: str, lon: float, lat: float, radius_m: float) -> bool:
        """Whether some port of ``key`` lies within ``radius_m`` of (lon, lat)."""
        rows = self.keys[self.group] == key
        return bool((haversine_m(lon, lat, self.lon[rows], self.lat[rows]) <= radius_m).any())

    def match(self, declared: str | None) -> str | None:
        """The port key a declared destination names, or None (blank, "FOR ORDERS", unknown)."""
        if declared is None:
            return None
        if declared not in self._matched:
            self._matched[declared] = self._match(declared)
        return self._matched[declared]

    def _match(self, declared: str) -> str | None:
        """The part after the last ``>`` (and before a comma, ``;`` or ``/``), as a LOCODE,
        a name with or without country and state words, or the closest name (difflib ratio)."""
        parts = [part for part in re.split(r">|<", declared.upper()) if _key(part)]
        key = _key(re.split(r"[,;/]", parts[-1])[0]) if parts else ""
        if NO_PORT.fullmatch(key):
            return None
        compact = key.replace(" ", "")
        if len(compact) == 5 and compact in self._locodes:
            return self._locode_key(*self._locodes[compact])
        for form in _trimmed(key):
            if form.replace(" ", "") in self._compact:
                return self._compact[form.replace(" ", "")]
        cutoff = self.config.name_cutoff
        close = difflib.get_close_matches(compact, self._compact, n=1, cutoff=cutoff)
        return self._compact[close[0]] if close else None

    def _locode_key(self, name_key: str, lon: float, lat: float) -> str | None:
        """A LOCODE's own port name when listed, else the port nearest its point (in range)."""
        if name_key.replace(" ", "") in self._compact:
            return self._compact[name_key.replace(" ", "")]
        _, distance_m = self.nearest_rows(lon, lat)
        best = int(np.argmin(distance_m))
        in_range = distance_m[best] <= self.config.locode_radius_km * 1e3
        return str(self.keys[best]) if in_range else None


def _trimmed(key: str) -> list[str]:
    """``key`` and its forms without country or state words after or before the name."""
    words = key.split()
    forms = [key]
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words = words[:-1]
        forms.append(" ".join(words))
    while len(words) > 1 and words[0] in _PREFIXES:
        words = words[1:]
        forms.append(" ".join(words))
    return forms


def _locode_points() -> dict[str, tuple[str, float, float]]:
    """UN/LOCODE -> (name key, lon, lat) from the ports shipped with ``searoute``."""
    table = searoute_ports().filter(~pl.col("port_id").str.contains("~", literal=True))
    table = table.select(
        pl.col("port_id").str.strip_prefix("searoute:"), port_key(pl.col("name")), "lon", "lat"
    )
    return {code: (key or "", x, y) for code, key, x, y in table.iter_rows()}


def port_calls(visits: pl.DataFrame) -> pl.DataFrame:
    """Port visits with at least one stop: calls, not the transits past anchorages (the
    Bosporus, Gibraltar, the Sound) that the port-visit detector also reports. A transit says
    nothing of where a vessel goes next, and as the "last port" it hides the real one."""
    stops = pl.col("attributes").str.json_path_match("$.n_stops").cast(pl.Int64)
    return visits.filter(stops.fill_null(0) > 0)


def visit_keys(visits: pl.DataFrame) -> pl.DataFrame:
    """Port calls (``port_visit`` events with a stop, :func:`port_calls`) with the port's name
    key: the ``port_name`` attribute, else the port id."""
    if "event_type" in visits.columns:
        visits = visits.filter(pl.col("event_type") == "port_visit")
    visits = port_calls(visits)
    name = pl.col("attributes").str.json_path_match("$.port_name")
    return visits.with_columns(port_key(pl.coalesce(name, pl.col("site_id"))).alias("key"))


def port_transitions(visits: pl.DataFrame) -> pl.DataFrame:
    """Consecutive port visits of each vessel: ``vessel_id``, ``from_key``, ``to_key`` and
    ``to_start_ts`` (when the transition became known)."""
    keyed = visit_keys(visits).sort("vessel_id", "start_ts")
    return keyed.select(
        "vessel_id",
        pl.col("key").alias("from_key"),
        pl.col("key").shift(-1).over("vessel_id").alias("to_key"),
        pl.col("start_ts").shift(-1).over("vessel_id").alias("to_start_ts"),
    ).drop_nulls()


@dataclass(frozen=True)
class _Motion:
    """Where the vessel is at ``at`` and how it moves."""

    vessel_id: str | None
    lon: float
    lat: float
    course_deg: float
    """Course made good, NaN when unknown."""
    speed_knots: float


def _motion(track: pl.DataFrame, at: datetime, config: ForecastConfig) -> _Motion | None:
    """Last position up to ``at``, course made good over ``course_window_h`` and mean speed
    over ``speed_window_h`` (moving points only); None without a position."""
    if "noise" in track.columns:
        track = track.filter(~pl.col("noise").fill_null(False))
    known = track.filter((pl.col("ts") <= at) & pl.col("lon").is_not_null()).sort("ts")
    if known.is_empty():
        return None
    last = known.row(-1, named=True)
    speed = pl.col("speed_knots" if "speed_knots" in known.columns else "sog_knots")
    course = pl.col("course_deg" if "course_deg" in known.columns else "cog_deg")
    recent = known.filter(pl.col("ts") >= last["ts"] - timedelta(hours=config.speed_window_h))
    moving = recent.select(speed.filter(speed >= config.min_speed_knots).mean()).item()
    before = known.filter(pl.col("ts") <= last["ts"] - timedelta(hours=config.course_window_h))
    course_deg = float("nan")
    if not before.is_empty():
        start = before.row(-1, named=True)
        moved_m = haversine_m(start["lon"], start["lat"], last["lon"], last["lat"])
        if moved_m >= config.min_course_distance_m:
            course_deg = float(_bearing_deg(start["lon"], start["lat"], last["lon"], last["lat"]))
    if np.isnan(course_deg):
        reported = known.select(course.drop_nulls().last()).item()
        course_deg = float("nan") if reported is None else float(reported)
    vessel = last.get("vessel_id")
    if vessel is None and last.get("mmsi") is not None:
        vessel = str(last["mmsi"])
    return _Motion(
        vessel_id=vessel,
        lon=float(last["lon"]),
        lat=float(last["lat"]),
        course_deg=course_deg,
        speed_knots=float(moving) if moving else config.default_speed_knots,
    )


def _bearing_deg(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dlon = np.radians(np.subtract(lon2, lon1))
    y = np.sin(dlon) * np.cos(phi2)
    x = np.cos(phi1) * np.sin(phi2) - np.sin(phi1) * np.cos(phi2) * np.cos(dlon)
    return np.asarray(np.degrees(np.arctan2(y, x)) % 360.0)


def _declared(statics: pl.DataFrame, at: datetime) -> str | None:
    """The last non-blank destination declared up to ``at``."""
    known = statics.filter(
        (pl.col("ts") <= at) & (pl.col("destination").str.strip_chars().str.len_chars() > 0)
    )
    return None if known.is_empty() else known.sort("ts")["destination"][-1]


def _history(
    visits: pl.DataFrame, transitions: pl.DataFrame, vessel_id: str | None, at: datetime
) -> dict[str, int]:
    """How often a visit to the vessel's last port (its latest visit started up to ``at``) was
    followed by one to each port, counting the transitions of all vessels known by ``at``."""
    own = visits.filter((pl.col("vessel_id") == vessel_id) & (pl.col("start_ts") <= at))
    if own.is_empty():
        return {}
    last_key = own.sort("start_ts")["key"][-1]
    known = transitions.filter((pl.col("from_key") == last_key) & (pl.col("to_start_ts") <= at))
    counts = known.group_by("to_key").len()
    return dict(zip(counts["to_key"].to_list(), counts["len"].to_list(), strict=True))


FORECAST_SCHEMA: dict[str, pl.DataType] = {
    "rank": pl.Int32(),
    "port_key": pl.String(),
    "port_id": pl.String(),
    "port_name": pl.String(),
    "lon": pl.Float64(),
    "lat": pl.Float64(),
    "probability": pl.Float64(),
    "eta_ts": pl.Datetime("us", "UTC"),
    "eta_h": pl.Float64(),
    "distance_km": pl.Float64(),
    "off_course_deg": pl.Float64(),
    "declared": pl.Boolean(),
    "history_count": pl.Int64(),
    "score": pl.Float64(),
}
"""One row per candidate, best first, then the ``other`` row (rank, port and ETA null)."""


def forecast_destinations(
    track: pl.DataFrame,
    statics: pl.DataFrame,
    visits: pl.DataFrame,
    ports: pl.DataFrame,
    at: datetime,
    config: ForecastConfig = ForecastConfig(),
    top: int = 5,
) -> pl.DataFrame:
    """Ranked candidate destinations of the vessel of ``track`` at ``at`` (FORECAST_SCHEMA).

    ``track``: its positions or track points (``ts``, ``lon``, ``lat``, ``vessel_id`` or
    ``mmsi``, and ``speed_knots``/``course_deg`` or ``sog_knots``/``cog_deg``; ``noise`` rows are
    skipped); ``statics``: its static reports; ``visits``: ``port_visit`` events of all vessels
    (the history); ``ports``: a PORTS table. Nothing after ``at`` is read. The ``top``
    candidates come with their probability, the ``other`` row with the rest; empty when the
    track has no position up to ``at``.
    """
    keyed = visit_keys(visits)
    forecaster = Forecaster(PortGazetteer(ports, config), keyed, config)
    return forecaster.forecast(track, statics, at, top)


class Forecaster:
    """The forecast with its gazetteer and visit history built once, for many forecasts."""

    def __init__(
        self, gazetteer: PortGazetteer, keyed_visits: pl.DataFrame, config: ForecastConfig
    ) -> None:
        self.gazetteer = gazetteer
        self.visits = keyed_visits
        self.transitions = port_transitions(keyed_visits)
        self.config = config

    def forecast(
        self, track: pl.DataFrame, statics: pl.DataFrame, at: datetime, top: int = 5
    ) -> pl.DataFrame:
        """See :func:`forecast_destinations`."""
        motion = _motion(track, at, self.config)
        if motion is None:
            return pl.DataFrame(schema=FORECAST_SCHEMA)
        scored = self._scores(motion, _declared(statics, at), at)
        return _ranked(scored, top, self.config, at)

    def _scores(self, motion: _Motion, declared_text: str | None, at: datetime) -> pl.DataFrame:
        """Every candidate (declared, ahead in the cone, or in the history) with its score."""
        cfg, gaz = self.config, self.gazetteer
        rows, distance_m = gaz.nearest_rows(motion.lon, motion.lat)
        bearing = _bearing_deg(motion.lon, motion.lat, gaz.lon[rows], gaz.lat[rows])
        off_course = np.abs((bearing - motion.course_deg + 180.0) % 360.0 - 180.0)
        # No course known: the heading term is 0 and no port is "ahead".
        heading = np.nan_to_num(cfg.heading_weight * (np.cos(np.radians(off_course)) - 1.0))
        nearness = -cfg.distance_weight * np.log1p(distance_m / 1e3 / cfg.distance_scale_km)
        declared = gaz.keys == gaz.match(declared_text)
        counts = _history(self.visits, self.transitions, motion.vessel_id, at)
        history_count = _lookup(gaz.keys, counts)
        alpha = cfg.history_smoothing
        total = sum(counts.values())
        history = cfg.history_weight * np.log((history_count + alpha) / (total + alpha))
        score = cfg.declared_weight * declared + heading + nearness + history
        ahead = (off_course <= cfg.cone_half_angle_deg) & (distance_m <= cfg.max_range_km * 1e3)
        best_ahead = np.flatnonzero(ahead)[np.argsort(-score[ahead], kind="stable")]
        chosen = np.union1d(
            best_ahead[: cfg.cone_candidates], np.flatnonzero(declared | (history_count > 0))
        )
        picked = gaz.rows[rows[chosen]]
        sea_m = sea_distance_m(
            motion.lon, motion.lat, picked["lon"].to_numpy(), picked["lat"].to_numpy(), cfg
        )
        return pl.DataFrame(
            {
                "port_key": gaz.keys[chosen].astype(str),
                "port_id": picked["port_id"],
                "port_name": picked["name"],
                "lon": picked["lon"],
                "lat": picked["lat"],
                "distance_km": sea_m / 1e3,
                "eta_h": sea_m / (motion.speed_knots * 1852.0),
                "off_course_deg": off_course[chosen],
                "declared": declared[chosen],
                "history_count": history_count[chosen],
                "score": score[chosen],
            }
        )


def sea_distance_m(
    lon: float, lat: float, to_lon: np.ndarray, to_lat: np.ndarray, config: ForecastConfig
) -> np.ndarray:
    """Sea distance from (lon, lat) to each destination: great circle times ``detour_factor``,
    or the ``searoute`` route length where longer, for destinations ``sea_lane_min_km`` away
    or more (one route per destination: call it with a few candidates, not a port table)."""
    direct_m = haversine_m(lon, lat, to_lon, to_lat)
    sea_m = direct_m * config.detour_factor
    for i in np.flatnonzero(direct_m >= config.sea_lane_min_km * 1e3):
        route = searoute.searoute([lon, lat], [float(to_lon[i]), float(to_lat[i])], units="km")
        sea_m[i] = max(sea_m[i], float(route.properties["length"]) * 1e3)
    return sea_m


def _lookup(keys: np.ndarray, counts: dict[str, int]) -> np.ndarray:
    """``counts`` laid out in ``keys`` order (0 for keys without a count)."""
    found = np.zeros(keys.size, np.int64)
    if counts:
        names = np.array(list(counts), dtype=keys.dtype)
        at = np.clip(np.searchsorted(keys, names), 0, keys.size - 1)
        listed = keys[at] == names
        found[at[listed]] = np.array(list(counts.values()))[listed]
    return found


def _ranked(scored: pl.DataFrame, top: int, config: ForecastConfig, at: datetime) -> pl.DataFrame:
    """Probabilities: ``1 - other_probability`` shared by the softmax of the scores over
    ``temperature``; the ``top`` candidates, then the ``other`` row holding the rest (the
    candidates below the top and ports not listed); ETA times from ``at``."""
    tempered = pl.col("score") / config.temperature
    weight = (tempered - tempered.max()).exp()
    share = (1.0 - config.other_probability) * weight / weight.sum()
    at_us = pl.lit(at).cast(pl.Datetime("us", "UTC"))
    eta_us = (pl.col("eta_h") * _US_PER_H).round().cast(pl.Int64)
    best = (
        scored.with_columns(share.alias("probability"))
        .sort(["probability", "port_key"], descending=[True, False])
        .head(top)
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias("rank"),
            (at_us + pl.duration(microseconds=eta_us)).alias("eta_ts"),
        )
    )
    other = pl.DataFrame(
        {"port_name": ["other"], "probability": [1.0 - float(best["probability"].sum())]}
    )
    return pl.concat([best, other], how="diagonal_relaxed").select(
        pl.col(name).cast(dtype) for name, dtype in FORECAST_SCHEMA.items()
    )


@dataclass(frozen=True)
class ForecastEvaluation:
    """Forecasts scored against the next port visit actually made."""

    figures: dict[str, float | int]
    """n_departures, top1, top3 (shares), mean_top1_probability, median_eta_error_h (over top-3
    hits), baseline_top1 (the declared destination alone), declared_share (departures with a
    port declared)."""
    departures: pl.DataFrame
    """One row per departure: vessel, ports, times, declared match, the hit rank, ETA error."""


def departures(visits: pl.DataFrame, lead_h: float = 1.0) -> pl.DataFrame:
    """Departures to score: a port visit left (exit observed) and followed by the vessel's next
    visit starting more than ``lead_h`` after it (so the forecast does not see the arrival)."""
    keyed = visit_keys(visits).sort("vessel_id", "start_ts")
    return (
        keyed.with_columns(
            pl.col("attributes").str.json_path_match("$.open_end").alias("open_end"),
            pl.col("key").shift(-1).over("vessel_id").alias("next_key"),
            pl.col("start_ts").shift(-1).over("vessel_id").alias("next_arrival_ts"),
            pl.col("lon").shift(-1).over("vessel_id").alias("next_lon"),
            pl.col("lat").shift(-1).over("vessel_id").alias("next_lat"),
        )
        .filter(
            pl.col("next_key").is_not_null()
            & (pl.col("open_end") != "true")
            & (pl.col("next_arrival_ts") > pl.col("end_ts") + timedelta(hours=lead_h))
        )
        .select(
            "vessel_id",
            pl.col("key").alias("from_key"),
            pl.col("end_ts").alias("departure_ts"),
            (pl.col("end_ts") + timedelta(hours=lead_h)).alias("at"),
            "next_key",
            "next_arrival_ts",
            "next_lon",
            "next_lat",
        )
    )


def evaluate_forecasts(
    points: pl.DataFrame,
    statics: pl.DataFrame,
    visits: pl.DataFrame,
    ports: pl.DataFrame,
    config: ForecastConfig = ForecastConfig(),
    lead_h: float = 1.0,
) -> ForecastEvaluation:
    """Forecast every departure ``lead_h`` after it (data after that hidden) and compare with
    the next port visit made. A candidate hits when it is the visited port's name or lies within
    ``match_radius_km`` of the visit. ``points`` and ``statics`` carry ``vessel_id``."""
    keyed = visit_keys(visits)
    forecaster = Forecaster(PortGazetteer(ports, config), keyed, config)
    return score_forecasts(forecaster, points, statics, departures(keyed, lead_h))


def score_forecasts(
    forecaster: Forecaster, points: pl.DataFrame, statics: pl.DataFrame, cases: pl.DataFrame
) -> ForecastEvaluation:
    """Forecast each case at its time ``at`` (data after it hidden) and score the top 3 against
    the port the vessel went to. ``cases``: ``vessel_id``, ``from_key``, ``at``, ``next_key``,
    ``next_arrival_ts``, ``next_lon``, ``next_lat`` (:func:`departures`, or voyages labelled
    another way, such as DEBS 2018's departure-port runs)."""
    tracks = points.partition_by("vessel_id", as_dict=True)
    declared = statics.partition_by("vessel_id", as_dict=True)
    rows = []
    for case in cases.iter_rows(named=True):
        key = (case["vessel_id"],)
        own = declared.get(key, statics.clear())
        forecast = forecaster.forecast(tracks[key], own, case["at"], top=3)
        text = _declared(own, case["at"])
        rows.append(_score_case(case, forecast, text, forecaster.gazetteer, forecaster.config))
    scored = pl.DataFrame(rows, schema=_CASE_SCHEMA)
    return ForecastEvaluation(forecast_figures(scored), scored)


_CASE_SCHEMA: dict[str, pl.DataType] = {
    "vessel_id": pl.String(),
    "from_key": pl.String(),
    "next_key": pl.String(),
    "at": pl.Datetime("us", "UTC"),
    "next_arrival_ts": pl.Datetime("us", "UTC"),
    "declared_key": pl.String(),
    "declared_hit": pl.Boolean(),
    "top1_key": pl.String(),
    "top1_probability": pl.Float64(),
    "hit_rank": pl.Int32(),
    "eta_error_h": pl.Float64(),
}


def _score_case(
    case: dict[str, Any],
    forecast: pl.DataFrame,
    declared_text: str | None,
    gaz: PortGazetteer,
    config: ForecastConfig,
) -> dict[str, Any]:
    """Where the visited port ranks among the candidates, and the ETA error when it is there."""
    candidates = forecast.filter(pl.col("rank").is_not_null())
    near_m = haversine_m(
        candidates["lon"].to_numpy(),
        candidates["lat"].to_numpy(),
        case["next_lon"],
        case["next_lat"],
    )
    hits = (candidates["port_key"].to_numpy() == case["next_key"]) | (
        near_m <= config.match_radius_km * 1e3
    )
    hit = int(np.argmax(hits)) if hits.any() else None
    declared_key = gaz.match(declared_text)
    declared_hit = declared_key is not None and gaz.within(
        declared_key, case["next_lon"], case["next_lat"], config.match_radius_km * 1e3
    )
    declared_hit = declared_hit or declared_key == case["next_key"]
    eta_error_h = None
    if hit is not None:
        eta = candidates["eta_ts"][hit]
        eta_error_h = abs((eta - case["next_arrival_ts"]).total_seconds()) / 3600.0
    return {
        "vessel_id": case["vessel_id"],
        "from_key": case["from_key"],
        "next_key": case["next_key"],
        "at": case["at"],
        "next_arrival_ts": case["next_arrival_ts"],
        "declared_key": declared_key,
        "declared_hit": bool(declared_hit),
        "top1_key": candidates["port_key"][0] if candidates.height else None,
        "top1_probability": candidates["probability"][0] if candidates.height else None,
        "hit_rank": None if hit is None else hit + 1,
        "eta_error_h": eta_error_h,
    }


def forecast_figures(scored: pl.DataFrame) -> dict[str, float | int]:
    """Top-1 and top-3 shares, the mean probability given to the top candidate (calibrated
    when close to the top-1 share), median ETA error of the hits, and the declared baseline, of
    scored departures (:attr:`ForecastEvaluation.departures`, or a subset of them)."""
    n = scored.height
    rank = scored["hit_rank"]
    errors_h = scored["eta_error_h"].drop_nulls().to_numpy()

    def share(count: float) -> float:
        return count / n if n else float("nan")

    return {
        "n_departures": n,
        "top1": share(int((rank == 1).sum())),
        "top3": share(int((rank <= 3).sum())),
        "mean_top1_probability": share(float(scored["top1_probability"].fill_null(0.0).sum())),
        "median_eta_error_h": float(np.median(errors_h)) if errors_h.size else float("nan"),
        "baseline_top1": share(int(scored["declared_hit"].sum())),
        "declared_share": share(int(scored["declared_key"].is_not_null().sum())),
    }
