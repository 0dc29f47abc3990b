"""Options and argument parsers shared by the ``harborwatch`` subcommands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from harborwatch.ais.batch import DEFAULT_CHUNK_BYTES
from harborwatch.errors import InputError

store_option = click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="HARBORWATCH_STORE",
    default="harborwatch-store",
    show_default=True,
    help="Store directory (default from $HARBORWATCH_STORE).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout.")
chunk_option = click.option(
    "--chunk-mb",
    type=click.IntRange(1),
    default=DEFAULT_CHUNK_BYTES >> 20,
    show_default=True,
    help="Decode this many MB at a time (bounds memory).",
)
limit_option = click.option(
    "--limit",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="Rows shown in the table view (JSON has all).",
)

geo_dir_option = click.option(
    "--geo-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    envvar="HARBORWATCH_GEO",
    help="Reference geography folder (World Port Index, GFW anchorages, Natural Earth land), "
    "e.g. ../shared/data/geo; default $HARBORWATCH_GEO, else the searoute ports.",
)


def site_window_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--site`` (required) and the ``--from``/``--to`` UTC days of a per-site command."""
    command = click.option(
        "--to", "end", help="Last UTC day, inclusive (default: the last evidence)."
    )(command)
    command = click.option(
        "--from", "start", help="First UTC day, YYYY-MM-DD (default: the first evidence)."
    )(command)
    return click.option("--site", "site_id", required=True, help="Site id (as in the sites file).")(
        command
    )


def sites_option(help_text: str, required: bool = False) -> Callable[..., Any]:
    """``--sites FILE`` (TOML or GeoJSON; default ``$HARBORWATCH_SITES``), saying what it is for."""
    return click.option(
        "--sites",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        envvar="HARBORWATCH_SITES",
        required=required,
        help=f"Sites file (default $HARBORWATCH_SITES): {help_text}",
    )


def watchlist_option(help_text: str, required: bool = False) -> Callable[..., Any]:
    """``--watchlist FILE`` (TOML or CSV; default ``$HARBORWATCH_WATCHLIST``)."""
    return click.option(
        "--watchlist",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        envvar="HARBORWATCH_WATCHLIST",
        required=required,
        help=f"Watchlist (default $HARBORWATCH_WATCHLIST): {help_text}",
    )


since_option = click.option("--since", help="From this UTC time (inclusive), YYYY-MM-DD[THH:MM].")
until_option = click.option("--until", help="Up to this UTC time (exclusive).")


def parse_date(value: str | None) -> date | None:
    """``--assume-date`` as a date (None when not given); usage error naming the value."""
    return parse_day(value, "--assume-date")


def parse_day(value: str | None, option: str) -> date | None:
    """A day option (``--from``, ``--to``, ...) as a date, None when not given; usage error
    naming the option and the value."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date; write YYYY-MM-DD") from None


def parse_time(value: str | None, option: str) -> datetime | None:
    """A ``--since``/``--until`` value as a UTC-aware time; naive times are taken as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{option} {value!r} is not a time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
