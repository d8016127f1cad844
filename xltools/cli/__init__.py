"""The command line (the only package importing click). One thin module per command: parse options, call one
library function, render. Exit codes: 0 no errors, 1 errors found, 2 could not run."""

from __future__ import annotations

from xltools.cli import check, consolidate, docs_cmd, dump, export, import_cmd, new, rules, serve, workbook
from xltools.cli.app import cli

__all__ = ["check", "cli", "consolidate", "docs_cmd", "dump", "export", "import_cmd", "main", "new", "rules",
           "serve", "workbook"]


def main() -> None:
    cli(prog_name="xltools")
