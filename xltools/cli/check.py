"""``xltools check``: workbooks → findings (text or JSON), the overview page, the annotated copy."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

import click

from xltools.cli.app import _fail, _print_json, _progress, _set_lang, chosen_profile, cli

if TYPE_CHECKING:
    from xltools.checking.check import CheckReport
    from xltools.checking.previous import LastYear
    from xltools.consolidate.previous import LastYears
    from xltools.format.profile import Profile

PROFILE_HELP = ("地方规则配置：名称（见 xltools rules --profile）或 .toml 文件；默认用工作簿制作时注明的配置 / "
                "province profile: a name or a .toml file (default: the one the workbook was made for)")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式 / output format (json: schema xltools.check/1, 见 / see: xltools docs check-json)")
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
@click.option("--overwrite", is_flag=True,
              help="覆盖已有的 --annotate/--report 文件 / replace an existing copy or overview page")
@click.option("--profile", "profile_name", metavar="NAME|FILE", help=PROFILE_HELP)
@click.option("--previous", "previous", metavar="LAST", type=click.Path(exists=True),
              help="与上年度报告比较（工作簿，或 Word/PDF/网页/文本报告；文件夹：按单位代码、名称逐个匹配）"
                   " / compare with last year's report (a workbook or any report import reads; a folder: matched "
                   "by unit code, else name)")
def check(files: tuple[str, ...], fmt: str, lang: str, strict: bool, report_path: str | None,
          jobs: int | None, annotate_path: str | None, in_place: bool, overwrite: bool,
          profile_name: str | None, previous: str | None) -> None:
    """校验一个或多个工作簿（也可以是文件夹）：勾稽关系、数值、封面信息和正文。

    Check workbooks (or folders of them): arithmetic, values, metadata and text sections. Every file of a
    folder is listed: a Word/PDF report or any other file that is not a workbook gets a one-line reason.

    \b
    Example:
        xltools check 鹤岗市科学技术局2021.xlsx
        xltools check 报送/ --format json > result.json
        xltools check 报送/ --report 汇总情况.html
        xltools check 2021年报.xlsx --annotate 2021年报-校验结果.xlsx
        xltools check 报送/ --profile example
        xltools check 2024年报.xlsx --previous 2023年报.pdf
    """
    from xltools.checking.render import exit_code, render_report, render_summary, to_json

    _set_lang(lang)
    profile = chosen_profile(profile_name)  # validated before anything is read
    last = _last_year(previous, jobs) if previous is not None else None
    if annotate_path is not None or in_place:
        from xltools.cli.workbook import annotate_one

        annotate_one(files, annotate_path, in_place, overwrite, fmt, lang, strict, profile, last)
    if report_path is not None:
        if not report_path.lower().endswith((".html", ".htm")):
            _fail(f"--report 的文件必须以 .html 结尾：{report_path}", f"--report must end in .html: {report_path}")
        reports = _check_with_overview(files, report_path, jobs, overwrite, profile, last)
    else:
        reports = _check_all(list(files), jobs, profile, last, keep_values=False)  # only the findings are shown
    if not reports:
        _fail("没有找到要校验的文件（文件夹是空的）：" + " ".join(files), "no file found in " + " ".join(files))
    if fmt == "json":
        _print_json(to_json(reports, strict))
    else:
        for report in reports:
            click.echo(render_report(report, lang, strict))
        if len(reports) > 1:
            click.echo(render_summary(reports, lang, strict))
    sys.exit(exit_code(reports, strict))


def _last_year(path: str, jobs: int | None) -> LastYear | LastYears:
    """``--previous``: one report (a file) or last year's folder, read before this year's files (exit code 2 when
    it cannot be used)."""
    import os

    from xltools.consolidate.previous import read_last_year, read_last_years

    if os.path.isdir(path):
        found = read_last_years(path, jobs)
        if not found.by_code and not found.by_name:
            _fail(f"上年度报告文件夹 {path} 中没有可读取的报告", f"no readable report in {path}")
        return found
    return read_last_year(path)


def _check_all(files: list[str], jobs: int | None, profile: Profile | None = None,
               last: LastYear | LastYears | None = None, keep_values: bool = True) -> list[CheckReport]:
    """Every file checked (each in a worker process within the time limit when there are several); ``last``:
    each compared with last year's report (``--previous``); without ``keep_values`` the reports hold their
    findings only (but for the comparison with last year, which needs them)."""
    from xltools.checking.check import check as run_check
    from xltools.checking.check import expand_inputs

    paths = list(expand_inputs(files))
    bar = _progress(len(paths), "校验")
    if bar is None:
        reports = run_check(paths, jobs=jobs, profile=profile, keep_values=keep_values or last is not None)
    else:
        with bar:
            reports = run_check(paths, jobs=jobs, progress=bar.update, profile=profile,
                                keep_values=keep_values or last is not None)
    if last is None:
        return reports
    from xltools.consolidate.previous import compare_report  # only with --previous: a plain check stays light

    return [compare_report(r, last, profile) for r in reports]


def _check_with_overview(files: tuple[str, ...], path: str, jobs: int | None, overwrite: bool,
                         profile: Profile | None = None, last: LastYear | LastYears | None = None
                         ) -> list[CheckReport]:
    """``check --report``: the inputs must exist and the page must not be one of them nor exist (unless
    ``overwrite``) before anything is read; each file is read once for both outputs."""
    from pathlib import Path  # (here: a plain check starts without pathlib)

    from xltools.consolidate.collect import check_units, unit_from_report
    from xltools.consolidate.consolidation import check_outputs, profiles_title
    from xltools.consolidate.inputs import expand_workbooks
    from xltools.consolidate.overview import write_overview

    paths = expand_workbooks(files, [path])  # an earlier run's page in the folder is not an input
    check_outputs([Path(path)], paths, overwrite)
    if last is None:  # each worker hands back the report and its line of the page, not the values
        bar = _progress(len(paths), "校验")
        with bar or contextlib.nullcontext():
            pairs = check_units(paths, jobs, bar.update if bar else None, profile)
        reports, units = [r for r, _ in pairs], [u for _, u in pairs]
    else:
        reports = _check_all(paths, jobs, profile, last)
        units = [unit_from_report(r) for r in reports]
    if not reports:
        return reports
    named = profiles_title(r.profile for r in reports)
    try:
        write_overview(path, units, title="政府信息公开工作年度报告 校验情况" + named, overwrite=overwrite)
    except OSError as exc:
        _fail(f"无法写入 {path}：{exc.strerror or exc}", f"cannot write {path}: {exc.strerror or exc}")
    click.echo(f"已生成汇总情况网页 / overview: {path}", err=True)
    return reports
