"""Claims from reporting: what a source says a vessel did, where and when, read from YAML/JSON or
pulled from an article's plain text, and checked against the stored events.

A claim (:data:`~harborwatch.schemas.CLAIMS`) names a watchlist vessel, an optional site, a
:class:`ClaimKind`, a time range ``[start_ts, end_ts)`` (whole UTC days unless a time was given),
its source and publication date, and the sentence it came from. Sources disagree (one report
dates the Tartus docking 21-22 December, another 21-22 January): every claim is kept with its
source, and ``claim_id`` hashes vessel, site, kind, times and source, so the same claim from the
same source is one row and re-runs give the same ids.

Text extraction (:func:`extract_claims`) is rule-based and says so: sentences are split on
``.!?`` (not after abbreviations such as ``Dec.``); vessels are found with the watchlist as
gazetteer (names and aliases compared by
:func:`~harborwatch.geo.watchlists.normalise_vessel_name`, longest name first, so "Sparta and
Sparta II" gives SPARTA and SPARTA II); sites with the sites file as gazetteer plus
:data:`SPELLING_VARIANTS` and a close-spelling match (``Tartous`` → Tartus); kinds from verbs
(:data:`KIND_PATTERNS`); dates from ``December 21 and 22``, ``21–22 January``, ``Dec. 28``,
``January 5-8``, ``29 Dec 16:19 UTC → 2 Jan 13:13 UTC`` and ISO dates, a missing year being the
nearest one not after publication. A sentence yields one claim per (vessel, site, kind, date
range) it names; sentences lacking a vessel, a kind or a date yield none. A destination change
takes no site (the place a sentence names is the old or new destination, not where it happened);
A sentence naming no vessel but referring back ("the two ships", "both", "they") takes the
vessels of the last sentence that named some; other references are not resolved.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import shapely
import yaml

from harborwatch.errors import InputError
from harborwatch.events.base import EventType, empty_frame
from harborwatch.geo.distance import EARTH_RADIUS_M
from harborwatch.geo.sites import site_membership
from harborwatch.geo.watchlists import normalise_vessel_name
from harborwatch.ids import row_ids
from harborwatch.schemas import CLAIMS

CLAIM_DTYPES = empty_frame(CLAIMS).schema
_CLAIM_COLUMNS = [
    name for name in CLAIMS.names if name not in ("verdict", "evidence_ids", "reason")
]


class ClaimKind(StrEnum):
    """What a claim says a vessel did."""

    PORT_VISIT = "port_visit"
    DEPARTURE = "departure"
    AIS_GAP = "ais_gap"
    VOYAGE_CHANGE = "voyage_change"
    LOITERING = "loitering"


KIND_SYNONYMS: dict[str, ClaimKind] = {
    "docked": ClaimKind.PORT_VISIT,
    "docking": ClaimKind.PORT_VISIT,
    "arrival": ClaimKind.PORT_VISIT,
    "left": ClaimKind.DEPARTURE,
    "dark": ClaimKind.AIS_GAP,
    "destination_change": ClaimKind.VOYAGE_CHANGE,
    "circling": ClaimKind.LOITERING,
}
"""Words a claims file may use for a kind besides the kind's own name."""


class Verdict(StrEnum):
    """Outcome of checking a claim against the data."""

    SUPPORTED = "supported"
    CONTRADICTED = "contradicted"
    NO_DATA = "no_data"


# --------------------------------------------------------------------------- claims files

_FILE_KEYS = {
    "vessel": "vessel",
    "entry_id": "entry_id",
    "site": "site_id",
    "site_id": "site_id",
    "event_kind": "event_kind",
    "kind": "event_kind",
    "start": "start_ts",
    "start_ts": "start_ts",
    "end": "end_ts",
    "end_ts": "end_ts",
    "source": "source",
    "published": "published",
    "text": "text",
    "note": "note",
    "claim_id": "claim_id",
    "vessel_name": "vessel_name",
    "verdict": "verdict",
    "evidence_ids": "evidence_ids",
    "reason": "reason",
}
"""Keys a claim may have in a file (left) and the column they fill (right); a checked claims
file reads back, its verdicts being dropped (they are recomputed)."""


