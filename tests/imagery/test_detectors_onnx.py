"""The pluggable ONNX detector, with a tiny model the test builds: it finds the brightest pixel
of its input slice and reports a box of fixed size whose top-left corner is that pixel (score =
the pixel's value, so a dark slice scores ~0). A bright square placed in the overlap of two slices
must come out once, at its true place, in every output layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import shapely
from onnx import TensorProto, helper

from harborwatch.errors import InputError
from harborwatch.imagery.detectors import detect_objects
from imagery.test_detectors_common import scene_of, write_png

SLICE_PX = 128
SQUARE_PX = 20
OBB_W, OBB_H, OBB_ANGLE_RAD = 40.0, 10.0, np.pi / 6


def _const(name: str, values: list[float] | list[int], dtype: int = TensorProto.FLOAT) -> object:
    return helper.make_node(
        "Constant", [], [name], value=helper.make_tensor(name + "_v", dtype, [len(values)], values)
    )


def build_model(path: Path, layout: str) -> Path:
    """``layout``: ``features_first`` (1, 5, 1): x y w h score; ``objectness`` (1, 1, 7):
    x y w h obj score_a score_b; ``oriented`` (1, 6, 1): x y w h score angle."""
    s = SLICE_PX
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["gray"], axes=[1], keepdims=0),  # (1,S,S)
        _const("flat_shape", [1, s * s], TensorProto.INT64),
        helper.make_node("Reshape", ["gray", "flat_shape"], ["flat"]),
        helper.make_node("ArgMax", ["flat"], ["idx"], axis=1, keepdims=1),  # (1,1) int64
        helper.make_node("ReduceMax", ["flat"], ["peak"], axes=[1], keepdims=1),  # (1,1)
        helper.make_node("Cast", ["idx"], ["idx_f"], to=TensorProto.FLOAT),
        _const("width", [float(s)]),
        helper.make_node("Mod", ["idx_f", "width"], ["col"], fmod=1),
        helper.make_node("Sub", ["idx_f", "col"], ["row_x"]),
        helper.make_node("Div", ["row_x", "width"], ["row"]),
        _const("half", [SQUARE_PX / 2]),
        helper.make_node("Add", ["col", "half"], ["cx"]),
        helper.make_node("Add", ["row", "half"], ["cy"]),
    ]
    if layout == "oriented":
        nodes += [_const("wh", [OBB_W, OBB_H]), _const("ang", [OBB_ANGLE_RAD])]
        nodes.append(helper.make_node("Reshape", ["wh", "wh_shape"], ["wh2"]))
        nodes.append(helper.make_node("Reshape", ["ang", "one_shape"], ["ang2"]))
        parts = ["cx", "cy", "wh2", "peak", "ang2"]
    elif layout == "objectness":
        nodes += [_const("wh", [float(SQUARE_PX)] * 2), _const("cls", [0.2, 1.0])]
        nodes.append(helper.make_node("Reshape", ["wh", "wh_shape"], ["wh2"]))
        nodes.append(helper.make_node("Reshape", ["cls", "wh_shape"], ["cls2"]))
        parts = ["cx", "cy", "wh2", "peak", "cls2"]
    else:
        nodes += [_const("wh", [float(SQUARE_PX)] * 2)]
        nodes.append(helper.make_node("Reshape", ["wh", "wh_shape"], ["wh2"]))
        parts = ["cx", "cy", "wh2", "peak"]
    nodes += [
        _const("wh_shape", [1, 2], TensorProto.INT64),
        _const("one_shape", [1, 1], TensorProto.INT64),
        helper.make_node("Concat", parts, ["row_out"], axis=1),  # (1, F)
    ]
    if layout == "objectness":
        nodes.append(helper.make_node("Unsqueeze", ["row_out", "zero_axis"], ["out"]))  # (1,1,F)
        nodes.append(_const("zero_axis", [0], TensorProto.INT64))
    else:
        nodes.append(helper.make_node("Unsqueeze", ["row_out", "last_axis"], ["out"]))  # (1,F,1)
        nodes.append(_const("last_axis", [2], TensorProto.INT64))
    nodes = _topological(nodes)
    graph = helper.make_graph(
        nodes,
        "bright_spot",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, s, s])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["a", "b", "c"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def _topological(nodes: list) -> list:
    """Constants first (the builder appends some after their users)."""
    return [n for n in nodes if n.op_type == "Constant"] + [
        n for n in nodes if n.op_type != "Constant"
    ]


def scene_with_square(tmp_path: Path, x0: int, y0: int) -> dict:
    """A dark 300 × 200 image with a bright square whose top-left corner is (x0, y0)."""
    image = np.full((200, 300, 3), 10, dtype=np.uint8)
    image[y0 : y0 + SQUARE_PX, x0 : x0 + SQUARE_PX] = 250
    return scene_of(write_png(tmp_path / "square.png", image), gsd_m=0.5)


def test_square_in_slice_overlap_found_once_at_its_place(tmp_path: Path) -> None:
    """Slices start at x = 0, 96, 172: the square at x 100-120 lies whole in the first two."""
    model = build_model(tmp_path / "m.onnx", "features_first")
    scene = scene_with_square(tmp_path, 100, 40)
    found = detect_objects(
        scene, "onnx", model_path=str(model), class_names=["small-vehicle"], overlap_px=32
    )
    assert len(found) == 1
    row = found.row(0, named=True)
    assert (row["x_px"], row["y_px"]) == pytest.approx((110.0, 50.0))
    assert row["class"] == "small-vehicle"
    assert row["score"] == pytest.approx(250 / 255, abs=1e-3)
    assert row["length_m"] == pytest.approx(SQUARE_PX * 0.5)
    assert row["source"] == "harborwatch.onnx/1:m.onnx"


def test_objectness_rows_and_best_class(tmp_path: Path) -> None:
    """Rows first (1, N, 7) with objectness: score = objectness × best class (the second)."""
    model = build_model(tmp_path / "m.onnx", "objectness")
    scene = scene_with_square(tmp_path, 230, 150)
    found = detect_objects(
        scene, "onnx", model_path=str(model), class_names=["ship", "large-vehicle"],
        objectness=True, overlap_px=32,
    )  # fmt: skip
    assert len(found) == 1
    row = found.row(0, named=True)
    assert (row["x_px"], row["y_px"]) == pytest.approx((240.0, 160.0))
    assert row["class"] == "large-vehicle"
    assert row["score"] == pytest.approx(250 / 255, abs=1e-3)


def test_oriented_boxes(tmp_path: Path) -> None:
    """xywh + angle: a 40 × 10 px box turned 30°; its polygon's corners lie where rotation puts
    them (half-diagonal from the centre)."""
    model = build_model(tmp_path / "m.onnx", "oriented")
    scene = scene_with_square(tmp_path, 30, 60)
    found = detect_objects(
        scene, "onnx", model_path=str(model), class_names=["ship"], oriented=True, overlap_px=32
    )
    assert len(found) == 1
    row = found.row(0, named=True)
    assert row["angle_deg"] == pytest.approx(30.0, abs=1e-4)
    assert (row["length_m"], row["width_m"]) == pytest.approx((20.0, 5.0))
    corners = np.asarray(shapely.from_wkt(row["pixel_wkt"]).exterior.coords)[:4]
    radius = np.hypot(corners[:, 0] - 40.0, corners[:, 1] - 70.0)
    assert radius == pytest.approx(np.hypot(20, 5), abs=0.02)


def test_dark_slices_score_nothing_and_bad_layout_is_an_input_error(tmp_path: Path) -> None:
    model = build_model(tmp_path / "m.onnx", "features_first")
    scene = scene_with_square(tmp_path, 100, 40)
    found = detect_objects(
        scene, "onnx", model_path=str(model), class_names=["ship"], score_threshold=0.99
    )
    assert len(found) == 0
    with pytest.raises(InputError, match="no axis of 7 features"):
        detect_objects(scene, "onnx", model_path=str(model), class_names=["a", "b", "c"])
    with pytest.raises(InputError, match="model_path"):
        detect_objects(scene, "onnx")
