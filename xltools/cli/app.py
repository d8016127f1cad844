"""The command group and what every command shares: the one place errors become messages and exit codes, JSON
output, progress bars.

Every command runs inside ``XltoolsGroup.invoke``: an ``XltoolsError`` (xltools could not do what was asked)
becomes ``xltools: <message>`` on standard error and its exit code (2); an ``OSError`` a one-line message and 2;
anything else is a bug in xltools and is reported as one (type, message, version, whom to tell), also with exit
code 2 — never a bare traceback, unless ``xltools --debug`` asks for it. Ctrl-C (and SIGTERM) stop a command
with one line and exit code 130 (143): every output is written to a temporary file that is removed on the way
out, and worker processes are stopped.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from types import FrameType
from typing import Any, NoReturn

import click

from xltools import __version__
from xltools.errors import REPORT_TO, XltoolsError

EXIT_HELP = "退出码 / exit codes: 0 无错误 no errors · 1 发现错误 errors found · 2 无法运行 could not run."
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM, as shells report them
VERBOSITY = "xltools.verbosity"  # root ctx.meta key: -1 with -q, 1 with -v, else 0
LANG = "xltools.lang"  # ctx.meta key: the language a command with --lang asked for (its errors use it too)


class Terminated(KeyboardInterrupt):
    """SIGTERM: unwinds like Ctrl-C, so that temporary files and worker processes are cleaned up."""


def _fail(message: str, en: str = "") -> NoReturn:
    """Stop the command: xltools cannot do what was asked (exit code 2)."""
    raise XltoolsError(message, en)


def chosen_profile(name: str | None) -> Any:
    """The province profile ``--profile`` names (a ``xltools.format.profile.Profile``), loaded and validated
    before anything runs: a mistake is a FormatError (exit code 2) with "did you mean"; None without the option."""
    if name is None:
        return None
    from xltools.format.profile import load_profile

    return load_profile(name)


def _set_lang(lang: str) -> None:
    """Commands with ``--lang`` call this so that their errors are shown in that language."""
    click.get_current_context().meta[LANG] = lang


def error_message(exc: Exception, lang: str = "zh") -> tuple[str, int]:
    """What the command line says for an exception that stopped a command, and the exit code."""
    if isinstance(exc, XltoolsError):
        return f"xltools: {exc.message(lang)}", exc.exit_code
    if isinstance(exc, OSError):
        where = f"{exc.filename}：" if exc.filename else ""
        return f"xltools: 无法读写文件 {where}{exc.strerror or exc} / cannot read or write a file", 2
    return (f"xltools: 内部错误：这是 xltools 的缺陷，不是您的文件或操作的问题 / internal error: this is a bug in "
            f"xltools\n  {type(exc).__name__}: {exc}\n  xltools {__version__}, Python {sys.version.split()[0]}\n"
            f"  {REPORT_TO}\n"
            "  加 --debug 可看到完整的出错位置 / run with --debug for the traceback: xltools --debug <命令> …"), 2


HELP_HELP = "显示本帮助并退出 / show this help and exit"


class _BilingualHelp(click.Command):
    """The -h/--help option explained in both languages, like every other option."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_HELP
        return option


class XltoolsCommand(_BilingualHelp):
    """Every xltools command."""


# Where each command is defined: a module is imported only when its command runs (or help lists them all), so
# `xltools check` does not pay for the portal, the exporters or the importers at start-up.
COMMANDS = {
    "check": "check", "clear-flags": "workbook", "consolidate": "consolidate", "docs": "docs_cmd", "dump": "dump",
    "export": "export", "fill": "workbook", "import": "import_cmd", "new": "new", "rules": "rules",
    "serve": "serve",
}


