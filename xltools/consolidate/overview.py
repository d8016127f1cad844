"""The office's overview page: the round at a glance (tiles of the round's state, clickable to filter), every unit
with its check result, what became of it, its counts and findings, the totals and a chart of the counted units' key
figures, in one self-contained HTML file that sorts and filters without a server."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xltools.consolidate.collect import UnitResult
from xltools.consolidate.decide import STATUS_ZH, Entry
from xltools.format.findings import fmt_number
from xltools.format.spec import FormatSpec, default_format_id, load_spec
from xltools.publish.pages import render_page

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


def key_figures(unit: UnitResult, spec: FormatSpec) -> list[float]:
    """The unit's values of the format's key figures, by cell id (blank cells count 0, and so does anything that
    is not a finite number)."""
    def finite(cell_id: str) -> float:
        v = unit.value(cell_id)
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


def _chart(rows: list[dict[str, Any]], spec: FormatSpec, consolidation: bool) -> dict[str, Any]:
    """Two bars per unit for the units (``rows``: those counted, or every readable file) with the most of the
    first (SVG drawn here); which key figures they show comes from the format spec."""
    first, second = _chart_series(spec)
    labels = [label for label, _ in spec.key_figures]

    def total(r: dict[str, Any], which: list[int]) -> float:
        return float(sum(r["figures"][i] for i in which))

    top = sorted(rows, key=lambda r: -total(r, first))[:CHART_UNITS]
    peak = max([total(r, first) for r in top] + [total(r, second) for r in top] + [1])
    bars = []
    for i, r in enumerate(top):
        a, b = total(r, first), total(r, second)
        bars.append({"y": 28 + i * 26, "name": r["unit"], "apps": fmt_number(a), "cases": fmt_number(b),
                     "w_apps": round(360 * a / peak, 1), "w_cases": round(360 * b / peak, 1)})
    first_label = " + ".join(labels[i] for i in first)
    if consolidation:
        caption = f"图中只含已汇总的 {len(rows)} 个单位" if rows else "没有已汇总的单位，图中没有数据"
    else:
        caption = f"图中为能读取的 {len(rows)} 个文件" if rows else "没有能读取的文件，图中没有数据"
    if len(rows) > len(top):
        caption += f"，只画出{first_label}最多的 {len(top)} 个"
    return {"bars": bars, "height": 40 + 26 * len(bars), "shown": len(top), "total": len(rows),
            "caption": caption + "。", "first_label": first_label,
            "second_label": " + ".join(labels[i] for i in second)}


def _round_group(status: str) -> str:
    """Which tile of the round an entry's status belongs to (a status the page does not know is its own tile)."""
    return ROUND_GROUP.get(status, status)


def _tiles(rows: list[dict[str, Any]], entries: Sequence[Entry] | None, has_roster: bool) -> list[dict[str, Any]]:
    """The tiles at the top: the round's state (consolidation) or the check results (``check --report``)."""
    if entries is None:
        counts = {s: sum(1 for r in rows if r["filter"] == s) for s in CHECK_TILES}
        return [{"key": s, "label": CHECK_TILES[s][0], "hint": CHECK_TILES[s][1], "n": n} for s, n in counts.items()]
    counts = {}
    for r in rows:
        counts[r["filter"]] = counts.get(r["filter"], 0) + 1
    always = ("included", "missing") if has_roster else ()
    order = [*ROUND_TILES, *sorted(k for k in counts if k not in ROUND_TILES)]
    tiles = []
    for key in order:
        if counts.get(key) or key in always:
            label, hint = ROUND_TILES.get(key, (STATUS_ZH.get(key, key), ""))
            if key == "included":
                flagged = sum(1 for r in rows if r["round"] == "included_invalid")
                hint = f"其中 {flagged} 个有错误，按 --include-invalid 计入" if flagged else hint
            if key == "duplicate" and any(r["round"] == "double_counted" for r in rows):
                hint = "同一单位报送了多份，或已含在另一份汇总中：相同的文件只计一次，其余不计入"
            tiles.append({"key": key, "label": label, "hint": hint, "n": counts.get(key, 0)})
    return tiles


