"""The SIMULATED Tartus scenario: AIS of SPARTA, SPARTA II and background traffic.

We hold no AIS of the "Syrian Express" ships (docs/DESIGN.md, "The acceptance story"); this module
generates AIS that replays the publicly reported timeline, so the pipeline can be shown and tested
end to end. Every report it makes is SIMULATED: NMEA lines carry the tag-block source
``s:SIMULATED`` (the store's ``receiver`` column), files are named ``SIMULATED_*``. The MMSIs and
call signs are made up (the watchlist gives none for SPARTA and SPARTA II); names and IMO numbers
are those of the watchlist.

Timeline (UTC), from the brief:

- SPARTA leaves Novorossiysk 24 Dec 2024, declaring "PORT SAID"; by 28 Dec 09:00 it is 50 nm
  north of Benghazi, turns away east and at 10:30 declares "FOR ORDERS"; silent from 29 Dec 16:19
  to 2 Jan 13:13 (about 93 h, far from shore); then waits about 25 nm off Tartus.
- SPARTA II leaves Novorossiysk 31 Dec; 5-8 Jan circles slowly off the coast north-west of
  Tartus (about 4 nm from shore: the brief's "about 5 nm off Tartus", kept 10 km from the Tartus
  anchorages that reach 3 km out to sea), then waits 15.6 nm out.
- 21 Jan SPARTA, 22 Jan SPARTA II berth at the two floating piers of the Russian naval facility.
  SPARTA II leaves 26 Jan and waits offshore for SPARTA, which leaves 1 Feb; both sail through
  Gibraltar (8 Feb) and the English Channel (13 Feb) to Baltiysk (17 Feb), about 11 kn.

Background traffic: seeded vessels trading between Mediterranean, Black Sea and Baltic ports,
among them ships calling at Tartus and then at Novorossiysk, Baltiysk, Tobruk or Benghazi (three
each), which give the destination forecast a port-to-port history to learn from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from harborwatch.ais.nmea.encode import encode_positions, encode_statics
from harborwatch.scenarios.lanes import (
    Reporting,
    circle,
    drift,
    hold,
    lane,
    lane_length_m,
    sail,
)

SIMULATED = "SIMULATED"
"""The receiver (tag-block source) of every generated report, and the prefix of every file."""
START = datetime(2024, 12, 1, tzinfo=UTC)
END = datetime(2025, 2, 20, tzinfo=UTC)

PORTS: dict[str, tuple[float, float]] = {
    # A berth of each port: the medoid of its Global Fishing Watch anchorages marked "dock"
    # (anchorages v3), rounded; Tartus's naval piers are those of the brief.
    "Tartus": (35.86332, 34.90142),
    "Tobruk": (23.98479, 32.0736),
    "Benghazi": (20.04766, 32.11561),
    "Novorossiysk": (37.8039, 44.72382),
    "Baltiysk": (19.92477, 54.63425),
    "Port Said": (32.31557, 31.25833),
    "Alexandria": (29.85185, 31.17862),
    "Piraeus": (23.64838, 37.93733),
    "Valletta": (14.51068, 35.89199),
    "Algeciras": (-5.43816, 36.11796),
    "Mersin": (34.65848, 36.80162),
    "Limassol": (33.02021, 34.65466),
    "Istanbul": (29.00856, 41.02947),
    "Constanta": (28.65384, 44.1511),
    "Gdansk": (18.653, 54.40584),
    "Rotterdam": (4.32749, 51.89579),
    "Izmir": (27.13085, 38.42599),
    "Genoa": (8.89532, 44.40422),
    "Marseille": (5.34841, 43.3275),
    "Saint Petersburg": (30.26384, 59.91992),
}
TARTUS_NEXT = ("Novorossiysk", "Baltiysk", "Tobruk", "Benghazi")
"""Where the background ships calling at Tartus go next (three ships each)."""
TRADE_PORTS = tuple(name for name in PORTS if name != "Tartus")

PIERS = ((35.8735, 34.9155), (35.8745, 34.9145))
"""The two floating piers off the northern breakwater (brief: 34.915 N 35.874 E)."""
PIER_APPROACH = np.array([[35.80, 34.99], [35.862, 34.93]])
"""From the north-west, clear of the anchorages south-west of the port."""
SPARTA_WAIT = (35.40, 34.95)
"""About 25 nm west of Tartus."""
SPARTA_II_CIRCLE = (35.785, 35.005)
"""Off the coast north-west of Tartus, about 4 nm from shore, 10 km from any anchorage."""
SPARTA_II_WAIT = (35.55, 34.93)
"""15.6 nm west of Tartus."""
SPARTA_II_WAIT_AFTER = (35.45, 35.05)
BENGHAZI_TURN = (20.3, 33.0)
"""50 nm north of Benghazi."""
DARK_FROM = (27.6, 33.5)
"""Where SPARTA falls silent: over 100 nm from any shore."""
DARK_TO = (33.0, 34.2)
DARK_START = datetime(2024, 12, 29, 16, 19, tzinfo=UTC)
DARK_END = datetime(2025, 1, 2, 13, 13, tzinfo=UTC)


@dataclass(frozen=True)
class Ship:
    """A simulated vessel's identity (the MMSI and call sign made up)."""

    mmsi: int
    name: str
    imo: int = 0
    callsign: str = ""
    ship_type: int = 70
    length_m: int = 150
    beam_m: int = 23
    draught_m: float = 6.5