class XltoolsGroup(_BilingualHelp, click.Group):
    """The command group whose ``invoke`` maps every error of every command (see the module docstring); its
    commands are loaded on demand (``COMMANDS``)."""

    command_class = XltoolsCommand

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            importlib.import_module(f"xltools.cli.{COMMANDS[cmd_name]}")  # registers it (@cli.command)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        started = time.monotonic()
        try:
            result = super().invoke(ctx)
            _took(ctx, started, 0)
            return result
        except SystemExit as exc:  # the commands end with sys.exit(code)
            _took(ctx, started, exc.code)
            raise
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # usage errors and exits: click's own handling
        except KeyboardInterrupt as exc:  # every `with` on the way has removed its temporary files
            terminated = isinstance(exc, Terminated)
            click.echo("xltools: 已终止，未完成的输出已删除 / terminated" if terminated else
                       "xltools: 已中断（Ctrl-C），未完成的输出已删除 / interrupted", err=True)
            sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            message, code = error_message(exc, ctx.meta.get(LANG, "zh"))
            click.echo(message, err=True)
            sys.exit(code)


def _took(ctx: click.Context, started: float, code: object) -> None:
    """With -v: how long the command took and its exit code, as the last line on stderr."""
    if ctx.meta.get(VERBOSITY, 0) > 0:
        seconds = time.monotonic() - started
        name = ctx.invoked_subcommand or ""
        click.echo(f"xltools {name}：用时 {seconds:.2f} 秒，退出码 {code} / took {seconds:.2f} s, exit code {code}",
                   err=True)


def _print_json(data: Any) -> None:
    """Strict JSON on stdout: a non-finite number is null, never ``NaN`` (xltools.reading.document.dumps)."""
    from xltools.reading.document import dumps

    click.echo(dumps(data))


@click.group(cls=XltoolsGroup, epilog=EXIT_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xltools", help="显示版本并退出 / show the version and exit")
@click.option("--debug", is_flag=True, envvar="XLTOOLS_DEBUG",
              help="出现意外错误时显示完整的出错位置（traceback），用于报告问题 / show the traceback of an "
                   "unexpected error (also XLTOOLS_DEBUG=1)")
@click.option("-q", "--quiet", is_flag=True,
              help="只输出结果和错误，不显示进度和“已写入…”等说明 / results and errors only, no progress or notes")
@click.option("-v", "--verbose", is_flag=True,
              help="另外显示用时和退出码 / also show the time taken and the exit code")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool, verbose: bool) -> None:
    """xltools：政府信息公开工作年度报告（国办公开办函〔2021〕30号格式）的工作簿、校验与汇总工具。

    Workbook, checker and tools for the annual government information disclosure report.

    \b
    说明文档 / documentation: xltools docs
    """
    if quiet and verbose:
        raise click.UsageError("-q/--quiet 和 -v/--verbose 只能选一个 / choose one of -q and -v")
    ctx.meta[VERBOSITY] = -1 if quiet else (1 if verbose else 0)
    if debug and os.environ.get("XLTOOLS_DEBUG") != "1":  # the library (and its worker processes) see it too
        previous = os.environ.get("XLTOOLS_DEBUG")
        os.environ["XLTOOLS_DEBUG"] = "1"
        ctx.call_on_close(lambda: _restore_debug(previous))
    _catch_sigterm(ctx)


def _catch_sigterm(ctx: click.Context) -> None:
    """SIGTERM raises ``Terminated`` in this process (not in worker processes forked from it, which are stopped
    by their pool), for the duration of the command."""
    main = os.getpid()

    def terminate(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread (an embedding program): leave its handling alone
        return
    ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))


def _restore_debug(previous: str | None) -> None:
    if previous is None:
        os.environ.pop("XLTOOLS_DEBUG", None)
    else:
        os.environ["XLTOOLS_DEBUG"] = previous


def _verbosity() -> int:
    ctx = click.get_current_context(silent=True)
    return int(ctx.find_root().meta.get(VERBOSITY, 0)) if ctx is not None else 0


def say(message: str) -> None:
    """A note for the user on stderr (what was written, what to do next); nothing with ``-q``."""
    if _verbosity() >= 0:
        click.echo(message, err=True)


def detail(message: str) -> None:
    """A detail on stderr shown only with ``-v``."""
    if _verbosity() > 0:
        click.echo(message, err=True)


def _progress(total: int, label: str) -> Any:
    """A progress bar on stderr for long runs; silent when stderr is not a terminal or with ``-q``."""
    if total < 20 or not sys.stderr.isatty() or _verbosity() < 0:
        return None
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
