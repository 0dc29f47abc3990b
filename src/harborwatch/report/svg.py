"""Inline SVG drawings of a report document: the map and the charts.

Everything is drawn here from numbers in the document, so the page needs no script, font,
tile server or library: land polygons, the site outline, tracks and event markers on an
equirectangular projection around the site (x scaled by the cosine of the middle latitude, so
shapes keep their proportions at this scale), with a graticule and a scale bar; daily bar charts
of the timeline series with their assessed change points; and the imagery counts per scene.

Every piece of text goes through :func:`html.escape`, since names come from AIS transmitters.
Marks carry ``class="mark"`` so a test can count what was drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

import numpy as np

from harborwatch.geo.distance import EARTH_RADIUS_M

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
)
"""Track colours (Tableau 10), assigned in the order vessels are listed."""
EVENT_COLOURS = {
    "site_presence": "#d62728",
    "port_visit": "#1f77b4",
    "ais_gap": "#111111",
    "encounter": "#ff7f0e",
    "loitering": "#9467bd",
    "spoofing": "#e377c2",
    "identity_change": "#8c564b",
    "voyage_change": "#17becf",
}
DETECTION_COLOUR = "#ffd21f"
"""Imagery detections on the map (squares)."""
DARK_COLOUR = "#e6007e"
"""Dark-vessel candidates on the map (squares): ship detections no AIS vessel accounts for
where AIS heard other vessels."""
UNCOVERED_COLOUR = "#8a8a8a"
"""Ship detections no AIS vessel accounts for where AIS heard nothing (AIS cannot tell)."""
MARKER_COLOURS = {None: DETECTION_COLOUR, "dark_candidate": DARK_COLOUR}
"""Square colour by marker ``status`` (others: :data:`UNCOVERED_COLOUR`)."""
MAP_WIDTH_PX, MAP_MAX_HEIGHT_PX = 900.0, 620.0
CHART_WIDTH_PX, CHART_HEIGHT_PX = 900.0, 170.0
_PAD = (46.0, 34.0, 26.0, 26.0)  # chart padding: left, right, top, bottom


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


class _Projection:
    """lon/lat -> SVG pixels over a box, equirectangular at the box's middle latitude."""

    def __init__(self, box: Sequence[float]) -> None:
        self.west, self.south, self.east, self.north = box
        self.kx = math.cos(math.radians((self.south + self.north) / 2))
        span_x = (self.east - self.west) * self.kx
        span_y = self.north - self.south
        self.scale = min(MAP_WIDTH_PX / span_x, MAP_MAX_HEIGHT_PX / span_y)
        self.width, self.height = span_x * self.scale, span_y * self.scale

    def xy(self, coords: Sequence[Sequence[float]]) -> np.ndarray:
        points = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
        x = (points[:, 0] - self.west) * self.kx * self.scale
        y = (self.north - points[:, 1]) * self.scale
        return np.column_stack([x, y])

    def path(self, lines: Sequence[Sequence[Sequence[float]]], close: bool = False) -> str:
        """SVG path data of ``lines`` (each a list of [lon, lat])."""
        pieces = []
        for line in lines:
            if len(line) == 0:
                continue
            xy = self.xy(line)
            head = f"M{xy[0, 0]:.1f} {xy[0, 1]:.1f}"
            tail = "".join(f"L{x:.1f} {y:.1f}" for x, y in xy[1:])
            pieces.append(head + tail + ("Z" if close else ""))
        return "".join(pieces)


def map_svg(section: dict[str, Any]) -> str:
    """The map of a document's ``map`` section."""
    p = _Projection(section["box"])
    w, h = p.width, p.height
    parts = [
        f'<svg class="map" viewBox="0 0 {w:.0f} {h:.0f}" '
        f'width="{w:.0f}" height="{h:.0f}" role="img" aria-label="map of tracks and events">',
        f'<defs><clipPath id="map-clip"><rect width="{w:.1f}" height="{h:.1f}"/></clipPath></defs>',
        f'<rect class="sea" width="{w:.1f}" height="{h:.1f}"/>',
        '<g clip-path="url(#map-clip)">',
    ]
    if section["land"]:
        parts.append(
            f'<path class="land mark" fill-rule="evenodd" d="{p.path(section["land"], True)}"/>'
        )
    parts.append(_graticule(p))
    if section["site_outline"]:
        parts.append(
            f'<path class="site mark" d="{p.path([section["site_outline"]], True)}">'
            "<title>site boundary</title></path>"
        )
    for index, track in enumerate(section["tracks"]):
        width = 2.6 if track.get("watchlist_entry") else 1.3
        parts.append(
            f'<path class="track mark" stroke="{track_colour(index)}" stroke-width="{width}" '
            f'd="{p.path(track["parts"])}"><title>{_e(track["label"])}</title></path>'
        )
    for marker in section["events"]:
        ((x, y),) = p.xy([[marker["lon"], marker["lat"]]])
        colour = EVENT_COLOURS.get(marker["event_type"], "#333333")
        parts.append(
            f'<a href="#{_e(marker["anchor"])}"><circle class="event mark" cx="{x:.1f}" '
            f'cy="{y:.1f}" r="4.5" fill="{colour}"><title>{_e(marker["label"])}</title>'
            "</circle></a>"
        )
    parts += _detection_marks(p, section.get("detections") or [])
    parts += ["</g>", _scale_bar(p), "</svg>"]
    return "".join(parts)