def _row(u: UnitResult, spec: FormatSpec) -> dict[str, Any]:
    """The table row of one input file."""
    n_figures = len(spec.key_figures)
    findings = [{"severity": "错误" if f.severity == "error" else "警告", "where": f.where, "rule": f.rule,
                 "message": f.message["zh"]} for f in u.findings[:MAX_FINDINGS]]
    figures = key_figures(u, spec) if u.readable else [0.0] * n_figures
    return {
        "unit": u.unit or "（单位不明）", "level": u.level, "file": u.file, "status": u.status,
        "status_zh": CHECK_ZH[u.status], "errors": u.errors, "warnings": u.warnings, "readable": u.readable,
        "reason": u.reason or "", "figures": figures,
        "figures_text": [fmt_number(x) for x in figures] if u.readable else [""] * n_figures,
        "findings": findings, "more": max(0, len(u.findings) - MAX_FINDINGS),
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


def overview_context(units: Sequence[UnitResult], title: str, entries: Sequence[Entry] | None = None,
                     spec: FormatSpec | None = None) -> dict[str, Any]:
    """What the page shows; the key figures are those of ``spec`` (default: the format most units use).

    With ``entries`` (a consolidation; ``units`` is then not used) the tiles are the round's state, every entry is
    a row (a roster unit that sent nothing too) and the totals and the chart hold only the units counted, each once;
    without (``check --report``) the tiles are the check results and the chart holds every readable file."""
    if spec is None:
        formats = [u.format_id for u in units if u.format_id]
        spec = load_spec(max(set(formats), key=formats.count) if formats else default_format_id())
    n_figures = len(spec.key_figures)
    rows: list[dict[str, Any]] = []
    if entries is None:
        rows = [_row(u, spec) for u in units]
        charted = [r for r in rows if r["readable"]]
        has_roster = False
    else:
        for e in entries:
            if e.result is None:
                rows.append(_missing_row(e, n_figures))
                continue
            row = _row(e.result, spec)
            row.update({"round": e.status, "consolidation": e.label, "note": e.reason,
                        "counted": bool(e.included) and e.result.readable, "filter": _round_group(e.status)})
            rows.append(row)
        charted = [r for r in rows if r["counted"]]
        has_roster = any(e.roster is not None or e.status in ("missing", "not_on_roster") for e in entries)
    totals = [sum(r["figures"][i] for r in charted) for i in range(n_figures)]
    return {
        "title": title, "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "rows": rows,
        "files": sum(1 for r in rows if r["file"]),
        "figure_labels": [label for label, _ in spec.key_figures], "totals": [fmt_number(t) for t in totals],
        "counted": len(charted), "tiles": _tiles(rows, entries, has_roster),
        "chart": _chart(charted, spec, entries is not None),
        "missing": [r["unit"] for r in rows if r["round"] == "missing"], "consolidation": entries is not None,
    }


def overview_html(units: Sequence[UnitResult], title: str = "年度报告校验情况",
                  entries: Sequence[Entry] | None = None, spec: FormatSpec | None = None) -> str:
    """The overview page as one self-contained HTML text."""
    return render_page("overview.html.j2", **overview_context(units, title, entries, spec))


def write_overview(path: str | Path, units: Sequence[UnitResult], title: str = "年度报告校验情况",
                   entries: Sequence[Entry] | None = None, spec: FormatSpec | None = None,
                   overwrite: bool = False) -> Path:
    """Write the overview page (atomically; an existing file only with ``overwrite``, else OutputExists)."""
    from xltools.atomic import atomic_output

    path = Path(path)
    html = overview_html(units, title, entries, spec)
    with atomic_output(path, overwrite) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(html)
    return path
