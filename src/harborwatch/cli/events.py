"""``harborwatch detect``, ``events`` and ``vessel``: find behaviour events and read them back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pyarrow as pa

from harborwatch.cli import output
from harborwatch.cli.options import (
    geo_dir_option,
    json_option,
    limit_option,
    parse_time,
    since_option,
    sites_option,
    store_option,
    until_option,
    watchlist_option,
)
from harborwatch.cli.progress import step_progress
from harborwatch.events.base import EventType
from harborwatch.geo.reference import load_geography
from harborwatch.geo.sites import load_sites
from harborwatch.geo.watchlists import load_watchlist
from harborwatch.store import Store, queries
from harborwatch.store.jobs import DETECTION_STEPS, run_detection

_TYPES = click.Choice([str(kind) for kind in EventType])


@click.command()
@store_option
@geo_dir_option
@sites_option("site presence of watchlist vessels, and the sites of events.")
@watchlist_option("the vessels whose site presence is detected.")
@since_option
@until_option
@click.option("--type", "types", type=_TYPES, multiple=True, help="Only these types (repeat).")
@json_option
@click.pass_obj
def detect(
    obj: dict[str, Any],
    store_dir: Path,
    geo_dir: Path | None,
    sites: Path | None,
    watchlist: Path | None,
    since: str | None,
    until: str | None,
    types: tuple[str, ...],
    as_json: bool,
) -> None:
    """Segment the stored tracks and detect events; re-runs replace the events they cover."""
    store = Store(store_dir)
    with step_progress(len(DETECTION_STEPS), obj["quiet"]) as step:
        report = run_detection(
            store,
            load_geography(geo_dir),
            sites=load_sites(sites) if sites else None,
            watchlist=load_watchlist(watchlist) if watchlist else None,
            since=parse_time(since, "--since"),
            until=parse_time(until, "--until"),
            types=[EventType(kind) for kind in types] or None,
            step=step,
        )
    if as_json:
        output.write_json(report.as_dict())
    else:
        output.print_mapping(report.as_dict(), title="detect")


@click.command()
@store_option
@click.option("--type", "event_type", type=_TYPES, help="Only events of this type.")
@click.option("--mmsi", "vessel", help="Only this vessel (MMSI, or a source's vessel key).")
@click.option("--site", help="Only events at this site or port id.")
@since_option
@until_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl", "csv", "geojson"]),
    default="table",
    show_default=True,
)
@limit_option
def events(
    store_dir: Path,
    event_type: str | None,
    vessel: str | None,
    site: str | None,
    since: str | None,
    until: str | None,
    fmt: str,
    limit: int,
) -> None:
    """Stored events, oldest first; JSON forms carry each event's attributes and evidence."""
    table = queries.events(
        Store(store_dir).connect(),
        event_type,
        vessel,
        site,
        parse_time(since, "--since"),
        parse_time(until, "--until"),
    )
    if fmt == "table":
        output.print_table(table.drop_columns(["evidence"]), title="events", limit=limit)
    elif fmt == "csv":
        output.write_table(table, "csv", None)
    elif fmt == "jsonl":
        for record in event_records(table):
            click.echo(json.dumps(record, default=output.json_default))
    else:
        output.write_json(output.point_features(event_records(table)))


@click.command()
@click.argument("vessel")
@store_option
@json_option
@limit_option
def vessel(vessel: str, store_dir: Path, as_json: bool, limit: int) -> None:
    """One vessel's identity history, segments and events."""
    con = Store(store_dir).connect()
    identity = queries.identity_history(con, vessel)
    segments = queries.segments(con, vessel)
    found = queries.events(con, vessel=vessel)
    if as_json:
        output.write_json(
            {
                "vessel": vessel,
                "identity_history": identity.to_pylist(),
                "segments": segments.to_pylist(),
                "events": event_records(found),
            }
        )
        return
    output.print_table(identity, title=f"identity history of {vessel}", limit=limit)
    output.print_table(segments, title="segments", limit=limit)
    output.print_table(found.drop_columns(["evidence"]), title="events", limit=limit)


def event_records(table: pa.Table) -> list[dict[str, Any]]:
    """Events as JSON-ready dicts, ``attributes`` and ``evidence`` parsed into objects."""
    records = table.to_pylist()
    for record in records:
        record["attributes"] = json.loads(record["attributes"] or "{}")
        record["evidence"] = json.loads(record["evidence"] or "{}")
    return records