SPARTA = Ship(273990010, "SPARTA", 9268710, "UBSM1", 70, 149, 23, 6.8)
SPARTA_II = Ship(273990020, "SPARTA II", 9160994, "UBSM2", 70, 146, 22, 6.6)


@dataclass
class Voyage:
    """A vessel's reports being built leg by leg, and the destinations it declares."""

    ship: Ship
    rng: np.random.Generator
    reporting: Reporting = field(default_factory=Reporting)
    legs: list[pl.DataFrame] = field(default_factory=list)
    declared: list[tuple[float, str]] = field(default_factory=list)
    """(from Unix second, destination) in time order."""

    def declare(self, at: datetime | float, destination: str) -> None:
        self.declared.append((_s(at), destination))

    def sail(self, path: np.ndarray, start: datetime | float, speed_knots: float) -> float:
        leg, end_s = sail(path, _s(start), speed_knots, self.rng, self.reporting)
        self.legs.append(leg)
        return end_s

    def sail_until(self, path: np.ndarray, start: datetime | float, end: datetime) -> float:
        """Sail ``path`` at the speed that arrives at ``end``."""
        speed = lane_length_m(path) / 1852.0 / ((_s(end) - _s(start)) / 3600.0)
        return self.sail(path, start, speed)

    def hold(self, point: tuple[float, float], start: datetime | float, end: datetime | float
             ) -> None:  # fmt: skip
        self.legs.append(hold(point, _s(start), _s(end), self.rng, self.reporting))

    def drift(self, point: tuple[float, float], start: datetime | float, end: datetime | float
              ) -> None:  # fmt: skip
        self.legs.append(drift(point, _s(start), _s(end), self.rng, reporting=self.reporting))

    def circle(self, point: tuple[float, float], start: datetime | float, end: datetime | float
               ) -> None:  # fmt: skip
        self.legs.append(circle(point, _s(start), _s(end), self.rng, reporting=self.reporting))

    def positions(self) -> pl.DataFrame:
        """All reports, in time order, with the ship's MMSI."""
        frame = pl.concat(self.legs).sort("ts").unique("ts", keep="first", maintain_order=True)
        return frame.with_columns(pl.lit(self.ship.mmsi, pl.Int64).alias("mmsi"))

    def statics(self, every_s: float) -> pl.DataFrame:
        """Type 5 reports every ``every_s`` while the ship reports positions (not in silences),
        each with the destination declared at its time."""
        ts = self.positions()["ts"].to_numpy()
        wanted = np.arange(ts[0], ts[-1], every_s)
        heard = np.searchsorted(ts, wanted)
        close = np.abs(ts[np.clip(heard, 0, ts.size - 1)] - wanted) <= every_s
        wanted = wanted[close]
        starts = np.array([s for s, _ in self.declared], np.float64)
        names = np.array([d for _, d in self.declared] or [""])
        which = np.clip(np.searchsorted(starts, wanted, side="right") - 1, 0, None)
        return pl.DataFrame(
            {"ts": wanted.astype(np.int64), "destination": names[which]}
        ).with_columns(pl.lit(self.ship.mmsi, pl.Int64).alias("mmsi"))