def load_claims(
    path: Path | str, watchlist: pl.DataFrame | None = None, sites: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Claims from a YAML or JSON file (a list of claims, or ``{claims: [...]}``), validated.

    Each claim has ``vessel`` (a watchlist name, alias or entry id; with no watchlist given,
    ``entry_id`` or the name's slug, ``SPARTA II`` → ``sparta-ii``), ``event_kind``, ``start``
    (``YYYY-MM-DD`` or an ISO time; naive is UTC), ``source``, and optionally ``site`` (checked
    against ``sites`` when given), ``end`` (a date is inclusive: its whole day; default: the end
    of the start's day), ``published``
    and ``text``. Raises InputError naming the bad value and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"claims file not found: {str(path)!r}; give an existing .yaml or .json")
    return parse_claims(path.read_text(encoding="utf-8"), str(path), watchlist, sites)


def parse_claims(
    text: str,
    where: str = "<claims>",
    watchlist: pl.DataFrame | None = None,
    sites: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Claims from YAML or JSON text (see :func:`load_claims`); ``where`` names it in errors."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"cannot read claims {where!r}: {exc}; write YAML or JSON") from exc
    if isinstance(document, dict) and "claims" in document:
        document = document["claims"]
    if not isinstance(document, list) or not document:
        raise InputError(
            f"{where!r}: expected a list of claims (or claims: [...]); got {document!r}"
        )
    resolve = _vessel_resolver(watchlist)
    site_ids = None if sites is None else set(sites["site_id"].to_list())
    rows = [
        _claim_row(entry, f"{where!r}, claim {n}", resolve, site_ids)
        for n, entry in enumerate(document, start=1)
    ]
    return claims_frame(rows)


def _claim_row(
    entry: Any,
    where: str,
    resolve: Callable[[str, str], tuple[str, str]],
    site_ids: set[str] | None,
) -> dict[str, Any]:
    """One validated CLAIMS row from a file entry."""
    if not isinstance(entry, dict):
        raise InputError(f"{where}: {entry!r} is not a mapping; write vessel:, event_kind:, ...")
    unknown = sorted(str(k) for k in entry if k not in _FILE_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {unknown}; use {sorted(set(_FILE_KEYS))}")
    row = {_FILE_KEYS[k]: v for k, v in entry.items()}
    vessel = row.get("vessel") or row.get("entry_id")
    if not isinstance(vessel, str) or not vessel.strip():
        raise InputError(f"{where}: no vessel; give vessel: NAME (watchlist name or entry id)")
    entry_id, name = resolve(vessel.strip(), where)
    start = _time(row.get("start_ts"), "start", where)
    end = (
        _time(row["end_ts"], "end", where, end_of_day=True)
        if row.get("end_ts") is not None
        else datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), UTC)
    )
    if end <= start:
        raise InputError(f"{where}: end {end.isoformat()} is not after start; swap or fix them")
    site_id = row.get("site_id")
    if site_id is not None and (
        not isinstance(site_id, str) or (site_ids and site_id not in site_ids)
    ):
        raise InputError(
            f"{where}: site {site_id!r} is not in the sites file; use one of "
            f"{sorted(site_ids or [])}"
        )
    source = row.get("source")
    if not isinstance(source, str) or not source.strip():
        raise InputError(f"{where}: no source; give source: WHO SAID IT (outlet, author, URL)")
    published = row.get("published")
    return {
        "entry_id": entry_id,
        "vessel_name": row.get("vessel_name") or name,
        "site_id": site_id,
        "event_kind": str(_kind(row.get("event_kind"), where)),
        "start_ts": start,
        "end_ts": end,
        "source": source.strip(),
        "published": None if published is None else _time(published, "published", where).date(),
        "text": row.get("text"),
    }


def _kind(value: Any, where: str) -> ClaimKind:
    text = str(value).strip().lower() if value is not None else ""
    if text in KIND_SYNONYMS:
        return KIND_SYNONYMS[text]
    try:
        return ClaimKind(text)
    except ValueError:
        choices = [str(k) for k in ClaimKind] + sorted(KIND_SYNONYMS)
        raise InputError(f"{where}: event_kind {value!r} unknown; use one of {choices}") from None


def _time(value: Any, name: str, where: str, end_of_day: bool = False) -> datetime:
    """A file value as a UTC time; a bare date is its 00:00, or the next 00:00 for ends."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day) + timedelta(days=end_of_day)
    else:
        try:
            text = str(value).strip()
            parsed = datetime.fromisoformat(text)
            if len(text) == 10 and end_of_day:
                parsed += timedelta(days=1)
        except ValueError:
            raise InputError(
                f"{where}: {name} = {value!r} is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM"
            ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _vessel_resolver(watchlist: pl.DataFrame | None) -> Callable[[str, str], tuple[str, str]]:
    """A function naming a vessel's (entry_id, name): from the watchlist when given, else the
    name's slug."""
    if watchlist is None:
        return lambda vessel, where: (re.sub(r"[^a-z0-9]+", "-", vessel.lower()).strip("-"), vessel)
    keys = _vessel_keys(watchlist)
    ids = dict(zip(watchlist["entry_id"], watchlist["name"], strict=True))

    def resolve(vessel: str, where: str) -> tuple[str, str]:
        if vessel in ids:
            return vessel, ids[vessel]
        key = pl.select(normalise_vessel_name(pl.lit(vessel))).item()
        if key not in keys:
            raise InputError(
                f"{where}: vessel {vessel!r} is not on the watchlist; use a name, alias or id "
                f"of {sorted(ids)} or add it to the watchlist"
            )
        return keys[key]

    return resolve


def claims_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """CLAIMS rows (without verdicts) with their deterministic ids, duplicates dropped."""
    frame = pl.DataFrame(
        [{name: row.get(name) for name in _CLAIM_COLUMNS} for row in rows],
        schema={name: CLAIM_DTYPES[name] for name in _CLAIM_COLUMNS},
    )
    keys = ["entry_id", "site_id", "event_kind", "start_ts", "end_ts", "source"]
    frame = frame.with_columns(row_ids(frame, keys, "claim_id"))
    frame = frame.unique("claim_id", keep="first", maintain_order=True)
    return frame.with_columns(
        pl.lit(None, pl.String).alias("verdict"),
        pl.lit(None, pl.List(pl.String)).alias("evidence_ids"),
        pl.lit(None, pl.String).alias("reason"),
    ).select(list(CLAIM_DTYPES))


# --------------------------------------------------------------------------- text extraction

KIND_PATTERNS: dict[ClaimKind, re.Pattern[str]] = {
    ClaimKind.PORT_VISIT: re.compile(
        r"\b(dock(ed|s|ing)?|moor(ed|s|ing)?|berth(ed|s|ing)?|arriv(ed|es|ing|al)|called at)\b",
        re.IGNORECASE,
    ),
    ClaimKind.DEPARTURE: re.compile(
        r"\b(left|leav(es|ing)|depart(ed|s|ing|ure)|set sail"
        r"|sail(ed|s|ing)?\b(?!\s+(to|for|towards?|into)\b))\b",
        re.IGNORECASE,
    ),
    ClaimKind.AIS_GAP: re.compile(
        r"\b((went|goes|going|gone|go) dark|switched off|turned off|silent|"
        r"stopped (transmitting|broadcasting))\b",
        re.IGNORECASE,
    ),
    ClaimKind.VOYAGE_CHANGE: re.compile(
        r"\bchang(ed|es|ing)\b[^.]{0,40}\bdestination\b|\bdestination\b[^.]{0,40}\bchang(ed|es)\b",
        re.IGNORECASE,
    ),
    ClaimKind.LOITERING: re.compile(
        r"\b(circl(ed|es|ing)|loiter(ed|s|ing)|wait(ed|s|ing)|drift(ed|s|ing))\b", re.IGNORECASE
    ),
}
"""Verbs that make a sentence claim each kind (sailing *to* a place is not leaving it)."""

SPELLING_VARIANTS: dict[str, str] = {
    "tartous": "tartus",
    "tartuss": "tartus",
    "lattakia": "latakia",
    "latakiya": "latakia",
    "ladhiqiyah": "latakia",
    "tobruq": "tobruk",
    "tubruq": "tobruk",
    "banghazi": "benghazi",
    "bengasi": "benghazi",
    "benghasi": "benghazi",
    "baltiisk": "baltiysk",
    "baltisk": "baltiysk",
    "novorossiisk": "novorossiysk",
}
"""Transliterations of place words seen in reporting → the spelling the sites file uses."""

_REFERENCE_BACK = re.compile(
    r"\b(both|they|the (two |three |russian )?(ships|vessels)|the pair)\b", re.IGNORECASE
)
"""Words by which a sentence refers back to the vessels named before it."""

_FUZZY_RATIO = 0.85
"""A capitalised word of five letters or more this close (difflib ratio) to a one-word site name,
with the same first letter, is read as that name (Tartous → Tartus 0.92; Tarsus → Tartus 0.83
is not)."""

_GENERIC = {
    "port", "naval", "facility", "base", "harbour", "harbor", "terminal", "anchorage", "piers",
}  # fmt: skip
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_ABBREVIATIONS = {"st", "mr", "mrs", "ms", "dr", "no", "vs", "gen", "adm", "capt"}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"


def _atom(p: str) -> str:
    """A full date (day and month, or ISO) with optional year and time; groups prefixed ``p``."""
    return (
        rf"(?:\b(?P<{p}d1>{_DAY})\s+(?P<{p}m1>{_MONTH})\b\.?"
        rf"|\b(?P<{p}m2>{_MONTH})\.?\s+(?P<{p}d2>{_DAY})\b"
        rf"|\b(?P<{p}iy>\d{{4}})-(?P<{p}im>\d{{2}})-(?P<{p}id>\d{{2}})\b)"
        rf"(?:,?\s+(?P<{p}y>(?:19|20)\d{{2}})\b)?"
        rf"(?:(?:,?\s+(?:at\s+)?|T)(?P<{p}hh>[01]?\d|2[0-3]):(?P<{p}mm>[0-5]\d)"
        rf"(?:\s*(?:UTC|GMT|Z)\b)?)?"
    )


_DATES = re.compile(
    rf"(?:\b(?P<aday>{_DAY})\s*(?:-|–|—|and|to|through|until)\s*(?={_DAY}\s+{_MONTH}))?"
    + _atom("b")
    + rf"(?:\s*(?:-|–|—|to|through|until|till|→|->|/)\s*{_atom('c')}"
    + rf"|\s*(?:-|–|—|and|to|through|until|&)\s*(?P<cday>{_DAY})\b(?!\s*(?::|\d|{_MONTH}))"
    + r")?",
    re.IGNORECASE,
)
"""A date or date range: ``21–22 January``, ``December 21 and 22``, ``29 Dec → 2 Jan``, ..."""

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(]?[A-Z])|\n\s*\n")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, whitespace collapsed; no break after abbreviations (``Dec.``)."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_BREAK.finditer(text):
        head = text[start : match.start()]
        last = re.search(r"(\w+)\.\W*$", head)
        if last and last.group(1).lower() in _ABBREVIATIONS:
            continue
        sentences.append(" ".join(head.split()))
        start = match.end()
    sentences.append(" ".join(text[start:].split()))
    return [s for s in sentences if s]


def extract_claims(
    text: str,
    sites: pl.DataFrame,
    watchlist: pl.DataFrame,
    source: str | None = None,
    published: date | None = None,
) -> pl.DataFrame:
    """Claims (CLAIMS rows, without verdicts) found in an article's plain text (module doc).

    Dates without a year take the nearest year not after ``published``; such a date with no
    ``published`` raises InputError (give the publication date).
    """
    vessel_keys = _vessel_keys(watchlist)
    vessel_words = max((len(k.split()) for k in _vessel_names(watchlist)), default=1) + 1
    site_keys = _site_keys(sites)
    rows: list[dict[str, Any]] = []
    named: list[tuple[str, str]] = []
    for sentence in split_sentences(text):
        kinds = [kind for kind, pattern in KIND_PATTERNS.items() if pattern.search(sentence)]
        vessels = _find(_words(sentence), vessel_keys, vessel_words, _vessel_text_keys)
        if vessels:
            named = vessels
        elif _REFERENCE_BACK.search(sentence):
            vessels = named
        ranges = _date_ranges(sentence, published)
        if not (kinds and vessels and ranges):
            continue
        place_words = _place_words(_words(sentence), site_keys)
        site_ids = _find(place_words, site_keys, 4, lambda ts: ts) or [None]
        rows += [
            {
                "entry_id": entry_id,
                "vessel_name": name,
                "site_id": site_id,
                "event_kind": str(kind),
                "start_ts": start,
                "end_ts": end,
                "source": source,
                "published": published,
                "text": sentence,
            }
            for entry_id, name in dict.fromkeys(vessels)
            for kind in kinds
            for site_id in dict.fromkeys(site_ids if kind != ClaimKind.VOYAGE_CHANGE else [None])
            for start, end in ranges
        ]
    return claims_frame(rows)


def _words(sentence: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", sentence)


def _vessel_names(watchlist: pl.DataFrame) -> list[str]:
    return [
        n
        for names in watchlist.select(pl.concat_list("name", "aliases")).to_series()
        for n in names
    ]


def _vessel_keys(watchlist: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """Normalised name or alias → (entry_id, name)."""
    keys = watchlist.select(
        "entry_id", "name", pl.concat_list("name", "aliases").alias("key")
    ).explode("key")
    keys = keys.with_columns(normalise_vessel_name(pl.col("key")).alias("key"))
    return {key: (entry_id, name) for entry_id, name, key in keys.iter_rows()}


def _vessel_text_keys(texts: list[str]) -> list[str]:
    return (
        pl.Series(texts, dtype=pl.String)
        .to_frame("t")
        .select(normalise_vessel_name(pl.col("t")))
        .to_series()
        .to_list()
    )


def _find(
    words: list[str],
    keys: dict[str, Any],
    max_words: int,
    key_of: Callable[[list[str]], list[str]],
) -> list[Any]:
    """Values of ``keys`` named in ``words``, left to right; at each word the longest name
    wins and its words are consumed ("Sparta II" is one name, not "Sparta" then "II")."""
    spans = [
        (i, n) for i in range(len(words)) for n in range(1, max_words + 1) if i + n <= len(words)
    ]
    texts = key_of([" ".join(words[i : i + n]) for i, n in spans])
    longest: dict[int, tuple[int, Any]] = {}
    for (i, n), key in zip(spans, texts, strict=True):
        if key in keys and n > longest.get(i, (0, None))[0]:
            longest[i] = (n, keys[key])
    found: list[Any] = []
    i = 0
    while i < len(words):
        n, value = longest.get(i, (1, None))
        if value is not None:
            found.append(value)
        i += n
    return found


def _site_keys(sites: pl.DataFrame) -> dict[str, str]:
    """Place phrase (lower case, words joined by spaces) → site id.

    Phrases: the id with ``-`` as spaces, the name without its parenthesis, and that name's place
    word (generic trailing words and a leading "Strait of" dropped). A place word shared by sites
    (Tartus: the naval facility and the port) names the port, else the widest site, as the
    broadest reading of a bare place name.
    """
    ranked = sites.with_row_index("_order").sort(
        pl.col("kind") != "port",
        pl.col("radius_m").fill_null(float("inf")),
        "_order",
        descending=[False, True, False],
    )
    keys: dict[str, str] = {}
    exact: dict[str, str] = {}
    for site_id, name in ranked.select("site_id", "name").iter_rows():
        full = " ".join(_words(re.sub(r"\(.*?\)", " ", name))).lower()
        words = full.split()
        while len(words) > 1 and words[-1] in _GENERIC:
            words.pop()
        place = re.sub(r"^(strait|port|bay|gulf) of ", "", " ".join(words))
        exact.setdefault(" ".join(_words(site_id)).lower(), site_id)
        exact.setdefault(full, site_id)
        keys.setdefault(place, site_id)
    return keys | exact


def _place_words(words: list[str], site_keys: dict[str, str]) -> list[str]:
    """Sentence words in lower case with spelling variants and close spellings of one-word place
    names replaced by the sites file's spelling."""
    single = [k for k in site_keys if " " not in k]
    out = []
    for word in words:
        lower = SPELLING_VARIANTS.get(word.lower(), word.lower())
        if lower not in site_keys and word[:1].isupper() and len(word) >= 5:
            close = difflib.get_close_matches(lower, single, n=1, cutoff=_FUZZY_RATIO)
            if close and close[0][0] == lower[0]:
                lower = close[0]
        out.append(lower)
    return out


def _date_ranges(sentence: str, published: date | None) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` UTC of each date or date range in the sentence (whole days unless a time
    is written), in order of appearance, repeats dropped."""
    ranges: list[tuple[datetime, datetime]] = []
    for match in _DATES.finditer(sentence):
        parsed = _range(match.groupdict(), published, sentence)
        if parsed is not None and parsed not in ranges:
            ranges.append(parsed)
    return ranges


@dataclass(frozen=True)
class _Day:
    """One written date: month and day, and the year and time when written."""

    month: int
    day: int
    year: int | None = None
    hour: int | None = None
    minute: int = 0


def _parts(g: dict[str, str | None], p: str) -> _Day:
    """The date of the regex groups prefixed ``p``."""
    hour = None if g[p + "hh"] is None else int(g[p + "hh"] or 0)
    minute = int(g[p + "mm"] or 0)
    if g[p + "iy"]:
        return _Day(
            int(g[p + "im"] or 0), int(g[p + "id"] or 0), int(g[p + "iy"] or 0), hour, minute
        )
    month = str(g[p + "m1"] or g[p + "m2"])
    year = None if g[p + "y"] is None else int(g[p + "y"] or 0)
    return _Day(_MONTHS[month[:3].lower()], _day(g[p + "d1"] or g[p + "d2"]), year, hour, minute)


def _day(text: str | None) -> int:
    return int(re.sub(r"\D", "", text or "0"))


def _range(
    g: dict[str, str | None], published: date | None, sentence: str
) -> tuple[datetime, datetime] | None:
    """One regex match as a time range; None when it names no real date (30 February)."""
    first = _parts(g, "b")
    if g["aday"]:
        start, end = replace(first, day=_day(g["aday"]), hour=None, minute=0), first
    elif g["cm1"] or g["cm2"] or g["ciy"]:
        start, end = first, _parts(g, "c")
    elif g["cday"] and _day(g["cday"]) > first.day:
        start, end = first, replace(first, day=_day(g["cday"]), hour=None, minute=0)
    else:
        start = end = first
    wraps = (start.month, start.day) > (end.month, end.day)  # 29 Dec -> 2 Jan
    if end.year is not None:
        year_end = end.year
    elif start.year is not None:
        year_end = start.year + wraps
    else:
        year_end = _year_before(end, published, sentence)
    year_start = start.year if start.year is not None else year_end - wraps
    try:
        start_ts = datetime(year_start, start.month, start.day, start.hour or 0, start.minute)
        end_ts = datetime(year_end, end.month, end.day, end.hour or 0, end.minute)
    except ValueError:
        return None
    if end.hour is None:
        end_ts += timedelta(days=1)
    if end_ts <= start_ts:
        return None
    return start_ts.replace(tzinfo=UTC), end_ts.replace(tzinfo=UTC)


def _year_before(day: _Day, published: date | None, sentence: str) -> int:
    """The nearest year not after publication in which ``day`` falls."""
    if published is None:
        raise InputError(
            f"the date in {sentence!r} has no year; give the publication date "
            "(published=, --published YYYY-MM-DD) to infer it"
        )
    return published.year - ((day.month, day.day) > (published.month, published.day))


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class ClaimCheckConfig:
    """Thresholds of :func:`check_claims`."""

    tolerance_h: float = 24.0
    """Events this close to the claimed time still support it: reports round to days and time
    zones, and AIS events start when the data shows them (our choice)."""
    near_site_m: float = 20 * 1852.0
    """"Off Tartus": loitering, gaps and destination changes count at a site within 20 nm of its
    edge (SPARTA II waited 15.6 nm out; our choice, beyond the 12 nm territorial limit)."""
    min_coverage: float = 0.5
    """Tracked for at least this share of the claimed time with no matching event: the data
    contradicts the claim; less: no data (our choice)."""


_RULES = pl.DataFrame(
    [
        (ClaimKind.PORT_VISIT, EventType.PORT_VISIT, "overlap", "inside"),
        (ClaimKind.PORT_VISIT, EventType.SITE_PRESENCE, "overlap", "inside"),
        (ClaimKind.DEPARTURE, EventType.PORT_VISIT, "end", "inside"),
        (ClaimKind.DEPARTURE, EventType.SITE_PRESENCE, "end", "inside"),
        (ClaimKind.AIS_GAP, EventType.AIS_GAP, "overlap", "near"),
        (ClaimKind.VOYAGE_CHANGE, EventType.VOYAGE_CHANGE, "start", "near"),
        (ClaimKind.LOITERING, EventType.LOITERING, "overlap", "near"),
    ],
    schema={
        "event_kind": pl.String,
        "event_type": pl.String,
        "timing": pl.String,
        "place": pl.String,
    },
    orient="row",
)
"""Which stored events support a claim kind: the event's time must overlap the claimed range,
or its end (departures) or start (destination changes) fall in it, each widened by the
tolerance; its place must be inside the claimed site or near it."""

_STAYS = [str(EventType.PORT_VISIT), str(EventType.SITE_PRESENCE)]


def watched_vessel_ids(
    watchlist: pl.DataFrame, statics: pl.DataFrame, events: pl.DataFrame
) -> pl.DataFrame:
    """``vessel_id, entry_id`` of every vessel the data ties to a watchlist entry: by its
    broadcast identity (:func:`~harborwatch.geo.watchlists.match_watchlist` over ``statics``
    with ``vessel_id``) or by an event's MMSI listed on the watchlist."""
    from harborwatch.geo.watchlists import match_watchlist

    by_identity = match_watchlist(watchlist, statics).select("vessel_id", "entry_id")
    listed = watchlist.select("entry_id", "mmsi").explode("mmsi").drop_nulls("mmsi")
    by_mmsi = (
        events.select("vessel_id", pl.col("mmsi").cast(pl.UInt32))
        .drop_nulls()
        .unique()
        .join(listed, on="mmsi")
        .select("vessel_id", "entry_id")
    )
    return pl.concat([by_identity, by_mmsi]).unique().sort("entry_id", "vessel_id")


def check_claims(
    claims: pl.DataFrame,
    events: pl.DataFrame,
    vessels: pl.DataFrame,
    sites: pl.DataFrame,
    tracks: pl.DataFrame | None = None,
    config: ClaimCheckConfig = ClaimCheckConfig(),
) -> pl.DataFrame:
    """Each claim with ``verdict``, ``evidence_ids`` and ``reason``, in the claims' order.

    ``events`` follows EVENTS; ``vessels`` maps ``vessel_id`` → ``entry_id``
    (:func:`watched_vessel_ids`); ``tracks`` holds ``vessel_id, first_ts, last_ts`` of the times
    each vessel was heard (the ``segments`` table; ``seg_id`` is quoted as evidence when
    present). The rules, in order:

    1. **supported**: one of the vessel's events of a matching type (:data:`_RULES`) lies in the
       claimed time ± ``tolerance_h`` at the site: its ``site_id`` is the claimed site or its
       position lies inside the site (port visits carry the port's id, so their position is
       what places them), or within ``near_site_m`` for loitering, gaps and destination changes.
       A claim without a site accepts any place. Evidence: those events.
    2. **contradicted**: a claimed port visit or loitering while the vessel's port visits or
       site stays elsewhere overlap the claimed time (evidence: those events); or the vessel was
       heard (tracks minus its AIS gaps) for at least ``min_coverage`` of the claimed time
       without such an event (evidence: the segments).
    3. **no_data**: no vessel in the data is tied to the watchlist entry, or it was heard for
       less than ``min_coverage`` of the claimed time.
    """
    c = claims.select(_CLAIM_COLUMNS).with_row_index("_claim")
    tolerance = timedelta(hours=config.tolerance_h)
    pairs = c.select(
        "_claim", "entry_id", "event_kind", pl.col("site_id").alias("claim_site"),
        pl.col("start_ts").alias("c_start"), pl.col("end_ts").alias("c_end"),
    ).join(vessels.select("vessel_id", "entry_id").unique(), on="entry_id")  # fmt: skip
    ev = events.with_row_index("_event").with_columns(
        pl.col("end_ts").fill_null(pl.col("start_ts"))
    )
    candidates = pairs.join(ev, on="vessel_id")
    places = _event_places(ev, sites, config.near_site_m)
    support = _supporting(candidates, places, tolerance)
    elsewhere = _elsewhere(candidates, places)
    heard = _heard_share(pairs, ev, tracks)
    out = (
        c.join(support, on="_claim", how="left")
        .join(elsewhere, on="_claim", how="left")
        .join(heard, on="_claim", how="left")
        .join(pairs.group_by("_claim").agg(pl.len().alias("n_vessels")), on="_claim", how="left")
        .sort("_claim")
    )
    return _verdicts(out, config).select(list(CLAIM_DTYPES)).cast(CLAIM_DTYPES)


def _event_places(events: pl.DataFrame, sites: pl.DataFrame, near_m: float) -> pl.DataFrame:
    """``_event, site_id, inside``: each site an event is at (its own ``site_id``, or its
    position inside the site) or near (within ``near_m`` of the site, ``inside`` false)."""
    lon = events["lon"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    lat = events["lat"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    inside = site_membership(sites, lon, lat).with_columns(pl.lit(True).alias("inside"))
    near = site_membership(_widened(sites, near_m), lon, lat).with_columns(
        pl.lit(False).alias("inside")
    )
    own = events.select(
        pl.col("_event").cast(pl.Int64).alias("row"), "site_id", pl.lit(True).alias("inside")
    )
    return (
        pl.concat([own.drop_nulls("site_id"), inside, near])
        .group_by("row", "site_id")
        .agg(pl.col("inside").any())
        .rename({"row": "_event"})
        .with_columns(pl.col("_event").cast(pl.UInt32))
    )


def _widened(sites: pl.DataFrame, distance_m: float) -> pl.DataFrame:
    """Sites grown by ``distance_m``: radii plus the distance; polygons buffered in degrees of
    latitude (planar lon/lat, as :func:`site_membership` tests them)."""
    degrees = float(np.degrees(distance_m / EARTH_RADIUS_M))
    wkt = [
        None if w is None else shapely.from_wkt(w).buffer(degrees).wkt
        for w in sites["geometry_wkt"].to_list()
    ]
    return sites.with_columns(
        pl.col("radius_m") + distance_m, pl.Series("geometry_wkt", wkt, pl.String)
    )


def _supporting(
    candidates: pl.DataFrame, places: pl.DataFrame, tolerance: timedelta
) -> pl.DataFrame:
    """``_claim, support_ids``: the events that support each claim."""
    w_start, w_end = pl.col("c_start") - tolerance, pl.col("c_end") + tolerance
    timing = (
        pl.when(pl.col("timing") == "overlap")
        .then((pl.col("start_ts") <= w_end) & (pl.col("end_ts") >= w_start))
        .when(pl.col("timing") == "end")
        .then(pl.col("end_ts").is_between(w_start, w_end))
        .otherwise(pl.col("start_ts").is_between(w_start, w_end))
    )
    placed = candidates.join(_RULES, on=["event_kind", "event_type"]).join(
        places, left_on=["_event", "claim_site"], right_on=["_event", "site_id"], how="left"
    )
    at_site = pl.col("claim_site").is_null() | pl.when(pl.col("place") == "inside").then(
        pl.col("inside").fill_null(False)
    ).otherwise(pl.col("inside").is_not_null())
    return (
        placed.filter(timing & at_site)
        .group_by("_claim")
        .agg(pl.col("event_id").unique().sort().alias("support_ids"))
    )


def _elsewhere(candidates: pl.DataFrame, places: pl.DataFrame) -> pl.DataFrame:
    """``_claim, elsewhere_ids, elsewhere_sites``: stays of the vessel during a claimed port
    visit or loitering that are not at or near the claimed site."""
    stays = candidates.filter(
        pl.col("event_kind").is_in([str(ClaimKind.PORT_VISIT), str(ClaimKind.LOITERING)])
        & pl.col("claim_site").is_not_null()
        & pl.col("event_type").is_in(_STAYS)
        & (pl.col("start_ts") < pl.col("c_end"))
        & (pl.col("end_ts") > pl.col("c_start"))
    )
    there = stays.join(
        places, left_on=["_event", "claim_site"], right_on=["_event", "site_id"], how="semi"
    )
    away = stays.join(there.select("_claim", "_event"), on=["_claim", "_event"], how="anti")
    named = places.filter("inside").group_by("_event").agg(pl.col("site_id").alias("_named"))
    away = away.join(named, on="_event", how="left").with_columns(
        pl.col("_named").fill_null(pl.concat_list(pl.col("site_id")))
    )
    return (
        away.explode("_named")
        .group_by("_claim")
        .agg(
            pl.col("event_id").unique().sort().alias("elsewhere_ids"),
            pl.col("_named").drop_nulls().unique().sort().str.join(", ").alias("elsewhere_sites"),
        )
    )


def _heard_share(
    pairs: pl.DataFrame, events: pl.DataFrame, tracks: pl.DataFrame | None
) -> pl.DataFrame:
    """``_claim, heard_share, seg_ids``: the largest share of the claimed time any of the
    claim's vessels was heard (its tracks minus its AIS gaps), and the segments covering it."""
    schema = pl.Schema(
        [("_claim", pl.UInt32()), ("heard_share", pl.Float64()), ("seg_ids", pl.List(pl.String()))]
    )
    if tracks is None or tracks.is_empty() or pairs.is_empty():
        return pl.DataFrame(schema=schema)
    tracks = (
        tracks
        if "seg_id" in tracks.columns
        else tracks.with_columns(pl.lit(None, pl.String).alias("seg_id"))
    )
    spans = tracks.select(
        "vessel_id", "seg_id", pl.col("first_ts").alias("s"), pl.col("last_ts").alias("e")
    )
    gaps = events.filter(pl.col("event_type") == str(EventType.AIS_GAP)).select(
        "vessel_id", pl.col("start_ts").alias("s"), pl.col("end_ts").alias("e")
    )
    length_h = (pl.col("c_end") - pl.col("c_start")).dt.total_seconds() / 3600

    def overlap_h(frame: pl.DataFrame) -> pl.DataFrame:
        joined = pairs.join(frame, on="vessel_id")
        hours = (
            (pl.min_horizontal("e", "c_end") - pl.max_horizontal("s", "c_start")).dt.total_seconds()
            / 3600
        ).clip(lower_bound=0)
        return joined.with_columns(hours.alias("h")).filter(pl.col("h") > 0)

    heard = (
        overlap_h(spans)
        .group_by("_claim", "vessel_id")
        .agg(
            pl.col("h").sum(), pl.col("seg_id").drop_nulls().sort(), length_h.first().alias("len_h")
        )
    )
    dark = overlap_h(gaps).group_by("_claim", "vessel_id").agg(pl.col("h").sum().alias("dark_h"))
    return (
        heard.join(dark, on=["_claim", "vessel_id"], how="left")
        .with_columns(
            ((pl.col("h") - pl.col("dark_h").fill_null(0)).clip(lower_bound=0) / pl.col("len_h"))
            .clip(upper_bound=1.0)
            .alias("heard_share")
        )
        .sort("heard_share", descending=True)
        .group_by("_claim")
        .agg(pl.col("heard_share").first(), pl.col("seg_id").first().alias("seg_ids"))
        .cast(schema)
    )


def _verdicts(out: pl.DataFrame, config: ClaimCheckConfig) -> pl.DataFrame:
    """Verdict, evidence and reason from the per-claim findings (rules in check_claims)."""
    site = pl.col("site_id").fill_null("any place")
    window = pl.format(
        "{} to {}", pl.col("start_ts").dt.strftime("%Y-%m-%d %H:%M"),
        pl.col("end_ts").dt.strftime("%Y-%m-%d %H:%M"),
    )  # fmt: skip
    share = (pl.col("heard_share").fill_null(0) * 100).round(0).cast(pl.Int64)
    supported = pl.col("support_ids").list.len().fill_null(0) > 0
    away = pl.col("elsewhere_ids").list.len().fill_null(0) > 0
    covered = pl.col("heard_share").fill_null(0) >= config.min_coverage
    unknown = pl.col("n_vessels").fill_null(0) == 0
    return out.with_columns(
        pl.when(supported)
        .then(pl.lit(str(Verdict.SUPPORTED)))
        .when(away | covered)
        .then(pl.lit(str(Verdict.CONTRADICTED)))
        .otherwise(pl.lit(str(Verdict.NO_DATA)))
        .alias("verdict"),
        pl.when(supported)
        .then(pl.col("support_ids"))
        .when(away)
        .then(pl.col("elsewhere_ids"))
        .when(covered)
        .then(pl.col("seg_ids"))
        .otherwise(pl.lit([], pl.List(pl.String)))
        .alias("evidence_ids"),
        pl.when(supported)
        .then(pl.format(
            "{} event(s) of the vessel at {} within ±{} h of {}",
            pl.col("support_ids").list.len(), site, pl.lit(config.tolerance_h), window,
        ))
        .when(away)
        .then(pl.format("during {} the vessel was at {}, not {}", window,
                        pl.col("elsewhere_sites"), site))
        .when(covered)
        .then(pl.format("the vessel was heard for {}% of {} with no {} event at {}", share,
                        window, pl.col("event_kind"), site))
        .when(unknown)
        .then(pl.format("no vessel in the data is tied to watchlist entry {}", pl.col("entry_id")))
        .otherwise(pl.format("the vessel was heard for {}% of {}: too little to judge", share,
                             window))
        .alias("reason"),
    )  # fmt: skip
