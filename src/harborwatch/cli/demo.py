"""``harborwatch demo tartus``: the SIMULATED Tartus scenario run end to end."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from harborwatch.cli import output
from harborwatch.cli.options import geo_dir_option
from harborwatch.errors import InputError
from harborwatch.store.scenario import DemoInputs, run_tartus_demo

log = logging.getLogger("harborwatch")
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_IMAGE = Path("imagery") / "dota-devkit-example" / "images" / "P1888.png"
_LABELS = Path("imagery") / "dota-devkit-example" / "labelTxt" / "P1888.txt"


@click.group("demo")
def demo_group() -> None:
    """Demonstrations on SIMULATED data (every output says so)."""


@demo_group.command("tartus")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the SIMULATED AIS (ais/), scenes (scenes/) and the store (store/).",
)  # fmt: skip
@geo_dir_option
@click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="HARBORWATCH_DATA",
    default=Path("..") / "shared" / "data", show_default=True,
    help="Shared data folder: the labelled image (DOTA P1888) and, without --geo-dir, geo/.",
)  # fmt: skip
@click.option(
    "--sites", type=_FILE, default="examples/sites/eastern-med.toml", show_default=True,
    help="Sites with tartus-naval (and the other places of the story).",
)  # fmt: skip
@click.option(
    "--watchlist", type=_FILE, default="examples/watchlists/syrian-express.toml",
    show_default=True, help="Watchlist naming SPARTA and SPARTA II (names and IMO numbers).",
)  # fmt: skip
@click.option(
    "--claims", type=_FILE, default="examples/claims/tartus-2024-2025.yaml", show_default=True,
    help="Claims of the story to check against what the pipeline found.",
)  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of all random draws.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def tartus_command(
    out_dir: Path, geo_dir: Path | None, data_dir: Path, sites: Path, watchlist: Path,
    claims: Path, seed: int, fmt: str,
) -> None:  # fmt: skip
    """Generate SIMULATED AIS of SPARTA, SPARTA II (made-up MMSIs) and background traffic
    replaying the reported Dec 2024 - Feb 2025 timeline, and SIMULATED scenes (a real labelled
    image, not Tartus, with vehicles painted out); ingest, detect, assess tartus-naval, forecast
    both ships' destinations, check the example claims, and print what was found."""
    image, labels = data_dir / _IMAGE, data_dir / _LABELS
    for path in (image, labels):
        if not path.is_file():
            raise InputError(
                f"{str(path)!r} not found; give --data-dir (or $HARBORWATCH_DATA) the shared data "
                "folder holding imagery/dota-devkit-example"
            )
    if geo_dir is None and (data_dir / "geo").is_dir():
        geo_dir = data_dir / "geo"
    inputs = DemoInputs(geo_dir, sites, watchlist, claims, image, labels)
    summary = run_tartus_demo(out_dir, inputs, seed, step=lambda name: log.info("%s", name))
    if fmt == "json":
        output.write_json(summary)
    else:
        _print(summary)


def _print(summary: dict[str, Any]) -> None:
    """The summary as titled tables, every title marked SIMULATED."""
    import pyarrow as pa

    click.echo(f"SIMULATED: {summary['note']}")
    output.print_mapping(
        {k: summary[k] for k in ("store", "files", "stored", "receivers", "elapsed_s")},
        title="SIMULATED demo",
    )
    for key in ("port_visits_tartus", "ais_gaps", "voyage_changes", "loitering", "scenes",
                "assessments", "forecasts", "claims"):  # fmt: skip
        rows = summary[key]
        if rows:
            output.print_table(pa.Table.from_pylist(rows), title=f"SIMULATED {key}", limit=40)
        else:
            click.echo(f"SIMULATED {key}: none found")
