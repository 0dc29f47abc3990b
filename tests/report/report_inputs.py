"""Report test inputs: NMEA for a store whose vessel is named like an HTML attack, report
inputs built in memory with every section filled (imagery, chips, claims), and stores holding a
georeferenced scene with ship detections, with and without AIS around it (dark vessels)."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import shapely
from click.testing import CliRunner
from PIL import Image
from pyais.encode import encode_dict

from harborwatch.cli.main import cli
from harborwatch.events.base import empty_frame
from harborwatch.fusion.claims import check_claims, claims_frame
from harborwatch.fusion.timeline import assess_site, site_timeline
from harborwatch.geo.distance import destination
from harborwatch.geo.reference import LAND_FILE
from harborwatch.geo.sites import load_sites
from harborwatch.imagery.scenes import lonlat_to_pixel, read_scene_metadata
from harborwatch.report import ReportInputs
from harborwatch.schemas import DETECTIONS, EVENTS, SCENES, ZONE_COUNTS
from harborwatch.store import Store
from harborwatch.store.imagery import register_scene, replace_detections

REPO = Path(__file__).resolve().parents[2]
SITES = REPO / "examples" / "sites" / "eastern-med.toml"
SITE_ID = "tartus-naval"
SHARED_SITES = REPO / "examples" / "sites" / "shared-data.toml"
SF_SITE_ID = "sf-bay-anchorage"
SCENE_AT = datetime(2017, 3, 8, 19, tzinfo=UTC)
"""The RapidEye clip registered with a time of day (the shared file gives only its date)."""
DETECTOR_SOURCE = "harborwatch.optical_ships/1"
MATCHED_MMSI, UNSEEN_MMSI, FAR_MMSI = 111_111_111, 222_222_222, 333_333_333
PIERS = (35.874, 34.915)
HOSTILE_MMSI, OTHER_MMSI = 273_000_001, 273_000_002
HOSTILE_NAME = "<SCRIPT>ALERT(1)</SCRIPT>"
HOSTILE_DESTINATION = '=HYPERLINK("http://x","y")'
T0 = datetime(2025, 1, 10, tzinfo=UTC)
"""Fixed start of the crafted data (tests never use now())."""


def run_cli(*args: str) -> str:
    """Run ``harborwatch ARGS``; fail the test with its output unless it exits 0."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.stdout


def _checksum(text: str) -> int:
    value = 0
    for char in text:
        value ^= ord(char)
    return value


def _tagged(at: datetime, sentences: Sequence[str]) -> list[str]:
    """Each sentence behind an IEC 61162-450 tag block with its time and a receiver."""
    content = f"c:{int(at.timestamp())},s:rx-test"
    return [f"\\{content}*{_checksum(content):02X}\\{s}" for s in sentences]


def _track(start_lon: float, hours: tuple[float, float, float]) -> list[tuple[float, float, float]]:
    """(hours after T0, lon, lat) every 10 minutes: in from ``start_lon`` to the piers, a stay,
    and out again."""
    arrive, leave, gone = hours
    rows = []
    for h in np.arange(0.0, gone, 1 / 6):
        if h < arrive:
            f = h / arrive
        elif h < leave:
            f = 1.0
        else:
            f = 1.0 - (h - leave) / (gone - leave)
        rows.append((float(h), start_lon + f * (PIERS[0] - start_lon), PIERS[1] + 0.01 * (1 - f)))
    return rows