def _s(when: datetime | float) -> float:
    return when.timestamp() if isinstance(when, datetime) else float(when)


def _at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _via(*points: tuple[float, float] | np.ndarray) -> np.ndarray:
    return np.vstack([np.atleast_2d(np.asarray(p, np.float64)) for p in points])


def _silent_edge(voyage: Voyage, point: tuple[float, float], when: datetime, sog: float,
                 cog: float) -> None:  # fmt: skip
    """One report exactly at ``when`` (the first or last before a silence)."""
    voyage.legs.append(
        pl.DataFrame(
            {
                "ts": [int(when.timestamp())],
                "lon": [point[0]],
                "lat": [point[1]],
                "sog_knots": [sog],
                "cog_deg": [cog],
                "nav_status": [0],
            },
        )
    )


def sparta(rng: np.random.Generator) -> Voyage:
    """SPARTA: Novorossiysk, the turn off Benghazi, 93 h dark, Tartus, Baltiysk."""
    v = Voyage(SPARTA, rng)
    v.declare(_at(2024, 12, 18), "PORT SAID")
    v.hold(PORTS["Novorossiysk"], _at(2024, 12, 18), _at(2024, 12, 24, 6))
    v.sail_until(lane(PORTS["Novorossiysk"], BENGHAZI_TURN), _at(2024, 12, 24, 6),
                 _at(2024, 12, 28, 9))  # fmt: skip
    v.declare(_at(2024, 12, 28, 10, 30), "FOR ORDERS")
    v.sail_until(_via(BENGHAZI_TURN, DARK_FROM), _at(2024, 12, 28, 9), DARK_START)
    v.legs[-1] = v.legs[-1].filter(pl.col("ts") < DARK_START.timestamp())
    _silent_edge(v, DARK_FROM, DARK_START, 11.7, 81.0)
    _silent_edge(v, DARK_TO, DARK_END, 11.5, 75.0)
    arrive = v.sail(_via(DARK_TO, SPARTA_WAIT), DARK_END.timestamp() + 60, 11.5)
    v.drift(SPARTA_WAIT, arrive, _at(2025, 1, 21, 4))
    docked = v.sail(_via(SPARTA_WAIT, PIER_APPROACH, PIERS[0]), _at(2025, 1, 21, 4), 9.0)
    v.hold(PIERS[0], docked + 600, _at(2025, 2, 1))
    _to_baltiysk(v, PIERS[0], _at(2025, 2, 1))
    return v


