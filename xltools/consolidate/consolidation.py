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
import glob
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from xltools.atomic import OutputExists, atomic_output, temp_folder
from xltools.checking.check import CheckReport, check_file
from xltools.consolidate.collect import PackedNumbers, Progress, UnitResult, read_units
from xltools.consolidate.decide import Entry, decide
from xltools.consolidate.formats import target_format, values_in
from xltools.consolidate.inputs import expand_workbooks, real_paths
from xltools.consolidate.roster import read_roster
from xltools.errors import XltoolsError
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


_SMALL = 1 << 62  # a count added as it is (larger ones go through _finite: beyond a float, they are not added)
_SCALE = 1074  # every finite float is a whole multiple of 2**-1074: scaled by 2**1074 it is a (large) integer


def _exact(value: float) -> int:
    """``value`` * 2**1074, exactly: amounts are added as integers, so that the sum is exact whatever the order and
    nothing but one integer per cell is held (not a list of every unit's amount)."""
    numerator, denominator = value.as_integer_ratio()  # the denominator is a power of 2
    return numerator << (_SCALE - denominator.bit_length() + 1)


def sum_values(units: Iterable[UnitResult], spec: FormatSpec) -> dict[str, Number | None]:
    """Cell-by-cell sums by cell id (blank cells count 0); the fee in 万元 is summed exactly and kept to 6
    decimals. Only finite numbers are added (the reader reports anything else as invalid); a total beyond what a
    workbook can hold is left blank. Raises FormatMismatch for units of a format ``spec`` cannot read. Memory does
    not grow with the number of units."""
    cells = spec.number_cells
    amount = [c.type == "amount" for c in cells]
    counts: list[int] = [0] * len(cells)  # counts, and amounts * 2**1074
    for u in units:
        numbers = values_in(u, spec)
        for i, raw in enumerate(numbers.unpack() if isinstance(numbers, PackedNumbers) else numbers):
            if type(raw) is int and -_SMALL < raw < _SMALL and not amount[i]:  # the usual cell: a count
                counts[i] += raw
                continue
            value = _finite(raw)
            if value is None:
                continue
            if amount[i]:
                counts[i] += _exact(float(value))
            else:
                counts[i] += int(value)
    out: dict[str, Number | None] = {}
    for i, cell in enumerate(cells):
        if amount[i]:
            try:
                total = round(float(Fraction(counts[i], 1 << _SCALE)), 6)
            except OverflowError:
                out[cell.id] = None
                continue
            out[cell.id] = int(total) if math.isfinite(total) and float(total).is_integer() else _total(total)
        else:
            out[cell.id] = counts[i] if abs(counts[i]) <= 10 ** 300 else None
    return out


def _same_file_as(target: Path, inputs: Sequence[str]) -> str | None:
    """The input that is the very file ``target`` is (a hard link under another name, too), or None."""
    try:
        st = os.stat(target)
    except OSError:
        return None
    for path in inputs:
        try:
            other = os.stat(path)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return path
    return None


