"""Writing result tables to stdout (or a file) as table, JSON, JSON lines, CSV, GeoJSON or Parquet.

Data goes to stdout; logs and progress go to stderr. Text written by whoever transmits AIS (names,
destinations) is made inert in CSV: a text cell starting with ``= + - @``, a tab or a carriage
return gets a leading apostrophe so spreadsheets do not evaluate it (OWASP "CSV injection");
numeric columns, and text cells that are a plain number, are left as they are.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table
from rich.text import Text

_FORMULA_START = r"^[=+\-@\t\r]"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
"""A cell that is only a number (``-12.5``) is not a formula: it is left as it is."""


def json_default(value: Any) -> Any:
    """JSON encoding for values Arrow hands back (datetimes as ISO 8601 with zone)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def write_json(obj: Any, stream: IO[str] | None = None) -> None:
    """Pretty JSON of ``obj`` to ``stream`` (stdout by default)."""
    stream = stream or sys.stdout
    json.dump(obj, stream, indent=2, default=json_default)
    stream.write("\n")


def write_jsonl(table: pa.Table, stream: IO[str]) -> None:
    """One JSON object per row."""
    for batch in table.to_batches(64 * 1024):
        for row in batch.to_pylist():
            stream.write(json.dumps(row, default=json_default) + "\n")


def csv_safe(table: pa.Table) -> pa.Table:
    """``table`` with string cells that a spreadsheet would evaluate prefixed by an apostrophe."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_large_string(column.type) or pa.types.is_string_view(column.type):
            column = column.cast(pa.string())  # Polars hands over large strings
        if pa.types.is_string(column.type):
            risky = pc.and_(
                pc.match_substring_regex(column, _FORMULA_START),
                pc.invert(pc.match_substring_regex(column, _NUMBER)),
            )
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def write_csv(table: pa.Table, stream: IO[bytes]) -> None:
    pacsv.write_csv(csv_safe(table), stream)


def write_geojson_track(table: pa.Table, stream: IO[str]) -> None:
    """A FeatureCollection: the track as one LineString, then each position as a Point."""
    located = table.filter(pc.and_(pc.is_valid(table["lon"]), pc.is_valid(table["lat"])))
    rows = located.to_pylist()
    collection = point_features(rows)
    if len(rows) >= 2:
        line = {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [f["geometry"]["coordinates"] for f in collection["features"]],
            },
            "properties": {"kind": "track", "positions": len(rows)},
        }
        collection["features"].insert(0, line)
    json.dump(collection, stream, default=json_default)
    stream.write("\n")


def point_features(records: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of one Point per record with ``lon``/``lat`` (others are
    left out); the remaining fields become the properties."""
    features = []
    for record in records:
        if record.get("lon") is None or record.get("lat") is None:
            continue
        properties = {k: v for k, v in record.items() if k not in ("lon", "lat")}
        geometry = {"type": "Point", "coordinates": [record["lon"], record["lat"]]}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def print_table(table: pa.Table, title: str | None = None, limit: int | None = None) -> None:
    """A human-readable table on stdout (rows beyond ``limit`` are counted, not shown)."""
    console = Console(width=None if sys.stdout.isatty() else 240)
    view = Table(title=title, show_lines=False)
    for name in table.column_names:
        view.add_column(name, overflow="fold")
    shown = table if limit is None else table.slice(0, limit)
    for row in shown.to_pylist():
        view.add_row(*(Text(_cell(v)) for v in row.values()))  # no markup
    console.print(view)
    if limit is not None and table.num_rows > limit:
        console.print(f"… {table.num_rows - limit} more rows (use --json or --limit)")


def print_mapping(mapping: dict[str, Any], title: str | None = None) -> None:
    """Key/value pairs as a two-column table on stdout."""
    rows = [(k, _cell(v)) for k, v in _flatten(mapping)]
    print_table(pa.table({"field": [r[0] for r in rows], "value": [r[1] for r in rows]}), title)


def write_table(table: pa.Table, fmt: str, out: Path | None) -> None:
    """``table`` as csv, jsonl, geojson or parquet to ``out`` (stdout when None)."""
    if fmt == "parquet":
        if out is None and sys.stdout.isatty():
            raise ValueError("Parquet is binary: give --out FILE or redirect stdout")
        pq.write_table(table, out or sys.stdout.buffer)
        return
    if fmt == "csv":
        if out is None:
            write_csv(table, sys.stdout.buffer)
        else:
            with open(out, "wb") as handle:
                write_csv(table, handle)
        return
    writer = {"jsonl": write_jsonl, "geojson": write_geojson_track}[fmt]
    if out is None:
        writer(table, sys.stdout)
    else:
        with open(out, "w", encoding="utf-8") as handle:
            writer(table, handle)


class ParquetSink:
    """Appends tables to one Parquet file as they come, so output need not fit in memory.

    The file's schema is the first non-empty table's (declared columns plus any extras a reader
    adds); an input with no rows at all gives an empty file of the declared ``schema``.
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> ParquetSink:
        return self

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table.cast(self._writer.schema))

    def __exit__(self, *exc_info: object) -> None:
        if self._writer is None:
            pq.write_table(self.schema.empty_table(), self.path)
        else:
            self._writer.close()


def _flatten(mapping: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