def _detection_marks(p: _Projection, markers: Sequence[dict[str, Any]]) -> list[str]:
    """Small squares at imagery detections, ships without AIS in their own colours and drawn
    last (on top), each linking to its row."""
    parts = []
    for marker in sorted(markers, key=lambda m: m["status"] is not None):
        ((x, y),) = p.xy([[marker["lon"], marker["lat"]]])
        colour = MARKER_COLOURS.get(marker["status"], UNCOVERED_COLOUR)
        parts.append(
            f'<a href="#{_e(marker["anchor"])}"><rect class="detection mark" x="{x - 2.5:.1f}" '
            f'y="{y - 2.5:.1f}" width="5" height="5" fill="{colour}" stroke="#222" '
            f'stroke-width="0.6"><title>{_e(marker["label"])}</title></rect></a>'
        )
    return parts


def track_colour(index: int) -> str:
    """Colour of the ``index``-th track (shared by the map and its legend)."""
    return PALETTE[index % len(PALETTE)]


def _nice(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``value``."""
    power = 10 ** math.floor(math.log10(value))
    return max(m * power for m in (1, 2, 5) if m * power <= value)


def _graticule(p: _Projection) -> str:
    """Meridians and parallels every 'nice' step (about five across), labelled at the edges."""
    step = _nice((p.east - p.west) / 4)
    lines, labels = [], []
    for lon in np.arange(math.ceil(p.west / step) * step, p.east, step):
        ((x, _),) = p.xy([[lon, p.north]])
        lines.append(f"M{x:.1f} 0V{p.height:.1f}")
        labels.append(f'<text class="grid-label" x="{x + 2:.1f}" y="11">{lon:.4g}°</text>')
    for lat in np.arange(math.ceil(p.south / step) * step, p.north, step):
        ((_, y),) = p.xy([[p.west, lat]])
        lines.append(f"M0 {y:.1f}H{p.width:.1f}")
        labels.append(f'<text class="grid-label" x="3" y="{y - 3:.1f}">{lat:.4g}°</text>')
    return f'<path class="graticule" d="{"".join(lines)}"/>' + "".join(labels)


def _scale_bar(p: _Projection) -> str:
    """A bar of a round number of kilometres, about a fifth of the map wide, bottom right."""
    metres_per_px = math.radians(1 / p.scale) * EARTH_RADIUS_M
    length_m = _nice(metres_per_px * p.width / 5)
    length_px = length_m / metres_per_px
    x0, y0 = p.width - length_px - 16, p.height - 16
    label = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    return (
        f'<g class="scale"><rect x="{x0 - 6:.1f}" y="{y0 - 18:.1f}" width="{length_px + 12:.1f}" '
        f'height="26" fill="white" opacity="0.8"/><path d="M{x0:.1f} {y0 - 4:.1f}V{y0:.1f}'
        f'H{x0 + length_px:.1f}V{y0 - 4:.1f}" fill="none" stroke="black" stroke-width="1.5"/>'
        f'<text x="{x0 + length_px / 2:.1f}" y="{y0 - 7:.1f}" text-anchor="middle">'
        f"{label}</text></g>"
    )


# --------------------------------------------------------------------------- charts


class _Axes:
    """Days -> x and values -> y inside a chart's padding."""

    def __init__(self, first: date, last: date, top: float) -> None:
        self.first = first
        self.days = max((last - first).days + 1, 1)
        self.top = top if top > 0 else 1.0
        left, right, up, down = _PAD
        self.x0, self.plot_w = left, CHART_WIDTH_PX - left - right
        self.y0, self.plot_h = CHART_HEIGHT_PX - down, CHART_HEIGHT_PX - up - down

    def x(self, day: date) -> float:
        return self.x0 + (day - self.first).days * self.plot_w / self.days

    def y(self, value: float) -> float:
        return self.y0 - value * self.plot_h / self.top

    @property
    def day_w(self) -> float:
        return self.plot_w / self.days


def _frame(axes: _Axes, title: str, label_days: Sequence[date]) -> list[str]:
    """Opening tag, title, y axis with its top value, x axis with a few day labels."""
    parts = [
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH_PX:.0f} '
        f'{CHART_HEIGHT_PX:.0f}" width="{CHART_WIDTH_PX:.0f}" height="{CHART_HEIGHT_PX:.0f}" '
        f'role="img" aria-label="{_e(title)}">',
        f'<text class="chart-title" x="{axes.x0:.0f}" y="16">{_e(title)}</text>',
        f'<path class="axis" d="M{axes.x0:.1f} {axes.y0 - axes.plot_h:.1f}V{axes.y0:.1f}'
        f'H{axes.x0 + axes.plot_w:.1f}"/>',
        f'<text class="tick" x="{axes.x0 - 4:.1f}" y="{axes.y(axes.top) + 4:.1f}" '
        f'text-anchor="end">{axes.top:g}</text>',
        f'<text class="tick" x="{axes.x0 - 4:.1f}" y="{axes.y0 + 4:.1f}" '
        'text-anchor="end">0</text>',
    ]
    stride = max(1, math.ceil(len(label_days) / 8))
    for day in list(label_days)[::stride]:
        parts.append(
            f'<text class="tick" x="{axes.x(day) + axes.day_w / 2:.1f}" y="{axes.y0 + 15:.1f}" '
            f'text-anchor="middle">{day.isoformat()}</text>'
        )
    return parts


