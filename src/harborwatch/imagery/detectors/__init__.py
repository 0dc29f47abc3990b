"""Object detectors over registered scenes, each returning a
:data:`~harborwatch.schemas.DETECTIONS` table.

``optical_ships``, ``sar_ships`` and ``vehicles`` are model-free (image statistics, connected
components, sizes from the GSD); ``onnx`` runs a user's own ONNX model. Every detector reads the
scene window by window (:mod:`harborwatch.imagery.windows`) and keeps each object once across
window overlaps. Options are the fields of each detector's config dataclass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from harborwatch.errors import InputError

DETECTOR_NAMES: tuple[str, ...] = ("optical_ships", "sar_ships", "vehicles", "onnx")


def detect_objects(scene_row: dict[str, Any], detector: str, **options: Any) -> pl.DataFrame:
    """Objects found by ``detector`` in the scene described by ``scene_row`` (a SCENES row)."""
    return _detector(detector)(scene_row, **options)


def _detector(name: str) -> Callable[..., pl.DataFrame]:
    """The ``detect`` function of the named detector (imported on demand: onnxruntime is heavy)."""
    if name == "vehicles":
        from harborwatch.imagery.detectors import vehicles

        return vehicles.detect
    if name == "optical_ships":
        from harborwatch.imagery.detectors import optical_ships

        return optical_ships.detect
    if name == "sar_ships":
        from harborwatch.imagery.detectors import sar_ships

        return sar_ships.detect
    if name == "onnx":
        from harborwatch.imagery.detectors import onnx_model

        return onnx_model.detect
    raise InputError(f"unknown detector {name!r}; choose one of {', '.join(DETECTOR_NAMES)}")


__all__ = ["DETECTOR_NAMES", "detect_objects"]
