"""Run the segmenter, the geography lookups and every event detector over positions.

Pure functions over tables (no store, no CLI): :func:`build_track_points` turns positions into
:data:`~harborwatch.schemas.TRACK_POINTS`, :func:`detect_events` runs the chosen detectors on them.
Both are partition-local per vessel (encounters per spatial cell), so they run unchanged on Dask
partitions keyed by vessel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from harborwatch.config import (
    EncounterConfig,
    GapConfig,
    GeographyConfig,
    IdentityConfig,
    LoiteringConfig,
    PortVisitConfig,
    SegmentConfig,
    SitePresenceConfig,
    SpoofingConfig,
    VoyageChangeConfig,
)
from harborwatch.events.base import DetectionContext, EventType, empty_frame
from harborwatch.events.encounters import detect_encounters
from harborwatch.events.gaps import detect_ais_gaps
from harborwatch.events.identity_change import detect_identity_changes
from harborwatch.events.loitering import detect_loitering
from harborwatch.events.port_visits import detect_port_visits
from harborwatch.events.site_presence import detect_site_presence
from harborwatch.events.spoofing import detect_spoofing
from harborwatch.events.voyage_change import detect_voyage_changes
from harborwatch.geo.enrich import annotate_geography
from harborwatch.geo.reference import Geography
from harborwatch.schemas import EVENTS
from harborwatch.tracks.segment import segment_tracks


@dataclass(frozen=True)
class DetectionConfig:
    """Every threshold of a detection run, one frozen config per stage."""

    segment: SegmentConfig = field(default_factory=SegmentConfig)
    geography: GeographyConfig = field(default_factory=GeographyConfig)
    port_visit: PortVisitConfig = field(default_factory=PortVisitConfig)
    ais_gap: GapConfig = field(default_factory=GapConfig)
    spoofing: SpoofingConfig = field(default_factory=SpoofingConfig)
    identity_change: IdentityConfig = field(default_factory=IdentityConfig)
    voyage_change: VoyageChangeConfig = field(default_factory=VoyageChangeConfig)
    encounter: EncounterConfig = field(default_factory=EncounterConfig)
    loitering: LoiteringConfig = field(default_factory=LoiteringConfig)
    site_presence: SitePresenceConfig = field(default_factory=SitePresenceConfig)


Detector = Callable[[pl.DataFrame, DetectionContext, Any], pl.DataFrame]

DETECTORS: dict[EventType, tuple[Detector, str]] = {
    EventType.PORT_VISIT: (detect_port_visits, "port_visit"),
    EventType.AIS_GAP: (detect_ais_gaps, "ais_gap"),
    EventType.SPOOFING: (detect_spoofing, "spoofing"),
    EventType.IDENTITY_CHANGE: (detect_identity_changes, "identity_change"),
    EventType.VOYAGE_CHANGE: (detect_voyage_changes, "voyage_change"),
    EventType.ENCOUNTER: (detect_encounters, "encounter"),
    EventType.LOITERING: (detect_loitering, "loitering"),
    EventType.SITE_PRESENCE: (detect_site_presence, "site_presence"),
}
"""Each event type's detector and the :class:`DetectionConfig` field holding its thresholds."""


def build_track_points(
    positions: pl.DataFrame, geography: Geography, config: DetectionConfig = DetectionConfig()
) -> pl.DataFrame:
    """Positions segmented per vessel and annotated with ports, shore distance and land."""
    points = segment_tracks(positions, config.segment)
    return annotate_geography(points, geography, config.geography)


def detect_events(
    points: pl.DataFrame,
    context: DetectionContext,
    config: DetectionConfig = DetectionConfig(),
    types: Iterable[EventType] | None = None,
) -> pl.DataFrame:
    """Events of the chosen ``types`` (all by default) found in track ``points``, in the
    :data:`~harborwatch.schemas.EVENTS` layout, ordered by start time, type and vessel."""
    chosen = list(DETECTORS) if types is None else list(types)
    found = [
        detector(points, context, getattr(config, config_field))
        for detector, config_field in (DETECTORS[kind] for kind in chosen)
    ]
    if not found:
        return empty_frame(EVENTS)
    return pl.concat(found).sort("start_ts", "event_type", "vessel_id", "event_id")
