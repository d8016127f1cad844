"""Last year's reports for ``check --previous`` and ``consolidate --previous``: a file of any kind (a workbook, or
a Word, PDF, web or text report read the way ``import`` reads it) becomes a ``LastYear``; a folder of them is
matched to this year's units by unit code, else by name (as the roster matches)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

from xltools.checking.check import CheckReport, check_file, file_problem, report_kind
from xltools.checking.previous import LastYear, last_year_from_values, with_previous
from xltools.consolidate.collect import UnitResult, notes, read_units
from xltools.consolidate.inputs import expand_workbooks
from xltools.consolidate.roster import code_key, unit_key
from xltools.errors import XltoolsError
from xltools.format.findings import Finding
from xltools.format.profile import Profile
from xltools.format.spec import load_spec
from xltools.reading.values import Values


class PreviousError(XltoolsError):
    """Last year's report (or folder) cannot be used: nothing is compared."""


def read_last_year(path: str | os.PathLike[str]) -> LastYear:
    """Last year's report from one file: a workbook is read and checked, a report file is imported (numbers only,
    nothing written). Raises PreviousError with the reason."""
    from xltools.extract.importing import read_report

    name = os.fspath(path)
    problem = file_problem(name)
    if problem is not None:
        raise PreviousError(f"上年度报告 {name}：{problem}", f"last year's report {name}: {problem}")
    if report_kind(name) is not None:
        try:
            doc, _ = read_report(name)
        except XltoolsError as exc:
            raise PreviousError(f"无法读取上年度报告 {name}：{exc.zh}",
                                f"cannot read last year's report {name}") from None
        except OSError as exc:
            raise PreviousError(f"无法读取上年度报告 {name}：{exc.strerror or exc}",
                                f"cannot read last year's report {name}: {exc}") from None
        if not any(v is not None for v in doc.values.values()):
            raise PreviousError(f"上年度报告 {name} 中没有找到表格数字", f"no table numbers found in {name}")
        return LastYear(name, doc.format_id, dict(doc.values), doc.unit, doc.year)
    report = check_file(name)
    if report.values is None:
        raise PreviousError(f"无法读取上年度报告 {name}：{report.reason}", f"cannot read last year's report {name}")
    return last_year_from_values(report.values, name)


def last_year_of_unit(unit: UnitResult) -> LastYear:
    """A unit read by ``read_units`` as last year's report."""
    numbers = dict(zip((c.id for c in load_spec(unit.format_id).number_cells), unit.numbers(), strict=False))
    return LastYear(unit.file, unit.format_id, numbers, unit.unit, unit.year)


def values_of_unit(unit: UnitResult) -> Values:
    """This year's unit as values the last-year rules read: numbers by cell id (blank and unusable cells are left
    out of the comparisons), and its year."""
    spec = load_spec(unit.format_id)
    numbers = {c.id: v for c, v in zip(spec.number_cells, unit.numbers(), strict=False) if v is not None}
    missing = frozenset(c.id for c in spec.number_cells if c.id not in numbers)
    return Values(unit.format_id, numbers, frozenset(), missing, {},
                  {"unit": unit.unit, "year": unit.year, "code": unit.code, "level": unit.level}, {})


class LastYears(NamedTuple):
    """Last year's reports by unit code and by unit name (a code or name held by two reports matches neither)."""

    by_code: dict[str, UnitResult]
    by_name: dict[str, UnitResult]
    unreadable: tuple[UnitResult, ...]

    def match(self, unit: str | None, code: str | None) -> UnitResult | None:
        if code_key(code) and code_key(code) in self.by_code:
            return self.by_code[code_key(code)]
        return self.by_name.get(unit_key(unit)) if unit_key(unit) else None


def _unique(pairs: list[tuple[str, UnitResult]]) -> dict[str, UnitResult]:
    seen: dict[str, list[UnitResult]] = {}
    for key, u in pairs:
        if key:
            seen.setdefault(key, []).append(u)
    return {k: v[0] for k, v in seen.items() if len(v) == 1}


def read_last_years(folder: str | os.PathLike[str], jobs: int | None = None) -> LastYears:
    """Every report in ``folder`` (workbooks and report files, read as ``consolidate`` reads them)."""
    name = os.fspath(folder)
    if not os.path.isdir(name):
        raise PreviousError(f"上年度报告文件夹不存在：{name}", f"no such folder: {name}")
    units = read_units(expand_workbooks([name]), jobs)
    readable = [u for u in units if u.readable and u.format_id]
    return LastYears(_unique([(code_key(u.code), u) for u in readable]),
                     _unique([(unit_key(u.unit), u) for u in readable]),
                     tuple(u for u in units if not u.readable))


def compare_report(report: CheckReport, last: LastYear | LastYears, profile: Profile | None = None) -> CheckReport:
    """``check --previous``: the report with its last-year findings (a folder: the matching unit's report), with
    the severities and switched-off rules of ``profile``."""
    if report.values is None:
        return report
    spec = profile.apply(load_spec(report.values.format_id)) if profile is not None else None
    if isinstance(last, LastYears):
        code = report.values.meta.get("code")
        found = last.match(report.unit, code if isinstance(code, str) else None)
        if found is None:
            return report
        return with_previous(report, last_year_of_unit(found), spec)
    return with_previous(report, last, spec)


def compare_units(units: Sequence[UnitResult], last: LastYears) -> tuple[list[UnitResult], list[str]]:
    """``consolidate --previous``: every readable unit with its last-year errors and warnings added (information is
    left out like the unit's own), and the files that had no report of last year."""
    from xltools.checking.previous import previous_findings

    out: list[UnitResult] = []
    unmatched: list[str] = []
    for u in units:
        if not u.readable or not u.format_id or u.is_summary:
            out.append(u)
            continue
        found = last.match(u.unit, u.code)
        if found is None:
            unmatched.append(u.file)
            out.append(u)
            continue
        spec = load_spec(u.format_id)
        added = [f for f in previous_findings(spec, values_of_unit(u), last_year_of_unit(found))
                 if f.severity in ("error", "warning")]
        out.append(_with_findings(u, added))
    return out, unmatched


def _with_findings(u: UnitResult, added: list[Finding]) -> UnitResult:
    if not added:
        return u
    return u._replace(findings=(*u.findings, *notes(added)),
                      errors=u.errors + sum(f.severity == "error" for f in added),
                      warnings=u.warnings + sum(f.severity == "warning" for f in added))
