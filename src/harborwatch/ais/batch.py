"""What every reader yields: one chunk of decoded tables, and the context readers work in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from harborwatch import schemas
from harborwatch.ais.reasons import RejectReason

DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024
"""Bytes a reader handles at a time: bounds memory for files larger than RAM."""


@dataclass(frozen=True)
class ReadContext:
    """Everything a reader needs besides the bytes.

    ``path`` is the file's name as given (readers that take the date from the file name, such as
    the Santa Barbara export, read it from here). ``columns`` maps harborwatch field names to the
    source's column names for the generic CSV reader (``--columns``). ``assume_date`` dates
    sentences that carry no time; without it they are rejected as ``no_timestamp``.
    """

    file_id: str
    path: Path
    assume_date: date | None = None
    columns: dict[str, str] = field(default_factory=dict)
    chunk_bytes: int = DEFAULT_CHUNK_BYTES


@dataclass(frozen=True)
class DecodedBatch:
    """Decoded rows of one chunk: ``positions``, ``statics`` and ``quarantine`` tables (schemas
    in :mod:`harborwatch.schemas`), and ``type_counts``: messages seen per AIS message type,
    including types that are not decoded into columns."""

    positions: pa.Table
    statics: pa.Table
    quarantine: pa.Table
    type_counts: Counter[int] = field(default_factory=Counter)

    @classmethod
    def empty(cls) -> DecodedBatch:
        return cls(
            schemas.empty(schemas.POSITIONS),
            schemas.empty(schemas.STATICS),
            schemas.empty(schemas.QUARANTINE),
        )


def concat_batches(batches: Iterable[DecodedBatch]) -> DecodedBatch:
    """One batch holding the rows of all ``batches`` (extra columns unified by name, label
    dictionaries unified, so equal rows give equal tables however the input was chunked)."""
    batches = list(batches)
    if not batches:
        return DecodedBatch.empty()
    counts: Counter[int] = Counter()
    for batch in batches:
        counts.update(batch.type_counts)
    positions, statics, quarantine = (
        pa.concat_tables(
            [getattr(b, name) for b in batches], promote_options="default"
        ).unify_dictionaries()
        for name in ("positions", "statics", "quarantine")
    )
    return DecodedBatch(positions, statics, quarantine, counts)


def quarantine_table(
    file_id: str,
    line_nos: Sequence[int],
    raws: Sequence[str],
    reasons: Sequence[RejectReason | str],
    details: Sequence[str],
) -> pa.Table:
    """Build a quarantine table from parallel lists (rejects are few, so lists are fine)."""
    return pa.Table.from_pydict(
        {
            "file_id": [file_id] * len(line_nos),
            "line_no": list(line_nos),
            "raw": list(raws),
            "reason": [str(r) for r in reasons],
            "detail": list(details),
        },
        schema=schemas.QUARANTINE,
    )


ProgressCallback = Callable[[int], None]
"""Called with the number of raw (on-disk) bytes consumed since the last call."""