def hostile_nmea() -> str:
    """NMEA 0183 with tag blocks: a vessel named like a script tag, declaring a spreadsheet
    formula as destination, calls at the Tartus piers; a second vessel passes by."""
    lines: list[str] = []
    for mmsi, name, start_lon, hours in (
        (HOSTILE_MMSI, HOSTILE_NAME, 35.55, (6.0, 40.0, 46.0)),
        (OTHER_MMSI, "PLAIN TRADER", 35.60, (10.0, 30.0, 38.0)),
    ):
        track = _track(start_lon, hours)
        for h, lon, lat in track:
            moving = not (hours[0] <= h < hours[1])
            report = {
                "type": 1,
                "mmsi": mmsi,
                "lon": lon,
                "lat": lat,
                "course": 90.0,
                "speed": 8.0 if moving else 0.0,
                "status": 0 if moving else 5,
            }
            lines += _tagged(T0 + timedelta(hours=h), encode_dict(report, sentence_type="VDM"))
        for h in range(0, int(hours[2]), 6):
            static = {
                "type": 5,
                "mmsi": mmsi,
                "shipname": name,
                "callsign": "HW0001",
                "destination": HOSTILE_DESTINATION if mmsi == HOSTILE_MMSI else "TARTUS",
                "ship_type": 70,
                "imo": 0,
            }
            lines += _tagged(
                T0 + timedelta(hours=h, minutes=1), encode_dict(static, sentence_type="VDM")
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- in-memory inputs


def event_row(
    kind: str,
    vessel: str,
    start: datetime,
    hours: float,
    lon: float,
    lat: float,
    site_id: str | None = None,
    confidence: int = 3,
    **attributes: Any,
) -> dict[str, Any]:
    return {
        "event_id": f"{kind[:4]}-{vessel}-{start:%m%d%H}",
        "event_type": kind,
        "vessel_id": vessel,
        "mmsi": int(vessel),
        "site_id": site_id,
        "start_ts": start,
        "end_ts": start + timedelta(hours=hours),
        "duration_h": hours,
        "lon": lon,
        "lat": lat,
        "confidence": confidence,
        "attributes": json.dumps(attributes),
        "evidence": json.dumps({"rule": "test"}),
    }


def _events() -> pl.DataFrame:
    """Three watched vessels at the piers every day for ten days, then one; a gap; a port
    visit at Tartus and one at Latakia."""
    rows = []
    start = T0
    for day in range(20):
        present = ["273000001", "273000003", "273000004"] if day < 10 else ["273000001"]
        for vessel in present:
            rows.append(
                event_row(
                    "site_presence",
                    vessel,
                    start + timedelta(days=day, hours=1),
                    20,
                    *PIERS,
                    site_id=SITE_ID,
                )
            )
    rows.append(
        event_row("ais_gap", "273000001", T0 + timedelta(days=3), 30, 35.80, 34.95, confidence=2)
    )
    rows.append(
        event_row(
            "port_visit",
            "273000002",
            T0 + timedelta(days=4),
            12,
            35.866,
            34.90,
            confidence=4,
            port_name="Tartus",
        )
    )
    rows.append(
        event_row(
            "port_visit",
            "273000002",
            T0 + timedelta(days=6),
            30,
            35.7667,
            35.5333,
            confidence=4,
            port_name="Latakia",
        )
    )
    schema = empty_frame(EVENTS).schema
    frame = pl.DataFrame(rows, schema_overrides={"site_id": pl.String})
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in schema.items()
    )


def _positions() -> pl.DataFrame:
    rows = []
    for vessel, lon0 in (("273000001", 35.5), ("273000002", 35.6), ("273000003", 35.55)):
        for step in range(0, 200):
            f = min(step / 100, 1.0)
            rows.append(
                {
                    "vessel_id": vessel,
                    "ts": T0 + timedelta(minutes=30 * step),
                    "lon": lon0 + f * (PIERS[0] - lon0),
                    "lat": 34.95 - 0.035 * f,
                }
            )
    return pl.DataFrame(rows)


