"""Renderers of check reports: readable text (Chinese, or English) grouped by sheet, and versioned JSON (strict:
a non-finite number anywhere becomes null, so that the result always parses as JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xltools.checking.check import CheckReport
from xltools.format.findings import SEVERITY_ZH, Finding
from xltools.reading.document import finite

JSON_SCHEMA_ID = "xltools.check/1"
COLLAPSE_AFTER = 6  # more findings than this of one rule on one sheet are listed on one line
WORDS = {
    "zh": {"fix": "修改", "unreadable": "无法检查", "ok": "通过", "failed": "未通过", "none": "未发现问题",
           "format": "格式", "year": "年度"},
    "en": {"fix": "Fix", "unreadable": "could not be checked", "ok": "passed", "failed": "failed",
           "none": "no findings", "format": "format", "year": ""},
}


def _severity(sev: str, lang: str) -> str:
    return SEVERITY_ZH[sev] if lang == "zh" else sev


def _where(f: Finding, lang: str) -> str:
    if not f.cells:
        return f.sheet
    c = f.cells[0]
    labels = "｜".join(x for x in (c.row_label, c.col_label) if x)
    if not labels:
        return c.ref
    return f"{c.ref}〔{labels}〕" if lang == "zh" else f"{c.ref} [{labels}]"


def _counts(errors: int, warnings: int, infos: int, lang: str) -> str:
    if lang == "zh":
        return f"{errors} 个错误，{warnings} 个警告，{infos} 条提示"
    return f"{errors} errors, {warnings} warnings, {infos} infos"


def _group_lines(findings: list[Finding], lang: str) -> list[str]:
    lines: list[str] = []
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    for rule, items in by_rule.items():
        if len(items) > COLLAPSE_AFTER:
            refs = "、".join(f.where for f in items[:COLLAPSE_AFTER]) + ("…" if len(items) > COLLAPSE_AFTER else "")
            head = items[0]
            lines.append(f"  {_severity(head.severity, lang)}  {rule}  ×{len(items)}：{refs}" if lang == "zh" else
                         f"  {head.severity}  {rule}  ×{len(items)}: {refs}")
            lines.append(f"        {head.message[lang]}")
            lines.append(f"        {WORDS[lang]['fix']}：{head.fix[lang]}" if lang == "zh" else
                         f"        {WORDS[lang]['fix']}: {head.fix[lang]}")
            continue
        for f in items:
            lines.append(f"  {_severity(f.severity, lang)}  {_where(f, lang)}  {f.rule}")
            lines.append(f"        {f.message[lang]}")
            sep = "：" if lang == "zh" else ": "
            lines.append(f"        {WORDS[lang]['fix']}{sep}{f.fix[lang]}")
    return lines


def render_report(report: CheckReport, lang: str = "zh", strict: bool = False) -> str:
    """One file's findings as text, grouped by sheet."""
    w = WORDS[lang]
    if not report.readable:
        return f"{report.file}：{w['unreadable']} —— {report.reason}" if lang == "zh" else \
            f"{report.file}: {w['unreadable']} — {report.reason}"
    title = " ".join(x for x in (report.unit or "", f"{report.year}{w['year']}" if report.year else "") if x)
    out = [f"== {report.file} ==" + (f"  {title}" if title else "")]
    sheets: dict[str, list[Finding]] = {}
    for f in report.findings:
        sheets.setdefault(f.cells[0].sheet if f.cells else f.sheet, []).append(f)
    for sheet, items in sheets.items():
        out.append(f"【{sheet}】" if lang == "zh" else f"[{sheet}]")
        out.extend(_group_lines(items, lang))
    counts = _counts(report.tally("error"), report.tally("warning"), report.tally("info"), lang)
    verdict = w["failed"] if report.failed(strict) else w["ok"]
    if not report.findings:
        counts = w["none"]
    out.append(f"结论：{verdict}（{counts}）" if lang == "zh" else f"Result: {verdict} ({counts})")
    return "\n".join(out)


def render_summary(reports: Sequence[CheckReport], lang: str = "zh", strict: bool = False) -> str:
    n = len(reports)
    bad = sum(1 for r in reports if not r.readable)
    failed = sum(1 for r in reports if r.readable and r.failed(strict))
    passed = n - bad - failed
    errors, warnings, infos = (sum(r.tally(s) for r in reports) for s in ("error", "warning", "info"))
    counts = _counts(errors, warnings, infos, lang)
    if lang == "zh":
        return f"共检查 {n} 个文件：{passed} 个通过，{failed} 个未通过，{bad} 个无法检查（合计 {counts}）"
    return f"{n} files: {passed} passed, {failed} failed, {bad} could not be checked ({counts})"


def exit_code(reports: Sequence[CheckReport], strict: bool = False) -> int:
    """0 no errors, 1 error findings (or warnings with --strict), 2 a file could not be checked."""
    if any(not r.readable for r in reports) or not reports:
        return 2
    return 1 if any(r.failed(strict) for r in reports) else 0


def to_json(reports: Sequence[CheckReport], strict: bool = False) -> dict[str, Any]:
    """The documented JSON result (schema ``xltools.check/1``, see docs/check-json.md); never a NaN or Infinity
    (``finite``: they become null)."""
    files = []
    for r in reports:
        files.append({
            "file": r.file,
            "status": r.status,
            "reason": r.reason,
            "format": r.format_id,
            "unit": r.unit,
            "year": r.year,
            "counts": {s: r.tally(s) for s in ("error", "warning", "info")},
            "findings": [f.to_json() for f in r.findings],
        })
    return dict(finite({
        "schema": JSON_SCHEMA_ID,
        "strict": strict,
        "files": files,
        "summary": {
            "files": len(reports),
            "passed": sum(1 for r in reports if r.readable and not r.failed(strict)),
            "failed": sum(1 for r in reports if r.readable and r.failed(strict)),
            "unreadable": sum(1 for r in reports if not r.readable),
            **{s + "s": sum(r.tally(s) for r in reports) for s in ("error", "warning", "info")},
        },
        "exit_code": exit_code(reports, strict),
    }))
