"""The embedded store: one directory of day-partitioned Parquet files plus a catalogue, queried
with DuckDB. No server. See :class:`harborwatch.store.store.Store`."""

from harborwatch.store.store import IngestReport, Store

__all__ = ["IngestReport", "Store"]
