"""``harborwatch claims extract``, ``claims check`` and ``claims list``: claims from reporting,
checked against the store and stored with their verdicts."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
import polars as pl
import yaml

from harborwatch.cli import output
from harborwatch.cli.options import sites_option, store_option, watchlist_option
from harborwatch.errors import InputError
from harborwatch.fusion.claims import extract_claims, load_claims, parse_claims
from harborwatch.geo.sites import load_sites
from harborwatch.geo.watchlists import load_watchlist
from harborwatch.store import Store
from harborwatch.store.jobs import check_claims_in_store, stored_claims

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_CHECKED = ("verdict", "evidence_ids", "reason")


@click.group("claims")
def claims_group() -> None:
    """Claims from reporting: extract them from articles, check them against the store."""


@claims_group.command("extract")
@click.argument("article", type=_FILE)
@sites_option("the place gazetteer.", required=True)
@watchlist_option("the vessel gazetteer.", required=True)
@click.option("--source", help="Who says it: outlet, author or URL (kept with every claim).")
@click.option("--published", help="Publication date YYYY-MM-DD: gives dates without a year theirs.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
    help="yaml and json read back with `claims check`.",
)
def extract(
    article: Path, sites: Path, watchlist: Path, source: str | None, published: str | None,
    fmt: str,
) -> None:  # fmt: skip
    """Claims (vessel, site, kind, dates) found in an article's plain text."""
    found = extract_claims(
        article.read_text(encoding="utf-8"),
        load_sites(sites),
        load_watchlist(watchlist),
        source=source or article.name,
        published=_date(published),
    ).drop(_CHECKED)
    _write(found, fmt, "claims")


@claims_group.command("check")
@click.argument("claims_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@store_option
@sites_option("places events inside the claimed sites (else event site ids).")
@watchlist_option("ties claimed vessels to the store's vessels.", required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def check(
    claims_file: Path | None, store_dir: Path, sites: Path | None, watchlist: Path, fmt: str
) -> None:  # fmt: skip
    """Each claim (YAML/JSON FILE, or stdin) as supported, contradicted or no_data, with the
    event ids that decide it; the checked claims are stored (a re-check replaces them)."""
    watched = load_watchlist(watchlist)
    places = load_sites(sites) if sites else None
    if claims_file is None or str(claims_file) == "-":
        claims = parse_claims(sys.stdin.read(), "<stdin>", watched, places)
    else:
        claims = load_claims(claims_file, watched, places)
    checked = check_claims_in_store(Store(store_dir), claims, watched, places)
    _write(checked, fmt, "claims checked")


@claims_group.command("list")
@store_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def list_claims(store_dir: Path, fmt: str) -> None:
    """The claims stored by `claims check`, with their verdicts and evidence ids."""
    _write(stored_claims(Store(store_dir)), fmt, "stored claims")


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--published {value!r} is not a date; write YYYY-MM-DD") from None


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with ISO times, nulls left out (they read back as absent)."""
    rows = frame.with_columns(
        pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        pl.col(pl.Date).cast(pl.String),
    ).to_dicts()
    return [{k: v for k, v in row.items() if v is not None} for row in rows]


def _write(frame: pl.DataFrame, fmt: str, title: str) -> None:
    if fmt == "json":
        output.write_json(_records(frame))
    elif fmt == "yaml":
        click.echo(yaml.safe_dump({"claims": _records(frame)}, sort_keys=False, allow_unicode=True))
    else:
        output.print_table(frame.drop("text").to_arrow(), title=title)
