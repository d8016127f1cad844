"""The office's overview page: every unit with its check status, counts and findings, the totals at a glance and a
chart of the units' key figures, in one self-contained HTML file that sorts and filters without a server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from xltools.consolidate.collect import UnitResult
from xltools.consolidate.decide import STATUS_ZH
from xltools.format.findings import fmt_number
from xltools.format.spec import load_spec
from xltools.publish.pages import render_page

KEY_FIGURES = (  # (label, cell ids summed)
    ("本年新收申请", ("T3.new_received.total",)),
    ("办理结果总计", ("T3.r_total.total",)),
    ("行政复议", ("T4.review.total",)),
    ("行政诉讼", ("T4.litigation_direct.total", "T4.litigation_after_review.total")),
    ("行政许可", ("T2.administrative_licensing.decisions",)),
    ("行政处罚", ("T2.administrative_punishment.decisions",)),
)
CHECK_ZH = {"ok": "通过", "warnings": "有警告", "errors": "有错误", "unreadable": "无法读取"}
MAX_FINDINGS = 50
CHART_UNITS = 30


@cache
def _positions() -> list[list[int]]:
    index = {c.id: i for i, c in enumerate(load_spec().number_cells)}
    return [[index[i] for i in ids] for _, ids in KEY_FIGURES]


def key_figures(unit: UnitResult) -> list[float]:
    """The unit's values of KEY_FIGURES (blank cells count 0)."""
    values = unit.values
    return [round(sum((values[i] or 0) for i in positions if i < len(values)), 6) for positions in _positions()]


def _chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars for the units with the most applications: applications, and 复议 + 诉讼 (SVG drawn here)."""
    top = sorted((r for r in rows if r["readable"]), key=lambda r: -r["figures"][0])[:CHART_UNITS]
    peak = max([r["figures"][0] for r in top] + [r["figures"][2] + r["figures"][3] for r in top] + [1])
    bars = []
    for i, r in enumerate(top):
        cases = r["figures"][2] + r["figures"][3]
        bars.append({"y": 28 + i * 26, "name": r["unit"], "apps": r["figures"][0], "cases": cases,
                     "w_apps": round(360 * r["figures"][0] / peak, 1), "w_cases": round(360 * cases / peak, 1)})
    return {"bars": bars, "height": 40 + 26 * len(bars), "shown": len(top), "total": len(rows)}


def overview_context(units: Sequence[UnitResult], title: str, entries: Sequence[Any] | None = None
                     ) -> dict[str, Any]:
    by_file = {e.result.file: e for e in entries or () if e.result is not None}
    rows: list[dict[str, Any]] = []
    for u in units:
        entry = by_file.get(u.file)
        findings = [{"severity": "错误" if f.severity == "error" else "警告", "where": f.where, "rule": f.rule,
                     "message": f.message["zh"]} for f in u.findings[:MAX_FINDINGS]]
        figures = key_figures(u) if u.readable else [0.0] * len(KEY_FIGURES)
        rows.append({
            "unit": u.unit or "（单位不明）", "level": u.level, "file": u.file, "status": u.status,
            "status_zh": CHECK_ZH[u.status], "errors": u.errors, "warnings": u.warnings, "readable": u.readable,
            "reason": u.reason or "", "figures": figures,
            "figures_text": [fmt_number(x) for x in figures] if u.readable else [""] * len(KEY_FIGURES),
            "findings": findings, "more": max(0, len(u.findings) - MAX_FINDINGS),
            "consolidation": STATUS_ZH[entry.status] if entry else "", "note": entry.reason if entry else "",
        })
    counted = [r for r in rows if r["readable"] and (entries is None or by_file[r["file"]].included)]
    totals = [sum(r["figures"][i] for r in counted) for i in range(len(KEY_FIGURES))]
    missing = [e for e in entries or () if e.result is None]
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in CHECK_ZH}
    return {
        "title": title, "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "rows": rows,
        "figure_labels": [label for label, _ in KEY_FIGURES], "totals": [fmt_number(t) for t in totals],
        "counted": len(counted),
        "counts": [(CHECK_ZH[s], s, n) for s, n in counts.items()], "chart": _chart(rows),
        "missing": [e.roster.unit for e in missing if e.roster is not None], "consolidation": entries is not None,
    }


def write_overview(path: str | Path, units: Sequence[UnitResult], title: str = "年度报告校验情况",
                   entries: Sequence[Any] | None = None) -> Path:
    """Write the overview page (atomically)."""
    from xltools.atomic import atomic_output

    path = Path(path)
    html = render_page("overview.html.j2", **overview_context(units, title, entries))
    with atomic_output(path, overwrite=True) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(html)
    return path
