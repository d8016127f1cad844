"""``consolidate``: department (or county) workbooks -> the city's report workbook (逐级汇总), with the details
behind every number (汇总明细), who submitted what (报送情况) and every unit counted (汇总构成).

Rules: every input is checked; units with errors are left out unless ``include_invalid``; a unit that appears
twice (same name or code) is left out unless the files are identical; years must match; a unit counted both on
its own and inside a consolidated input is refused; unreadable files are listed and the rest goes on. Every
file of a folder is accounted for: Word/PDF/web/text reports are imported (and counted only when complete and
without errors), anything else is listed with its reason.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from xltools.atomic import OutputExists, atomic_output
from xltools.checking.check import CheckReport, bug_reason, check_file
from xltools.consolidate.collect import Progress, UnitResult, expand_workbooks, read_units
from xltools.consolidate.decide import Entry, decide
from xltools.consolidate.formats import target_format, values_in
from xltools.consolidate.roster import read_roster
from xltools.errors import XltoolsError, debugging
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec
from xltools.reading.document import ReportDocument

PROP_CONSOLIDATED = "xltools.consolidated"


class ConsolidateError(XltoolsError):
    """Consolidation cannot run (no inputs, bad options); message in Chinese."""


class Consolidation(NamedTuple):
    output: Path
    entries: tuple[Entry, ...]
    document: ReportDocument
    report: CheckReport  # the check of the consolidated workbook
    copies: tuple[Path, ...] = ()  # --annotate-dir: the copies written
    copy_failures: tuple[tuple[str, str], ...] = ()  # --annotate-dir: (input file, why its copy was not written)
    no_previous: tuple[str, ...] | None = None  # --previous: the inputs without a report of last year (None: not asked)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def clean(self) -> bool:
        return (all(e.status in ("included", "imported", "identical_copy", "other_version") for e in self.entries)
                and not self.copy_failures)


def _finite(value: object) -> float | int | None:
    """A number that can be added up: a finite int or float (never a bool, NaN, an infinity or a number too
    large for a float); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return value if math.isfinite(value) else None
    except OverflowError:  # an int beyond any float
        return None


def _total(value: float) -> Number | None:
    return None if not math.isfinite(value) or abs(value) > 1e300 else value


def sum_values(units: Sequence[UnitResult], spec: FormatSpec) -> dict[str, Number | None]:
    """Cell-by-cell sums by cell id (blank cells count 0); the fee in 万元 is summed exactly and kept to 6
    decimals. Only finite numbers are added (the reader reports anything else as invalid); a total beyond what a
    workbook can hold is left blank. Raises FormatMismatch for units of a format ``spec`` cannot read."""
    cells = spec.number_cells
    counts: list[int] = [0] * len(cells)
    amounts: dict[int, list[float]] = {i: [] for i, c in enumerate(cells) if c.type == "amount"}
    for u in units:
        for i, raw in enumerate(values_in(u, spec)):
            value = _finite(raw)
            if value is None:
                continue
            if i in amounts:
                amounts[i].append(float(value))
            else:
                counts[i] += int(value)
    out: dict[str, Number | None] = {}
    for i, cell in enumerate(cells):
        if i in amounts:
            try:
                total = round(math.fsum(amounts[i]), 6)
            except OverflowError:
                out[cell.id] = None
                continue
            out[cell.id] = int(total) if math.isfinite(total) and float(total).is_integer() else _total(total)
        else:
            out[cell.id] = counts[i] if abs(counts[i]) <= 10 ** 300 else None
    return out


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(targets: Iterable[Path], inputs: Sequence[str], overwrite: bool) -> None:
    """Before anything is read: no output may be one of the inputs, and none may exist unless ``overwrite``.
    Raises ConsolidateError or OutputExists."""
    real = {os.path.realpath(p): p for p in inputs}
    for target in targets:
        clash = real.get(os.path.realpath(target))
        if clash is None and target.exists():
            clash = next((p for p in inputs if _same_file(p, target)), None) if len(inputs) < 10_000 else None
        if clash is not None:
            raise ConsolidateError(
                f"输出文件 {target} 就是输入文件 {clash}：写入会覆盖一个单位报送的工作簿（并使它不被汇总）。"
                "请把输出写到报送文件所在文件夹以外，或换一个文件名",
                f"the output {target} is the input {clash}: write the output outside the inputs")
        if target.exists() and not overwrite:
            raise OutputExists(str(target))


