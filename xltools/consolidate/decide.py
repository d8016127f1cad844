"""Which inputs of a consolidation are counted, and why the others are not: unreadable files, wrong years, units
with errors, the same unit twice (the original counted, not its copy), a unit's Word/PDF version beside its
workbook, units counted twice through a county's consolidation, roster matching (also by file name, so that a
unit whose file cannot be read is never 未报送). Pure."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import NamedTuple

from xltools.checking.check import report_kind
from xltools.consolidate.collect import UnitResult
from xltools.consolidate.roster import RosterEntry, RosterIndex, code_key, unit_key

STATUS_ZH = {
    "included": "已汇总", "imported": "已汇总（由报告导入）", "included_invalid": "已汇总（有错误）",
    "rejected": "退回（有错误）", "duplicate": "重复", "identical_copy": "重复（文件相同，只计一次）",
    "other_version": "重复（同一单位的另一版本）", "wrong_year": "年度不符", "not_on_roster": "不在名单中",
    "unreadable": "无法读取", "double_counted": "重复计算（已含在汇总中）", "missing": "未报送",
}
COUNTED = ("included", "imported", "included_invalid")
ANNOTATE_HINT = "（加 --annotate-dir 可生成带校验结果的工作簿发回）"

# How people and programs name a copy of a file: "报告-副本", "报告 - 副本 (2)", "报告(1)", "报告 copy 2", "复件 报告".
_COPY_SUFFIX = re.compile(
    r"(?:\s*-?\s*(?:的)?副本(?:\s*[（(]?\d+[)）]?)?|\s*[（(]\d+[)）]|\s*-?\s*copy(?:\s*\(?\d+\)?)?)$", re.IGNORECASE)
_COPY_PREFIX = re.compile(r"^(?:复件|副本|copy of)\s*[-_ ]?\s*", re.IGNORECASE)
# What a file name adds to the unit's name: the year and the report's title ("市民政局2021年政府信息公开工作年度报告").
_REPORT_WORDS = re.compile(r"(?:[\s_\-—.·、]*(?:\d{4}\s*年?度?|政府信息公开|工作|年度?报告|年报|报告|年度))+$")
_LEADING_YEAR = re.compile(r"^(?:\d{4}\s*年?度?)[\s_\-—.·、]*")


def is_copy(path: str) -> bool:
    """Whether a file name is that of a copy (“报告-副本.xlsx”, “报告 (1).xlsx”, “报告 copy.xlsx”, “复件 报告.xlsx”)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return bool(_COPY_SUFFIX.search(stem) or _COPY_PREFIX.match(stem))


