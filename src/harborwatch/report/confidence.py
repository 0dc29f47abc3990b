"""Calibrated words for how sure a statement is, one scale for the whole report.

The words and their probability ranges are those of the US Intelligence Community Directive 203
(ICD 203, *Analytic Standards*, 2015, section D.6.e), whose upper half the NATO "probability
yardstick" (AJP-2, 2016) shares: a reader who knows either reads these the same way. Each
harborwatch confidence level (1-4, stored on every event and assessment) is given one word:

========== ======================= ===================================================
confidence word                    what gives it
========== ======================= ===================================================
1          roughly even chance     weak rule match; a change with p < 0.1
2          likely                  rule match with some support; p <= 0.05
3          very likely             strong rule match; p <= 0.01
4          almost certainly        every threshold met with margin; p <= 0.001
========== ======================= ===================================================

The p-value thresholds are those of :func:`harborwatch.fusion.timeline.confidence_of`, which
turns a change-point test into the same 1-4 level, so one table maps both to words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfidenceWord:
    """One step of the scale: the level, the word, and the probability range it stands for."""

    level: int
    word: str
    low: float
    high: float
    basis: str


CONFIDENCE_SCALE: tuple[ConfidenceWord, ...] = (
    ConfidenceWord(1, "roughly even chance", 0.45, 0.55, "weak rule match; p < 0.1"),
    ConfidenceWord(2, "likely", 0.55, 0.80, "rule match with some support; p <= 0.05"),
    ConfidenceWord(3, "very likely", 0.80, 0.95, "strong rule match; p <= 0.01"),
    ConfidenceWord(4, "almost certainly", 0.95, 0.99, "all thresholds met with margin; p <= 0.001"),
)
"""ICD 203 words for harborwatch confidence levels 1 (weak) to 4 (strong)."""

SCALE_SOURCE = (
    "ICD 203 Analytic Standards (2015) D.6.e probability expressions; NATO AJP-2 yardstick"
)


def confidence_word(level: int | None) -> ConfidenceWord:
    """The scale step of a confidence level; levels outside 1-4 (or none) clamp to the ends,
    unknown (None) counting as the weakest."""
    index = min(max(int(level or 1), 1), len(CONFIDENCE_SCALE)) - 1
    return CONFIDENCE_SCALE[index]
