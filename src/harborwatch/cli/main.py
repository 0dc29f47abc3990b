"""``harborwatch`` entry point and subcommands.

Exit codes: 0 ok, 1 failure, 2 usage, 3 rejected input under ``--strict``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from harborwatch import __version__, schemas
from harborwatch.ais.batch import ReadContext
from harborwatch.ais.sources import FORMATS, expand_paths, read_file
from harborwatch.cli import output
from harborwatch.cli.assess import assess_command
from harborwatch.cli.claims import claims_group
from harborwatch.cli.dark import dark_command
from harborwatch.cli.demo import demo_group
from harborwatch.cli.evaluation import eval_group
from harborwatch.cli.events import detect, events, vessel
from harborwatch.cli.forecast import forecast_command
from harborwatch.cli.geo import sites_command
from harborwatch.cli.imagery import annotations_group, imagery_group, scene_group, scenes_command
from harborwatch.cli.options import (
    chunk_option,
    json_option,
    limit_option,
    parse_date,
    parse_time,
    store_option,
)
from harborwatch.cli.progress import byte_progress
from harborwatch.cli.report import report_command
from harborwatch.errors import HarborwatchError, InputError, RejectedInputError
from harborwatch.files import file_sha256
from harborwatch.store import IngestReport, Store, queries

EXIT_FAILURE, EXIT_USAGE, EXIT_REJECTED = 1, 2, 3
log = logging.getLogger("harborwatch")


class _Cli(click.Group):
    """Turns harborwatch errors into a one-line message and the documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RejectedInputError as exc:
            click.echo(f"harborwatch: {exc}", err=True)
            sys.exit(EXIT_REJECTED)
        except InputError as exc:
            click.echo(f"harborwatch: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except HarborwatchError as exc:
            click.echo(f"harborwatch: {exc}", err=True)
            sys.exit(EXIT_FAILURE)


@click.group(cls=_Cli)
@click.version_option(__version__, prog_name="harborwatch")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress bar.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """harborwatch: AIS and imagery evidence about ports, bases and fleets."""
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = {"quiet": quiet}


def _parse_columns(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    mapping = {}
    for item in value.split(","):
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise InputError(
                f"--columns item {item!r} is not name=column; e.g. --columns "
                "mmsi=MMSI,ts=time,lon=x,lat=y"
            )
        mapping[name.strip()] = column.strip()
    return mapping


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="Input format; auto recognises it from the header.",
)
@click.option("--columns", help="For --format csv: name=column,... (mmsi, ts, lon, lat, ...).")
@click.option("--assume-date", help="Date (YYYY-MM-DD) for NMEA sentences that carry no time.")
@click.option("--strict", is_flag=True, help="Exit 3 if any record was quarantined.")
@chunk_option
@json_option
@click.pass_obj
def ingest(
    obj: dict[str, Any],
    paths: tuple[Path, ...],
    store_dir: Path,
    fmt: str,
    columns: str | None,
    assume_date: str | None,
    strict: bool,
    chunk_mb: int,
    as_json: bool,
) -> None:
    """Decode AIS files (NMEA logs, provider CSV/JSON; directories and .gz too) into the store.

    Re-ingesting a file adds nothing. Bad records are quarantined, never dropped silently.
    """
    files = expand_paths(list(paths))
    store = Store(store_dir)
    day, mapping = parse_date(assume_date), _parse_columns(columns)
    reports: list[IngestReport] = []
    with byte_progress(sum(f.stat().st_size for f in files), obj["quiet"]) as advance:
        for path in files:
            reports.append(store.ingest(path, fmt, day, mapping, chunk_mb << 20, advance))
            log.info("%s: %s", path, reports[-1].as_dict())
    summary = _ingest_summary(reports, store)
    if as_json:
        output.write_json(summary)
    if not obj["quiet"]:
        _echo_ingest_summary(summary)
    if strict and summary["rejected"]:
        raise RejectedInputError(summary["rejected"])


def _ingest_summary(reports: list[IngestReport], store: Store) -> dict[str, Any]:
    quarantined: Counter[str] = Counter()
    for report in reports:
        quarantined.update(report.quarantined)
    return {
        "store": str(store.root),
        "files": len(reports),
        "ingested": sum(r.status == "ingested" for r in reports),
        "already_ingested": sum(r.status == "already_ingested" for r in reports),
        "unrecognised": [r.path for r in reports if r.status == "unrecognised"],
        "positions": sum(r.positions for r in reports),
        "statics": sum(r.statics for r in reports),
        "duplicates": sum(r.duplicates for r in reports),
        "quarantined": dict(sorted(quarantined.items())),
        "rejected": sum(r.rejected for r in reports),
        "reports": [r.as_dict() for r in reports],
    }


def _echo_ingest_summary(summary: dict[str, Any]) -> None:
    click.echo(
        f"ingested {summary['ingested']} of {summary['files']} file(s) into {summary['store']} "
        f"({summary['already_ingested']} already there): {summary['positions']:,} positions, "
        f"{summary['statics']:,} static reports, {summary['duplicates']:,} duplicates dropped",
        err=True,
    )
    for path in summary["unrecognised"]:
        click.echo(f"  not an AIS file harborwatch knows (quarantined whole): {path}", err=True)
    for reason, count in summary["quarantined"].items():
        click.echo(f"  quarantined {count:,} as {reason}", err=True)
    if summary["quarantined"]:
        click.echo("  see them with: harborwatch quarantine", err=True)


@cli.command()
@store_option
@json_option
def stats(store_dir: Path, as_json: bool) -> None:
    """Counts, time span and quarantine totals of the store."""
    result = queries.stats(Store(store_dir).connect())
    if as_json:
        output.write_json(result)
    else:
        output.print_mapping(result, title=f"store {store_dir}")


@cli.command()
@store_option
@json_option
@limit_option
def vessels(store_dir: Path, as_json: bool, limit: int) -> None:
    """One row per vessel: latest name, IMO, call sign, ship type, flag, first/last seen."""
    table = queries.vessels(Store(store_dir).connect())
    if as_json:
        output.write_json(table.to_pylist())
    else:
        output.print_table(table, title="vessels", limit=limit)


@cli.command()
@click.argument("vessel")
@store_option
@click.option("--since", help="From this UTC time (inclusive), YYYY-MM-DD[THH:MM].")
@click.option("--until", help="Up to this UTC time (exclusive).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "geojson", "parquet"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout."
)
def track(
    vessel: str, store_dir: Path, since: str | None, until: str | None, fmt: str, out: Path | None
) -> None:
    """Positions of one vessel (MMSI, or a source's vessel key such as suez:17) in time order."""
    table = queries.track(
        Store(store_dir).connect(),
        vessel,
        parse_time(since, "--since"),
        parse_time(until, "--until"),
    )
    if table.num_rows == 0:
        log.warning("no positions for vessel %s in %s", vessel, store_dir)
    try:
        output.write_table(table, fmt, out)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


@cli.command()
@store_option
@json_option
@click.option("--reason", help="Only this reason code (e.g. bad_checksum).")
@limit_option
def quarantine(store_dir: Path, as_json: bool, reason: str | None, limit: int) -> None:
    """Rejected records: file, line, reason, detail and raw text."""
    table = queries.quarantined(Store(store_dir).connect(), reason)
    if as_json:
        output.write_json(table.to_pylist())
    else:
        output.print_table(table, title="quarantine", limit=limit)


@cli.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Positions Parquet file to write.",
)
@click.option(
    "--statics",
    "statics_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write static reports here.",
)
@click.option(
    "--quarantine",
    "quarantine_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write rejected records here.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["auto", *FORMATS]), default="auto", show_default=True
)
@click.option("--assume-date", help="Date (YYYY-MM-DD) for NMEA sentences that carry no time.")
@click.option("--strict", is_flag=True, help="Exit 3 if any record was rejected.")
@chunk_option
@click.pass_obj
def decode(
    obj: dict[str, Any],
    path: Path,
    out: Path,
    statics_out: Path | None,
    quarantine_out: Path | None,
    fmt: str,
    assume_date: str | None,
    strict: bool,
    chunk_mb: int,
) -> None:
    """Decode one file to Parquet without a store (no de-duplication), chunk by chunk."""
    ctx = ReadContext(file_sha256(path)[:16], path, parse_date(assume_date), {}, chunk_mb << 20)
    report = IngestReport(str(path), ctx.file_id, fmt, "decoded")
    outputs = {"positions": out, "statics": statics_out, "quarantine": quarantine_out}
    with contextlib.ExitStack() as stack:
        sinks = {
            name: stack.enter_context(output.ParquetSink(target, schemas.TABLES[name]))
            for name, target in outputs.items()
            if target is not None
        }
        advance = stack.enter_context(byte_progress(path.stat().st_size, obj["quiet"]))
        for batch in read_file(path, ctx, fmt, advance):
            for name, sink in sinks.items():
                sink.write(getattr(batch, name))
            report.positions += batch.positions.num_rows
            report.statics += batch.statics.num_rows
            report.quarantined.update(batch.quarantine.column("reason").to_pylist())
            report.type_counts.update(batch.type_counts)
    if not obj["quiet"]:
        click.echo(
            f"decoded {path}: {report.positions:,} positions, {report.statics:,} static "
            f"reports, quarantined {dict(report.quarantined) or 0}",
            err=True,
        )
    if strict and report.rejected:
        raise RejectedInputError(report.rejected)


for command in (
    detect,
    events,
    vessel,
    sites_command,
    eval_group,
    scene_group,
    scenes_command,
    annotations_group,
    imagery_group,
    claims_group,
    forecast_command,
    assess_command,
    dark_command,
    report_command,
    demo_group,
):
    cli.add_command(command)


def main() -> None:  # pragma: no cover - console entry point
    cli()
