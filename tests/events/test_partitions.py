"""Scale-out readiness (issue #3, "Scale"): the per-vessel stages give the same events when the
vessels are split into partitions by a hash of their id, as a Dask run keyed by MMSI would split
them, as when all vessels are in one call.

The data is real: the Suez 2021 export (anonymised vessel keys, no SOG) and one Santa Barbara day
(MMSIs, statics, destinations). The cross-vessel rules are not per-vessel by design and are tested
for their own partitioning (by spatial cell) in test_encounters.py and test_spoofing.py: encounters,
and the spoofing kinds that compare vessels (``same_spot``; ``on_land`` outside waterways that
several vessels use).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from harborwatch.ais.batch import ReadContext, concat_batches
from harborwatch.ais.sources import read_file
from harborwatch.config import GapConfig
from harborwatch.events.base import DetectionContext, EventType
from harborwatch.events.detect import build_track_points, detect_events
from harborwatch.geo.reference import Geography, load_geography
from harborwatch.geo.sites import load_sites
from harborwatch.tracks.coverage import coverage_windows

REPO_ROOT = Path(__file__).resolve().parents[2]
PER_VESSEL = [
    EventType.PORT_VISIT,
    EventType.AIS_GAP,
    EventType.IDENTITY_CHANGE,
    EventType.VOYAGE_CHANGE,
    EventType.LOITERING,
    EventType.SITE_PRESENCE,
]
CROSS_VESSEL_SPOOFING = ("same_spot", "on_land")


@pytest.fixture(scope="module")
def geography(data_dir: Path) -> Geography:
    return load_geography(data_dir / "geo")


@pytest.fixture(scope="module")
def real(ais_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Positions and statics (with ``vessel_id``) of the Suez export and one Santa Barbara day."""
    files = [
        ais_dir / "eastern-med" / "suez_2021_boat_positions.csv",
        *sorted((ais_dir / "sbarc-santa-barbara" / "raw").glob("AIS_SBARC_180603-*.txt.gz")),
    ]
    assert len(files) == 25, "the Suez export and 24 hourly Santa Barbara files expected"
    batch = concat_batches(b for f in files for b in read_file(f, ReadContext(f.name, f)))
    positions = pl.DataFrame(pl.from_arrow(batch.positions))
    statics = pl.DataFrame(pl.from_arrow(batch.statics)).with_columns(
        pl.coalesce(pl.col("mmsi").cast(pl.String), pl.col("vessel_key")).alias("vessel_id")
    )
    return positions, statics


def _partition_key(frame: pl.DataFrame, partitions: int) -> pl.Expr:
    """The partition of each row: a hash of the vessel (MMSI as text, else the source's key)."""
    vessel = pl.coalesce(pl.col("mmsi").cast(pl.String), pl.col("vessel_key"))
    return vessel.hash(seed=7) % partitions


def _events(
    positions: pl.DataFrame,
    statics: pl.DataFrame,
    geography: Geography,
    context: DetectionContext,
) -> pl.DataFrame:
    points = build_track_points(positions, geography)
    vessels = points.select("vessel_id").unique()
    context = DetectionContext(
        statics=statics.join(vessels, on="vessel_id", how="semi"),
        ports=context.ports,
        sites=context.sites,
        coverage=context.coverage,
    )
    per_vessel = detect_events(points, context, types=PER_VESSEL)
    spoofing = detect_events(points, context, types=[EventType.SPOOFING]).filter(
        ~pl.col("attributes").str.json_path_match("$.kind").is_in(CROSS_VESSEL_SPOOFING)
    )
    return pl.concat([per_vessel, spoofing])


def test_vessel_partitions_give_the_events_of_one_call(
    real: tuple[pl.DataFrame, pl.DataFrame], geography: Geography
) -> None:
    positions, statics = real
    context = DetectionContext(
        ports=geography.ports,
        sites=load_sites(REPO_ROOT / "examples" / "sites" / "eastern-med.toml"),
        # runs over partitions pass the coverage of the whole data (DetectionContext)
        coverage=coverage_windows(positions, GapConfig().min_gap_h),
    )
    whole = _events(positions, statics, geography, context)
    counts = dict(whole.group_by("event_type").len().iter_rows())
    assert counts.get("port_visit", 0) > 50 and counts.get("ais_gap", 0) > 10, counts
    assert counts.get("voyage_change", 0) > 0, counts

    keyed = positions.with_columns(_partition_key(positions, 4).alias("part"))
    assert keyed["part"].n_unique() == 4
    parts = [
        _events(part.drop("part"), statics, geography, context)
        for part in keyed.partition_by("part", maintain_order=True)
    ]
    merged = pl.concat(parts)
    order = ["event_id"]
    assert merged["event_id"].is_unique().all()
    assert merged.sort(order).equals(whole.sort(order))
