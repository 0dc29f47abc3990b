"""Open any supported AIS file, recognise its format, read it in chunks.

Formats, and the reader behind each (each is ``read(stream, ctx) -> Iterator[DecodedBatch]``):

============== =============================================================================
nmea           raw NMEA 0183 (``!AIVDM``/``!AIVDO``), with tag blocks, ``$PGHP`` or trailing times
dma            Danish Maritime Authority ``aisdk`` CSV export
marinecadastre NOAA MarineCadastre CSV (``MMSI,BaseDateTime,LAT,LON,...``)
debs           ACM DEBS 2018 Grand Challenge CSV (speed in 0.1 kn, ``dd-mm-yy HH:MM``)
suez           ``ID,ais_pos_timestamp,longitude,latitude`` (anonymised ids)
spire          a provider's 139-column full-field CSV (``MMSI,Message_ID,Repeat_indicator,...``)
sbarc          the Santa Barbara receiver's hourly ``;``-separated export (date from file name)
gfw            Global Fishing Watch JSON lines (``ssvid``, ``expected``)
csv            any other CSV, with ``--columns name=col,...``
============== =============================================================================

``.gz`` files are decompressed on the fly; directories are walked recursively in name order.
"""

from __future__ import annotations

import gzip
import importlib
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from harborwatch.ais.batch import DecodedBatch, ProgressCallback, ReadContext
from harborwatch.errors import FormatDetectionError, InputError

Reader = Callable[[BinaryIO, ReadContext], Iterator[DecodedBatch]]

_READER_PATHS = {
    "nmea": "harborwatch.ais.nmea:read_nmea",
    "dma": "harborwatch.ais.readers.dma:read",
    "marinecadastre": "harborwatch.ais.readers.marinecadastre:read",
    "debs": "harborwatch.ais.readers.debs:read",
    "suez": "harborwatch.ais.readers.suez:read",
    "spire": "harborwatch.ais.readers.spire:read",
    "sbarc": "harborwatch.ais.readers.sbarc:read",
    "gfw": "harborwatch.ais.readers.gfw:read",
    "csv": "harborwatch.ais.readers.mapped:read",
}
FORMATS = tuple(_READER_PATHS)

_NMEA_START = re.compile(rb"^\s*(\\[^\\]*\\)?[!$][A-Z]{2}")
_SBARC_START = re.compile(rb"^\d\d:\d\d:\d\d:\d+;")
_HEADER_FORMATS = [  # (format, lower-cased header prefix)
    ("dma", b"# timestamp,type of mobile,mmsi"),
    ("marinecadastre", b"mmsi,basedatetime,lat,lon"),
    ("debs", b"ship_id,speed,lon,lat"),
    ("suez", b"id,ais_pos_timestamp,longitude,latitude"),
    ("spire", b"mmsi,message_id,repeat_indicator,time"),
]
_DOCUMENTATION_SUFFIXES = {".md", ".yaml"}


def reader_for(fmt: str) -> Reader:
    """The reader function of format ``fmt`` (one of :data:`FORMATS`)."""
    try:
        module_name, func_name = _READER_PATHS[fmt].split(":")
    except KeyError:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    reader: Reader = getattr(importlib.import_module(module_name), func_name)
    return reader


def detect_format(head: bytes, name: str) -> str:
    """Recognise a file's format from its first bytes (decompressed) and its name.

    Raises :class:`FormatDetectionError` when nothing matches.
    """
    text = head.removeprefix(b"\xef\xbb\xbf")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith(b"#")]
    first = text.splitlines()[0].strip().lower() if text.strip() else b""
    for fmt, prefix in _HEADER_FORMATS:
        if first.startswith(prefix):
            return fmt
    if lines and lines[0].lstrip().startswith(b"{") and b'"ssvid"' in lines[0]:
        return "gfw"
    if lines and _SBARC_START.match(lines[0]):
        return "sbarc"
    if any(_NMEA_START.match(line) for line in lines[:20]):
        return "nmea"
    raise FormatDetectionError(name, first[:80].decode("utf-8", "replace"))


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named by ``paths``: directories walked recursively (sorted). In a walk, hidden files
    and documentation (``.md``, ``.yaml``) are skipped; any other file is read, and quarantined
    whole if no reader recognises it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not p.name.startswith(".")
                and p.suffix not in _DOCUMENTATION_SUFFIXES
            )
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{str(path)!r} does not exist; give a file or directory to ingest")
    return files


class _CountingReader(io.RawIOBase):
    """Passes reads through and reports the raw bytes consumed (drives progress bars)."""

    def __init__(self, raw: BinaryIO, progress: ProgressCallback) -> None:
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._progress(count)
        return int(count)


def open_input(path: Path, progress: ProgressCallback | None = None) -> BinaryIO:
    """Open ``path`` for binary reading, decompressing ``.gz`` transparently."""
    raw: BinaryIO = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if progress is not None:
        raw = io.BufferedReader(_CountingReader(raw, progress), 1 << 20)
    if path.suffix == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def sniff_format(path: Path) -> str:
    """Detect the format of the file at ``path`` (see :func:`detect_format`)."""
    with open_input(path) as stream:
        head = stream.read(64 * 1024)
    return detect_format(head, str(path))


def read_file(
    path: Path,
    ctx: ReadContext,
    fmt: str = "auto",
    progress: ProgressCallback | None = None,
) -> Iterator[DecodedBatch]:
    """Decode the file at ``path`` in chunks of about ``ctx.chunk_bytes``.

    ``fmt`` is ``auto`` or one of :data:`FORMATS`. Bad records never raise: they come back in each
    batch's ``quarantine`` table.
    """
    reader = reader_for(sniff_format(path) if fmt == "auto" else fmt)
    with open_input(path, progress) as stream:
        yield from reader(stream, ctx)
