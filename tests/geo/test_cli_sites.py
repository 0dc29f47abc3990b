"""``harborwatch sites`` through click's runner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from harborwatch.cli.geo import sites_command
from tests.conftest import REPO_ROOT

EXAMPLE = str(REPO_ROOT / "examples" / "sites" / "eastern-med.toml")


def test_sites_table() -> None:
    result = CliRunner().invoke(sites_command, ["--sites", EXAMPLE])
    assert result.exit_code == 0, result.output
    assert "tartus-naval" in result.output and "gibraltar-strait" in result.output


def test_sites_json_and_env_default() -> None:
    result = CliRunner(env={"HARBORWATCH_SITES": EXAMPLE}).invoke(
        sites_command, ["--format", "json"]
    )
    assert result.exit_code == 0, result.output
    sites = json.loads(result.output)
    assert len(sites) == 9
    assert next(s for s in sites if s["site_id"] == "tobruk")["lat"] == 32.0736


def test_sites_geojson() -> None:
    result = CliRunner().invoke(sites_command, ["--sites", EXAMPLE, "--format", "geojson"])
    assert result.exit_code == 0, result.output
    collection = json.loads(result.output)
    kinds = {f["id"]: f["geometry"]["type"] for f in collection["features"]}
    assert kinds["gibraltar-strait"] == "Polygon" and kinds["tartus-naval"] == "Point"


def test_no_sites_file_is_a_usage_error() -> None:
    result = CliRunner(env={"HARBORWATCH_SITES": None}).invoke(sites_command, [])
    assert result.exit_code == 2
    assert "--sites" in result.output
