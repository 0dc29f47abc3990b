"""Differential test: harborwatch's NMEA decoder against pyais on every real NMEA file.

Every message both decoders decode must agree on MMSI, type, position, SOG, COG, heading and the
static fields, after mapping "not available" values to None. Times are not compared (pyais does
not read tag blocks, ``$PGHP`` or trailing times), so every file is decoded with an assumed date.

Documented differences (not failures), applied in :func:`_pyais_value`:

- pyais keeps invalid COG (above 360°) and heading (360-510) as numbers; harborwatch nulls them
  (see :mod:`harborwatch.ais.nmea`). Both sides compare as None.
- pyais keeps dimensions of type 24B auxiliary craft (MMSI 98xxxxxxx) as ``mothership_mmsi``;
  harborwatch nulls them. Compared as None.

pyais defects found (the comparison works around them and says why):

- Text: pyais strips only trailing ``@`` and keeps what follows an embedded one
  (``'VARIABLE@@H   @E'``, ``'@@J130B'``, ``'@@@@@@@@@@@@'``). ITU-R M.1371 makes ``@`` the end of
  the text (what follows is padding or garbage); harborwatch cuts at the first ``@``. pyais's
  text is cut the same way before comparing.
- Ship type: pyais returns the ``ShipType`` enum, which maps codes it does not list to a
  neighbour or to 0 (39 -> 0, 57 -> 56, 66 -> 65, 253 -> 0): the transmitted code is lost.
  harborwatch keeps the code; it is compared through ``ShipType(code)``.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyais
import pytest
from pyais.constants import ShipType

from harborwatch.ais.batch import ReadContext
from harborwatch.ais.nmea import NmeaDecoder

_SENTENCE = re.compile(rb"![A-Z]{2}VD[MO],[^*\\]*\*[0-9A-Fa-f]{2}")
_POSITION_FIELDS = ("lon", "lat", "sog_knots", "cog_deg", "heading_deg")
_STATIC_FIELDS = (
    "name",
    "callsign",
    "imo",
    "ship_type",
    "dim_bow_m",
    "dim_stern_m",
    "dim_port_m",
    "dim_starboard_m",
    "draught_m",
    "destination",
)
_PYAIS_NAMES = {
    "lon": "lon",
    "lat": "lat",
    "sog_knots": "speed",
    "cog_deg": "course",
    "heading_deg": "heading",
    "name": "shipname",
    "callsign": "callsign",
    "imo": "imo",
    "ship_type": "ship_type",
    "dim_bow_m": "to_bow",
    "dim_stern_m": "to_stern",
    "dim_port_m": "to_port",
    "dim_starboard_m": "to_starboard",
    "draught_m": "draught",
    "destination": "destination",
}


def nmea_files(ais_dir: Path) -> list[Path]:
    """Every raw NMEA file of the shared data."""
    files = sorted((ais_dir / "dma").glob("*.ais"))
    files += [ais_dir / "dma" / "ais-sample.txt.gz", ais_dir / "dma" / "aislib_stream_example.txt"]
    files += [ais_dir / "eastern-med" / "greece_nmea_no_timestamps.txt"]
    files += sorted((ais_dir / "noaa-spire").glob("*.nm4"))
    files += sorted(p for p in (ais_dir / "odd-inputs").rglob("*") if p.is_file())
    return files


def _read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _pyais_messages(data: bytes) -> Iterator[tuple[int, Any]]:
    """(line of the first fragment, pyais-decoded message) for every message pyais decodes,
    multiparts assembled by sequence id and channel."""
    pending: dict[tuple[bytes, bytes], tuple[int, list[pyais.NMEAMessage]]] = {}
    for line_no, line in enumerate(data.split(b"\n"), start=1):
        if line.lstrip().startswith(b"#"):
            continue
        for match in _SENTENCE.finditer(line):
            try:
                sentence = pyais.NMEAMessage(match.group())
            except Exception:
                continue
            if not sentence.is_valid:
                continue
            fields = match.group().split(b",")
            if sentence.frag_cnt == 1:
                group = [(line_no, [sentence])]
            else:
                key = (fields[3], fields[4])
                if sentence.frag_num == 1:
                    pending[key] = (line_no, [])
                if key not in pending:
                    continue
                first_line, parts = pending[key]
                parts.append(sentence)
                if len(parts) < sentence.frag_cnt:
                    continue
                del pending[key]
                group = [(first_line, parts)]
            for first_line, parts in group:
                try:
                    assembled = (
                        parts[0]
                        if len(parts) == 1
                        else pyais.NMEAMessage.assemble_from_iterable(parts)
                    )
                    yield first_line, assembled.decode()
                except Exception:
                    continue


def _pyais_value(message: Any, column: str) -> Any:
    """pyais's value of a harborwatch column, with "not available" mapped to None."""
    name = _PYAIS_NAMES[column]
    value = getattr(message, name, None)
    msg_type = message.msg_type
    if value is None:
        return None
    if hasattr(value, "value"):  # enums
        value = value.value
    if column == "lon" and (value == 181 or (msg_type == 27 and abs(value - 181) < 1e-3)):
        return None
    if column == "lat" and (value == 91 or (msg_type == 27 and abs(value - 91) < 1e-3)):
        return None
    if column == "sog_knots" and (value >= 102.3 if msg_type != 27 else value == 63):
        return None
    if column == "cog_deg" and value >= 360:  # not available (360, 511) or invalid
        return None
    if column == "heading_deg" and value >= 360:
        return None
    if column in ("imo", "draught_m") and value == 0:
        return None
    if column in ("name", "callsign", "destination"):
        return value.split("@", 1)[0].strip() or None
    if column.startswith("dim_") and msg_type == 24 and message.mmsi // 10_000_000 == 98:
        return None
    return value


