"""De-duplication on natural keys, on small tables declared in the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch import schemas
from harborwatch.store.dedup import POSITION_KEY, drop_duplicates, key_columns

T0 = datetime(2024, 12, 29, 16, 19, tzinfo=UTC)


def _positions(rows: list[tuple[int, float, float, float]]) -> pa.Table:
    """Rows of (mmsi, seconds after T0, lon, lat)."""
    return schemas.conform(
        pa.table(
            {
                "mmsi": pa.array([r[0] for r in rows], pa.uint32()),
                "ts": pa.array([T0 + timedelta(seconds=r[1]) for r in rows], schemas.UTC_TS),
                "lon": [r[2] for r in rows],
                "lat": [r[3] for r in rows],
                "msg_type": pa.array([1] * len(rows), pa.int8()),
            }
        ),
        schemas.POSITIONS,
    )


def _no_stored() -> pa.Table:
    return key_columns(schemas.empty(schemas.POSITIONS), POSITION_KEY)


def test_copies_within_the_window_are_dropped_others_kept() -> None:
    new = _positions(
        [
            (273396130, 0.0, 35.87, 34.91),
            (273396130, 0.4, 35.87, 34.91),  # heard again by a second receiver
            (273396130, 1.9, 35.87, 34.91),  # and a third, still within 2 s of the last copy
            (273396130, 10.0, 35.87, 34.91),  # the next report, same spot: kept
            (273396130, 0.5, 35.88, 34.91),  # different position: kept
            (273396131, 0.4, 35.87, 34.91),  # another vessel: kept
        ]
    )
    kept, dropped = drop_duplicates(new, _no_stored(), POSITION_KEY)
    assert dropped == 2
    assert kept.num_rows == 4
    assert kept.column("mmsi").to_pylist() == sorted(kept.column("mmsi").to_pylist())


def test_rows_already_stored_are_dropped_either_side_in_time() -> None:
    stored = key_columns(_positions([(1, 5.0, 1.0, 2.0), (2, 5.0, 1.0, 2.0)]), POSITION_KEY)
    new = _positions([(1, 4.5, 1.0, 2.0), (2, 5.5, 1.0, 2.0), (2, 8.0, 1.0, 2.0)])
    kept, dropped = drop_duplicates(new, stored, POSITION_KEY)
    assert dropped == 2
    assert kept.to_pylist()[0]["ts"] == T0 + timedelta(seconds=8)


def test_nulls_compare_equal() -> None:
    new = _positions([(7, 0.0, 1.0, 2.0), (7, 0.5, 1.0, 2.0)])
    new = new.set_column(new.schema.get_field_index("lon"), "lon", pa.nulls(2, pa.float64()))
    assert drop_duplicates(new, _no_stored(), POSITION_KEY)[1] == 1


rows = st.lists(
    st.tuples(
        st.integers(1, 3),
        st.integers(0, 40).map(lambda s: s / 4),
        st.sampled_from([1.0, 2.0]),
        st.just(3.0),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(data: list, rnd) -> None:  # type: ignore[type-arg]
    shuffled = list(data)
    rnd.shuffle(shuffled)
    first, _ = drop_duplicates(_positions(data), _no_stored(), POSITION_KEY)
    second, _ = drop_duplicates(_positions(shuffled), _no_stored(), POSITION_KEY)
    cols = ["mmsi", "ts", "lon", "lat"]
    assert first.select(cols).to_pylist() == second.select(cols).to_pylist()


@settings(max_examples=60, deadline=None)
@given(rows)
def test_no_two_kept_rows_are_copies_and_every_dropped_row_has_a_kept_twin(data: list) -> None:  # type: ignore[type-arg]
    kept, dropped = drop_duplicates(_positions(data), _no_stored(), POSITION_KEY)
    assert kept.num_rows + dropped == len(data)
    kept_rows = [(r["mmsi"], r["ts"], r["lon"]) for r in kept.to_pylist()]
    for mmsi, seconds, lon, _lat in data:
        ts = T0 + timedelta(seconds=seconds)
        twins = [
            k
            for k in kept_rows
            if k[0] == mmsi and k[2] == lon and abs(k[1] - ts) <= timedelta(seconds=20)
        ]
        assert twins, "a dropped row must be a copy of a kept one nearby"
