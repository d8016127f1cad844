"""The command line (the only module importing click). Commands are thin: parse options, call one library
function, render. Exit codes: 0 no errors, 1 errors found, 2 could not run."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

from xltools import __version__
from xltools.rawbook import ReadError

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


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式 / output format (json: schema xltools.check/1, docs/check-json.md)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="文字输出的语言 / language")
@click.option("--strict", is_flag=True, help="警告也算未通过 / warnings fail too")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="另写一个汇总情况网页（.html）/ also write the office's overview page")
@click.option("--jobs", type=click.IntRange(min=1), help="并行进程数（默认：CPU 核数）/ parallel processes")
@click.option("--annotate", "annotate_path", type=click.Path(dir_okay=False),
              help="另存一份带“校验结果”工作表和问题标记的工作簿（单个文件）/ write a flagged copy")
@click.option("--in-place", is_flag=True,
              help="把校验结果和标记直接写进原工作簿（先备份）/ annotate the file itself, after a backup")
@click.option("--overwrite", is_flag=True, help="覆盖已有的 --annotate 文件 / replace an existing copy")
def check(files: tuple[str, ...], fmt: str, lang: str, strict: bool, report_path: str | None,
          jobs: int | None, annotate_path: str | None, in_place: bool, overwrite: bool) -> None:
    """校验一个或多个工作簿（也可以是文件夹）：勾稽关系、数值、封面信息和正文。

    Check workbooks (or folders of them): arithmetic, values, metadata and text sections.

    \b
    Example:
        xltools check 鹤岗市科学技术局2021.xlsx
        xltools check 报送/ --format json > result.json
        xltools check 报送/ --report 汇总情况.html
        xltools check 2021年报.xlsx --annotate 2021年报-校验结果.xlsx
    """
    from xltools.check import check as run_check
    from xltools.render import exit_code, render_report, render_summary, to_json

    if annotate_path is not None or in_place:
        from xltools.cli.workbook import annotate_one

        annotate_one(files, annotate_path, in_place, overwrite, fmt, lang, strict)
    if report_path is not None:
        if not report_path.lower().endswith((".html", ".htm")):
            _fail(f"--report 的文件必须以 .html 结尾：{report_path}")
        _write_check_overview(files, report_path, jobs)
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


def _progress(total: int, label: str) -> Any:
    """A progress bar on stderr for long runs; silent when stderr is not a terminal."""
    if total < 20 or not sys.stderr.isatty():
        return None
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)


def _write_check_overview(files: tuple[str, ...], path: str, jobs: int | None) -> None:
    from xltools.collect import expand_workbooks, read_units
    from xltools.overview import write_overview

    paths = expand_workbooks(files)
    bar = _progress(len(paths), "校验")
    if bar is None:
        units = read_units(paths, jobs)
    else:
        with bar:
            units = read_units(paths, jobs, bar.update)
    try:
        write_overview(path, units, title="政府信息公开工作年度报告 校验情况")
    except OSError as exc:
        _fail(f"无法写入 {path}：{exc.strerror or exc}")
    click.echo(f"已生成汇总情况网页 / overview: {path}", err=True)


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
    from xltools.atomic import OutputExists
    from xltools.document import DocumentError
    from xltools.new import new as run_new

    try:
        path = run_new(output, unit=unit, year=year, data=data, overwrite=overwrite, macro=macro)
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
    from xltools.export import ExportError
    from xltools.export import export as run_export
    from xltools.publish.pdf import PdfError
    from xltools.render import render_report

    with _could_not_run(ExportError, PdfError):
        result = run_export(file, output, fmt=fmt, force=force, overwrite=overwrite)
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


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="汇总工作簿（.xlsx）")
@click.option("--unit", required=True, help="汇总单位名称，如“××市人民政府” / the consolidating unit")
@click.option("--year", required=True, type=int, help="年度 / report year")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False), help="报送名单（.csv/.xlsx）/ roster")
@click.option("--include-invalid", is_flag=True, help="有错误的单位也计入（会标出）/ include units with errors")
@click.option("--jobs", type=click.IntRange(min=1), help="并行进程数（默认：CPU 核数）/ parallel processes")
@click.option("--annotate-dir", type=click.Path(file_okay=False),
              help="为每个单位写一份带“校验结果”表的工作簿，用于退回修改 / annotated copies to send back")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 / replace existing outputs")
def consolidate(inputs: tuple[str, ...], output: str, unit: str, year: int, roster: str | None,
                include_invalid: bool, jobs: int | None, annotate_dir: str | None, overwrite: bool) -> None:
    """汇总各单位的工作簿（逐级汇总），生成本级的年度报告工作簿、汇总明细、报送情况和汇总情况网页。

    Consolidate department (or county) workbooks into this level's report workbook, with the details behind
    every number, the submission status of every unit and the office's overview page.

    INPUTS are files, folders (searched recursively) or glob patterns.

    \b
    Example:
        xltools consolidate 报送/ -o 全市汇总.xlsx --unit ××市人民政府 --year 2024 --roster 名单.csv
        xltools consolidate 市本级.xlsx 县区/*.xlsx -o 全市.xlsx --unit ××市 --year 2024 --annotate-dir 退回/
    """
    from xltools.collect import expand_workbooks
    from xltools.consolidate import STATUS_ZH, ConsolidateError, describe, overview_path
    from xltools.consolidate import consolidate as run_consolidate
    from xltools.roster import RosterError

    bar = _progress(len(expand_workbooks(inputs)), "读取")
    options: dict[str, Any] = {"unit": unit, "year": year, "roster": roster, "jobs": jobs, "overwrite": overwrite,
                               "include_invalid": include_invalid, "annotate_dir": annotate_dir}
    with _could_not_run(ConsolidateError, RosterError), bar or contextlib.nullcontext():
        result = run_consolidate(inputs, output, progress=bar.update if bar else None, **options)

    for entry in result.entries:
        if entry.status != "included":
            click.echo(describe(entry))
    counts = "，".join(f"{STATUS_ZH[s]} {result.count(s)}" for s in STATUS_ZH if result.count(s))
    click.echo(f"汇总：{counts}")
    click.echo(f"已生成 {result.output}（汇总明细、报送情况、汇总构成工作表）和 {overview_path(result.output)}")
    arithmetic = [f for f in result.report.findings if f.rule.startswith(("T3_", "T4_")) and f.severity == "error"]
    if arithmetic:
        click.echo(f"注意：汇总结果有 {len(arithmetic)} 个勾稽关系错误（来自计入的有错误单位），见 xltools check")
    click.echo("下一步：在汇总工作簿的封面填写成文日期、在正文填写一、五、六部分，然后 xltools check / export。")
    sys.exit(0 if result.clean else 1)


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
    with _could_not_run():
        results = [import_file(sources[0], output, **options)] if output else import_files(sources, out_dir,
                                                                                           **options)
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


from xltools.cli import workbook as _workbook  # noqa: E402  (registers fill and clear-flags)

__all__ = ["_workbook", "cli", "main"]


def main() -> None:
    cli(prog_name="xltools")
