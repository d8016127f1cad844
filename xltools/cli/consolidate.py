"""``xltools consolidate``: department workbooks → this level's report workbook."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from xltools.cli.app import _progress, cli

if TYPE_CHECKING:
    from xltools.consolidate.consolidation import Consolidation


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="汇总工作簿（.xlsx）/ the consolidated workbook")
@click.option("--unit", required=True, help="汇总单位名称，如“××市人民政府” / the consolidating unit")
@click.option("--year", required=True, type=int, help="年度 / report year")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False), help="报送名单（.csv/.xlsx）/ roster")
@click.option("--include-invalid", is_flag=True, help="有错误的单位也计入（会标出）/ include units with errors")
@click.option("--jobs", type=click.IntRange(min=1), help="并行进程数（默认：CPU 核数）/ parallel processes")
@click.option("--annotate-dir", type=click.Path(file_okay=False),
              help="为每个有错误、需要修改的单位写一份带“校验结果”表的工作簿，用于退回修改 / "
                   "annotated copies of the units with errors, to send back")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 / replace existing outputs")
@click.option("--previous", metavar="DIR", type=click.Path(exists=True, file_okay=False),
              help="上年度各单位报告所在的文件夹：每个单位与自己的上年度报告比较（按单位代码，无代码按名称匹配）"
                   " / a folder of last year's reports: each unit is compared with its own (by code, else name)")
def consolidate(inputs: tuple[str, ...], output: str, unit: str, year: int, roster: str | None,
                include_invalid: bool, jobs: int | None, annotate_dir: str | None, overwrite: bool,
                previous: str | None) -> None:
    """汇总各单位的工作簿（逐级汇总），生成本级的年度报告工作簿、汇总明细、报送情况和汇总情况网页。

    Consolidate department (or county) workbooks into this level's report workbook, with the details behind
    every number, the submission status of every unit and the office's overview page.

    INPUTS are files, folders (searched recursively) or glob patterns. Every file a folder holds is accounted
    for: workbooks are read, Word/PDF/web/text reports are imported (and marked so), anything else is listed as
    无法读取 with the reason.

    \b
    Example:
        xltools consolidate 报送/ -o 全市汇总.xlsx --unit ××市人民政府 --year 2024 --roster 名单.csv
        xltools consolidate 市本级.xlsx 县区/*.xlsx -o 全市.xlsx --unit ××市 --year 2024 --annotate-dir 退回/
        xltools consolidate 报送/ -o 全市汇总.xlsx --unit ××市人民政府 --year 2024 --previous 2023报送/
    """
    from xltools.consolidate.consolidation import consolidate as run_consolidate
    from xltools.consolidate.consolidation import overview_pages, overview_path, this_run_files
    from xltools.consolidate.decide import STATUS_ZH, describe
    from xltools.consolidate.inputs import expand_workbooks

    # the files are listed again by the consolidation: only for a bar on a terminal (100,000 files take seconds)
    files = expand_workbooks(inputs, this_run_files(Path(output), roster, True)) if sys.stderr.isatty() else []
    bar = _progress(len(files), "读取")
    options: dict[str, Any] = {"unit": unit, "year": year, "roster": roster, "jobs": jobs, "overwrite": overwrite,
                               "include_invalid": include_invalid, "annotate_dir": annotate_dir,
                               "previous": previous}
    with bar or contextlib.nullcontext():
        result = run_consolidate(inputs, output, progress=bar.update if bar else None, **options)

    for entry in result.entries:
        if entry.status != "included":
            click.echo(describe(entry))
    for file, reason in result.copy_failures:
        click.echo(f"  未生成退回文件 {file}\n        {reason}")
    if result.no_previous is not None:
        _previous_lines(result)
    counts = "，".join(f"{STATUS_ZH[s]} {result.count(s)}" for s in STATUS_ZH if result.count(s))
    click.echo(f"汇总：{counts}")
    pages = overview_pages(result.output, len(result.entries))
    more = f"（单位较多，分 {len(pages)} 页，各页互相链接）" if len(pages) > 1 else ""
    click.echo(f"已生成 {result.output}（汇总明细、报送情况、汇总构成工作表）和 {overview_path(result.output)}{more}")
    if annotate_dir is not None:
        which = "只为有错误、需要修改的单位（退回的，或按 --include-invalid 计入的）生成，校验通过或只有警告的单位没有"
        failed = f"；{len(result.copy_failures)} 份无法生成（见上）" if result.copy_failures else ""
        if result.copies:
            click.echo(f"已在 {annotate_dir} 生成 {len(result.copies)} 份退回修改的工作簿：{which}{failed}")
        else:
            click.echo(f"没有生成退回修改的工作簿：{which}{failed}")
    from xltools.format.spec import load_spec

    spec = load_spec(result.document.format_id)
    sums = {r.rule for r in spec.sum_relations()}
    arithmetic = [f for f in result.report.findings if f.rule in sums and f.severity == "error"]
    if arithmetic:
        click.echo(f"注意：汇总结果有 {len(arithmetic)} 个勾稽关系错误（来自计入的有错误单位），见 xltools check")
    texts = "、".join(s.numeral for s in spec.text_sections)
    click.echo(f"下一步：在汇总工作簿的封面填写成文日期、在正文填写{texts}部分，然后 xltools check / export。")
    sys.exit(0 if result.clean else 1)


def _previous_lines(result: Consolidation) -> None:
    """``--previous``: each unit's differences from last year's report, and the units without one."""
    from xltools.format.rulekinds import PREVIOUS_KINDS
    from xltools.format.spec import load_spec

    kinds = {r.id: r.kind for r in load_spec(result.document.format_id).rules}
    for entry in result.entries:
        u = entry.result
        found = [f for f in (u.findings if u is not None else ()) if kinds.get(f.rule) in PREVIOUS_KINDS]
        if u is None or not found:
            continue
        click.echo(f"与上年度比较  {u.unit or u.file}（{u.file}）")
        for f in found:
            severity = "错误" if f.severity == "error" else "警告"
            click.echo(f"  {severity}  {f.where}  {f.rule}\n        {f.message}")
    missing = result.no_previous or ()
    if missing:
        shown = "、".join(missing[:10]) + (f" 等 {len(missing)} 个" if len(missing) > 10 else "")
        click.echo(f"与上年度比较：{len(missing)} 个文件在上年度报告中找不到同一单位（按代码、名称），未比较：{shown}")
