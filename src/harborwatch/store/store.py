"""The store: a directory of day-partitioned Parquet files, a catalogue, and DuckDB over them.

Layout::

    STORE/
      catalog.json                      ingested files and their parts (the source of truth)
      positions/day=YYYY-MM-DD/*.parquet
      statics/day=YYYY-MM-DD/*.parquet
      quarantine/file=FILE_ID/*.parquet
      segments/*.parquet, events/*.parquet   derived tables, each replaced whole by `detect`
      tmp/                              parts of the ingest in progress
      .lock                             held by the one process writing

Ingesting a file is all-or-nothing: its parts are written under ``tmp/``, renamed into place, and
only then is the catalogue replaced (atomically) to list them. A process killed at any moment
leaves a store whose catalogue lists none or all of that file's parts; debris is swept on the next
write. The same bytes ingested twice (same SHA-256) add nothing; reports already stored (or heard
by two receivers) are dropped on their natural key (:mod:`harborwatch.store.dedup`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from queue import Full, Queue
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from harborwatch import schemas
from harborwatch.ais.batch import (
    DEFAULT_CHUNK_BYTES,
    DecodedBatch,
    ProgressCallback,
    ReadContext,
    quarantine_table,
)
from harborwatch.ais.reasons import INFORMATIONAL_REASONS, RejectReason
from harborwatch.ais.sources import read_file, sniff_format
from harborwatch.errors import FormatDetectionError, StoreError
from harborwatch.files import file_sha256
from harborwatch.store.catalog import Catalog, Part
from harborwatch.store.dedup import (
    DUPLICATE_WINDOW_US,
    POSITION_KEY,
    STATIC_KEY,
    drop_duplicates,
    key_columns,
)

try:  # POSIX advisory locks; on platforms without fcntl the store is single-writer by convention
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_DAY_US = 86_400_000_000
_TIME_PARTITIONED = {"positions": POSITION_KEY, "statics": STATIC_KEY}


@dataclass
class IngestReport:
    """What ingesting (or only decoding) one file did. ``status``: ``ingested``,
    ``already_ingested``, ``unrecognised`` (no reader knows the file; it is quarantined whole) or
    ``decoded`` (``harborwatch decode``, no store)."""

    path: str
    file_id: str
    format: str
    status: str
    positions: int = 0
    statics: int = 0
    duplicates: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    type_counts: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        """Quarantined records that are errors (not merely unsupported message types)."""
        return sum(n for r, n in self.quarantined.items() if r not in INFORMATIONAL_REASONS)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "file_id": self.file_id,
            "format": self.format,
            "status": self.status,
            "positions": self.positions,
            "statics": self.statics,
            "duplicates": self.duplicates,
            "quarantined": dict(self.quarantined),
            "rejected": self.rejected,
            "type_counts": {str(k): v for k, v in sorted(self.type_counts.items())},
            "seconds": round(self.seconds, 3),
        }


class Store:
    """An embedded AIS store rooted at one directory (created on first write)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @property
    def catalog(self) -> Catalog:
        """The catalogue as committed now (re-read on every access: writers may have moved on)."""
        return Catalog.load(self.root)

    # -- writing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the store's write lock, after sweeping debris of interrupted ingests."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = open(self.root / ".lock", "a+")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise StoreError(f"cannot create the store at {self.root}: {exc}") from exc
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError as exc:
                    raise StoreError(
                        f"another process is writing to the store {self.root}; wait for it to "
                        "finish or use another --store"
                    ) from exc
            self._sweep()
            yield
        finally:
            handle.close()

    def _sweep(self) -> None:
        """Delete parts not listed in the catalogue (left by an ingest that was killed)."""
        shutil.rmtree(self.root / "tmp", ignore_errors=True)
        listed = {part.path for part in self.catalog.parts}
        for table in [*schemas.TABLES, *schemas.DERIVED_TABLES]:
            for path in (self.root / table).rglob("*.parquet"):
                if path.relative_to(self.root).as_posix() not in listed:
                    path.unlink()

    def ingest(
        self,
        path: Path,
        fmt: str = "auto",
        assume_date: date | None = None,
        columns: dict[str, str] | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Decode ``path`` and add its rows to the store, all or nothing (see module docstring)."""
        with self._writing():
            return _FileIngest(self, path, fmt, assume_date, columns or {}, chunk_bytes).run(
                progress
            )

    def replace_derived(
        self,
        table: str,
        rows: pa.Table,
        keep_sql: str | None = None,
        params: list[Any] | None = None,
    ) -> int:
        """Replace the derived ``table`` (a key of :data:`schemas.DERIVED_TABLES`) by ``rows``.

        Stored rows for which the DuckDB condition ``keep_sql`` (with ``params``) holds are kept
        beside the new ones (a detection re-run over one time window keeps the events outside
        it). The swap is atomic: readers see the old table or the new one. Returns the rows now
        stored.
        """
        schema = schemas.DERIVED_TABLES[table]
        with self._writing():
            catalog = self.catalog
            old_parts = catalog.parts_of(table)
            combined = schemas.conform(rows, schema).select(schema.names)
            if keep_sql and old_parts:
                kept = _read_where(self.root, [p.path for p in old_parts], keep_sql, params or [])
                combined = pa.concat_tables([kept.cast(schema), combined])
            final = Path(table) / f"{uuid.uuid4().hex}.parquet"
            (self.root / "tmp").mkdir(exist_ok=True)
            staged = self.root / "tmp" / final.name
            _write_parquet(combined, staged)
            (self.root / table).mkdir(exist_ok=True)
            os.replace(staged, self.root / final)
            catalog.parts = [p for p in catalog.parts if p.table != table]
            catalog.parts.append(Part(table, final.as_posix(), table, "", combined.num_rows))
            catalog.save(self.root)
            for part in old_parts:
                (self.root / part.path).unlink(missing_ok=True)
            return combined.num_rows

    # -- reading ----------------------------------------------------------------------------

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with views ``positions``, ``statics``, ``quarantine``
        and ``files`` over the committed parts. Times are shown in UTC."""
        if not self.root.is_dir():
            raise StoreError(
                f"there is no store at {self.root}; create it with "
                f"`harborwatch ingest FILES --store {self.root}` or pass --store"
            )
        catalog = self.catalog
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for table, schema in {**schemas.TABLES, **schemas.DERIVED_TABLES}.items():
            paths = [str(self.root / part.path) for part in catalog.parts_of(table)]
            if paths:
                con.execute(
                    f"CREATE VIEW {table} AS SELECT * FROM read_parquet("
                    f"{_sql_list(paths)}, union_by_name = true, hive_partitioning = false)"
                )
            else:
                con.register(f"{table}_empty", schemas.empty(schema))
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM {table}_empty")
        con.register("files_table", _files_table(catalog))
        con.execute("CREATE VIEW files AS SELECT * FROM files_table")
        return con


_DICTIONARY_COLUMNS = ["mmsi", "vessel_key", "source", "receiver", "file_id", "reason"]
"""Columns with few distinct values per part: dictionary-encoded in Parquet (others are not,
which writes about three times faster and no larger)."""


def _labelled(rows: pa.Table, file_id: str) -> pa.Table:
    """``rows`` with ``file_id`` set to the ingested file's (a one-value dictionary: no need to
    read what the reader wrote) and ``vessel_key`` dictionary-encoded (few values per chunk, so
    cheap to reorder and to write; readers of the store see plain strings)."""
    constant = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(rows.num_rows, np.int32)), pa.array([file_id])
    )
    rows = rows.set_column(rows.column_names.index("file_id"), "file_id", constant)
    index = rows.column_names.index("vessel_key")
    return rows.set_column(index, "vessel_key", pc.dictionary_encode(rows.column(index)))