def sparta_ii(rng: np.random.Generator) -> Voyage:
    """SPARTA II: Novorossiysk, circling and waiting off Tartus, docked 22-26 Jan, Baltiysk."""
    v = Voyage(SPARTA_II, rng)
    v.declare(_at(2024, 12, 26), "TARTUS")
    v.hold(PORTS["Novorossiysk"], _at(2024, 12, 26), _at(2024, 12, 31))
    v.sail_until(lane(PORTS["Novorossiysk"], SPARTA_II_CIRCLE), _at(2024, 12, 31),
                 _at(2025, 1, 4, 12))  # fmt: skip
    v.drift(SPARTA_II_CIRCLE, _at(2025, 1, 4, 12), _at(2025, 1, 5))
    v.circle(SPARTA_II_CIRCLE, _at(2025, 1, 5), _at(2025, 1, 8, 12))
    arrive = v.sail(_via(SPARTA_II_CIRCLE, SPARTA_II_WAIT), _at(2025, 1, 8, 12), 8.0)
    v.drift(SPARTA_II_WAIT, arrive, _at(2025, 1, 21, 20))
    docked = v.sail(_via(SPARTA_II_WAIT, PIER_APPROACH, PIERS[1]), _at(2025, 1, 21, 20), 8.0)
    v.hold(PIERS[1], docked + 600, _at(2025, 1, 26, 12))
    v.declare(_at(2025, 1, 26, 11), "FOR ORDERS")
    out = v.sail(_via(PIERS[1], PIER_APPROACH[::-1], SPARTA_II_WAIT_AFTER), _at(2025, 1, 26, 12),
                 9.0)  # fmt: skip
    v.drift(SPARTA_II_WAIT_AFTER, out, _at(2025, 2, 1, 1))
    _to_baltiysk(v, SPARTA_II_WAIT_AFTER, _at(2025, 2, 1, 1), berth_offset=0.004)
    return v


def _to_baltiysk(v: Voyage, start: tuple[float, float], when: datetime, berth_offset: float = 0.0
                 ) -> None:  # fmt: skip
    """Out past the piers, along the sea lanes through Gibraltar and the Channel at 11 kn, and
    moored at Baltiysk until the data ends."""
    berth = (PORTS["Baltiysk"][0] + berth_offset, PORTS["Baltiysk"][1])
    path = _via(start, PIER_APPROACH[::-1], lane(tuple(PIER_APPROACH[0]), berth))
    arrive = v.sail(path, when, 11.0)
    v.hold(berth, arrive + 600, END)


def background(rng: np.random.Generator, n_general: int = 24) -> list[Voyage]:
    """Seeded traffic: three ships calling at Tartus before each of :data:`TARTUS_NEXT`, and
    ``n_general`` ships trading between the other ports, each until the data ends."""
    voyages = []
    reporting = Reporting(underway_s=(180.0, 600.0), berth_s=(1_200.0, 2_400.0))
    for i, after in enumerate(np.repeat(TARTUS_NEXT, 3)):
        ship = _background_ship(rng, i)
        origin = str(rng.choice(["Port Said", "Mersin", "Limassol", "Alexandria", "Piraeus"]))
        depart = START.timestamp() + rng.uniform(0, 30) * 86_400
        route = [origin, "Tartus", str(after)]
        voyages.append(_trade(Voyage(ship, rng, reporting), route, depart, rng))
    for i in range(n_general):
        ship = _background_ship(rng, 100 + i)
        first = str(rng.choice(TRADE_PORTS))
        depart = START.timestamp() + rng.uniform(0, 6) * 86_400
        voyages.append(_trade(Voyage(ship, rng, reporting), [first], depart, rng))
    return voyages


def _background_ship(rng: np.random.Generator, i: int) -> Ship:
    mid = int(rng.choice([212, 229, 248, 256, 271, 273, 311, 351, 372, 538, 636]))
    return Ship(
        mmsi=mid * 1_000_000 + 880_000 + i,
        name=f"SIM TRADER {i + 1}",
        imo=0,
        callsign=f"SIM{i:03d}",
        ship_type=int(rng.choice([70, 79, 80])),
        length_m=int(rng.integers(90, 230)),
        beam_m=int(rng.integers(14, 33)),
        draught_m=round(float(rng.uniform(5, 11)), 1),
    )


def _trade(v: Voyage, route: list[str], start_s: float, rng: np.random.Generator) -> Voyage:
    """Stay at each port of ``route`` in turn (then at random other ports) 1-3 days, sailing
    between them at 10-15 kn, from ``start_s`` until the data ends."""
    now, here, stops = start_s, route[0], list(route[1:])
    end_s = END.timestamp()
    while now < end_s:
        leave = min(now + rng.uniform(24, 72) * 3_600, end_s)
        v.hold(PORTS[here], now, leave)
        if leave >= end_s:
            break
        there = stops.pop(0) if stops else str(rng.choice([p for p in TRADE_PORTS if p != here]))
        v.declare(leave - 1_800, there.upper())
        now = v.sail(lane(PORTS[here], PORTS[there]), leave, float(rng.uniform(10, 15)))
        here = there
    if not v.declared:
        v.declare(start_s, here.upper())
    return v


