"""Which inputs of a consolidation are counted, and why the others are not: unreadable files, wrong years, units
with errors, the same unit twice, units counted twice through a county's consolidation, roster matching. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from xltools.consolidate.collect import UnitResult
from xltools.consolidate.roster import RosterEntry, RosterIndex, code_key, unit_key

STATUS_ZH = {
    "included": "已汇总", "included_invalid": "已汇总（有错误）", "rejected": "退回（有错误）", "duplicate": "重复",
    "identical_copy": "重复（文件相同，只计一次）", "wrong_year": "年度不符", "not_on_roster": "不在名单中",
    "unreadable": "无法读取", "double_counted": "重复计算（已含在汇总中）", "missing": "未报送",
}



class Entry(NamedTuple):
    """What happened to one input file (or, for ``missing``, to one roster unit)."""

    status: str
    result: UnitResult | None
    reason: str = ""
    roster: RosterEntry | None = None

    @property
    def included(self) -> bool:
        return self.status in ("included", "included_invalid")


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
            if code_key(code):
                by_leaf.setdefault(("code", code_key(code)), []).append(sm)
    counted: list[UnitResult] = []
    for r in kept:
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
        entries.append(Entry("included_invalid" if r.errors else "included", r))
    if roster is not None:
        index = RosterIndex(tuple(roster))
        entries = [e._replace(roster=index.match(e.result.unit, e.result.code)[0])
                   if e.result is not None and e.roster is None else e for e in entries]
    order = {r.file: i for i, r in enumerate(results)}
    entries.sort(key=lambda e: order.get(e.result.file, len(order)) if e.result else len(order))
    return entries


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
        entry = index.match(r.unit, r.code)[0] or index.by_name.get(unit_key(r.unit))
        if entry is not None:
            matched.add(unit_key(entry.unit))
    entries.extend(Entry("missing", None, "没有收到报告，请催报", e) for e in roster if unit_key(e.unit) not in matched)
    return on_roster


def describe(e: Entry) -> str:
    """One line about an entry, for the terminal."""
    r = e.result
    who = (r.unit or "（单位不明）") if r else (e.roster.unit if e.roster else "")
    where = f"  {r.file}" if r else ""
    return f"  {STATUS_ZH[e.status]:<10} {who}{where}" + (f"\n        {e.reason}" if e.reason else "")
