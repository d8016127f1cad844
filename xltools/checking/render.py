"""Renderers of check reports: readable text (Chinese, or English) grouped by sheet, and versioned JSON (strict:
a non-finite number anywhere becomes null, so that the result always parses as JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xltools.checking.check import CheckReport
from xltools.format.findings import SEVERITY_ZH, CellRef, Finding, fmt_number
from xltools.reading.values import Values

JSON_SCHEMA_ID = "xltools.check/1"
COLLAPSE_AFTER = 6  # more findings than this of one rule on one sheet are listed on one line
WORDS = {
    "zh": {"fix": "修改", "unreadable": "无法检查", "ok": "通过", "failed": "未通过", "none": "未发现问题",
           "format": "格式", "year": "年度", "explained": "已说明", "profile": "规则配置"},
    "en": {"fix": "Fix", "unreadable": "could not be checked", "ok": "passed", "failed": "failed",
           "none": "no findings", "format": "format", "year": "", "explained": "explained", "profile": "profile"},
}


def _severity(sev: str, lang: str) -> str:
    return SEVERITY_ZH[sev] if lang == "zh" else sev


def _explained(f: Finding, lang: str) -> list[str]:
    """The line under an explained finding: 已说明 and the clerk's text."""
    if f.explanation is None:
        return []
    sep = "：" if lang == "zh" else ": "
    return [f"        {WORDS[lang]['explained']}{sep}{f.explanation.text}"]


def _where(f: Finding, lang: str) -> str:
    if not f.cells:
        return f.sheet
    return _cell_where(f.cells[0], lang)


def _cell_where(c: CellRef, lang: str) -> str:
    labels = "｜".join(x for x in (c.row_label, c.col_label) if x)
    if not labels:
        return c.ref
    return f"{c.ref}〔{labels}〕" if lang == "zh" else f"{c.ref} [{labels}]"


def _counts(errors: int, warnings: int, infos: int, lang: str) -> str:
    if lang == "zh":
        return f"{errors} 个错误，{warnings} 个警告，{infos} 条提示"
    return f"{errors} errors, {warnings} warnings, {infos} infos"


NUMBERED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _cause_lines(head: Finding, echoes: list[Finding], lang: str, values: Values | None) -> list[str]:
    """A likely cause and the relations it broke (the head and its echoes), as one block."""
    assert head.cause is not None
    members = [head, *echoes]
    now = fmt_number(values.numbers.get(head.cause.id, 0) if values is not None else "")
    should = fmt_number(head.cause_value)
    if lang == "zh":
        lines = [f"  {_severity(head.severity, lang)}  {_cell_where(head.cause, lang)}  可能的原因",
                 f"        这个数很可能填错了：它现为 {now}，改为 {should} 后，以下 {len(members)} 处不一致都会消除"]
    else:
        lines = [f"  {head.severity}  {_cell_where(head.cause, lang)}  likely cause",
                 f"        this number is probably wrong: it is {now}; with {should} the {len(members)} mismatches "
                 "below disappear"]
    for i, f in enumerate(members):
        mark = NUMBERED[i] if i < len(NUMBERED) else f"({i + 1})"
        lines.append(f"        {mark} {_severity(f.severity, lang)}  {_where(f, lang)}  {f.rule}")
        lines.append(f"           {f.message[lang]}")
        lines.extend("   " + line for line in _explained(f, lang))
    ref = head.cause.ref
    lines.append(f"        修改：核对 {ref} 的数字（按其他数字推算应为 {should}），改正后再校验。" if lang == "zh" else
                 f"        Fix: check {ref} (the other numbers say {should}), then check again.")
    return lines


def _group_lines(findings: list[Finding], lang: str, echoes: dict[str, list[Finding]] | None = None,
                 values: Values | None = None) -> list[str]:
    """One sheet's findings: first each likely cause with the relations it broke, then the others by rule."""
    lines: list[str] = []
    echoes = echoes or {}
    for f in findings:
        if f.cause is not None:
            lines.extend(_cause_lines(f, echoes.get(f.id, []), lang, values))
    findings = [f for f in findings if f.cause is None]
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
            done = sum(1 for f in items if f.explanation is not None)
            if done:
                lines.append(f"        其中 {done} 条已说明" if lang == "zh" else f"        {done} of them explained")
            continue
        for f in items:
            mark = "" if f.explanation is None else (f"（{WORDS[lang]['explained']}）" if lang == "zh" else
                                                     f" ({WORDS[lang]['explained']})")
            lines.append(f"  {_severity(f.severity, lang)}{mark}  {_where(f, lang)}  {f.rule}")
            lines.append(f"        {f.message[lang]}")
            sep = "：" if lang == "zh" else ": "
            lines.append(f"        {WORDS[lang]['fix']}{sep}{f.fix[lang]}")
            lines.extend(_explained(f, lang))
    return lines


def render_report(report: CheckReport, lang: str = "zh", strict: bool = False) -> str:
    """One file's findings as text, grouped by sheet."""
    w = WORDS[lang]
    if not report.readable:
        return f"{report.file}：{w['unreadable']} —— {report.reason}" if lang == "zh" else \
            f"{report.file}: {w['unreadable']} — {report.reason}"
    title = " ".join(x for x in (report.unit or "", f"{report.year}{w['year']}" if report.year else "") if x)
    out = [f"== {report.file} ==" + (f"  {title}" if title else "")
           + (f"  {w['profile']}：{report.profile}" if report.profile else "")]
    sheets: dict[str, list[Finding]] = {}
    echoes: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.caused_by:
            echoes.setdefault(f.caused_by, []).append(f)
    for f in report.findings:
        if f.caused_by:
            continue  # shown under its cause
        sheet = f.cause.sheet if f.cause is not None else f.cells[0].sheet if f.cells else f.sheet
        sheets.setdefault(sheet, []).append(f)
    for sheet, items in sheets.items():
        out.append(f"【{sheet}】" if lang == "zh" else f"[{sheet}]")
        out.extend(_group_lines(items, lang, echoes, report.values))
    counts = _counts(report.tally("error"), report.tally("warning"), report.tally("info"), lang)
    verdict = w["failed"] if report.failed(strict) else w["ok"]
    if report.explained():
        counts += f"，其中 {report.explained()} 条已说明" if lang == "zh" else f", {report.explained()} explained"
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
            "explained": r.explained(),
            "profile": r.profile,
            "findings": [f.to_json() for f in r.findings],
        })
    from xltools.reading.document import finite  # (JSON output only)

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