def simulate_tartus_ais(seed: int = 0, n_general: int = 24) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The scenario's SIMULATED reports: positions (``mmsi, ts`` (Unix s), ``lon, lat,
    sog_knots, cog_deg, nav_status``) and statics (with the ship identity and ``destination``),
    clipped to [START, END). Statics every 6 min for SPARTA and SPARTA II, every 30 min for the
    background."""
    rng = np.random.default_rng(seed)
    stars = [sparta(rng), sparta_ii(rng)]
    others = background(rng, n_general)
    positions = pl.concat([v.positions() for v in [*stars, *others]])
    statics = pl.concat(
        [_with_identity(v.statics(360.0), v.ship) for v in stars]
        + [_with_identity(v.statics(1_800.0), v.ship) for v in others]
    )
    window = pl.col("ts").is_between(int(START.timestamp()), int(END.timestamp()), closed="left")
    return positions.filter(window).sort("ts", "mmsi"), statics.filter(window).sort("ts", "mmsi")


def _with_identity(statics: pl.DataFrame, ship: Ship) -> pl.DataFrame:
    return statics.with_columns(
        pl.lit(ship.imo).alias("imo"), pl.lit(ship.callsign).alias("callsign"),
        pl.lit(ship.name).alias("name"), pl.lit(ship.ship_type).alias("ship_type"),
        pl.lit(ship.length_m).alias("length_m"), pl.lit(ship.beam_m).alias("beam_m"),
        pl.lit(ship.draught_m).alias("draught_m"),
    )  # fmt: skip


def write_nmea(positions: pl.DataFrame, statics: pl.DataFrame, out_dir: Path | str) -> list[Path]:
    """One NMEA file per UTC day, ``SIMULATED_tartus_YYYY-MM-DD.nmea``: the day's position
    reports then its static reports, every line tagged ``s:SIMULATED`` with its time."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    day = (pl.col("ts") // 86_400).alias("day")
    by_day_p = positions.with_columns(day).partition_by("day", as_dict=True)
    by_day_s = statics.with_columns(day).partition_by("day", as_dict=True)
    written = []
    for key in sorted(set(by_day_p) | set(by_day_s)):
        p = by_day_p.get(key, positions.clear())
        s = by_day_s.get(key, statics.clear())
        name = datetime.fromtimestamp(int(key[0]) * 86_400, UTC).strftime("%Y-%m-%d")
        path = out_dir / f"{SIMULATED}_tartus_{name}.nmea"
        path.write_bytes(_encode_positions(p) + _encode_statics(s))
        written.append(path)
    return written


def _encode_positions(p: pl.DataFrame) -> bytes:
    return encode_positions(
        p["ts"].to_numpy(), p["mmsi"].to_numpy(), p["lon"].to_numpy(), p["lat"].to_numpy(),
        p["sog_knots"].to_numpy(), p["cog_deg"].to_numpy(), p["cog_deg"].to_numpy(),
        p["nav_status"].to_numpy(), SIMULATED,
    )  # fmt: skip


def _encode_statics(s: pl.DataFrame) -> bytes:
    return encode_statics(
        s["ts"].to_numpy(), s["mmsi"].to_numpy(), s["imo"].to_numpy(),
        s["callsign"].to_numpy().astype(str), s["name"].to_numpy().astype(str),
        s["ship_type"].to_numpy(), s["length_m"].to_numpy(), s["beam_m"].to_numpy(),
        s["draught_m"].to_numpy(), s["destination"].to_numpy().astype(str),
        np.zeros((s.height, 4), np.int64), SIMULATED,
    )  # fmt: skip
