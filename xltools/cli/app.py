"""The command group and what every command shares: failing with exit code 2, JSON output, progress bars."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

from xltools import __version__

EXIT_HELP = "退出码 / exit codes: 0 无错误 no errors · 1 发现错误 errors found · 2 无法运行 could not run."


def _fail(message: str) -> NoReturn:
    click.echo(f"xltools: {message}", err=True)
    sys.exit(2)


@contextlib.contextmanager
def _could_not_run(*reasons: type[Exception]) -> Iterator[None]:
    """Turn the exceptions that mean "could not run" into a one-line message and exit code 2."""
    from xltools.atomic import OutputExists

    try:
        yield
    except reasons as exc:
        _fail(str(exc))
    except OutputExists as exc:
        _fail(f"{exc} 已存在；如需覆盖请加 --overwrite / exists, use --overwrite")
    except OSError as exc:
        _fail(f"无法读写文件：{exc.strerror or exc} / cannot read or write a file")


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(epilog=EXIT_HELP)
@click.version_option(__version__, prog_name="xltools")
def cli() -> None:
    """xltools：政府信息公开工作年度报告（国办公开办函〔2021〕30号格式）的工作簿、校验与汇总工具。

    Workbook, checker and tools for the annual government information disclosure report.
    """


def _progress(total: int, label: str) -> Any:
    """A progress bar on stderr for long runs; silent when stderr is not a terminal."""
    if total < 20 or not sys.stderr.isatty():
        return None
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