def file_unit_keys(path: str) -> set[str]:
    """The unit names a file name may stand for (as ``unit_key``): the name itself, and without a copy mark, the
    year and the report's title (“市民政局2021年报-副本.xls” → 市民政局)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    keys = {unit_key(stem)}
    for _ in range(3):
        stem = _COPY_PREFIX.sub("", _COPY_SUFFIX.sub("", stem))
        stem = _LEADING_YEAR.sub("", _REPORT_WORDS.sub("", stem)).strip()
        keys.add(unit_key(stem))
    return {k for k in keys if k}


class Entry(NamedTuple):
    """What happened to one input file (or, for ``missing``, to one roster unit)."""

    status: str
    result: UnitResult | None
    reason: str = ""
    roster: RosterEntry | None = None

    @property
    def included(self) -> bool:
        return self.status in COUNTED

    @property
    def label(self) -> str:
        """The status as the office reads it: "已汇总（由 PDF 导入）" names what the report was imported from."""
        if self.status == "imported" and self.result is not None:
            return f"已汇总（由 {self.result.imported} 导入）"
        return STATUS_ZH[self.status]


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
        code = code_key(u.code)
        for key in (("name", unit_key(u.unit)) if u.unit else None, ("code", code) if code else None):
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


def _unit_keys(r: UnitResult) -> set[tuple[str, str]]:
    keys = {("name", k) for k in file_unit_keys(r.file)}
    if r.unit:
        keys.add(("name", unit_key(r.unit)))
    if code_key(r.code):
        keys.add(("code", code_key(r.code)))
    return keys


def _other_versions(results: Sequence[UnitResult]) -> dict[str, Entry]:
    """Report files (Word, PDF, …) of a unit that also sent a readable workbook (same unit name or code, or the same
    name in the file names): the workbook counts, the report is listed as its other version."""
    if not any(r.imported or report_kind(r.file) for r in results):  # the usual round: workbooks only
        return {}
    books: dict[tuple[str, str], UnitResult] = {}
    for r in results:
        if r.readable and not r.imported and report_kind(r.file) is None:
            for k in _unit_keys(r):
                books.setdefault(k, r)
    out: dict[str, Entry] = {}
    for r in results:
        kind = r.imported or report_kind(r.file)
        if not kind:
            continue
        book = next((books[k] for k in sorted(_unit_keys(r)) if k in books), None)
        if book is not None:
            out[r.file] = Entry("other_version", r, f"同一单位的 {kind} 版本，未重复计入（计入的是工作簿 {book.file}）")
    return out


def _rejected(r: UnitResult, annotate: bool) -> Entry:
    """A unit sent back, with the reason: the cells an import left empty, or the errors."""
    if r.left_empty:
        shown = "、".join(r.left_empty[:10]) + (f" 等 {len(r.left_empty)} 处" if len(r.left_empty) > 10 else "")
        return Entry("rejected", r, f"由 {r.imported} 导入不完整，这些单元格没有导入、留空：{shown}。"
                                    "请该单位报送工作簿（.xlsx），或核对原文后重新报送")
    where = "；".join(f"{f.where} {f.rule}" for f in r.findings if f.severity == "error")[:300]
    if r.imported:
        return Entry("rejected", r, f"由 {r.imported} 导入后校验有 {r.errors} 个错误：{where}。"
                                    "请该单位核对后报送工作簿（.xlsx）")
    return Entry("rejected", r, f"{r.errors} 个错误：{where}。请该单位修改后重新报送"
                                + ("" if annotate else ANNOTATE_HINT))


def decide(results: Sequence[UnitResult], year: int, include_invalid: bool = False,
           roster: Sequence[RosterEntry] | None = None, annotate: bool = False) -> list[Entry]:
    """Which inputs are counted, and why the others are not. A report imported from Word, PDF, … counts only when
    the import was complete and its check found no errors (also with ``include_invalid``). ``annotate``: annotated
    copies are written (--annotate-dir), so the 退回 lines do not suggest it. Pure."""
    entries: list[Entry] = []
    candidates: list[UnitResult] = []
    versions = _other_versions(results)
    for r in results:
        if r.file in versions:
            entries.append(versions[r.file])
        elif not r.readable:
            entries.append(Entry("unreadable", r, r.reason or ""))
        elif r.year != year:
            entries.append(Entry("wrong_year", r, f"报告年度为 {r.year or '（未填写）'}，汇总年度为 {year}；"
                                 "请核对封面的年度，或请该单位重新报送"))
        elif r.left_empty or (r.errors and (r.imported or not include_invalid)):
            entries.append(_rejected(r, annotate))
        else:
            candidates.append(r)
    kept: list[UnitResult] = []
    groups = _same_unit_groups(candidates)
    for group in groups:
        if len(group) == 1:
            kept.append(group[0])
        elif len({r.digest for r in group}) == 1:
            original = min(group, key=lambda r: (is_copy(r.file), r.file))
            kept.append(original)
            entries.extend(Entry("identical_copy", r, f"与 {original.file} 完全相同，只计一次")
                           for r in group if r is not original)
        else:
            files = "、".join(r.file for r in group)
            entries.extend(Entry("duplicate", r, f"同一单位有 {len(group)} 份不同的报告（{files}），请确认后只保留一份")
                           for r in group)
    summaries = [r for r in kept if r.is_summary]
    within = _contained(summaries)  # a county's consolidation beside the city's that holds it: the county is out
    summaries = [sm for sm in summaries if id(sm) not in within]
    by_leaf: dict[tuple[str, str], list[UnitResult]] = {}
    for sm in summaries:
        for name, code in sm.constituents:
            by_leaf.setdefault(("name", unit_key(name)), []).append(sm)
            if code_key(code):
                by_leaf.setdefault(("code", code_key(code)), []).append(sm)
    counted: list[UnitResult] = []
    for r in kept:
        holder = within.get(id(r))
        if holder is not None:
            entries.append(Entry("double_counted", r, f"其中的单位都已包含在“{holder.unit}”的汇总（{holder.file}）中，"
                                 "不再单独计入"))
            continue
        keys = [("name", unit_key(r.unit)), ("code", code_key(r.code))] if r.unit else [("code", code_key(r.code))]
        inside = [sm for k in keys if k[1] for sm in by_leaf.get(k, []) if sm is not r]
        shared = [sm for name, code in r.constituents
                  for k in (("name", unit_key(name)), ("code", code_key(code))) if k[1]
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
        entries.append(Entry("imported" if r.imported else "included_invalid" if r.errors else "included", r))
    if roster is not None:
        index = RosterIndex(tuple(roster))
        entries = [e._replace(roster=_roster_entry(index, e.result))
                   if e.result is not None and e.roster is None else e for e in entries]
    order = {r.file: i for i, r in enumerate(results)}
    entries.sort(key=lambda e: order.get(e.result.file, len(order)) if e.result else len(order))
    return entries


def _leaf_keys(sm: UnitResult) -> set[tuple[str, str]]:
    return {k for name, code in sm.constituents for k in (("name", unit_key(name)), ("code", code_key(code))) if k[1]}


def _contained(summaries: Sequence[UnitResult]) -> dict[int, UnitResult]:
    """Consolidations all of whose units another, larger consolidation holds too (a county's beside the city's
    that counted it; level-by-level rounds send both up now and then), by ``id``: the one that holds them. Two
    consolidations of the same units, or sharing only some, are not in here (which one is right is not known)."""
    if len(summaries) < 2:
        return {}
    keys = {id(sm): _leaf_keys(sm) for sm in summaries}
    by_key: dict[tuple[str, str], list[UnitResult]] = {}
    for sm in summaries:
        for k in keys[id(sm)]:
            by_key.setdefault(k, []).append(sm)
    out: dict[int, UnitResult] = {}
    for sm in summaries:
        mine = keys[id(sm)]
        for name, code in sm.constituents[:1]:  # a holder holds the first unit too
            first = [k for k in (("name", unit_key(name)), ("code", code_key(code))) if k[1]]
            candidates = {id(o): o for k in first for o in by_key.get(k, []) if o is not sm}
            for other in candidates.values():
                theirs = keys[id(other)]
                if all(any(k in theirs for k in (("name", unit_key(n)), ("code", code_key(c))) if k[1])
                       for n, c in sm.constituents) and not mine >= theirs:
                    out[id(sm)] = other
                    break
    return out


def _match_roster(counted: list[UnitResult], entries: list[Entry], roster: Sequence[RosterEntry]) -> list[UnitResult]:
    index = RosterIndex(tuple(roster))
    matched: set[str] = set()
    on_roster: list[UnitResult] = []
    for r in counted:
        entry, conflict = index.match(r.unit, r.code)
        if entry is None:
            entries.append(Entry("not_on_roster", r, conflict
                                 or "名单中没有这个单位；如应汇总，请把它加入名单（或核对单位名称）"))
        else:
            matched.add(unit_key(entry.unit))
            on_roster.append(r)
    for r in (e.result for e in entries if e.result is not None):  # received, if not counted: not 未报送
        entry = _roster_entry(index, r)
        if entry is not None:
            matched.add(unit_key(entry.unit))
    entries.extend(Entry("missing", None, "没有收到报告，请催报", e) for e in roster if unit_key(e.unit) not in matched)
    return on_roster


def _roster_entry(index: RosterIndex, r: UnitResult) -> RosterEntry | None:
    """The roster unit a received file belongs to: by its code or unit name, else by its file name (a file that
    cannot be read still names its unit)."""
    entry = index.match(r.unit, r.code)[0] or (index.by_name.get(unit_key(r.unit)) if r.unit else None)
    if entry is None:
        entry = next((index.by_name[k] for k in sorted(file_unit_keys(r.file)) if k in index.by_name), None)
    return entry


def who(e: Entry) -> str:
    """The unit an entry is about: the name in the file, else its roster unit's name."""
    return (e.result.unit if e.result else None) or (e.roster.unit if e.roster else "")


def describe(e: Entry) -> str:
    """One line about an entry, for the terminal."""
    r = e.result
    name = who(e) or ("（单位不明）" if r else "")
    where = f"  {r.file}" if r else ""
    return f"  {e.label:<10} {name}{where}" + (f"\n        {e.reason}" if e.reason else "")
