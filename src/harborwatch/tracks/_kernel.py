"""Numba kernel of the segmenter: one pass over the points of all vessels, by vessel and time.

Each point is matched against the open segments of its vessel in the way of Global Fishing Watch's
gpsdio-segment ``Matcher``: the discrepancy between where the segment's last point, moved on at its
reported speed and course, says the vessel should be and where the point is (averaged with the same
reckoning backwards from the point), allowed up to ``max_knots`` times the time padded by
``buffer_h``. The best-scoring segment takes the point; none means a new segment. Segments close
after ``max_gap_h`` without a point, and the stalest one closes when too many are open.

A second pass per vessel sets aside short segments that jumped away and came back (the points just
before and just after them belong to one other segment) as ``impossible_jump`` noise. So that such a
jump stays short, a segment of fewer than ``jump_window`` points lying between two points of
another segment, once the vessel could have sailed back from it to the other segment, only takes
points within GFW's own bound: ``max_knots`` times the penalized hours, not the padded ones.
Otherwise, after a long silence, dead reckoning from the far point can fit the resumed track
loosely but better than the real track does, and the jump grows into a long segment (issue #3:
one report 120 km off, 11 h of silence, 1,134 points joined it). A second transmitter is not
affected: it reports again before it could have sailed across, or near where it was.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

EARTH_RADIUS_NM = 6_371_008.8 / 1852.0
"""Mean Earth radius (IUGG) in nautical miles."""

US_PER_H = 3_600_000_000.0

NOISE_NONE = 0
NOISE_NO_POSITION = 1
NOISE_SENTINEL_SPEED = 2
NOISE_IMPOSSIBLE_JUMP = 3
NOISE_COARSE_TYPE27 = 4
NOISE_REASONS = (None, "no_position", "sentinel_speed", "impossible_jump", "coarse_type27")
"""``noise_reason`` text of each noise code (index = code)."""


@njit(cache=True, nogil=True, fastmath=False)
def haversine_nm(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance between two points in nautical miles."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp * 0.5) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl * 0.5) ** 2
    return 2.0 * EARTH_RADIUS_NM * math.asin(min(1.0, math.sqrt(a)))


@njit(cache=True, nogil=True)
def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees in [0, 360)."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


@njit(cache=True, nogil=True)
def _haversine_nm_cos(
    lon1: float, lat1: float, cos1: float, lon2: float, lat2: float, cos2: float
) -> float:
    """:func:`haversine_nm` with the cosines of both latitudes given (computed once per point)."""
    a = (
        math.sin(math.radians(lat2 - lat1) * 0.5) ** 2
        + cos1 * cos2 * math.sin(math.radians(lon2 - lon1) * 0.5) ** 2
    )
    return 2.0 * EARTH_RADIUS_NM * math.asin(min(1.0, math.sqrt(a)))


@njit(cache=True, nogil=True)
def _point_state(
    lat: float, sog: float, cog: float, sentinels: np.ndarray, tolerance: float
) -> tuple[float, float, float, bool]:
    """Cosine of the latitude, east and north velocity (kn; zero when SOG or COG is unknown, COG
    360 meaning not available, so dead reckoning stays put) and whether SOG is a sentinel."""
    sentinel = False
    for value in sentinels:
        if abs(sog - value) <= tolerance:
            sentinel = True
    if math.isnan(sog) or math.isnan(cog) or cog >= 360.0:
        return math.cos(math.radians(lat)), 0.0, 0.0, sentinel
    c = math.radians(cog)
    return math.cos(math.radians(lat)), sog * math.sin(c), sog * math.cos(c), sentinel


@njit(cache=True, nogil=True)
def _discrepancy_nm(seg_state: np.ndarray, s: int, point_state: np.ndarray, hours: float) -> float:
    """Mean distance between each point and where the other one's dead reckoning puts it: the
    last point of segment ``s`` (``seg_state[s]``) and the current point (``point_state``), both
    ``[lon, lat, cos_lat, vx, vy]`` (local flat approximation: beyond a few hundred miles the
    threshold fails anyway)."""
    dlon = point_state[0] - seg_state[s, 0]
    if dlon > 180.0:
        dlon -= 360.0
    elif dlon < -180.0:
        dlon += 360.0
    dx = dlon * 30.0 * (point_state[2] + seg_state[s, 2])
    dy = (point_state[1] - seg_state[s, 1]) * 60.0
    forward = math.sqrt((dx - seg_state[s, 3] * hours) ** 2 + (dy - seg_state[s, 4] * hours) ** 2)
    backward = math.sqrt((dx - point_state[3] * hours) ** 2 + (dy - point_state[4] * hours) ** 2)
    return 0.5 * (forward + backward)


def segment_points(
    starts: np.ndarray,
    ts_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    sog: np.ndarray,
    cog: np.ndarray,
    is_type27: np.ndarray,
    sentinels: np.ndarray,
    params: np.ndarray,
    max_open: int,
    short_segment_points: int,
    jump_window: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Assign every point to a segment or mark it noise.

    ``starts`` holds the first row of each vessel and, last, the row count; missing values are
    NaN. ``params`` is ``[max_knots, max_gap_h, buffer_h, penalty_h, penalty_exponent,
    penalty_speed_knots, type27_min_gap_h, sentinel_tolerance_knots]``; a SOG within the
    tolerance of one of ``sentinels`` is noise (``sentinel_speed``). A type 27 report
    (long-range, positions to 1/10 minute) that would join a segment less than
    ``type27_min_gap_h`` after its last point is noise (``coarse_type27``), as in GFW's
    ``Matcher.min_type_27_hours``: it would only blur a better track.
    Returns ``(segment, noise, implied_speed_knots, segment_vessel, segment_first_row)``:
    per point the global segment number (-1 for noise), the noise code and the implied speed from
    the previous point of its segment (NaN for the first, or for a zero time step); per segment its
    vessel number and first row. Segment numbers follow the order segments open in.
    """
    n = ts_us.shape[0]
    # Outputs allocated by NumPy (huge pages for big arrays), not in the kernel: page faults
    # cost as much as segmenting millions of positions.
    segment = np.full(n, -1, np.int64)
    noise = np.zeros(n, np.int8)
    implied = np.full(n, np.nan, np.float32)
    seg_vessel, seg_first = _segment_points(
        starts,
        ts_us,
        lon,
        lat,
        sog,
        cog,
        is_type27,
        sentinels,
        params,
        max_open,
        short_segment_points,
        jump_window,
        segment,
        noise,
        implied,
    )
    return segment, noise, implied, seg_vessel, seg_first