def _imagery() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Four scenes of the site (the last SIMULATED) and vehicle counts falling 40 -> 12."""
    scene_rows, count_rows = [], []
    for index, (day, count) in enumerate(((1, 40), (6, 38), (12, 15), (17, 12))):
        when = T0 + timedelta(days=day, hours=9)
        scene_id = f"scene{index}"
        scene_rows.append(
            {
                "scene_id": scene_id,
                "site_id": SITE_ID,
                "acquired_ts": when,
                "sensor": "test",
                "gsd_m": 0.5,
                "simulated": index == 3,
                "note": "SIMULATED: objects painted out" if index == 3 else "real",
            }
        )
        count_rows.append(
            {
                "scene_id": scene_id,
                "site_id": SITE_ID,
                "acquired_ts": when,
                "zone_id": "piers",
                "class": "small-vehicle",
                "count": count,
            }
        )
    scenes = pl.DataFrame(scene_rows)
    scenes_schema = empty_frame(SCENES).schema
    scenes = scenes.select(
        (pl.col(c) if c in scenes.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in scenes_schema.items()
    )
    counts = pl.DataFrame(count_rows).cast(dict(empty_frame(ZONE_COUNTS).schema))  # type: ignore[arg-type]
    return scenes, counts


def _annotations(counts: pl.DataFrame) -> pl.DataFrame:
    """Hand-drawn DETECTIONS behind the counts (pixel space: no lon/lat)."""
    rows = [
        {"detection_id": f"{c['scene_id']}-{i}", "scene_id": c["scene_id"], "class": c["class"]}
        for c in counts.to_dicts()
        for i in range(c["count"])
    ]
    given = pl.DataFrame(rows).with_columns(source=pl.lit("annotations/piers.geojson"), score=1.0)
    return _detections_frame(given)


def _detections_frame(given: pl.DataFrame) -> pl.DataFrame:
    """``given`` with every DETECTIONS column, in its types."""
    empty = empty_frame(DETECTIONS)
    return pl.concat([empty, given], how="diagonal_relaxed").cast(empty.schema)


def _chip_png() -> bytes:
    image = Image.new("RGB", (64, 32), (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _claims(events: pl.DataFrame, watched: pl.DataFrame, sites: pl.DataFrame) -> pl.DataFrame:
    """A supported, a contradicted and an uncheckable claim, checked by fusion.claims."""
    rows = [
        {
            "entry_id": "hostile",
            "vessel_name": HOSTILE_NAME,
            "site_id": SITE_ID,
            "event_kind": "port_visit",
            "start_ts": T0 + timedelta(days=2),
            "end_ts": T0 + timedelta(days=3),
            "source": "Paper <b>A</b>",
            "text": 'It docked <img src=x onerror="alert(2)">.',
        },
        {
            "entry_id": "trader",
            "vessel_name": "PLAIN TRADER",
            "site_id": SITE_ID,
            "event_kind": "port_visit",
            "start_ts": T0 + timedelta(days=6),
            "end_ts": T0 + timedelta(days=7),
            "source": "Paper B",
            "text": "The trader docked at the naval piers.",
        },
        {
            "entry_id": "ghost",
            "vessel_name": "GHOST",
            "site_id": SITE_ID,
            "event_kind": "ais_gap",
            "start_ts": T0,
            "end_ts": T0 + timedelta(days=1),
            "source": "Paper C",
            "text": "A ghost went dark.",
        },
    ]
    return check_claims(claims_frame(rows), events, watched, sites)


def build_hostile_store(root: Path, data_dir: Path) -> dict[str, Path]:
    """A store holding :func:`hostile_nmea`, run through ``detect`` with the example sites and
    a watchlist that lists the hostile vessel's MMSI."""
    nmea = root / "hostile.nmea"
    nmea.write_text(hostile_nmea(), encoding="ascii")
    watchlist = root / "watchlist.toml"
    watchlist.write_text(
        f'[[vessel]]\nid = "hostile"\nname = "HOSTILE"\nmmsi = [{HOSTILE_MMSI}]\n', encoding="utf-8"
    )
    store = root / "store"
    run_cli("ingest", str(nmea), "--store", str(store), "--strict")
    run_cli(
        "detect",
        "--store",
        str(store),
        "--geo-dir",
        str(data_dir / "geo"),
        "--sites",
        str(SITES),
        "--watchlist",
        str(watchlist),
    )
    return {"store": store, "watchlist": watchlist, "geo": data_dir / "geo", "root": root}


