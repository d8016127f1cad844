"""The office's overview page: the round at a glance (tiles of the round's state, clickable to filter), every unit
with its check result, what became of it, its counts and findings, the totals and a chart of the counted units' key
figures, in one self-contained HTML file that sorts and filters without a server.

The page is streamed to its file (no 150 MB text in memory), its rows made one at a time from the compact unit
results. A round of more than PAGE_ROWS units continues on numbered pages (``…-汇总情况-第2页.html``), each with
the same tiles, totals and chart and PAGE_ROWS units, linked from one another: a browser handles a page of 2,000
units, not one of 100,000."""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from xltools.consolidate.collect import UnitResult, number_index
from xltools.consolidate.decide import STATUS_ZH, Entry
from xltools.format.findings import fmt_number
from xltools.format.spec import FormatSpec, default_format_id, load_spec
from xltools.publish.pages import render_page, stream_page

CHECK_ZH = {"ok": "通过", "warnings": "有警告", "errors": "有错误", "unreadable": "无法读取"}
# the tiles of ``check --report`` (no consolidation): check results, worded for the clerk checking a folder
CHECK_TILES = {
    "ok": ("校验通过", "没有发现问题"), "warnings": ("有警告", "请核对；警告不影响汇总"),
    "errors": ("有错误", "修改后才能计入汇总"), "unreadable": ("无法读取", "请该单位重新发送文件"),
}
# the tiles of a consolidation: the round's state, in this order; the entries' statuses (decide.STATUS_ZH) by tile
ROUND_TILES = {
    "included": ("已汇总", "计入本次汇总"), "rejected": ("退回", "有错误，请该单位修改后重新报送"),
    "duplicate": ("重复", "同一单位报送了多份：相同的文件只计一次，不同的都不计入"),
    "wrong_year": ("年度不符", "报告年度与汇总年度不同"), "unreadable": ("无法读取", "请该单位重新发送文件"),
    "not_on_roster": ("不在名单中", "名单中没有这个单位"), "missing": ("未报送", "没有收到报告，请催报"),
}
ROUND_GROUP = {"included_invalid": "included", "imported": "included", "identical_copy": "duplicate",
               "double_counted": "duplicate", "other_version": "duplicate"}
MAX_FINDINGS = 50
CHART_UNITS = 30
PAGE_ROWS = 2000  # units on one page; a larger round continues on numbered pages


def key_figures(unit: UnitResult, spec: FormatSpec) -> list[float]:
    """The unit's values of the format's key figures, by cell id (blank cells count 0, and so does anything that
    is not a finite number)."""
    index = number_index(unit.format_id)
    numbers = unit.numbers()

    def finite(cell_id: str) -> float:
        i = index.get(cell_id)
        v = numbers[i] if i is not None and i < len(numbers) else None
        try:
            return float(v) if isinstance(v, int | float) and math.isfinite(v) else 0.0
        except OverflowError:
            return 0.0

    return [round(math.fsum(finite(i) for i in ids), 6) for _, ids in spec.key_figures]


def _chart_series(spec: FormatSpec) -> tuple[list[int], list[int]]:
    """Which key figures make the chart's two bars: the spec's ``[overview.chart]`` (``bar`` and ``second_bar``,
    lists of key figure labels), else the first and the second key figure."""
    chart = spec.overview.get("chart", {})
    labels = [label for label, _ in spec.key_figures]

    def pick(key: str, default: list[int]) -> list[int]:
        wanted = chart.get(key)
        return [labels.index(x) for x in wanted if x in labels] if isinstance(wanted, list) else default

    return pick("bar", [0][:len(labels)]), pick("second_bar", [1][:len(labels) - 1])


def _chart(top: list[tuple[str, list[float]]], count: int, spec: FormatSpec, consolidation: bool) -> dict[str, Any]:
    """Two bars per unit for the units with the most of the first (``top``: (name, key figures), at most
    CHART_UNITS, of ``count`` units charted: those counted, or every readable file; SVG drawn here); which key
    figures they show comes from the format spec."""
    first, second = _chart_series(spec)
    labels = [label for label, _ in spec.key_figures]

    def total(figures: list[float], which: list[int]) -> float:
        return float(sum(figures[i] for i in which))

    peak = max([total(f, first) for _, f in top] + [total(f, second) for _, f in top] + [1])
    bars = []
    for i, (name, figures) in enumerate(top):
        a, b = total(figures, first), total(figures, second)
        bars.append({"y": 28 + i * 26, "name": name, "apps": fmt_number(a), "cases": fmt_number(b),
                     "w_apps": round(360 * a / peak, 1), "w_cases": round(360 * b / peak, 1)})
    first_label = " + ".join(labels[i] for i in first)
    if consolidation:
        caption = f"图中只含已汇总的 {count} 个单位" if count else "没有已汇总的单位，图中没有数据"
    else:
        caption = f"图中为能读取的 {count} 个文件" if count else "没有能读取的文件，图中没有数据"
    if count > len(top):
        caption += f"，只画出{first_label}最多的 {len(top)} 个"
    return {"bars": bars, "height": 40 + 26 * len(bars), "shown": len(top), "total": count,
            "caption": caption + "。", "first_label": first_label,
            "second_label": " + ".join(labels[i] for i in second)}


