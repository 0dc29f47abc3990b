"""Imagery tests (a package, so module names such as test_cli do not clash with tests/cli)."""
