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
from xltools.check import CheckReport, check_file
from xltools.collect import Progress, UnitResult, expand_workbooks, read_units
from xltools.document import ReportDocument
from xltools.findings import Number
from xltools.roster import RosterEntry, read_roster, unit_key
from xltools.spec import DEFAULT_FORMAT, load_spec

PROP_CONSOLIDATED = "xltools.consolidated"
DETAIL_SHEET, STATUS_SHEET, COMPOSITION_SHEET = "汇总明细", "报送情况", "汇总构成"
STATUS_ZH = {
    "included": "已汇总", "included_invalid": "已汇总（有错误）", "rejected": "退回（有错误）", "duplicate": "重复",
    "identical_copy": "重复（文件相同，只计一次）", "wrong_year": "年度不符", "not_on_roster": "不在名单中",
    "unreadable": "无法读取", "double_counted": "重复计算（已含在汇总中）", "missing": "未报送",
}


class ConsolidateError(ValueError):
    """Consolidation cannot run (no inputs, bad options); message in Chinese."""


class Entry(NamedTuple):
    """What happened to one input file (or, for ``missing``, to one roster unit)."""

    status: str
    result: UnitResult | None
    reason: str = ""
    roster: RosterEntry | None = None

    @property
    def included(self) -> bool:
        return self.status in ("included", "included_invalid")


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