def _round_group(status: str) -> str:
    """Which tile of the round an entry's status belongs to (a status the page does not know is its own tile)."""
    return ROUND_GROUP.get(status, status)


def _tiles(counts: dict[str, int], rounds: dict[str, int], consolidation: bool,
           has_roster: bool) -> list[dict[str, Any]]:
    """The tiles at the top: the round's state (consolidation) or the check results (``check --report``), from
    the number of rows by filter key (``counts``) and by entry status (``rounds``)."""
    if not consolidation:
        return [{"key": s, "label": CHECK_TILES[s][0], "hint": CHECK_TILES[s][1], "n": counts.get(s, 0)}
                for s in CHECK_TILES]
    always = ("included", "missing") if has_roster else ()
    order = [*ROUND_TILES, *sorted(k for k in counts if k not in ROUND_TILES)]
    tiles = []
    for key in order:
        if counts.get(key) or key in always:
            label, hint = ROUND_TILES.get(key, (STATUS_ZH.get(key, key), ""))
            if key == "included":
                flagged = rounds.get("included_invalid", 0)
                hint = f"其中 {flagged} 个有错误，按 --include-invalid 计入" if flagged else hint
            if key == "duplicate" and rounds.get("double_counted"):
                hint = "同一单位报送了多份，或已含在另一份汇总中：相同的文件只计一次，其余不计入"
            tiles.append({"key": key, "label": label, "hint": hint, "n": counts.get(key, 0)})
    return tiles


def _row(u: UnitResult, spec: FormatSpec) -> dict[str, Any]:
    """The table row of one input file."""
    n_figures = len(spec.key_figures)
    findings = [{"severity": "错误" if f.severity == "error" else "警告", "where": f.where, "rule": f.rule,
                 "message": f.message} for f in u.findings[:MAX_FINDINGS]]
    figures = key_figures(u, spec) if u.readable else [0.0] * n_figures
    return {
        "unit": u.unit or "（单位不明）", "level": u.level, "file": u.file, "status": u.status,
        "status_zh": CHECK_ZH[u.status], "errors": u.errors, "warnings": u.warnings, "readable": u.readable,
        "reason": u.reason or "", "figures": figures,
        "figures_text": [fmt_number(x) for x in figures] if u.readable else [""] * n_figures,
        "findings": findings, "more": u.errors + u.warnings - len(findings) if u.readable else 0,
        "round": "", "consolidation": "", "note": "", "counted": False, "filter": u.status,
    }


def _missing_row(entry: Entry, n_figures: int) -> dict[str, Any]:
    """The table row of a roster unit that sent nothing."""
    unit = entry.roster.unit if entry.roster is not None else "（单位不明）"
    level = entry.roster.level if entry.roster is not None else ""
    return {
        "unit": unit, "level": level, "file": "", "status": "", "status_zh": "—", "errors": "", "warnings": "",
        "readable": False, "reason": "", "figures": [0.0] * n_figures, "figures_text": [""] * n_figures,
        "findings": [], "more": 0, "round": entry.status, "consolidation": entry.label,
        "note": entry.reason, "counted": False, "filter": _round_group(entry.status),
    }


class _Item:
    """One row of the page before it is made: an entry of a consolidation, or a unit of ``check --report``."""

    __slots__ = ("entry", "unit")

    def __init__(self, unit: UnitResult | None, entry: Entry | None) -> None:
        self.unit, self.entry = unit, entry

    def filter(self) -> str:
        if self.entry is None:
            return self.unit.status if self.unit is not None else ""
        return _round_group(self.entry.status)

    def counted(self) -> bool:
        if self.entry is None:
            return self.unit is not None and self.unit.readable
        return bool(self.entry.included) and self.entry.result is not None and self.entry.result.readable

    def row(self, spec: FormatSpec) -> dict[str, Any]:
        e, u = self.entry, self.unit
        if u is None:
            assert e is not None
            return _missing_row(e, len(spec.key_figures))
        row = _row(u, spec)
        if e is not None:
            row.update({"round": e.status, "consolidation": e.label, "note": e.reason,
                        "counted": self.counted(), "filter": _round_group(e.status)})
        return row


def _items(units: Sequence[UnitResult], entries: Sequence[Entry] | None) -> list[_Item]:
    if entries is None:
        return [_Item(u, None) for u in units]
    return [_Item(e.result, e) for e in entries]


def _spec_of(units: Iterable[UnitResult], spec: FormatSpec | None) -> FormatSpec:
    if spec is not None:
        return spec
    formats = [u.format_id for u in units if u.format_id]
    return load_spec(max(set(formats), key=formats.count) if formats else default_format_id())