def series_chart(dates: Sequence[str], series: dict[str, Any]) -> str:
    """Bars of one timeline series (``observed`` "daily": days the data does not cover are
    shaded; "scenes": only scene days have a value); assessed changes drawn as dashed lines
    linking to their assessment rows."""
    days = [date.fromisoformat(d) for d in dates]
    values = series["values"]
    top = _nice_top(max((v for v in values if v is not None), default=1))
    axes = _Axes(days[0], days[-1], top)
    parts = _frame(axes, series["label"], days)
    for day, value in zip(days, values, strict=True):
        x = axes.x(day)
        if value is None and series.get("observed") == "daily":
            parts.append(
                f'<rect class="nodata" x="{x:.1f}" y="{axes.y(top):.1f}" width="{axes.day_w:.2f}" '
                f'height="{axes.plot_h:.1f}"><title>{day}: not recorded</title></rect>'
            )
        elif value is not None and value > 0:
            parts.append(
                f'<rect class="bar mark" x="{x + axes.day_w * 0.1:.1f}" y="{axes.y(value):.1f}" '
                f'width="{max(axes.day_w * 0.8, 0.8):.2f}" height="{axes.y0 - axes.y(value):.1f}">'
                f"<title>{day}: {value:g}</title></rect>"
            )
    parts += _change_marks(axes, series["changes"])
    parts.append("</svg>")
    return "".join(parts)


def _change_marks(axes: _Axes, changes: Sequence[dict[str, Any]]) -> list[str]:
    """Dashed lines at the change points, labels stepped down so neighbours do not overlap and
    turned to the left of the line in the right third of the chart."""
    parts = []
    for index, change in enumerate(changes):
        x = axes.x(date.fromisoformat(change["date"]))
        left = x > axes.x0 + axes.plot_w * 2 / 3
        label_x, anchor = (x - 3, "end") if left else (x + 3, "start")
        label_y = axes.y0 - axes.plot_h + 10 + 11 * (index % 3)
        parts.append(
            f'<a href="#{_e(change["anchor"])}"><path class="change mark" d="M{x:.1f} '
            f'{axes.y0 - axes.plot_h:.1f}V{axes.y0:.1f}"/><text class="change-label" '
            f'x="{label_x:.1f}" y="{label_y:.1f}" text-anchor="{anchor}">{_e(change["kind"])} '
            f"{_e(change['date'])}</text></a>"
        )
    return parts


def counts_chart(counts: Sequence[dict[str, Any]]) -> str:
    """Objects per scene date, one line and dot series per zone and class."""
    days = sorted({date.fromisoformat(c["acquired_ts"][:10]) for c in counts})
    top = _nice_top(max(c["count"] for c in counts))
    axes = _Axes(days[0], days[-1], top)
    parts = _frame(axes, "Imagery: objects counted per scene", days)
    keys = sorted({(c["zone_id"], c["class"]) for c in counts})
    for index, key in enumerate(keys):
        rows = sorted(
            (c for c in counts if (c["zone_id"], c["class"]) == key), key=lambda c: c["acquired_ts"]
        )
        xy = [
            (axes.x(date.fromisoformat(r["acquired_ts"][:10])) + axes.day_w / 2, axes.y(r["count"]))
            for r in rows
        ]
        colour = track_colour(index)
        name = f"{key[1]} in zone {key[0]}"
        line = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in xy)
        parts.append(
            f'<path class="count-line" stroke="{colour}" d="{line}">'
            f"<title>{_e(name)}</title></path>"
        )
        for (x, y), row in zip(xy, rows, strict=True):
            parts.append(
                f'<circle class="dot mark" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
                f"<title>{_e(name)}: {row['count']} on {_e(row['acquired_ts'][:10])}</title>"
                "</circle>"
            )
        parts.append(
            f'<text class="legend" x="{axes.x0 + 60 + 200 * (index % 4):.0f}" '
            f'y="{axes.y0 - axes.plot_h + 12 * (1 + index // 4):.0f}" fill="{colour}">'
            f"{_e(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _nice_top(value: float) -> float:
    """The smallest 1, 2, 5 x 10^k at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return min(m * power for m in (1, 2, 5, 10) if m * power >= value)