def _same_unit_groups(units: Sequence[UnitResult]) -> list[list[UnitResult]]:
    """Units grouped when they share a name or a code (an empty name or code matches nothing), in input order;
    linear in the number of units (union-find over the names and codes)."""
    parent = list(range(len(units)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, u in enumerate(units):
        for key in (("name", unit_key(u.unit)) if u.unit else None, ("code", u.code) if u.code else None):
            if key is None:
                continue
            if key in first:
                parent[root(i)] = root(first[key])
            else:
                first[key] = i
    groups: dict[int, list[UnitResult]] = {}
    for i, u in enumerate(units):
        groups.setdefault(root(i), []).append(u)
    return list(groups.values())


def decide(results: Sequence[UnitResult], year: int, include_invalid: bool = False,
           roster: Sequence[RosterEntry] | None = None) -> list[Entry]:
    """Which inputs are counted, and why the others are not. Pure."""
    entries: list[Entry] = []
    candidates: list[UnitResult] = []
    for r in results:
        if not r.readable:
            entries.append(Entry("unreadable", r, r.reason or ""))
        elif r.year != year:
            entries.append(Entry("wrong_year", r, f"报告年度为 {r.year or '（未填写）'}，汇总年度为 {year}；"
                                 "请核对封面的年度，或请该单位重新报送"))
        elif r.errors and not include_invalid:
            where = "；".join(f"{f.where} {f.rule}" for f in r.findings if f.severity == "error")[:300]
            entries.append(Entry("rejected", r, f"{r.errors} 个错误：{where}。请该单位修改后重新报送"
                                 "（--annotate-dir 可生成带校验结果的工作簿发回）"))
        else:
            candidates.append(r)
    kept: list[UnitResult] = []
    groups = _same_unit_groups(candidates)
    for group in groups:
        if len(group) == 1:
            kept.append(group[0])
        elif len({r.digest for r in group}) == 1:
            kept.append(group[0])
            entries.extend(Entry("identical_copy", r, f"与 {group[0].file} 完全相同，只计一次") for r in group[1:])
        else:
            files = "、".join(r.file for r in group)
            entries.extend(Entry("duplicate", r, f"同一单位有 {len(group)} 份不同的报告（{files}），请确认后只保留一份")
                           for r in group)
    summaries = [r for r in kept if r.is_summary]
    by_leaf: dict[tuple[str, str], list[UnitResult]] = {}
    for sm in summaries:
        for name, code in sm.constituents:
            by_leaf.setdefault(("name", unit_key(name)), []).append(sm)
            if code:
                by_leaf.setdefault(("code", code), []).append(sm)
    counted: list[UnitResult] = []
    for r in kept:
        keys = [("name", unit_key(r.unit)), ("code", r.code)] if r.unit else [("code", r.code)]
        inside = [sm for k in keys if k[1] for sm in by_leaf.get(k, []) if sm is not r]
        shared = [sm for name, code in r.constituents for k in (("name", unit_key(name)), ("code", code)) if k[1]
                  for sm in by_leaf.get(k, []) if sm is not r]
        if inside:
            entries.append(Entry("double_counted", r,
                                 f"已包含在“{inside[0].unit}”的汇总（{inside[0].file}）中，不再单独计入"))
        elif shared:
            entries.append(Entry("double_counted", r, f"与“{shared[0].unit}”的汇总包含相同的单位；"
                                 "请核对两份汇总的汇总构成，去掉重复的单位后重新汇总"))
        else:
            counted.append(r)
    if roster is not None:
        counted = _match_roster(counted, entries, roster)
    for r in counted:
        entries.append(Entry("included_invalid" if r.errors else "included", r))
    if roster is not None:
        by_code = {e.code: e for e in roster if e.code}
        by_name = {unit_key(e.unit): e for e in roster}
        entries = [e._replace(roster=(by_code.get(e.result.code) if e.result.code else None)
                              or by_name.get(unit_key(e.result.unit)))
                   if e.result is not None and e.roster is None else e for e in entries]
    order = {r.file: i for i, r in enumerate(results)}
    entries.sort(key=lambda e: order.get(e.result.file, len(order)) if e.result else len(order))
    return entries


def _match_roster(counted: list[UnitResult], entries: list[Entry], roster: Sequence[RosterEntry]) -> list[UnitResult]:
    by_code = {e.code: e for e in roster if e.code}
    by_name = {unit_key(e.unit): e for e in roster}
    matched: set[str] = set()
    on_roster: list[UnitResult] = []
    for r in counted:
        entry = by_code.get(r.code) if r.code else None
        entry = entry or by_name.get(unit_key(r.unit))
        if entry is None:
            entries.append(Entry("not_on_roster", r, "名单中没有这个单位；如应汇总，请把它加入名单（或核对单位名称）"))
        else:
            matched.add(entry.unit)
            on_roster.append(r)
    for r in (e.result for e in entries if e.result is not None):
        entry = (by_code.get(r.code) if r.code else None) or by_name.get(unit_key(r.unit))
        if entry is not None:
            matched.add(entry.unit)
    entries.extend(Entry("missing", None, "没有收到报告，请催报", e) for e in roster if e.unit not in matched)
    return on_roster


def sum_values(units: Sequence[UnitResult], format_id: str = DEFAULT_FORMAT) -> dict[str, Number | None]:
    """Cell-by-cell sums (blank cells count 0); the fee in 万元 is summed exactly and kept to 6 decimals."""
    cells = load_spec(format_id).number_cells
    out: dict[str, Number | None] = {}
    for i, cell in enumerate(cells):
        parts = [u.values[i] or 0 for u in units if i < len(u.values)]
        if cell.type == "amount":
            total = round(math.fsum(parts), 6)
            out[cell.id] = int(total) if float(total).is_integer() else total
        else:
            out[cell.id] = int(sum(parts))
    return out


def consolidate(inputs: Sequence[str], output: str | Path, *, unit: str, year: int,
                roster: str | Path | None = None, include_invalid: bool = False, jobs: int | None = None,
                overwrite: bool = False, progress: Progress | None = None, overview: bool = True,
                annotate_dir: str | Path | None = None) -> Consolidation:
    """Consolidate the workbooks found in ``inputs`` into ``output`` (.xlsx). Raises ConsolidateError,
    RosterError, OutputExists or OSError when it cannot run; problems with single inputs are entries."""
    from xltools.consolidate_sheets import data_sheets
    from xltools.template import write_workbook

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
    spec = load_spec(DEFAULT_FORMAT)
    doc = ReportDocument(spec.id, unit, year, {"level": "汇总"}, sum_values(included, spec.id), {})
    with atomic_output(output, overwrite) as tmp:
        write_workbook(spec, tmp, doc, data_sheets(spec, entries), {PROP_CONSOLIDATED: str(len(included))})
    result = Consolidation(output, tuple(entries), doc, check_file(output))
    if overview:
        from xltools.overview import write_overview

        write_overview(overview_path(output), [e.result for e in entries if e.result is not None],
                       title=f"{unit}{year}年政府信息公开工作年度报告 汇总情况", entries=entries)
    if annotate_dir is not None:
        from xltools.book import annotate_all

        annotate_all([e.result for e in entries if e.result is not None and e.result.readable], annotate_dir,
                     overwrite=overwrite)
    return result


def overview_path(output: Path) -> Path:
    return output.with_name(output.stem + "-汇总情况.html")


def describe(e: Entry) -> str:
    """One line about an entry, for the terminal."""
    r = e.result
    who = (r.unit or "（单位不明）") if r else (e.roster.unit if e.roster else "")
    where = f"  {r.file}" if r else ""
    return f"  {STATUS_ZH[e.status]:<10} {who}{where}" + (f"\n        {e.reason}" if e.reason else "")
