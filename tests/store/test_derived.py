"""Derived tables (events, segments): replaced atomically, windows kept, debris swept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from harborwatch import schemas
from harborwatch.store import Store, queries

T0 = datetime(2025, 1, 2, tzinfo=UTC)


def _events(event_type: str, days: list[int], vessel: str = "273396130") -> pa.Table:
    starts = [T0 + timedelta(days=d) for d in days]
    return pa.Table.from_pydict(
        {
            "event_id": [f"{event_type}-{d}" for d in days],
            "event_type": [event_type] * len(days),
            "vessel_id": [vessel] * len(days),
            "start_ts": starts,
            "end_ts": [s + timedelta(hours=7) for s in starts],
            "attributes": ["{}"] * len(days),
            "evidence": ["{}"] * len(days),
        }
    )


def _stored_ids(store: Store) -> list[str]:
    return sorted(queries.events(store.connect()).column("event_id").to_pylist())


def test_replace_swaps_the_whole_table(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    store.replace_derived("events", _events("ais_gap", [0, 1, 2]))
    assert store.replace_derived("events", _events("ais_gap", [0, 1, 2])) == 3  # not 6
    assert _stored_ids(store) == ["ais_gap-0", "ais_gap-1", "ais_gap-2"]
    assert len(list((tmp_path / "s" / "events").glob("*.parquet"))) == 1  # old part deleted
    assert queries.events(store.connect()).schema.field("mmsi").type == pa.uint32()


def test_rows_matching_keep_condition_survive(tmp_path: Path) -> None:
    """A re-run over days 1-2 of gaps keeps gaps outside the window and other types."""
    store = Store(tmp_path / "s")
    store.replace_derived(
        "events", pa.concat_tables([_events("ais_gap", [0, 1, 3]), _events("loitering", [1])])
    )
    since, until = T0 + timedelta(days=1), T0 + timedelta(days=2)
    keep = "event_type <> 'ais_gap' OR NOT (start_ts >= ? AND start_ts < ?)"
    store.replace_derived("events", _events("ais_gap", [1]).slice(0, 0), keep, [since, until])
    assert _stored_ids(store) == ["ais_gap-0", "ais_gap-3", "loitering-1"]


def test_unlisted_derived_parts_are_swept(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    store.replace_derived("segments", schemas.SEGMENTS.empty_table())
    debris = tmp_path / "s" / "segments" / "left-by-a-killed-run.parquet"
    debris.write_bytes(b"junk")
    store.replace_derived("events", _events("ais_gap", [0]))
    assert not debris.exists()
    assert store.connect().execute("SELECT count(*) FROM segments").fetchone() == (0,)
