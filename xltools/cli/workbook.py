"""The buttons' headless twins: ``fill``, ``clear-flags`` and ``check --annotate`` (for WPS, LibreOffice and
servers, where the workbook buttons do not run)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from xltools.cli.app import _fail, _print_json, cli, say

if TYPE_CHECKING:
    from xltools.checking.check import CheckReport
    from xltools.checking.previous import LastYear
    from xltools.consolidate.previous import LastYears
    from xltools.format.profile import Profile
    from xltools.workbook.actions import Outcome
    from xltools.workbook.headless import Edited
    from xltools.workbook.port import WorkbookPort


def _run(file: str, action: Callable[[WorkbookPort, CheckReport], Outcome], label: str, output: str | None,
         in_place: bool, overwrite: bool, changes_values: bool = False, profile: Profile | None = None) -> Edited:
    from xltools.workbook.headless import edit_file

    return edit_file(file, action, label, output=output, in_place=in_place, overwrite=overwrite,
                     changes_values=changes_values, profile=profile)


def _edit_options(label: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """FILE, -o/--output, --in-place and --overwrite, shared by the commands that edit a workbook."""

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        for option in reversed((
            click.argument("file", type=click.Path()),
            click.option("-o", "--output", type=click.Path(dir_okay=False),
                         help=f"输出文件（默认：<原文件名>-{label}.xlsx，原文件不动）/ output workbook"),
            click.option("--in-place", is_flag=True, help="直接修改原文件（先备份）/ edit in place, backup first"),
            click.option("--overwrite", is_flag=True, help="覆盖已有的输出文件 / replace an existing output"),
        )):
            fn = option(fn)
        return fn

    return decorate


def _report_written(edited: Edited) -> None:
    click.echo(edited.outcome.message)
    if edited.backup is not None:
        say(f"已修改原文件 {edited.output}，修改前的文件备份为 {edited.backup}")
    else:
        say(f"已写入 {edited.output}（原文件未改动）")


@cli.command()
@_edit_options("已填合计")
@click.option("--profile", "profile_name", metavar="NAME|FILE",
              help="校验时用的地方规则配置（默认：工作簿制作时注明的）/ province profile for the check afterwards")
def fill(file: str, output: str | None, in_place: bool, overwrite: bool, profile_name: str | None) -> None:
    """填充合计：按分项计算并填写所有合计单元格（与工作簿里的“填充合计”按钮相同）。

    Fill every total cell from its parts (the 填充合计 button, headless). 表三 总计 column and （七）总计 row,
    表四 总计. Blank parts count as 0. Exit code 1 when the filled workbook still has errors.

    \b
    Example:
        xltools fill 2021年报.xlsx
        xltools fill 2021年报.xlsm -o 2021年报-合计.xlsm
        xltools fill 2021年报.xlsx --in-place
    """
    from xltools.cli.app import chosen_profile
    from xltools.workbook.actions import fill_totals

    profile = chosen_profile(profile_name)
    hint = f"运行 xltools check {file} 可看到是哪几格"
    edited = _run(file, lambda port, _: fill_totals(port, check_hint=hint), "已填合计", output, in_place, overwrite,
                  True, profile)
    _report_written(edited)
    errors = edited.report.tally("error")
    if errors:
        click.echo(f"填充后仍有 {errors} 个错误，请运行 xltools check {edited.output} 查看", err=True)
    sys.exit(1 if errors else 0)


@cli.command("clear-flags")
@_edit_options("已清除标记")
def clear_flags(file: str, output: str | None, in_place: bool, overwrite: bool) -> None:
    """清除标记：恢复被标记单元格原来的底色和批注（与“清除标记”按钮相同）。

    没有标记时不写任何文件（除非用 -o 指定了输出文件）。

    Remove the flags left by check --annotate or the 标记问题 button, restoring each cell's own fill and note.
    A workbook without flags is left alone: nothing is written unless -o names an output.

    \b
    Example:
        xltools clear-flags 2021年报-校验结果.xlsx -o 2021年报.xlsx
        xltools clear-flags 2021年报.xlsx --in-place
    """
    from xltools.workbook.actions import RESULTS_SHEET
    from xltools.workbook.actions import clear_flags as run_clear

    def action(port: WorkbookPort, _: CheckReport) -> Outcome:
        had_results = RESULTS_SHEET in port.sheet_names()
        outcome = run_clear(port)
        if outcome.nothing_to_do and not had_results and output is None:  # -o: the file asked for is written
            return outcome
        port.delete_sheet(RESULTS_SHEET)
        return outcome._replace(nothing_to_do=False)

    edited = _run(file, action, "已清除标记", output, in_place, overwrite)
    if not edited.written:
        click.echo(f"{file} 中没有需要清除的标记，没有写入任何文件。")
        return
    _report_written(edited)


def annotate_one(files: tuple[str, ...], output: str | None, in_place: bool, overwrite: bool, fmt: str, lang: str,
                 strict: bool, profile: Profile | None = None, last: LastYear | LastYears | None = None) -> None:
    """``check FILE --annotate OUT``: the normal check output, plus the annotated copy (``last``: with the
    comparison with last year's report, ``check --previous``)."""
    from xltools.checking.render import exit_code, render_report, to_json
    from xltools.consolidate.previous import compare_report
    from xltools.workbook.actions import annotate

    def compared(report: CheckReport) -> CheckReport:
        return compare_report(report, last, profile) if last is not None else report

    if len(files) != 1:
        _fail("--annotate/--in-place 只能用于一个工作簿；一批工作簿请用 xltools consolidate --annotate-dir")
    if output is None and not in_place:
        _fail("请用 --annotate 给出输出文件，或用 --in-place 写回原文件")
    edited = _run(files[0], lambda port, report: annotate(port, compared(report)), "校验结果", output, in_place,
                  overwrite, profile=profile)
    report = compared(edited.report._replace(file=files[0]))
    if fmt == "json":
        _print_json(to_json([report], strict))
    else:
        click.echo(render_report(report, lang, strict))
    if edited.backup is not None:
        say(f"已把校验结果和标记写入 {edited.output}，修改前的文件备份为 {edited.backup}")
    else:
        say(f"已写入 {edited.output}：“校验结果”工作表列出全部问题，问题单元格已标色并加批注")
    sys.exit(exit_code([report], strict))
