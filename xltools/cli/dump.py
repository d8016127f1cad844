"""``xltools dump``: a workbook's report document as JSON."""

from __future__ import annotations

import click

from xltools.cli.app import _fail, cli
from xltools.errors import ReadError


@cli.command()
@click.argument("file", type=click.Path())
def dump(file: str) -> None:
    """输出工作簿中的数据（JSON，与 new --from 的格式相同）。

    Print a workbook's report document as JSON (the format new --from reads).

    \b
    Example:
        xltools dump 2021年报.xlsx > 2021年报.json
    """
    from xltools.reading.document import dumps
    from xltools.reading.dump import dump as run_dump

    try:
        data = run_dump(file)
    except ReadError as exc:
        _fail(f"{file}：{exc.zh}", f"{file}: {exc.en}")
    except OSError as exc:
        _fail(f"{file}：无法打开文件：{exc.strerror or exc}", f"{file}: cannot open: {exc.strerror or exc}")
    click.echo(dumps(data))  # strict JSON: never NaN or Infinity
