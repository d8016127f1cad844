"""Click conventions every command keeps: -h as well as --help, --version, shell completion (documented in the
README)."""

from __future__ import annotations

import subprocess

import pytest
from helpers import REPO, run, xltools_command, xltools_env

from xltools.cli import cli

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_h_is_help(command: str) -> None:
    args = [command] if command else []
    short, long = run(*args, "-h"), run(*args, "--help")
    assert short.returncode == long.returncode == 0, short.stderr
    assert short.stdout == long.stdout and "-h, --help" in short.stdout


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("xltools, version ")


def test_completion_completes_commands_and_options() -> None:
    env = {**xltools_env(), "_XLTOOLS_COMPLETE": "bash_complete", "COMP_WORDS": "xltools con", "COMP_CWORD": "1"}
    done = subprocess.run(xltools_command(), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "plain,consolidate" in done.stdout.splitlines()
    env.update(COMP_WORDS="xltools consolidate --ro", COMP_CWORD="2")
    done = subprocess.run(xltools_command(), env=env, capture_output=True, text=True, timeout=60)
    assert "plain,--roster" in done.stdout.splitlines()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "_XLTOOLS_COMPLETE=bash_source xltools" in readme
