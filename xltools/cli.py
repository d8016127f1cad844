"""The command line (the only module importing click). Commands are thin: parse options, call one library
function, render. Exit codes: 0 no errors, 1 errors found, 2 could not run."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from xltools import __version__
from xltools.rawbook import ReadError

EXIT_HELP = "退出码 / exit codes: 0 无错误 no errors · 1 发现错误 errors found · 2 无法运行 could not run."


def _fail(message: str) -> None:
    click.echo(f"xltools: {message}", err=True)
    sys.exit(2)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(epilog=EXIT_HELP)
@click.version_option(__version__, prog_name="xltools")
def cli() -> None:
    """xltools：政府信息公开工作年度报告（国办公开办函〔2021〕30号格式）的工作簿、校验与汇总工具。

    Workbook, checker and tools for the annual government information disclosure report.
    """


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式 / output format (json: schema xltools.check/1, docs/check-json.md)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="文字输出的语言 / language")
@click.option("--strict", is_flag=True, help="警告也算未通过 / warnings fail too")
def check(files: tuple[str, ...], fmt: str, lang: str, strict: bool) -> None:
    """校验一个或多个工作簿（也可以是文件夹）：勾稽关系、数值、封面信息和正文。

    Check workbooks (or folders of them): arithmetic, values, metadata and text sections.

    \b
    Example:
        xltools check 鹤岗市科学技术局2021.xlsx
        xltools check 报送/ --format json > result.json
    """
    from xltools.check import check as run_check
    from xltools.render import exit_code, render_report, render_summary, to_json

    reports = run_check(files)
    if not reports:
        _fail("没有找到 .xlsx/.xlsm 文件 / no workbook found in " + " ".join(files))
    if fmt == "json":
        _print_json(to_json(reports, strict))
    else:
        for report in reports:
            click.echo(render_report(report, lang, strict))
        if len(reports) > 1:
            click.echo(render_summary(reports, lang, strict))
    sys.exit(exit_code(reports, strict))


@cli.command()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出的 .xlsx 文件")
@click.option("--unit", help="填报单位 / reporting unit")
@click.option("--year", type=int, help="年度 / report year")
@click.option("--from", "data", type=click.Path(exists=True, dir_okay=False),
              help="用 JSON 文档填写（格式见 docs/new.md）/ fill from a JSON report document")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 / replace an existing file")
def new(output: str, unit: str | None, year: int | None, data: str | None, overwrite: bool) -> None:
    """生成官方格式的年度报告工作簿（空白，或用 JSON 数据填好）。

    Write the official report workbook, blank or filled from a JSON document.

    \b
    Example:
        xltools new --unit 鹤岗市科学技术局 --year 2021 -o 2021年报.xlsx
        xltools new --from 2021年报.json -o 2021年报.xlsx
    """
    from xltools.atomic import OutputExists
    from xltools.document import DocumentError
    from xltools.new import new as run_new

    try:
        path = run_new(output, unit=unit, year=year, data=data, overwrite=overwrite)
    except DocumentError as exc:
        _fail("数据有误 / invalid data:\n  - " + "\n  - ".join(exc.problems))
    except OutputExists:
        _fail(f"{output} 已存在；如需覆盖请加 --overwrite / exists, use --overwrite")
    except OSError as exc:
        _fail(f"无法写入 {output}：{exc.strerror or exc}")
    else:
        click.echo(f"已生成 {path}", err=True)


@cli.command()
@click.argument("file", type=click.Path())
def dump(file: str) -> None:
    """输出工作簿中的数据（JSON，与 new --from 的格式相同）。

    Print a workbook's report document as JSON (the format new --from reads).

    \b
    Example:
        xltools dump 2021年报.xlsx > 2021年报.json
    """
    from xltools.dump import dump as run_dump

    try:
        data = run_dump(file)
    except ReadError as exc:
        _fail(f"{file}：{exc}")
    except OSError as exc:
        _fail(f"{file}：无法打开文件：{exc.strerror or exc}")
    _print_json(data)


@cli.command()
@click.argument("file", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="输出文件（默认：工作簿旁的 <填报单位><年度>年政府信息公开工作年度报告.docx）/ output file")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "html"]),
              help="输出格式（默认取自 -o 的扩展名，否则 docx）/ output format (default: from -o, else docx)")
@click.option("--force", is_flag=True, help="有错误也导出（错误会列出，退出码仍为 1）/ export despite errors")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 / replace an existing file")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="校验结果的语言 / language of the findings")
def export(file: str, output: str | None, fmt: str | None, force: bool, overwrite: bool, lang: str) -> None:
    """导出可发布的年度报告：Word（.docx）、PDF 或网页（.html）。先校验工作簿：有错误时不导出并列出错误
    （除非加 --force），警告照常列出、不影响导出。

    Export the publish-ready report (Word, PDF or web page). The workbook is checked first: errors stop the
    export (unless --force), warnings are listed and do not.

    \b
    Example:
        xltools export 鹤岗市科学技术局2021.xlsx
        xltools export 2021年报.xlsx -o 2021年报.pdf
        xltools export 2021年报.xlsx --format html --overwrite
    """
    from xltools.atomic import OutputExists
    from xltools.export import ExportError
    from xltools.export import export as run_export
    from xltools.publish.pdf import PdfError
    from xltools.render import render_report

    try:
        result = run_export(file, output, fmt=fmt, force=force, overwrite=overwrite)
    except (ExportError, PdfError) as exc:
        _fail(str(exc))
    except OutputExists as exc:
        _fail(f"{exc} 已存在；如需覆盖请加 --overwrite / exists, use --overwrite")
    except OSError as exc:
        _fail(f"无法写入输出文件：{exc.strerror or exc} / cannot write the output")
    errors = result.report.tally("error")
    if result.report.findings:
        click.echo(render_report(result.report, lang), err=True)
    if result.output is None:
        click.echo(f"未导出：{file} 有 {errors} 个错误（见上）。请在工作簿中修正后重新导出；"
                   "确需先导出草稿时加 --force。"
                   f" / not exported: {errors} errors (see above); fix them, or use --force.", err=True)
        sys.exit(1)
    if errors:
        click.echo(f"已导出（含 {errors} 个错误，--force）/ exported despite {errors} errors:", err=True)
    else:
        click.echo("已导出 / exported:", err=True)
    click.echo(str(result.output))
    sys.exit(1 if errors else 0)


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="输出的 .xlsx（只导入一个文件时）")
@click.option("--out-dir", type=click.Path(file_okay=False), help="输出文件夹（批量导入）/ output folder")
@click.option("--unit", help="填报单位（原文中找不到时）/ reporting unit")
@click.option("--year", type=int, help="年度（原文中找不到时）/ report year")
@click.option("--level", help="单位层级：部门、乡镇街道、县级政府、市级政府、汇总")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="导入报告的格式 / format of the import report (json: schema xltools.import/1)")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 / replace existing workbooks")
def import_(files: tuple[str, ...], output: str | None, out_dir: str | None, unit: str | None, year: int | None,
            level: str | None, fmt: str, overwrite: bool) -> None:
    """把已发布或报送的年度报告（Word、网页、PDF、文本）导入为官方工作簿，并报告无法确定、留空的内容。

    Import published or submitted reports (.docx, .html, .pdf, .txt) into the official workbook; everything
    that could not be placed is reported with its source text, and its cells are left empty.

    \b
    Example:
        xltools import 2023年报.pdf -o 2023年报.xlsx
        xltools import 收到的报告/ --out-dir 工作簿/ --format json > 导入结果.json
    """
    from xltools.atomic import OutputExists
    from xltools.importing import exit_code, expand_sources, import_file, import_files, render_text, to_json

    if level is not None and level not in ("部门", "乡镇街道", "县级政府", "市级政府", "汇总"):
        _fail(f"--level 必须是 部门、乡镇街道、县级政府、市级政府、汇总 之一，实际是“{level}”")
    sources = list(expand_sources(files))
    if not sources:
        _fail("没有找到可导入的文件（.docx .html .htm .pdf .txt）/ nothing to import in " + " ".join(files))
    if output is not None and (len(sources) > 1 or out_dir is not None):
        _fail("-o 只能用于导入单个文件；批量导入请用 --out-dir / -o takes one file; use --out-dir")
    if output is not None and not output.lower().endswith(".xlsx"):
        _fail(f"输出文件必须以 .xlsx 结尾：{output}")
    options: dict[str, Any] = {"unit": unit, "year": year, "level": level, "overwrite": overwrite}
    try:
        results = [import_file(sources[0], output, **options)] if output else import_files(sources, out_dir,
                                                                                           **options)
    except OutputExists as exc:
        _fail(f"{exc} 已存在；如需覆盖请加 --overwrite / exists, use --overwrite")
    if fmt == "json":
        _print_json(to_json(results))
    else:
        click.echo(render_text(results))
    sys.exit(exit_code(results))


@cli.command()
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True)
def rules(lang: str) -> None:
    """输出规则目录（Markdown，由格式规范生成，即 docs/rules.md）。

    Print the rule catalogue (Markdown, generated from the format spec; docs/rules.md).

    \b
    Example:
        xltools rules > docs/rules.md
    """
    from xltools.catalogue import rules_markdown

    click.echo(rules_markdown(lang), nl=False)


def main() -> None:
    cli(prog_name="xltools")
