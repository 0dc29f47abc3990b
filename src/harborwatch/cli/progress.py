"""A byte-based progress bar on stderr, shown only on a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


@contextlib.contextmanager
def byte_progress(total_bytes: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n_bytes)``; draws a bar on stderr when it is a TTY and not ``quiet``."""
    if quiet or not sys.stderr.isatty():
        yield lambda _n: None
        return
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("ingest", total=total_bytes)
        yield lambda n: bar.advance(task, n)