def _read_ahead(batches: Iterator[DecodedBatch]) -> Generator[DecodedBatch, None, None]:
    """Decode the next chunk in a background thread while the caller stores this one.

    The decoders release the GIL (Numba ``nogil``, Polars, Arrow), so reading and storing overlap
    on two cores. At most one decoded chunk waits, which keeps memory bounded. Closing the
    generator early (the caller failed) stops the thread after the chunk it is decoding.
    """
    queue: Queue[DecodedBatch | BaseException | None] = Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: DecodedBatch | BaseException | None) -> None:
        while not stop.is_set():
            with contextlib.suppress(Full):
                queue.put(item, timeout=0.1)
                return

    def produce() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                offer(batch)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            offer(exc)
        else:
            offer(None)

    worker = threading.Thread(target=produce, name="harborwatch-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _write_parquet(rows: pa.Table, path: Path) -> None:
    used = [name for name in _DICTIONARY_COLUMNS if name in rows.column_names]
    pq.write_table(rows, path, compression="zstd", use_dictionary=used, row_group_size=256 * 1024)


def _unrecognised(file_id: str, exc: FormatDetectionError) -> DecodedBatch:
    """A batch quarantining a whole file no reader recognises (line 1 shown as its raw text)."""
    rejects = quarantine_table(
        file_id, [1], [exc.head], [RejectReason.UNRECOGNISED_FORMAT], [str(exc)]
    )
    empty = DecodedBatch.empty()
    return DecodedBatch(empty.positions, empty.statics, rejects)


def _files_table(catalog: Catalog) -> pa.Table:
    """The catalogue's file entries as a table of schema :data:`schemas.FILES`."""
    rows = [
        {**entry, "ingested_at": datetime.fromisoformat(entry["ingested_at"])}
        for entry in catalog.files.values()
    ]
    return pa.Table.from_pylist(rows, schema=schemas.FILES)


def _sql_list(paths: list[str]) -> str:
    """A SQL list literal of file paths, quotes escaped."""
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _read_where(
    root: Path, paths: list[str], condition: str, params: list[Any], columns: str = "*"
) -> pa.Table:
    """``columns`` of the rows of the parts at ``paths`` for which the DuckDB ``condition``
    holds."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows: pa.Table = con.sql(
        f"SELECT {columns} FROM read_parquet("
        f"{_sql_list([str(root / p) for p in paths])}, hive_partitioning = false) "
        f"WHERE {condition}",
        params=params,
    ).to_arrow_table()
    con.close()
    return rows


def _read_keys(root: Path, paths: list[str], schema: pa.Schema, lo: int, hi: int) -> pa.Table:
    """Columns ``schema`` of the rows with ``lo <= ts <= hi`` (µs) in the parts at ``paths``."""
    columns = ", ".join(schema.names)
    return _read_where(root, paths, "epoch_us(ts) BETWEEN ? AND ?", [lo, hi], columns).cast(schema)


class _PendingParts:
    """The parts of the ingest in progress, under ``tmp/FILE_ID/``.

    Parts are written by a background thread (Parquet encoding releases the GIL), at most
    :data:`MAX_QUEUED` waiting, so storing overlaps de-duplicating the next chunk. The
    de-duplication keys of the :data:`RECENT` latest parts stay in memory: the next chunk, which
    usually overlaps the previous one in time, is checked against them without waiting for disk.
    """

    MAX_QUEUED = 2
    RECENT = 4

    def __init__(self, root: Path, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.folder = folder
        self.parts: list[Part] = []
        self._writes: list[Future[None]] = []
        self._recent: dict[str, pa.Table] = {}  # part path -> its key columns, oldest first
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="harborwatch-writer")

    def add_by_day(self, table: str, rows: pa.Table, key: list[str]) -> None:
        """One part per UTC day of ``rows`` (sorted by day, as de-duplication leaves them)."""
        days = rows.column("ts").cast(pa.int64()).to_numpy() // _DAY_US
        starts = [0, *(np.flatnonzero(np.diff(days)) + 1)]
        for start, end in zip(starts, [*starts[1:], len(days)], strict=True):
            if end > start:
                label = np.datetime64(int(days[start]), "D").astype(str)
                self.add(table, rows.slice(start, end - start), label, key)

    def add(self, table: str, rows: pa.Table, day: str, key: list[str] | None) -> None:
        """Queue ``rows`` for writing as a new part; keep its ``key`` columns if given."""
        path = self.folder / f"{table}-{len(self.parts):05d}.parquet"
        rel = path.relative_to(self.root).as_posix()
        ts_min = ts_max = None
        if "ts" in rows.column_names and rows.num_rows:
            ts = rows.column("ts").cast(pa.int64())
            ts_min, ts_max = pc.min(ts).as_py(), pc.max(ts).as_py()
        self.parts.append(Part(table, rel, self.folder.name, day, rows.num_rows, ts_min, ts_max))
        queued = [write for write in self._writes if not write.done()]
        if len(queued) >= self.MAX_QUEUED:
            queued[0].result()
        self._writes.append(self._writer.submit(_write_parquet, rows, path))
        if key is not None:
            self._recent[rel] = key_columns(rows, key)
            while len(self._recent) > self.RECENT:
                del self._recent[next(iter(self._recent))]

    def keys_near(self, table: str, lo: int, hi: int) -> tuple[list[pa.Table], list[str]]:
        """Keys of pending ``table`` parts that may hold ``lo <= ts <= hi``: in memory for the
        recent ones (filtered to that range), else the paths of parts already on disk."""
        in_memory, written = [], []
        for part in self.parts:
            if part.table != table or not part.overlaps(lo, hi):
                continue
            if part.path in self._recent:
                keys = self._recent[part.path]
                ts = keys.column("ts").cast(pa.int64())
                in_range = pc.and_(pc.greater_equal(ts, lo), pc.less_equal(ts, hi))
                in_memory.append(keys.filter(in_range))
            else:
                written.append(part.path)
        if written:
            self.wait_for_writes()
        return in_memory, written

    def wait_for_writes(self) -> None:
        """Block until every queued part is on disk (re-raising a failed write)."""
        for write in self._writes:
            write.result()

    def wait(self) -> None:
        """Finish all writes and stop the writer thread."""
        try:
            self.wait_for_writes()
        finally:
            self._writer.shutdown()


class _FileIngest:
    """One file's ingest: decode chunk by chunk, de-duplicate, write parts, commit."""

    def __init__(
        self,
        store: Store,
        path: Path,
        fmt: str,
        assume_date: date | None,
        columns: dict[str, str],
        chunk_bytes: int,
    ) -> None:
        self.store = store
        self.path = path
        self.fmt = fmt
        self.assume_date = assume_date
        self.columns = columns
        self.chunk_bytes = chunk_bytes

    def run(self, progress: ProgressCallback | None) -> IngestReport:
        started = time.perf_counter()
        sha256 = file_sha256(self.path)
        file_id = sha256[:16]
        report = IngestReport(str(self.path), file_id, self.fmt, "ingested")
        catalog = self.store.catalog
        if file_id in catalog.files:
            report.status = "already_ingested"
            if progress is not None:
                progress(self.path.stat().st_size)
            return report
        self.pending = _PendingParts(self.store.root, self.store.root / "tmp" / file_id)
        try:
            self._decode_and_store(catalog, report, progress)
        finally:
            self.pending.wait()  # also on failure: no writer thread outlives the ingest
        report.seconds = time.perf_counter() - started
        self._commit(catalog, report, sha256)
        return report

    def _decode_and_store(
        self, catalog: Catalog, report: IngestReport, progress: ProgressCallback | None
    ) -> None:
        """Read the file chunk by chunk into pending parts (a file no reader knows: one reject)."""
        try:
            if self.fmt == "auto":
                self.fmt = report.format = sniff_format(self.path)
        except FormatDetectionError as exc:
            self._add_batch(_unrecognised(report.file_id, exc), catalog, report)
            self.fmt = report.format = report.status = "unrecognised"
            if progress is not None:
                progress(self.path.stat().st_size)
            return
        ctx = ReadContext(
            report.file_id, self.path, self.assume_date, self.columns, self.chunk_bytes
        )
        with contextlib.closing(
            _read_ahead(read_file(self.path, ctx, self.fmt, progress))
        ) as batches:
            for batch in batches:
                self._add_batch(batch, catalog, report)

    def _add_batch(self, batch: DecodedBatch, catalog: Catalog, report: IngestReport) -> None:
        report.type_counts.update(batch.type_counts)
        for table_name, key in _TIME_PARTITIONED.items():
            new = _labelled(
                schemas.conform(getattr(batch, table_name), schemas.TABLES[table_name]),
                report.file_id,
            )
            stored = self._stored_keys(table_name, key, new, catalog)
            kept, dropped = drop_duplicates(new, stored, key)
            report.duplicates += dropped
            setattr(report, table_name, getattr(report, table_name) + kept.num_rows)
            self.pending.add_by_day(table_name, kept, key)
        if batch.quarantine.num_rows:
            report.quarantined.update(batch.quarantine.column("reason").to_pylist())
            self.pending.add("quarantine", batch.quarantine, "", None)

    def _stored_keys(self, table: str, key: list[str], new: pa.Table, catalog: Catalog) -> pa.Table:
        """De-duplication keys of stored (and this ingest's pending) rows near ``new``'s times."""
        schema = key_columns(schemas.empty(schemas.TABLES[table]), key).schema
        if new.num_rows == 0:
            return schema.empty_table()
        ts = new.column("ts").cast(pa.int64())
        lo = pc.min(ts).as_py() - DUPLICATE_WINDOW_US
        hi = pc.max(ts).as_py() + DUPLICATE_WINDOW_US
        in_memory, written = self.pending.keys_near(table, lo, hi)
        paths = [p.path for p in catalog.parts_of(table) if p.overlaps(lo, hi)] + written
        found = [keys.cast(schema) for keys in in_memory]
        if paths:
            found.append(_read_keys(self.store.root, paths, schema, lo, hi))
        return pa.concat_tables(found) if found else schema.empty_table()

    def _commit(self, catalog: Catalog, report: IngestReport, sha256: str) -> None:
        """Move the pending parts into place, then list them (and the file) in the catalogue."""
        file_id = report.file_id
        committed = []
        for part in self.pending.parts:
            folder = f"day={part.day}" if part.day else f"file={file_id}"
            final = Path(part.table) / folder / f"{file_id}-{Path(part.path).stem}.parquet"
            (self.store.root / final).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.store.root / part.path, self.store.root / final)
            committed.append(
                Part(
                    part.table,
                    final.as_posix(),
                    file_id,
                    part.day,
                    part.rows,
                    part.ts_min_us,
                    part.ts_max_us,
                )
            )
        catalog.parts.extend(committed)
        catalog.files[file_id] = {
            "file_id": file_id,
            "sha256": sha256,
            "path": str(self.path),
            "size_bytes": self.path.stat().st_size,
            "format": self.fmt,
            "assumed_date": self.assume_date.isoformat() if self.assume_date else None,
            "ingested_at": datetime.now(UTC).isoformat(),
            "positions": report.positions,
            "statics": report.statics,
            "duplicates": report.duplicates,
            "quarantined": sum(report.quarantined.values()),
        }
        catalog.save(self.store.root)
        shutil.rmtree(self.store.root / "tmp", ignore_errors=True)  # one writer: tmp/ is ours