def build_rich_inputs(data_dir: Path) -> ReportInputs:
    """Report inputs with every section filled: events, tracks, land, a drawdown in vessels and
    in imagery, a SIMULATED scene, a chip, checked claims and forecasts."""
    sites = load_sites(SITES)
    site = sites.filter(pl.col("site_id") == SITE_ID).row(0, named=True)
    events = _events()
    watched = pl.DataFrame(
        {
            "vessel_id": ["273000001", "273000002", "273000003", "273000004"],
            "entry_id": ["hostile", "trader", "second", "third"],
        }
    )
    statics = pl.DataFrame(
        {
            "vessel_id": ["273000001"],
            "ts": [T0],
            "name": [HOSTILE_NAME],
            "destination": [HOSTILE_DESTINATION],
            "imo": [None],
            "callsign": ["HW0001"],
        }
    )
    scenes, counts = _imagery()
    start, end = date(2025, 1, 10), date(2025, 1, 29)
    land = shapely.from_geojson((data_dir / "geo" / LAND_FILE).read_text(encoding="utf-8"))
    return ReportInputs(
        site=site,
        start=start,
        end=end,
        events=events,
        positions=_positions(),
        statics=statics,
        watched=watched,
        timeline=site_timeline(site, events, counts, start, end),
        assessments=assess_site(site, events, counts, start, end),
        counts=counts,
        scenes=scenes,
        claims=_claims(events, watched, sites),
        chips=pl.DataFrame(
            {
                "change_id": ["chg1"],
                "status": ["removed"],
                "class": ["small-vehicle"],
                "caption": ["REMOVED <b>x</b>"],
                "png": [_chip_png()],
            }
        ),
        land=land,
        forecasts=pl.DataFrame(
            {"vessel": [HOSTILE_NAME], "port_name": ["Baltiysk"], "probability": [0.6]}
        ),
        detections=_annotations(counts),
    )


def build_dark_store(root: Path, data_dir: Path, with_ais: bool) -> dict[str, Any]:
    """A store holding the RapidEye clip of the SF Bay anchorage (georeferenced) with three
    ship detections: one 40 m from an AIS vessel, two 1 km and 1.2 km from any. With
    ``with_ais`` it holds AIS around the scene time: that vessel, one 500 m south of the centre
    that no detection shows, and one far outside the scene; without, no AIS at all."""
    store = Store(root / "store")
    image = next((data_dir / "imagery" / "planet-rapideye-sfbay-ships").glob("*.tif"))
    scene = read_scene_metadata(image, SF_SITE_ID, SCENE_AT)
    register_scene(store, scene)
    centre = shapely.from_wkt(scene["footprint_wkt"]).centroid
    ships: dict[str, tuple[Any, Any]] = {
        "d-matched": (centre.x, centre.y),
        "d-dark-east": destination(centre.x, centre.y, 90.0, 1000.0),
        "d-dark-west": destination(centre.x, centre.y, 270.0, 1200.0),
    }
    pixels = lonlat_to_pixel(
        scene, [float(p[0]) for p in ships.values()], [float(p[1]) for p in ships.values()]
    )
    assert pixels is not None  # the clip is georeferenced
    given = pl.DataFrame(
        {
            "detection_id": list(ships),
            "scene_id": scene["scene_id"],
            "class": "ship",
            "score": 0.9,
            "x_px": pixels[0],
            "y_px": pixels[1],
            "lon": [float(p[0]) for p in ships.values()],
            "lat": [float(p[1]) for p in ships.values()],
            "source": DETECTOR_SOURCE,
        }
    )
    replace_detections(store, scene["scene_id"], _detections_frame(given), [DETECTOR_SOURCE])
    if with_ais:
        vessels: dict[int, tuple[Any, Any]] = {
            MATCHED_MMSI: destination(centre.x, centre.y, 0.0, 40.0),
            UNSEEN_MMSI: destination(centre.x, centre.y, 180.0, 500.0),
            FAR_MMSI: (-122.9, 37.5),
        }
        lines = ["ship,when,x,y"]
        for mmsi, (lon, lat) in vessels.items():
            for minutes in (-5, 5):
                ts = (SCENE_AT + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
                lines.append(f"{mmsi},{ts},{float(lon):.7f},{float(lat):.7f}")
        csv = root / "ais.csv"
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        store.ingest(csv, fmt="csv", columns={"mmsi": "ship", "ts": "when", "lon": "x", "lat": "y"})
    return {"store": store, "scene": scene, "ships": ships, "geo": data_dir / "geo"}
