"""Site reports: one document (JSON) and one self-contained HTML page per site and window.

Pure functions over tables, like the other domain packages: :func:`build_report` turns the
inputs gathered by ``harborwatch.store.report`` into a JSON-able document, :func:`render_html`
draws that document as one offline page (inline SVG map and charts, ``data:`` images, no
script), and :mod:`~harborwatch.report.confidence` holds the calibrated words every statement
uses.
"""

from harborwatch.report.confidence import CONFIDENCE_SCALE, confidence_word
from harborwatch.report.document import (
    ReportConfig,
    ReportInputs,
    build_report,
    report_vessels,
    site_events,
    window_bounds,
)
from harborwatch.report.html import render_html

__all__ = [
    "CONFIDENCE_SCALE",
    "ReportConfig",
    "ReportInputs",
    "build_report",
    "confidence_word",
    "render_html",
    "report_vessels",
    "site_events",
    "window_bounds",
]
