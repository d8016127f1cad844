"""The office's overview page: every unit with its check status, counts and findings, the totals at a glance and a
chart of the units' key figures, in one self-contained HTML file that sorts and filters without a server."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xltools.consolidate.collect import UnitResult
from xltools.consolidate.decide import STATUS_ZH
from xltools.format.findings import fmt_number
from xltools.format.spec import FormatSpec, default_format_id, load_spec
from xltools.publish.pages import render_page

CHECK_ZH = {"ok": "通过", "warnings": "有警告", "errors": "有错误", "unreadable": "无法读取"}
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


def _chart(rows: list[dict[str, Any]], spec: FormatSpec) -> dict[str, Any]:
    """Two bars per unit for the units with the most of the first (SVG drawn here); which key figures they show
    comes from the format spec."""
    first, second = _chart_series(spec)
    labels = [label for label, _ in spec.key_figures]

    def total(r: dict[str, Any], which: list[int]) -> float:
        return float(sum(r["figures"][i] for i in which))

    top = sorted((r for r in rows if r["readable"]), key=lambda r: -total(r, first))[:CHART_UNITS]
    peak = max([total(r, first) for r in top] + [total(r, second) for r in top] + [1])
    bars = []
    for i, r in enumerate(top):
        a, b = total(r, first), total(r, second)
        bars.append({"y": 28 + i * 26, "name": r["unit"], "apps": fmt_number(a), "cases": fmt_number(b),
                     "w_apps": round(360 * a / peak, 1), "w_cases": round(360 * b / peak, 1)})
    return {"bars": bars, "height": 40 + 26 * len(bars), "shown": len(top), "total": len(rows),
            "first_label": " + ".join(labels[i] for i in first), "second_label": " + ".join(labels[i] for i in second)}


def overview_context(units: Sequence[UnitResult], title: str, entries: Sequence[Any] | None = None,
                     spec: FormatSpec | None = None) -> dict[str, Any]:
    """What the page shows; the key figures are those of ``spec`` (default: the format most units use)."""
    if spec is None:
        formats = [u.format_id for u in units if u.format_id]
        spec = load_spec(max(set(formats), key=formats.count) if formats else default_format_id())
    n_figures = len(spec.key_figures)
    by_file = {e.result.file: e for e in entries or () if e.result is not None}
    rows: list[dict[str, Any]] = []
    for u in units:
        entry = by_file.get(u.file)
        findings = [{"severity": "错误" if f.severity == "error" else "警告", "where": f.where, "rule": f.rule,
                     "message": f.message["zh"]} for f in u.findings[:MAX_FINDINGS]]
        figures = key_figures(u, spec) if u.readable else [0.0] * n_figures
        rows.append({
            "unit": u.unit or "（单位不明）", "level": u.level, "file": u.file, "status": u.status,
            "status_zh": CHECK_ZH[u.status], "errors": u.errors, "warnings": u.warnings, "readable": u.readable,
            "reason": u.reason or "", "figures": figures,
            "figures_text": [fmt_number(x) for x in figures] if u.readable else [""] * n_figures,
            "findings": findings, "more": max(0, len(u.findings) - MAX_FINDINGS),
            "consolidation": STATUS_ZH[entry.status] if entry else "", "note": entry.reason if entry else "",
        })
    counted = [r for r in rows if r["readable"] and (entries is None or by_file[r["file"]].included)]
    totals = [sum(r["figures"][i] for r in counted) for i in range(n_figures)]
    missing = [e for e in entries or () if e.result is None]
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in CHECK_ZH}
    return {
        "title": title, "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "rows": rows,
        "figure_labels": [label for label, _ in spec.key_figures], "totals": [fmt_number(t) for t in totals],
        "counted": len(counted),
        "counts": [(CHECK_ZH[s], s, n) for s, n in counts.items()], "chart": _chart(rows, spec),
        "missing": [e.roster.unit for e in missing if e.roster is not None], "consolidation": entries is not None,
    }


def overview_html(units: Sequence[UnitResult], title: str = "年度报告校验情况",
                  entries: Sequence[Any] | None = None, spec: FormatSpec | None = None) -> str:
    """The overview page as one self-contained HTML text."""
    return render_page("overview.html.j2", **overview_context(units, title, entries, spec))


def write_overview(path: str | Path, units: Sequence[UnitResult], title: str = "年度报告校验情况",
                   entries: Sequence[Any] | None = None, spec: FormatSpec | None = None,
                   overwrite: bool = False) -> Path:
    """Write the overview page (atomically; an existing file only with ``overwrite``, else OutputExists)."""
    from xltools.atomic import atomic_output

    path = Path(path)
    html = overview_html(units, title, entries, spec)
    with atomic_output(path, overwrite) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(html)
    return path
