"""``consolidate``: department (or county) workbooks -> the city's report workbook (逐级汇总), with the details
behind every number (汇总明细), who submitted what (报送情况) and every unit counted (汇总构成).

Rules: every input is checked; units with errors are left out unless ``include_invalid``; a unit that appears
twice (same name or code) is left out unless the files are identical; years must match; a unit counted both on
its own and inside a consolidated input is refused; unreadable files are listed and the rest goes on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from xltools.atomic import OutputExists, atomic_output
from xltools.checking.check import CheckReport, check_file
from xltools.consolidate.collect import Progress, UnitResult, expand_workbooks, read_units
from xltools.consolidate.decide import Entry, decide
from xltools.consolidate.formats import target_format, values_in
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

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def clean(self) -> bool:
        return all(e.status in ("included", "identical_copy") for e in self.entries)


def sum_values(units: Sequence[UnitResult], spec: FormatSpec) -> dict[str, Number | None]:
    """Cell-by-cell sums by cell id (blank cells count 0); the fee in 万元 is summed exactly and kept to 6
    decimals. Raises FormatMismatch for units of a format ``spec`` cannot read."""
    cells = spec.number_cells
    counts: list[int] = [0] * len(cells)
    amounts: dict[int, list[float]] = {i: [] for i, c in enumerate(cells) if c.type == "amount"}
    for u in units:
        for i, value in enumerate(values_in(u, spec)):
            if value is None:
                continue
            if i in amounts:
                amounts[i].append(value)
            else:
                counts[i] += int(value)
    out: dict[str, Number | None] = {}
    for i, cell in enumerate(cells):
        if i in amounts:
            total = round(math.fsum(amounts[i]), 6)
            out[cell.id] = int(total) if float(total).is_integer() else total
        else:
            out[cell.id] = counts[i]
    return out


def consolidate(inputs: Sequence[str], output: str | Path, *, unit: str, year: int,
                roster: str | Path | None = None, include_invalid: bool = False, jobs: int | None = None,
                overwrite: bool = False, progress: Progress | None = None, overview: bool = True,
                annotate_dir: str | Path | None = None) -> Consolidation:
    """Consolidate the workbooks found in ``inputs`` into ``output`` (.xlsx), in the format version of the units
    counted. Raises ConsolidateError, FormatMismatch, RosterError, OutputExists or OSError when it cannot run;
    problems with single inputs are entries."""
    from xltools.consolidate.sheets import data_sheets
    from xltools.workbook.writer import write_workbook

    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise ConsolidateError(f"输出文件必须以 .xlsx 结尾：{output.name}")
    if output.exists() and not overwrite:
        raise OutputExists(str(output))
    paths = [p for p in expand_workbooks(inputs) if Path(p).resolve() != output.resolve()]
    if not paths:
        raise ConsolidateError("没有找到要汇总的工作簿（.xlsx/.xlsm）：" + " ".join(inputs))
    entries_roster = read_roster(roster) if roster is not None else None
    results = read_units(paths, jobs, progress)
    entries = decide(results, year, include_invalid, entries_roster)
    included = [e.result for e in entries if e.included and e.result is not None]
    spec = target_format(included)  # before anything is written: mixed format versions are refused
    doc = ReportDocument(spec.id, unit, year, {"level": spec.summary_level}, sum_values(included, spec), {})
    with atomic_output(output, overwrite) as tmp:
        write_workbook(spec, tmp, doc, data_sheets(spec, entries), {PROP_CONSOLIDATED: str(len(included))})
    result = Consolidation(output, tuple(entries), doc, check_file(output))
    if overview:
        from xltools.consolidate.overview import write_overview

        write_overview(overview_path(output), [e.result for e in entries if e.result is not None],
                       title=f"{unit}{year}年政府信息公开工作年度报告 汇总情况", entries=entries, spec=spec)
    if annotate_dir is not None:
        from xltools.consolidate.returned import annotate_all

        annotate_all([e.result for e in entries if e.result is not None and e.result.readable], annotate_dir,
                     overwrite=overwrite)
    return result


def overview_path(output: Path) -> Path:
    return output.with_name(output.stem + "-汇总情况.html")


