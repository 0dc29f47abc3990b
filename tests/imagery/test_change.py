"""Object-level change: optimal one-to-one matching per class and zone, pixel and georeferenced."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.imagery.change import match_objects, summarise_changes
from harborwatch.imagery.change_map import Shift, estimate_shift, phase_correlation
from harborwatch.imagery.scenes import lonlat_to_pixel, read_scene_metadata

PIXEL_BEFORE = {"scene_id": "b0", "site_id": "yard", "gsd_m": 0.5, "crs": None, "transform": None}
PIXEL_AFTER = {"scene_id": "a0", "site_id": "yard", "gsd_m": 0.5, "crs": None, "transform": None}
NO_SHIFT = Shift(0.0, 0.0, 1.0)


def detections(
    scene_id: str,
    centres: list[tuple[float, float]],
    cls: str = "small-vehicle",
    length_px: float = 10.0,
    gsd_m: float = 0.5,
    prefix: str = "d",
) -> pl.DataFrame:
    """DETECTIONS rows of axis-aligned boxes (length along x, half as wide) at pixel centres."""
    half_l, half_w = length_px / 2, length_px / 4
    wkt = [shapely.box(x - half_l, y - half_w, x + half_l, y + half_w).wkt for x, y in centres]
    return pl.DataFrame(
        {
            "detection_id": [f"{prefix}{i}" for i in range(len(centres))],
            "scene_id": [scene_id] * len(centres),
            "class": [cls] * len(centres),
            "score": [1.0] * len(centres),
            "pixel_wkt": wkt,
            "x_px": [float(x) for x, _ in centres],
            "y_px": [float(y) for _, y in centres],
            "length_m": [length_px * gsd_m] * len(centres),
        },
        schema_overrides={"x_px": pl.Float64, "y_px": pl.Float64, "length_m": pl.Float64},
    )


def statuses(changes: pl.DataFrame) -> dict[str, list[tuple[str | None, str | None]]]:
    out: dict[str, list[tuple[str | None, str | None]]] = {
        "matched": [],
        "removed": [],
        "added": [],
    }
    for row in changes.iter_rows(named=True):
        out[row["status"]].append((row["before_detection_id"], row["after_detection_id"]))
    return out


def test_shifted_pair_reports_removed_added_and_matched() -> None:
    before = detections("b0", [(100, 100), (200, 100), (300, 300)], prefix="b")
    # the after image is moved by (+12, -7) px: kept objects appear there, plus one new object
    after = detections("a0", [(112, 93), (312, 293), (500, 500)], prefix="a")
    changes = match_objects(before, after, PIXEL_BEFORE, PIXEL_AFTER, shift=Shift(12, -7, 1.0))
    found = statuses(changes)
    assert sorted(found["matched"]) == [("b0", "a0"), ("b2", "a1")]
    assert found["removed"] == [("b1", None)]
    assert found["added"] == [(None, "a2")]
    matched = changes.filter(pl.col("status") == "matched")
    assert matched["offset_m"].max() == pytest.approx(0.0, abs=1e-9)
    added = changes.filter(pl.col("status") == "added").row(0, named=True)
    assert (added["x_px"], added["y_px"]) == (488.0, 507.0)  # placed in the before frame


def test_without_the_shift_the_same_pair_does_not_match() -> None:
    before = detections("b0", [(100, 100)], prefix="b")
    after = detections("a0", [(112, 93)], prefix="a")
    changes = match_objects(before, after, PIXEL_BEFORE, PIXEL_AFTER, shift=NO_SHIFT)
    assert sorted(changes["status"].to_list()) == ["added", "removed"]


def test_assignment_is_optimal_not_greedy() -> None:
    # greedy nearest-first pairs b1-a0 (1 px) and leaves b0 and a1 unmatched (9 px > gate);
    # the optimal assignment pairs b0-a0 and b1-a1 (4 px each) and matches everything
    before = detections("b0", [(0, 0), (5, 0)], prefix="b")
    after = detections("a0", [(4, 0), (9, 0)], prefix="a")
    changes = match_objects(
        before, after, PIXEL_BEFORE, PIXEL_AFTER, max_offset_m=3.0, shift=NO_SHIFT
    )
    assert sorted(statuses(changes)["matched"]) == [("b0", "a0"), ("b1", "a1")]
    assert changes["offset_m"].to_list() == pytest.approx([2.0, 2.0])


def test_classes_never_match_each_other() -> None:
    before = detections("b0", [(50, 50)], cls="ship", prefix="b")
    after = detections("a0", [(50, 50)], cls="small-vehicle", prefix="a")
    changes = match_objects(before, after, PIXEL_BEFORE, PIXEL_AFTER, shift=NO_SHIFT)
    assert changes.sort("status")["status"].to_list() == ["added", "removed"]


def test_zones_split_the_matching() -> None:
    zones = pl.DataFrame(
        {
            "zone_id": ["west", "east"],
            "site_id": ["yard", "yard"],
            "name": ["west", "east"],
            "geometry_wkt": [None, None],
            "scene_id": ["b0", "b0"],
            "pixel_wkt": [shapely.box(0, 0, 100, 200).wkt, shapely.box(100, 0, 200, 200).wkt],
        }
    )
    before = detections("b0", [(98, 50), (20, 20)], prefix="b")
    after = detections("a0", [(102, 50), (20, 20)], prefix="a")  # first crossed into "east"
    changes = match_objects(before, after, PIXEL_BEFORE, PIXEL_AFTER, zones=zones, shift=NO_SHIFT)
    rows = {(r["status"], r["zone_id"]) for r in changes.iter_rows(named=True)}
    assert rows == {("matched", "west"), ("removed", "west"), ("added", "east")}


def test_summary_has_top_level_statuses_with_counts_and_objects() -> None:
    before = detections("b0", [(10, 10), (60, 10), (120, 10)], prefix="b")
    after = detections("a0", [(10, 10), (300, 300)], prefix="a")
    summary = summarise_changes(
        match_objects(before, after, PIXEL_BEFORE, PIXEL_AFTER, shift=NO_SHIFT)
    )
    assert {"removed", "added", "matched"} <= summary.keys()
    assert [summary[s]["count"] for s in ("matched", "removed", "added")] == [1, 2, 1]
    assert summary["removed"]["by_zone_class"] == [
        {"zone_id": "all", "class": "small-vehicle", "count": 2}
    ]
    assert {o["before_detection_id"] for o in summary["removed"]["objects"]} == {"b1", "b2"}


centres = st.lists(
    st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=1, max_size=30, unique=True
)


@settings(max_examples=40, deadline=None)
@given(centres, centres, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(before_xy, after_xy, rnd) -> None:  # type: ignore[no-untyped-def]
    before = detections("b0", before_xy, prefix="b")
    after = detections("a0", after_xy, prefix="a")
    first = match_objects(before, after, PIXEL_BEFORE, PIXEL_AFTER, shift=NO_SHIFT)
    order_b, order_a = list(range(before.height)), list(range(after.height))
    rnd.shuffle(order_b)
    rnd.shuffle(order_a)
    second = match_objects(
        before[order_b], after[order_a], PIXEL_BEFORE, PIXEL_AFTER, shift=NO_SHIFT
    )
    # every object appears exactly once; ids are unique and stable across runs
    assert first.filter(pl.col("before_detection_id").is_not_null()).height == before.height
    assert first.filter(pl.col("after_detection_id").is_not_null()).height == after.height
    assert first["change_id"].n_unique() == first.height
    # the optimal total distance and the number of pairs do not depend on order (ties may swap)
    for frame in (second,):
        assert (
            frame.filter(pl.col("status") == "matched").height
            == first.filter(pl.col("status") == "matched").height
        )
        assert frame["offset_m"].sum() == pytest.approx(first["offset_m"].sum())


def test_phase_correlation_recovers_a_shift_of_a_real_image(data_dir: Path) -> None:
    from PIL import Image

    image = np.asarray(Image.open(data_dir / "imagery/dota-devkit-example/images/P1888.png"))
    grey = image[..., :3].astype(np.float32).mean(axis=2)
    before = grey[50:450, 60:560]
    after = grey[50 - 4 : 450 - 4, 60 + 7 : 560 + 7]  # a feature at x appears at x - 7, y + 4
    shift = phase_correlation(before, after)
    assert (shift.dx_px, shift.dy_px) == pytest.approx((-7.0, 4.0), abs=0.3)
    assert shift.peak > 0.2


def test_estimate_shift_reads_both_scenes(data_dir: Path) -> None:
    path = str(data_dir / "imagery/dota-devkit-example/images/P1888.png")
    scene = {"scene_id": "p", "path": path, "crs": None}
    shift = estimate_shift(scene, dict(scene))
    assert (shift.dx_px, shift.dy_px) == pytest.approx((0.0, 0.0), abs=1e-6)


def test_matching_across_two_crs_on_joplin(data_dir: Path) -> None:
    folder = data_dir / "imagery/xview2-deploy-prepost"
    when = datetime(2011, 5, 1, tzinfo=UTC)
    pre = read_scene_metadata(folder / "pre/tile_1361-9136.tif", "joplin", when)
    post = read_scene_metadata(folder / "post/tile_32524-5137.tif", "joplin", when.replace(month=6))
    assert pre["crs"] == "EPSG:26915" and post["crs"] == "EPSG:4326"
    # three cars in the tiles' overlap, given as lon/lat; in the post scene two are 1.5 m east
    lon = np.array([-94.4910, -94.4905, -94.4900])
    lat = np.array([37.0735, 37.0730, 37.0725])
    east_deg = 1.5 / (111_320.0 * np.cos(np.radians(37.07)))
    x0, y0 = lonlat_to_pixel(pre, lon, lat)
    x1, y1 = lonlat_to_pixel(post, lon[:2] + east_deg, lat[:2])
    before = detections(pre["scene_id"], list(zip(x0, y0, strict=True)), gsd_m=0.6, prefix="b")
    after = detections(post["scene_id"], list(zip(x1, y1, strict=True)), gsd_m=0.55, prefix="a")
    assert x0.min() > 0 and x0.max() < 1024 and x1.min() > 0 and x1.max() < 1024
    changes = match_objects(before, after, pre, post)
    found = statuses(changes)
    assert sorted(found["matched"]) == [("b0", "a0"), ("b1", "a1")]
    assert found["removed"] == [("b2", None)]
    assert changes.filter(pl.col("status") == "matched")["offset_m"].to_list() == pytest.approx(
        [1.5, 1.5], abs=0.05
    )
    assert changes["lon"].is_not_null().all()