def _agree(ours: Any, theirs: Any) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(ours, float):
        return math.isclose(ours, float(theirs), abs_tol=1e-4)
    return bool(ours == theirs)


def _harborwatch_rows(path: Path) -> dict[tuple[int, int, int], dict[str, Any]]:
    """Decoded rows keyed by (line, type, mmsi); a type 19 row merges its two tables."""
    ctx = ReadContext(file_id="0" * 16, path=path, assume_date=date(2020, 1, 1))
    decoder = NmeaDecoder(ctx)
    batches = [decoder.feed(_read(path)), decoder.finish()]
    rows: dict[tuple[int, int, int], dict[str, Any]] = {}
    for batch in batches:
        for table in (batch.positions, batch.statics):
            for row in table.to_pylist():
                rows.setdefault((row["line_no"], row["msg_type"], row["mmsi"]), {}).update(row)
    return rows


def test_agrees_with_pyais_on_every_real_nmea_file(ais_dir: Path) -> None:
    files = nmea_files(ais_dir)
    assert len(files) >= 20, "expected the shared NMEA files"
    compared = 0
    disagreements = []
    for path in files:
        rows = _harborwatch_rows(path)
        for line_no, message in _pyais_messages(_read(path)):
            row = rows.get((line_no, message.msg_type, message.mmsi))
            if row is None:
                continue
            compared += 1
            columns = [c for c in _POSITION_FIELDS + _STATIC_FIELDS if c in row]
            for column in columns:
                if not hasattr(message, _PYAIS_NAMES[column]):
                    continue
                theirs = _pyais_value(message, column)
                ours = row[column]
                if column == "ship_type" and ours is not None:
                    ours = ShipType(ours).value  # pyais's lossy enum mapping, see above
                if not _agree(ours, theirs):
                    disagreements.append(
                        f"{path.name}:{line_no} type {message.msg_type} {column}: "
                        f"harborwatch {ours!r}, pyais {theirs!r}"
                    )
    assert not disagreements, "\n".join(disagreements[:40])
    assert compared > 30_000


@pytest.mark.parametrize("name", ["ais-sample.txt.gz"])
def test_decodes_as_many_messages_as_pyais(ais_dir: Path, name: str) -> None:
    """On a clean file harborwatch decodes every message pyais decodes (types both support)."""
    path = ais_dir / "dma" / name
    ours = _harborwatch_rows(path)
    supported = {1, 2, 3, 4, 5, 18, 19, 24, 27}
    theirs = {
        (line, m.msg_type, m.mmsi)
        for line, m in _pyais_messages(_read(path))
        if m.msg_type in supported
    }
    assert theirs <= set(ours)