def consolidate(inputs: Sequence[str], output: str | Path, *, unit: str, year: int,
                roster: str | Path | None = None, include_invalid: bool = False, jobs: int | None = None,
                overwrite: bool = False, progress: Progress | None = None, overview: bool = True,
                annotate_dir: str | Path | None = None, previous: str | Path | None = None) -> Consolidation:
    """Consolidate the workbooks found in ``inputs`` into ``output`` (.xlsx), in the format version of the units
    counted. Raises ConsolidateError, InputsError, FormatMismatch, RosterError, OutputExists or OSError when it
    cannot run; problems with single inputs are entries.

    All or nothing: the city workbook, the overview page and the annotated copies are written to temporary files
    beside their targets and renamed into place only when all of them are written (a unit whose copy cannot be
    written is listed in ``copy_failures``; the rest is written). Every target is checked before anything is read.
    ``previous``: a folder of last year's reports; each unit is compared with its own (matched by code, else name,
    ``xltools.consolidate.previous``), the differences join its findings.
    """
    from xltools.consolidate.overview import overview_html
    from xltools.consolidate.returned import copy_targets, needs_copy, write_copy
    from xltools.consolidate.sheets import data_sheets
    from xltools.workbook.writer import write_workbook

    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise ConsolidateError(f"输出文件必须以 .xlsx 结尾：{output.name}")
    paths = expand_workbooks(inputs, this_run_files(output, roster, overview))
    if not paths:
        where = "、".join(inputs)
        raise ConsolidateError(f"没有找到要汇总的工作簿或报告：{where} 中没有文件（没有写入任何文件）",
                               f"nothing to consolidate: no file in {' '.join(inputs)} (nothing was written)")
    books = [p for p in paths if p.lower().endswith((".xlsx", ".xlsm"))]  # only a workbook can be marked
    copies_at = copy_targets(books, annotate_dir) if annotate_dir is not None else {}
    targets = [output, *([overview_path(output)] if overview else []), *copies_at.values()]
    check_outputs(targets, [*paths, *([str(roster)] if roster is not None else [])], overwrite)
    entries_roster = read_roster(roster) if roster is not None else None
    last_years = None
    if previous is not None:
        from xltools.consolidate.previous import compare_units, read_last_years

        last_years = read_last_years(previous, jobs)
    results = read_units(paths, jobs, progress)
    no_previous: tuple[str, ...] | None = None
    if last_years is not None:
        results, unmatched = compare_units(results, last_years)
        no_previous = tuple(unmatched)
    entries = decide(results, year, include_invalid, entries_roster, annotate=annotate_dir is not None)
    included = [e.result for e in entries if e.included and e.result is not None]
    if not included:  # nothing to sum: nothing is written (an all-zero city workbook would mislead)
        raise ConsolidateError(nothing_counted(entries), "no unit can be counted; nothing was written")
    spec = target_format(included)  # before anything is written: mixed format versions are refused
    doc = ReportDocument(spec.id, unit, year, {"level": spec.summary_level}, sum_values(included, spec), {})
    copies: list[Path] = []
    failures: list[tuple[str, str]] = []
    with contextlib.ExitStack() as staged:  # renamed into place (copies, page, workbook) only if all succeed
        for i, e in enumerate(entries):  # first the copies: the 退回 lines name them
            u = e.result
            if u is None or u.file not in copies_at or not needs_copy(e.status, u):
                continue
            try:
                with contextlib.ExitStack() as one:
                    write_copy(u, one.enter_context(atomic_output(copies_at[u.file], overwrite)))
                    staged.enter_context(one.pop_all())
                copies.append(copies_at[u.file])
                note = f"已生成带校验结果的工作簿，可发回该单位：{copies_at[u.file]}"
                entries[i] = e._replace(reason=f"{e.reason}（{note}）" if e.reason else note)
            except (XltoolsError, OSError) as exc:
                failures.append((u.file, f"无法生成退回文件：{getattr(exc, 'strerror', None) or exc}"))
            except Exception as exc:  # openpyxl fails in many ways on a workbook the reader could read
                if debugging():
                    raise
                failures.append((u.file, f"无法生成退回文件：{bug_reason(exc)}"))
        tmp = staged.enter_context(atomic_output(output, overwrite))
        write_workbook(spec, tmp, doc, data_sheets(spec, entries), {PROP_CONSOLIDATED: str(len(included))})
        report = check_file(tmp)._replace(file=str(output))
        if overview:
            page = staged.enter_context(atomic_output(overview_path(output), overwrite))
            html = overview_html([e.result for e in entries if e.result is not None],
                                 title=f"{unit}{year}年政府信息公开工作年度报告 汇总情况", entries=entries, spec=spec)
            with open(page, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(html)
    return Consolidation(output, tuple(entries), doc, report, tuple(copies), tuple(failures), no_previous)


def this_run_files(output: Path, roster: str | Path | None, overview: bool) -> list[Path]:
    """The files of this run a folder of inputs may hold that are not a unit's report: the roster and the overview
    page of an earlier run (still refused without --overwrite). The output workbook is not among them: when it is
    one of the inputs, ``check_outputs`` refuses it (it may be a unit's workbook)."""
    return [*([overview_path(output)] if overview else []), *([Path(roster)] if roster is not None else [])]


def nothing_counted(entries: Sequence[Entry]) -> str:
    """Why no unit could be counted: the count of each status and the first files with their reasons."""
    from xltools.consolidate.decide import STATUS_ZH

    counts: dict[str, int] = {}
    for e in entries:
        counts[e.status] = counts.get(e.status, 0) + 1
    summary = "，".join(f"{STATUS_ZH.get(s, s)} {n}" for s, n in counts.items())
    files = [f"{e.result.file}（{e.label}：{(e.reason or '')[:80]}）" for e in entries if e.result is not None][:5]
    return (f"没有可以汇总的单位（{summary}），没有写入任何文件。请先处理这些文件的问题："
            + "；".join(files) + ("……" if len(entries) > len(files) else ""))


def overview_path(output: Path) -> Path:
    return output.with_name(output.stem + "-汇总情况.html")