def overview_context(units: Sequence[UnitResult], title: str, entries: Sequence[Entry] | None = None,
                     spec: FormatSpec | None = None) -> dict[str, Any]:
    """What the page shows, its rows as a generator made while the page is written; the key figures are those of
    ``spec`` (default: the format most units use).

    With ``entries`` (a consolidation; ``units`` is then not used) the tiles are the round's state, every entry is
    a row (a roster unit that sent nothing too) and the totals and the chart hold only the units counted, each once;
    without (``check --report``) the tiles are the check results and the chart holds every readable file."""
    items = _items(units, entries)
    spec = _spec_of((i.unit for i in items if i.unit is not None), spec)
    return _context(items, title, entries is not None, spec)


def _context(items: Sequence[_Item], title: str, consolidation: bool, spec: FormatSpec) -> dict[str, Any]:
    """Everything but the rows in one pass over the items (counts, totals, the chart's top units), keeping nothing
    per unit but the missing units' names; ``rows`` makes the rows of all ``items`` as they are written."""
    n_figures = len(spec.key_figures)
    first = _chart_series(spec)[0]
    counts: dict[str, int] = {}
    rounds: dict[str, int] = {}
    totals = [0.0] * n_figures
    top: list[tuple[float, int, str, list[float]]] = []
    charted = files = 0
    missing: list[str] = []
    has_roster = False
    for n, item in enumerate(items):
        key = item.filter()
        counts[key] = counts.get(key, 0) + 1
        if item.entry is not None:
            rounds[item.entry.status] = rounds.get(item.entry.status, 0) + 1
            has_roster = has_roster or item.entry.roster is not None or item.entry.status in ("missing",
                                                                                               "not_on_roster")
            if item.entry.status == "missing":
                missing.append(item.entry.roster.unit if item.entry.roster is not None else "（单位不明）")
        if item.unit is not None:
            files += 1
        if item.counted() and item.unit is not None:
            charted += 1
            figures = key_figures(item.unit, spec)
            totals = [t + f for t, f in zip(totals, figures, strict=True)]
            entry = (float(sum(figures[i] for i in first)), -n, item.unit.unit or "（单位不明）", figures)
            if len(top) < CHART_UNITS:
                heapq.heappush(top, entry)
            else:
                heapq.heappushpop(top, entry)
    best = [(name, figures) for _, _, name, figures in sorted(top, reverse=True)]
    return {
        "title": title, "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "rows": (item.row(spec) for item in items), "files": files,
        "figure_labels": [label for label, _ in spec.key_figures], "totals": [fmt_number(t) for t in totals],
        "counted": charted, "tiles": _tiles(counts, rounds, consolidation, has_roster),
        "chart": _chart(best, charted, spec, consolidation), "missing": missing, "consolidation": consolidation,
        "pages": [], "page": 1, "first_row": 1, "row_count": len(items),
    }


def overview_html(units: Sequence[UnitResult], title: str = "年度报告校验情况",
                  entries: Sequence[Entry] | None = None, spec: FormatSpec | None = None) -> str:
    """The overview page as one self-contained HTML text (for a small round; ``write_overview`` streams it)."""
    return render_page("overview.html.j2", **overview_context(units, title, entries, spec))


def write_overview(path: str | Path, units: Sequence[UnitResult], title: str = "年度报告校验情况",
                   entries: Sequence[Entry] | None = None, spec: FormatSpec | None = None,
                   overwrite: bool = False) -> Path:
    """Write the overview page, streamed (atomically; an existing file only with ``overwrite``, else
    OutputExists)."""
    from xltools.atomic import atomic_output

    path = Path(path)
    with atomic_output(path, overwrite) as tmp:
        stream_page("overview.html.j2", tmp, **overview_context(units, title, entries, spec))
    return path


def page_count(rows: int) -> int:
    """How many pages a list of ``rows`` units takes (at least one)."""
    return max(1, -(-rows // PAGE_ROWS))


def write_overview_pages(files: Sequence[str | Path], names: Sequence[str], entries: Sequence[Entry],
                         spec: FormatSpec, title: str) -> None:
    """A consolidation's overview, streamed into ``files`` (temporary files; ``names``: the names they get, for the
    links between them): page k holds rows k*PAGE_ROWS…, every page the same tiles, totals and chart; as many
    files as ``page_count(len(entries))``."""
    items = _items((), entries)
    context = _context(items, title, True, spec)
    count = page_count(len(items))
    if count != len(files):
        raise ValueError(f"{count} overview pages needed, {len(files)} given")
    pages = [{"n": n + 1, "name": names[n], "first": n * PAGE_ROWS + 1, "last": min(len(items), (n + 1) * PAGE_ROWS)}
             for n in range(count)] if count > 1 else []
    for n in range(count):
        part = items[n * PAGE_ROWS:(n + 1) * PAGE_ROWS]
        stream_page("overview.html.j2", files[n], **{
            **context, "rows": (item.row(spec) for item in part), "pages": pages, "page": n + 1,
            "first_row": n * PAGE_ROWS + 1})

