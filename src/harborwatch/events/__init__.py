"""Behaviour events found in segmented, geography-annotated tracks: one detector per module,
all with the signature described in :mod:`harborwatch.events.base`."""

from harborwatch.events.base import DetectionContext, EventType, finish_events

__all__ = ["DetectionContext", "EventType", "finish_events"]
