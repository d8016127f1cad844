"""The command line (the only package importing click). One thin module per command, imported when that command
runs (``app.COMMANDS``): parse options, call one library function, render. Exit codes: 0 no errors, 1 errors
found, 2 could not run."""

from __future__ import annotations

from xltools.cli.app import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="xltools")