@njit(cache=True, nogil=True)
def _segment_points(
    starts: np.ndarray,
    ts_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    sog: np.ndarray,
    cog: np.ndarray,
    is_type27: np.ndarray,
    sentinels: np.ndarray,
    params: np.ndarray,
    max_open: int,
    short_segment_points: int,
    jump_window: int,
    segment: np.ndarray,
    noise: np.ndarray,
    implied: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`segment_points` filling ``segment`` (-1 on entry), ``noise`` (0) and ``implied``
    (NaN); returns the segments' vessel and first row."""
    max_knots, max_gap_h, buffer_h, penalty_h = params[0], params[1], params[2], params[3]
    penalty_exp, penalty_speed, type27_min_gap_h = params[4], params[5], params[6]
    tolerance = params[7]
    alpha0 = max_knots / penalty_speed
    n = ts_us.shape[0]
    seg_vessel = np.empty(max(n, 1), np.int64)
    seg_first = np.empty(max(n, 1), np.int64)
    seg_last = np.empty(max(n, 1), np.int64)
    seg_count = np.zeros(max(n, 1), np.int64)
    seg_before = np.empty(max(n, 1), np.int64)  # segment of the vessel's point before the first
    seg_after = np.empty(max(n, 1), np.int64)  # and of the one after the last (-1: none yet)
    seg_after_row = np.empty(max(n, 1), np.int64)  # that point's row
    open_ids = np.empty(max_open, np.int64)
    # [lon, lat, cos_lat, vx, vy] of the current point and of each segment's last point: kept
    # per segment, not per point, so memory grows with segments rather than positions.
    point_state = np.empty(5)
    seg_state = np.empty((max(n, 1), 5))
    root_penalty = penalty_exp == 0.5
    n_seg = 0
    for v in range(starts.shape[0] - 1):
        first_seg = n_seg
        n_open = 0
        previous_seg = -1
        for i in range(starts[v], starts[v + 1]):
            if math.isnan(lon[i]) or math.isnan(lat[i]):
                noise[i] = NOISE_NO_POSITION
                continue
            cos_i, vx_i, vy_i, sentinel = _point_state(lat[i], sog[i], cog[i], sentinels, tolerance)
            if sentinel:
                noise[i] = NOISE_SENTINEL_SPEED
                continue
            point_state[0], point_state[1], point_state[2] = lon[i], lat[i], cos_i
            point_state[3], point_state[4] = vx_i, vy_i
            best = -1
            best_score = 0.0
            scored = n_open > 1  # with one candidate, only the threshold matters
            k = 0
            while k < n_open:
                s = open_ids[k]
                j = seg_last[s]
                hours = (ts_us[i] - ts_us[j]) / US_PER_H
                if hours > max_gap_h:  # closed for good: points only get later
                    n_open -= 1
                    open_ids[k] = open_ids[n_open]
                    continue
                k += 1
                ratio = hours / penalty_h
                stretch = math.sqrt(ratio) if root_penalty else ratio ** (1.0 - penalty_exp)
                penalized = hours / (1.0 + stretch)
                disc = _discrepancy_nm(seg_state, s, point_state, penalized)
                padded = math.sqrt(hours * hours + buffer_h * buffer_h)
                allowed = padded * max_knots
                if disc > allowed:
                    continue
                enclosed = seg_after[s] >= 0 and seg_after[s] == seg_before[s]
                if (
                    enclosed
                    and seg_count[s] < jump_window
                    and disc > penalized * max_knots
                    and _sailed_back(
                        lon, lat, seg_state[s, 2], j, seg_after_row[s], reach_nm=hours * max_knots
                    )
                ):
                    continue
                score = 1.0
                if scored:
                    alpha = alpha0 * disc / allowed
                    young = seg_count[s] / short_segment_points
                    score = math.exp(-alpha * alpha) / padded * young / math.sqrt(1 + young**2)
                if score > best_score or (score == best_score and best != -1 and s < best):
                    best = s
                    best_score = score
            if best == -1:
                if n_open == max_open:  # close the stalest
                    stalest = 0
                    for k in range(1, n_open):
                        if seg_last[open_ids[k]] < seg_last[open_ids[stalest]]:
                            stalest = k
                    n_open -= 1
                    open_ids[stalest] = open_ids[n_open]
                best = n_seg
                n_seg += 1
                seg_vessel[best] = v
                seg_first[best] = i
                seg_count[best] = 0
                seg_before[best] = previous_seg
                open_ids[n_open] = best
                n_open += 1
            else:
                j = seg_last[best]
                dt_h = (ts_us[i] - ts_us[j]) / US_PER_H
                if is_type27[i] and dt_h < type27_min_gap_h:
                    noise[i] = NOISE_COARSE_TYPE27
                    continue
                if dt_h > 0.0:
                    dist = _haversine_nm_cos(
                        lon[j], lat[j], seg_state[best, 2], lon[i], lat[i], cos_i
                    )
                    implied[i] = dist / dt_h
            segment[i] = best
            seg_last[best] = i
            seg_state[best] = point_state
            seg_count[best] += 1
            seg_after[best] = -1
            if previous_seg >= 0 and previous_seg != best:
                seg_after[previous_seg] = best
                seg_after_row[previous_seg] = i
            previous_seg = best
        _mark_jumps(
            starts[v], starts[v + 1], first_seg, n_seg, segment, noise, seg_count, jump_window
        )
    return seg_vessel[:n_seg].copy(), seg_first[:n_seg].copy()


@njit(cache=True, nogil=True)
def _sailed_back(
    lon: np.ndarray, lat: np.ndarray, cos_j: float, j: int, back: int, reach_nm: float
) -> bool:
    """Whether the vessel could have sailed from point ``j`` (``cos_j``: the cosine of its
    latitude) to point ``back`` in the time since ``j`` (``reach_nm``: that time at the maximum
    speed)."""
    cos_back = math.cos(math.radians(lat[back]))  # as _point_state computes it
    away_nm = _haversine_nm_cos(lon[j], lat[j], cos_j, lon[back], lat[back], cos_back)
    return reach_nm >= away_nm


@njit(cache=True, nogil=True)
def _mark_jumps(
    lo: int,
    hi: int,
    first_seg: int,
    end_seg: int,
    segment: np.ndarray,
    noise: np.ndarray,
    seg_count: np.ndarray,
    window: int,
) -> None:
    """Mark segments of fewer than ``window`` points lying between two points of one other
    segment as ``impossible_jump`` noise (one vessel: rows ``lo:hi``, segments
    ``first_seg:end_seg``)."""
    m = end_seg - first_seg
    if m < 2:
        return
    before = np.full(m, -1, np.int64)
    after = np.full(m, -1, np.int64)
    seen = np.zeros(m, np.bool_)
    previous = -1
    for i in range(lo, hi):
        s = segment[i]
        if s < 0:
            continue
        if not seen[s - first_seg]:
            seen[s - first_seg] = True
            before[s - first_seg] = previous
        previous = s
    seen[:] = False
    following = -1
    for i in range(hi - 1, lo - 1, -1):
        s = segment[i]
        if s < 0:
            continue
        if not seen[s - first_seg]:
            seen[s - first_seg] = True
            after[s - first_seg] = following
        following = s
    jump = np.zeros(m, np.bool_)
    for r in range(m):
        s = first_seg + r
        if seg_count[s] < window and before[r] >= 0 and before[r] == after[r] and before[r] != s:
            jump[r] = True
    for i in range(lo, hi):
        s = segment[i]
        if s >= 0 and jump[s - first_seg]:
            segment[i] = -1
            noise[i] = NOISE_IMPOSSIBLE_JUMP


def derive_motion(
    segment: np.ndarray, ts_us: np.ndarray, lon: np.ndarray, lat: np.ndarray, need: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Speed (kn) and course (deg) of the points where ``need`` is set, from the previous point
    of their segment (NaN elsewhere).

    The first point of a segment takes the values of its second point; a lone point or a zero
    time step gives NaN. Rows are sorted by vessel and time, so the previous point of a segment
    is the last row seen with the same segment number.
    """
    speed = np.full(segment.shape[0], np.nan, np.float32)  # NumPy's allocation: huge pages
    course = np.full(segment.shape[0], np.nan, np.float32)
    _derive_motion(segment, ts_us, lon, lat, need, speed, course)
    return speed, course


@njit(cache=True, nogil=True)
def _derive_motion(
    segment: np.ndarray,
    ts_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    need: np.ndarray,
    speed: np.ndarray,
    course: np.ndarray,
) -> None:
    """:func:`derive_motion` filling ``speed`` and ``course`` (NaN on entry)."""
    n = segment.shape[0]
    n_seg = 0
    for i in range(n):
        n_seg = max(n_seg, segment[i] + 1)
    last = np.full(max(n_seg, 1), -1, np.int64)
    first_unfilled = np.full(max(n_seg, 1), -1, np.int64)
    for i in range(n):
        s = segment[i]
        if s < 0:
            continue
        j = last[s]
        last[s] = i
        if j < 0:
            first_unfilled[s] = i
            continue
        f = first_unfilled[s]
        dt_h = (ts_us[i] - ts_us[j]) / US_PER_H
        if dt_h > 0.0 and (need[i] or (f >= 0 and need[f])):
            speed[i] = haversine_nm(lon[j], lat[j], lon[i], lat[i]) / dt_h
            course[i] = bearing_deg(lon[j], lat[j], lon[i], lat[i])
        if f >= 0:
            speed[f] = speed[i]
            course[f] = course[i]
            first_unfilled[s] = -1
