"""The store's catalogue: which files were ingested and which Parquet parts hold their rows.

The catalogue is the single source of truth for readers: a Parquet part that is on disk but not in
the catalogue does not exist (it is the debris of an interrupted ingest and is swept on the next
write). It is one JSON file replaced atomically (write to a temporary file, fsync, rename), so a
reader always sees either the previous or the next state, never a half-written one, and readers
never block writers.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harborwatch.errors import StoreError

CATALOG_NAME = "catalog.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Part:
    """One Parquet file of one table, holding rows of one ingested file (and one day)."""

    table: str
    path: str  # relative to the store root, POSIX separators
    file_id: str
    day: str  # YYYY-MM-DD, or "" for tables not partitioned by day
    rows: int
    ts_min_us: int | None = None
    ts_max_us: int | None = None

    def overlaps(self, ts_min_us: int, ts_max_us: int) -> bool:
        """Whether this part may hold rows with ``ts`` in the closed range given."""
        if self.ts_min_us is None or self.ts_max_us is None:
            return True
        return self.ts_min_us <= ts_max_us and ts_min_us <= self.ts_max_us


@dataclass
class Catalog:
    """In-memory view of ``catalog.json``: ingested files (by file id) and their parts."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)

    def parts_of(self, table: str) -> list[Part]:
        return [part for part in self.parts if part.table == table]

    @classmethod
    def load(cls, root: Path) -> Catalog:
        """Read the catalogue of the store at ``root`` (an empty one if none was written yet)."""
        path = root / CATALOG_NAME
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"cannot read the store catalogue {path}: {exc}; restore it from a backup or "
                "re-ingest into a new store"
            ) from exc
        if data.get("format_version") != FORMAT_VERSION:
            raise StoreError(
                f"{path} has format version {data.get('format_version')!r}, this harborwatch "
                f"reads {FORMAT_VERSION}; upgrade harborwatch or re-ingest into a new store"
            )
        return cls(files=data["files"], parts=[Part(**part) for part in data["parts"]])

    def save(self, root: Path) -> None:
        """Atomically replace ``catalog.json`` under ``root`` with this catalogue."""
        payload = {
            "format_version": FORMAT_VERSION,
            "files": self.files,
            "parts": [asdict(part) for part in self.parts],
        }
        tmp = root / f".{CATALOG_NAME}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=1, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, root / CATALOG_NAME)
        _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
