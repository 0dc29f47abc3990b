"""Thresholds of the segmenter and the event detectors, as frozen dataclasses.

Every default cites where it comes from (``docs/DESIGN.md`` gathers them). Callers override a
value with :func:`dataclasses.replace`; detectors never read globals.

Sources:

- GFW: Global Fishing Watch's public pipelines (pipe-segment, pipe-anchorages, pipe-events,
  pipe-gaps) and their papers.
- Welch et al. 2022, "Hot spots of unseen fishing vessels", Science Advances: AIS gap criteria.
"""

from __future__ import annotations

from dataclasses import dataclass

NM_M = 1852.0
"""One nautical mile in metres."""


@dataclass(frozen=True)
class SegmentConfig:
    """Splitting one MMSI's positions into segments (GFW pipe-segment)."""

    sentinel_speeds_knots: tuple[float, ...] = (51.2, 63.0, 102.3)  # GFW: known junk SOG values
    sentinel_tolerance_knots: float = 0.05  # GFW gpsdio-segment: excluded ranges are +-0.05 kn
    max_implied_speed_knots: float = 25.0  # GFW gpsdio-segment Matcher.max_knots (25-50 kn)
    max_gap_h: float = 24.0  # GFW pipe-segment closes a segment after a day without messages
    max_open_segments: int = 20  # GFW keeps many open segments per MMSI (spoofed/shared MMSIs)
    jump_noise_window: int = 3  # a point that jumps away and back within this many points is noise
    buffer_h: float = 0.25  # GFW Matcher.buffer_hours: time padding, absorbs position noise
    penalty_h: float = 4.0  # GFW Matcher.penalty_hours: dead reckoning shortened beyond this
    penalty_exponent: float = 0.5  # GFW Matcher.hours_exp
    penalty_speed_knots: float = 5.0  # GFW Matcher.penalty_speed: discrepancy scale of the score
    short_segment_points: int = 10  # GFW Matcher.short_seg_threshold: young segments score less
    type27_min_gap_h: float = 1.0  # GFW Matcher.min_type_27_hours: coarse type 27 kept apart


@dataclass(frozen=True)
class GeographyConfig:
    """Per-point lookups that feed the detectors."""

    port_lookup_radius_m: float = 10_000.0  # covers encounter's 10 km from an anchorage (GFW)


@dataclass(frozen=True)
class PortVisitConfig:
    """Port visits (GFW pipe-anchorages / port visits)."""

    entry_distance_m: float = 3_000.0  # GFW: in port within 3 km of an anchorage
    exit_distance_m: float = 4_000.0  # GFW: out of port beyond 4 km (hysteresis)
    stop_start_knots: float = 0.2  # GFW: a stop starts below 0.2 kn
    stop_end_knots: float = 0.5  # GFW: and ends above 0.5 kn
    max_gap_in_port_h: float = 4.0  # GFW: a gap longer than 4 h in port is its own event


@dataclass(frozen=True)
class GapConfig:
    """AIS gaps (GFW pipe-gaps; Welch et al. 2022)."""

    min_gap_h: float = 6.0  # record every gap of at least 6 h
    intentional_min_gap_h: float = 12.0  # Welch et al. 2022: likely intentional from 12 h
    intentional_min_shore_distance_m: float = 50 * NM_M  # Welch et al. 2022: starts >= 50 nm out
    intentional_min_positions_before: int = 14  # Welch et al. 2022: >= 14 positions in the 12 h
    positions_before_window_h: float = 12.0  # the window those positions are counted in
    near_shore_distance_m: float = 5 * NM_M  # gaps starting this close to shore get less confidence


@dataclass(frozen=True)
class EncounterConfig:
    """Two vessels side by side at sea (GFW encounters)."""

    max_distance_m: float = 500.0  # GFW
    min_duration_h: float = 2.0  # GFW
    max_speed_knots: float = 2.0  # GFW: both slower than 2 kn
    min_anchorage_distance_m: float = 10_000.0  # GFW: at least 10 km from an anchorage
    time_bin_min: float = 10.0  # positions are compared on a common 10-minute grid
    max_bin_gap_min: float = 30.0  # bridged silence: slow class A/B ships report every 3 min
    # (ITU-R M.1371), so up to 30 min without a shared bin is missed reports, not a parting


@dataclass(frozen=True)
class LoiteringConfig:
    """One vessel slow at sea (GFW loitering)."""

    max_speed_knots: float = 2.0  # GFW
    min_duration_h: float = 2.0  # GFW
    min_anchorage_distance_m: float = 10_000.0  # GFW: away from anchorages
    max_gap_h: float = 6.0  # an AIS gap (GapConfig.min_gap_h) breaks a loiter: unobserved time


@dataclass(frozen=True)
class SpoofingConfig:
    """Positions no honest transmitter reports."""

    teleport_speed_knots: float = 50.0  # GFW: above 25-50 kn between points is implausible
    teleport_min_distance_m: float = NM_M  # shorter hops are GPS error over seconds, not jumps
    min_land_distance_from_port_m: float = 5_000.0  # on land further than this from any port
    # Natural Earth 1:50m coastlines are generalised by up to ~2 km: harbours, lagoons and island
    # anchorages fall "inland" by less than that.
    min_inland_distance_m: float = 2_000.0
    # A land cell where this many vessels report is a waterway the polygons lack (the Suez Canal,
    # at 1:50m), not spoofing: one spoofer rarely shares its fake spot with two honest ships.
    waterway_min_vessels: int = 3
    waterway_cell_m: float = 3_000.0  # anchorage spacing in the Suez Canal lakes (measured)
    same_spot_min_vessels: int = 5  # this many vessels at one spot at once
    same_spot_radius_m: float = 50.0  # about a ship's length: two hulls cannot be closer
    same_spot_window_min: float = 10.0  # EncounterConfig's 10-minute common time grid (GFW)
    circle_min_duration_h: float = 1.0  # circling: turns through >= 2 full circles in this time
    circle_min_turns: float = 2.0
    circle_min_speed_knots: float = 2.0  # GFW loitering: below 2 kn a course is drift noise


@dataclass(frozen=True)
class VoyageChangeConfig:
    """Declared voyage data changing."""

    min_draught_change_m: float = 0.3  # smaller steps are rounding by the crew
    min_eta_change_h: float = 6.0  # ETA corrections smaller than this are routine


@dataclass(frozen=True)
class IdentityConfig:
    """One MMSI's identity changing, or seen as two vessels at once."""

    simultaneous_distance_m: float = 50_000.0  # two places this far apart within the window
    simultaneous_window_min: float = 10.0  # 50 km in 10 min is 162 kn: no ship (GFW 25-50 kn)
    simultaneous_merge_gap_h: float = 24.0  # GFW pipe-segment: a day links one track's pieces


@dataclass(frozen=True)
class SitePresenceConfig:
    """A watchlist vessel inside a named site (harborwatch.events.site_presence)."""

    max_gap_h: float = 24.0  # GFW pipe-segment: a day unheard closes a track; here it ends a stay
    min_points: int = 1  # one position inside a site is evidence; confidence grows with more
