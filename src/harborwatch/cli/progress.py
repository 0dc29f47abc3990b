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


@contextlib.contextmanager
def step_progress(total_steps: int, quiet: bool) -> Iterator[Callable[[str], None]]:
    """Yield ``step(name)``, called as each stage of a job starts; a bar of stages on stderr
    when it is a TTY and not ``quiet``."""
    if quiet or not sys.stderr.isatty():
        yield lambda _name: None
        return
    with Progress(*Progress.get_default_columns(), console=Console(stderr=True)) as bar:
        task = bar.add_task("starting", total=total_steps)
        started = False

        def step(name: str) -> None:
            nonlocal started
            bar.update(task, description=name, advance=1 if started else 0)
            started = True

        yield step
        bar.update(task, completed=total_steps)
