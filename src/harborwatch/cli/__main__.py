"""``python -m harborwatch.cli`` runs the command line."""

from harborwatch.cli.main import cli

cli()
