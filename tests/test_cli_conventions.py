"""Click conventions every command keeps: -h as well as --help, --version, shell completion (documented in the
README)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from helpers import EXAMPLE_XLSX, REPO, run, xltools_command, xltools_env

from xltools.cli import cli
from xltools.cli.app import COMMANDS as WHERE

COMMANDS = cli.list_commands(click.Context(cli))


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


def test_docs_lists_and_prints_the_pages_the_help_names() -> None:
    listed = run("docs")
    assert listed.returncode == 0
    for topic in ("check", "consolidate", "limits", "servers", "new", "export", "install"):
        assert topic in listed.stdout.split()
        page = run("docs", topic)
        assert page.returncode == 0 and page.stdout.startswith("# "), topic
    missing = run("docs", "nope")
    assert missing.returncode == 2 and "可用的主题" in missing.stderr
    helps = "".join(run(c, "--help").stdout for c in COMMANDS)
    assert "docs/" not in helps.replace("xltools docs", ""), "help texts name pages with xltools docs TOPIC"


def test_quiet_leaves_results_and_errors_and_verbose_adds_the_time(tmp_path: Path) -> None:
    plain = run("new", "-o", tmp_path / "a.xlsx")
    quiet = run("-q", "new", "-o", tmp_path / "b.xlsx")
    assert plain.returncode == quiet.returncode == 0 and "已生成" in plain.stderr and quiet.stderr == ""
    refused = run("-q", "new", "-o", tmp_path / "b.xlsx")  # an error still says what is wrong
    assert refused.returncode == 2 and "已存在" in refused.stderr
    checked = run("-q", "check", EXAMPLE_XLSX)
    assert checked.returncode == 1 and "S6_FEE_STATEMENT" in checked.stdout  # results are not notes
    verbose = run("-v", "check", EXAMPLE_XLSX)
    assert verbose.stdout == checked.stdout and "用时" in verbose.stderr and "退出码 1" in verbose.stderr
    both = run("-q", "-v", "check", EXAMPLE_XLSX)
    assert both.returncode == 2 and "只能选一个" in both.stderr


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_option_is_explained_in_both_languages(command: str) -> None:
    ctx = cli.make_context("xltools", [], resilient_parsing=True)
    target = cli if not command else cli.get_command(ctx, command)
    assert target is not None
    for param in target.get_params(ctx):
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help and re.search("[\u4e00-\u9fff].*/ ?[A-Za-z-]", param.help), param.opts


def test_commands_load_on_demand_from_the_module_that_defines_them() -> None:
    """Issue 14: `xltools check` imports only its own command module; the map of where each command lives is
    complete (every `@cli.command` of xltools/cli is in it) and right."""
    defined = {}
    for module in sorted((REPO / "xltools" / "cli").glob("*.py")):
        for m in re.finditer(r'^@cli\.command\((?:"([\w-]+)")?\)$.*?^def (\w+)', module.read_text("utf-8"),
                             re.S | re.M):
            defined[m.group(1) or m.group(2).replace("_", "-")] = module.stem
    assert defined == WHERE
    ctx = click.Context(cli)
    for name, module in WHERE.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.callback is not None
        assert command.callback.__module__ in (f"xltools.cli.{module}",)
    code = ("import sys; from xltools.cli import main; sys.argv=['xltools','check',sys.argv[1]]\n"
            "try: main()\nexcept SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('xltools.cli.')))")
    loaded = subprocess.run([sys.executable, "-c", code, str(EXAMPLE_XLSX)], capture_output=True, text=True,
                            env=xltools_env(), check=False)
    assert loaded.stdout.strip().splitlines()[-1] == "['xltools.cli.app', 'xltools.cli.check']", loaded.stderr
