"""A user's own ONNX detector (onnxruntime), run over the scene in overlapping slices.

The model takes one ``(1, 3, S, S)`` float image (RGB, values times ``scale``) and returns
YOLO-style candidates, either ``(1, N, F)`` (one row per candidate) or ``(1, F, N)`` (features
first, as YOLOv8 writes them), with ``F`` made of:

- ``x, y, w, h``: box centre and size in input pixels;
- an objectness score when ``objectness`` (YOLOv5 style), multiplied into the class scores;
- one score per class;
- the box angle in radians when ``oriented`` (YOLOv8-OBB: rotation of the ``w`` side from x).

Slices are ``S`` pixels square (the model's input size, or ``input_px`` when it is dynamic) and
overlap by ``overlap_px``; the last slice of a row is padded with zeros where the scene ends.
Candidates above ``score_threshold`` become oriented boxes; across slices each object is kept by
the slice owning its centre, boxes reaching an inner slice edge are dropped (the neighbour sees
the object whole) and the rest pass one non-maximum suppression on rotated polygons.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import polars as pl

from harborwatch.errors import InputError
from harborwatch.imagery.detectors._common import Boxes, detect_tiled, make_config, to_frame

NAME = "onnx"
VERSION = "1"


@dataclass(frozen=True)
class OnnxConfig:
    """How to run and read the model."""

    model_path: str = ""
    """The ``.onnx`` file (required)."""
    class_names: tuple[str, ...] | None = None
    """Names of the model's classes in output order (DOTA names where they fit); ``class_<i>``
    when not given. Also settles which output axis holds the features."""
    objectness: bool = False
    oriented: bool = False
    score_threshold: float = 0.25
    iou_max: float = 0.45
    input_px: int = 640
    """Slice size when the model's input size is dynamic."""
    overlap_px: int = 128
    """Overlap of slices (at most half the slice)."""
    scale: float = 1.0 / 255.0


def detect(scene_row: dict[str, Any], **options: Any) -> pl.DataFrame:
    """Objects found by the model in the scene, as a DETECTIONS table."""
    if isinstance(options.get("class_names"), list):
        options["class_names"] = tuple(options["class_names"])
    config = make_config(OnnxConfig, options, NAME)
    session = _session(config.model_path)
    size = _input_size(session, config.input_px)
    boxes = detect_tiled(
        scene_row, partial(detect_window, session=session, size=size, config=config),
        tile_px=size, overlap_px=min(config.overlap_px, size // 2), iou_max=config.iou_max,
    )  # fmt: skip
    model = config.model_path.replace("\\", "/").rsplit("/", 1)[-1]
    return to_frame(scene_row, boxes, f"harborwatch.{NAME}/{VERSION}:{model}")


def _session(model_path: str) -> Any:
    """An onnxruntime CPU session on the model (imported here: onnxruntime is heavy)."""
    if not model_path:
        raise InputError("the onnx detector needs model_path=<file.onnx>")
    import onnxruntime

    try:
        return onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise InputError(f"cannot load ONNX model {model_path!r}: {exc}") from exc


def _input_size(session: Any, fallback: int) -> int:
    """The model's square input size, or ``fallback`` when its shape is dynamic."""
    shape = session.get_inputs()[0].shape
    height, width = shape[2], shape[3]
    if isinstance(height, int) and isinstance(width, int):
        if height != width:
            raise InputError(f"model input is {height} x {width}; only square inputs are supported")
        return height
    return fallback


def detect_window(
    pixels: np.ndarray, gsd_m: float, offset: tuple[int, int], session: Any, size: int,
    config: OnnxConfig,
) -> Boxes:  # fmt: skip
    """Run the model on one slice (zero-padded to ``size``) and decode its candidates."""
    bands = pixels[:3] if pixels.shape[0] >= 3 else np.repeat(pixels[:1], 3, axis=0)
    batch = np.zeros((1, 3, size, size), dtype=np.float32)
    batch[0, :, : bands.shape[1], : bands.shape[2]] = bands.astype(np.float32) * config.scale
    name = session.get_inputs()[0].name
    raw = np.asarray(session.run(None, {name: batch})[0], dtype=np.float32)
    return decode(raw, config)


def decode(raw: np.ndarray, config: OnnxConfig) -> Boxes:
    """Candidates ``(1, N, F)`` or ``(1, F, N)`` to boxes above the score threshold."""
    rows = _candidate_rows(raw, config)
    extra = 4 + int(config.objectness) + int(config.oriented)
    n_classes = rows.shape[1] - extra
    if n_classes < 1:
        raise InputError(f"model output has {rows.shape[1]} features; need at least {extra + 1}")
    first = 4 + int(config.objectness)
    class_scores = rows[:, first : first + n_classes]
    if config.objectness:
        class_scores = class_scores * rows[:, 4:5]
    best = class_scores.argmax(axis=1)
    score = class_scores[np.arange(len(rows)), best]
    keep = score >= config.score_threshold
    rows, best, score = rows[keep], best[keep], score[keep]
    w, h = rows[:, 2], rows[:, 3]
    theta = np.rad2deg(rows[:, -1]) if config.oriented else np.zeros(len(rows))
    angle = np.where(w >= h, theta, theta + 90.0) % 180.0
    names = np.asarray(_class_names(config, n_classes), dtype=object)
    return Boxes(
        rows[:, 0].astype(float), rows[:, 1].astype(float), np.maximum(w, h).astype(float),
        np.minimum(w, h).astype(float), angle, score.astype(np.float32), names[best],
    )  # fmt: skip


def _candidate_rows(raw: np.ndarray, config: OnnxConfig) -> np.ndarray:
    """The output as ``(N, F)``: features-first outputs are transposed. With class names the
    feature count is known; without, the shorter axis is taken as the features (N ≫ F)."""
    out = raw[0] if raw.ndim == 3 else raw
    if out.ndim != 2:
        raise InputError(f"model output shape {raw.shape}: expected (1, N, F) or (1, F, N)")
    if config.class_names is not None:
        features = 4 + int(config.objectness) + int(config.oriented) + len(config.class_names)
        if out.shape[1] == features:
            return out
        if out.shape[0] == features:
            return out.T
        raise InputError(
            f"model output shape {raw.shape} has no axis of {features} features "
            f"({len(config.class_names)} class names given)"
        )
    return out.T if out.shape[0] < out.shape[1] else out


def _class_names(config: OnnxConfig, count: int) -> list[str]:
    return list(config.class_names) if config.class_names else [f"class_{i}" for i in range(count)]