def check_outputs(targets: Iterable[Path], inputs: Sequence[str], overwrite: bool) -> None:
    """Before anything is read: no output may be one of the inputs, and none may exist unless ``overwrite``.
    Raises ConsolidateError or OutputExists."""
    real = dict(zip(real_paths(inputs), inputs, strict=True))
    for target in targets:
        clash = real.get(os.path.realpath(target))
        if clash is None and target.exists():
            clash = _same_file_as(target, inputs) if len(inputs) < 10_000 else None
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
    from xltools.consolidate.overview import write_overview_pages
    from xltools.consolidate.returned import copy_targets, needs_copy
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
    entries_roster = read_roster(roster) if roster is not None else None
    pages = overview_pages(output, len(paths) + len(entries_roster or ())) if overview else []
    targets = [output, *pages, *copies_at.values()]
    check_outputs(targets, [*paths, *([str(roster)] if roster is not None else [])], overwrite)
    last_years = None
    if previous is not None:
        from xltools.consolidate.previous import read_last_years

        last_years = read_last_years(previous, jobs)
    no_previous: tuple[str, ...] | None = None
    with contextlib.ExitStack() as staged:  # renamed into place (copies, page, workbook) only if all succeed
        staging = None
        if annotate_dir is not None:  # the workers write the copies of units with errors here
            if not Path(annotate_dir).exists():  # removed at the end when no copy went into it
                staged.callback(_remove_if_empty, Path(annotate_dir))
            staging = staged.enter_context(temp_folder(Path(annotate_dir) / "x"))
        results = read_units(paths, jobs, progress, staging)
        if last_years is not None:
            from xltools.consolidate.previous import compare_units

            results, unmatched = compare_units(results, last_years)
            no_previous = tuple(unmatched)
        entries = decide(results, year, include_invalid, entries_roster, annotate=annotate_dir is not None)
        del results
        included = [e.result for e in entries if e.included and e.result is not None]
        if not included:  # nothing to sum: nothing is written (an all-zero city workbook would mislead)
            raise ConsolidateError(nothing_counted(entries), "no unit can be counted; nothing was written")
        spec = target_format(included)  # before anything is written: mixed format versions are refused
        doc = ReportDocument(spec.id, unit, year, {"level": spec.summary_level}, sum_values(included, spec), {})
        copies: list[Path] = []
        failures: list[tuple[str, str]] = []
        for i, e in enumerate(entries):  # first the copies: the 退回 lines name them
            u = e.result
            if u is None or u.file not in copies_at or not needs_copy(e.status, u):
                continue
            if u.copy_failure or not u.copy:
                failures.append((u.file, u.copy_failure or "无法生成退回文件：读取时没有生成"))
                continue
            try:
                with contextlib.ExitStack() as one:
                    os.replace(u.copy, one.enter_context(atomic_output(copies_at[u.file], overwrite)))
                    staged.enter_context(one.pop_all())
            except (XltoolsError, OSError) as exc:
                failures.append((u.file, f"无法生成退回文件：{getattr(exc, 'strerror', None) or exc}"))
                continue
            copies.append(copies_at[u.file])
            note = f"已生成带校验结果的工作簿，可发回该单位：{copies_at[u.file]}"
            entries[i] = e._replace(reason=f"{e.reason}（{note}）" if e.reason else note)
        properties = {PROP_CONSOLIDATED: str(len(included))}
        tmp = staged.enter_context(atomic_output(output, overwrite))
        write_workbook(spec, tmp, doc, data_sheets(spec, entries), properties)
        report = check_report(spec, doc, properties, output)
        if overview:
            pages = overview_pages(output, len(entries))  # the first of those checked: rows <= inputs + roster
            page_files = [staged.enter_context(atomic_output(p, overwrite)) for p in pages]
            write_overview_pages(page_files, [p.name for p in pages], entries, spec,
                                 title=f"{unit}{year}年政府信息公开工作年度报告 汇总情况" + profiles_named(entries))
    return Consolidation(output, tuple(entries), doc, report, tuple(copies), tuple(failures), no_previous)


def profiles_named(entries: Sequence[Entry]) -> str:
    """The province profiles the units were checked against, for the overview's title ("" when none: the national
    format). Each workbook is checked against the profile it records."""
    return profiles_title(e.result.profile for e in entries if e.result is not None)


def profiles_title(labels: Iterable[str | None]) -> str:
    """"（规则配置：A、B）" for the profiles named in ``labels`` (each once), "" when none is."""
    profiles = sorted({label for label in labels if label})
    return f"（规则配置：{'、'.join(profiles)}）" if profiles else ""


def check_report(spec: FormatSpec, doc: ReportDocument, properties: dict[str, str], output: Path) -> CheckReport:
    """The check of the consolidated report, as ``check`` reports it for ``output``: done on the same report written
    without the sheets of details (a workbook of a few KB, in a temporary folder), which the check never looks at
    (汇总构成 only lists the units): reading back 100,000 rows of details would cost more memory than the whole
    consolidation."""
    from xltools.workbook.writer import write_workbook

    with tempfile.TemporaryDirectory(prefix="xltools-check-") as folder:
        book = os.path.join(folder, "report.xlsx")
        write_workbook(spec, book, doc, (), properties)
        return check_file(book)._replace(file=str(output))


def _remove_if_empty(folder: Path) -> None:
    """The --annotate-dir folder this run made, when no copy went into it."""
    with contextlib.suppress(OSError):
        folder.rmdir()


def this_run_files(output: Path, roster: str | Path | None, overview: bool) -> list[Path]:
    """The files of this run a folder of inputs may hold that are not a unit's report: the roster and the overview
    pages of an earlier run (still refused without --overwrite). The output workbook is not among them: when it is
    one of the inputs, ``check_outputs`` refuses it (it may be a unit's workbook)."""
    pages = [overview_path(output), *output.parent.glob(glob.escape(output.stem) + "-汇总情况-第*页.html")]
    return [*(pages if overview else []), *([Path(roster)] if roster is not None else [])]


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


def overview_pages(output: Path, rows: int) -> list[Path]:
    """The overview page and, for a round of more than PAGE_ROWS rows (inputs and roster units), the pages the list
    of units continues on (``全市-汇总情况-第2页.html``…): a browser shows a page of 2,000 units at once, not one of
    100,000."""
    from xltools.consolidate.overview import page_count

    return [overview_path(output), *(output.with_name(f"{output.stem}-汇总情况-第{n}页.html")
                                     for n in range(2, page_count(rows) + 1))]
