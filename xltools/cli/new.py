"""``xltools new``: the official workbook, blank or filled from JSON."""

from __future__ import annotations

import click

from xltools.cli.app import _fail, cli

SHOWN_PROBLEMS = 30  # problems of a document listed one by one; the rest are counted


@cli.command()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="输出的 .xlsx 文件（--macro 时为 .xlsm）")
@click.option("--unit", help="填报单位 / reporting unit")
@click.option("--year", type=int, help="年度 / report year")
@click.option("--from", "data", type=click.Path(exists=True, dir_okay=False),
              help="用 JSON 文档填写（格式见 docs/new.md）/ fill from a JSON report document")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 / replace an existing file")
@click.option("--macro", is_flag=True,
              help="带按钮的 .xlsm（需 Excel + Python + xlwings，见 docs/excel-setup.md）/ the .xlsm with buttons")
def new(output: str, unit: str | None, year: int | None, data: str | None, overwrite: bool, macro: bool) -> None:
    """生成官方格式的年度报告工作簿（空白，或用 JSON 数据填好）。

    Write the official report workbook, blank or filled from a JSON document.

    \b
    Example:
        xltools new --unit 鹤岗市科学技术局 --year 2021 -o 2021年报.xlsx
        xltools new --from 2021年报.json -o 2021年报.xlsx
        xltools new --macro --unit 鹤岗市科学技术局 --year 2021 -o 2021年报.xlsm
    """
    from xltools.reading.document import DocumentError
    from xltools.workbook.new import new as run_new

    try:
        path = run_new(output, unit=unit, year=year, data=data, overwrite=overwrite, macro=macro)
    except DocumentError as exc:  # every problem on its own line
        where = f"{data}：" if data else ""
        shown = exc.problems[:SHOWN_PROBLEMS]
        if len(exc.problems) > SHOWN_PROBLEMS:
            shown.append(f"……另有 {len(exc.problems) - SHOWN_PROBLEMS} 个问题 / {len(exc.problems)} problems in all")
        listed = "\n  - ".join(shown)
        _fail(f"{where}数据有误，没有生成工作簿 / invalid data, nothing written:\n  - {listed}",
              f"{data or output}: invalid data, nothing written:\n  - {listed}")
    except OSError as exc:
        _fail(f"无法写入 {output}：{exc.strerror or exc}")
    click.echo(f"已生成 {path}", err=True)
