"""``xltools new``: the official workbook, blank or filled from JSON."""

from __future__ import annotations

import click

from xltools.cli.app import _fail, cli, say

SHOWN_PROBLEMS = 30  # problems of a document listed one by one; the rest are counted


def _check_options(output: str, year: int | None, macro: bool) -> None:
    """Options that do not fit together or a year the format does not cover: usage errors (exit code 2) naming
    the option, before anything is read or written."""
    import datetime as dt
    from pathlib import Path

    from xltools.format.spec import default_format_id, load_spec

    suffix = Path(output).suffix.lower()
    if macro and suffix != ".xlsm":
        raise click.UsageError(f"加了 --macro 时，-o/--output 的文件名必须以 .xlsm 结尾（您给的是“{output}”），"
                               f"例如 -o {Path(output).stem or '2021年报'}.xlsm。 / --macro writes a macro-enabled "
                               f"workbook: give -o/--output a name ending in .xlsm (got '{output}').")
    if not macro and suffix != ".xlsx":
        hint = "；要生成带按钮的 .xlsm 工作簿请加 --macro" if suffix == ".xlsm" else ""
        hint_en = "; add --macro for the .xlsm with buttons" if suffix == ".xlsm" else ""
        raise click.UsageError(f"-o/--output 的文件名必须以 .xlsx 结尾（您给的是“{output}”）{hint}。 / "
                               f"-o/--output must end in .xlsx (got '{output}'){hint_en}.")
    if year is not None:
        first, last = load_spec(default_format_id()).first_year, dt.date.today().year
        if not first <= year <= last:
            raise click.BadParameter(f"年度 {year} 不在本格式适用的范围内，应为 {first} 至 {last} 之间的四位年份"
                                     f"（本格式适用于{first}年度起的报告）。 / year {year} is outside the years "
                                     f"this format covers ({first} to {last}).", param_hint="'--year'")


@cli.command()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="输出的 .xlsx 文件（--macro 时为 .xlsm）/ output workbook (.xlsx; .xlsm with --macro)")
@click.option("--unit", help="填报单位 / reporting unit")
@click.option("--year", type=int, help="年度（本格式适用的年份，2021 年度起）/ report year (2021 on)")
@click.option("--from", "data", type=click.Path(exists=True, dir_okay=False),
              help="用 JSON 文档填写（格式见 xltools docs new）/ fill from a JSON report document "
                   "(see: xltools docs new)")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 / replace an existing file")
@click.option("--profile", "profile_name", metavar="NAME|FILE",
              help="按地方规则配置制作（记在工作簿中，校验时默认使用）/ make it for a province profile (recorded in "
                   "the workbook; check uses it by default)")
@click.option("--macro", is_flag=True,
              help="带按钮的 .xlsm（需 Excel + Python + xlwings，见 xltools docs excel-setup）/ the .xlsm with buttons "
                   "(see: xltools docs excel-setup)")
def new(output: str, unit: str | None, year: int | None, data: str | None, overwrite: bool, macro: bool,
        profile_name: str | None) -> None:
    """生成官方格式的年度报告工作簿（空白，或用 JSON 数据填好）。

    Write the official report workbook, blank or filled from a JSON document.

    \b
    Example:
        xltools new --unit 鹤岗市科学技术局 --year 2021 -o 2021年报.xlsx
        xltools new --from 2021年报.json -o 2021年报.xlsx
        xltools new --macro --unit 鹤岗市科学技术局 --year 2021 -o 2021年报.xlsm
        xltools new --profile example --unit 某某局 --year 2024 -o 2024年报.xlsx
    """
    from xltools.cli.app import chosen_profile
    from xltools.reading.document import DocumentError
    from xltools.workbook.new import new as run_new

    _check_options(output, year, macro)
    profile = chosen_profile(profile_name)
    try:
        path = run_new(output, unit=unit, year=year, data=data, overwrite=overwrite, macro=macro, profile=profile)
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
    say(f"已生成 {path}")
