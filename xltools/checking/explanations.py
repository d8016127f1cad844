"""Explanations that last (情况说明): the rows a clerk wrote on the workbook's 情况说明 sheet, matched with the findings
of this check.

An explanation is keyed by the rule id and the finding's first cell (its cell id; a row typed by hand may give the
place ``表三!J8`` or the cell id instead). It attaches to the warnings and information findings it names, which
then show as 已说明 (text, JSON ``explanation``, the workbook's sheets). An explanation of an error is reported
(``EXPLANATION_OF_ERROR``) and changes nothing: errors must be fixed. An explanation whose finding has gone is
reported as stale (``EXPLANATION_STALE``), so that the clerk deletes it or writes it again at the new place.
"""

from __future__ import annotations

from collections.abc import Sequence

from xltools.format.addresses import split_ref
from xltools.format.findings import Explanation, Finding, FindingFactory
from xltools.format.rulekinds import PREVIOUS_KINDS
from xltools.format.spec import FormatSpec
from xltools.reading.explanations import EXPLANATION_SHEET, ExplanationRow

SHORT = 60  # characters of an explanation quoted in a message


def finding_key(f: Finding) -> tuple[str, str]:
    """What an explanation is keyed by: the rule and the first cell's id (or the sheet of a finding without cells)."""
    return f.rule, f.cells[0].id if f.cells else f.sheet


def row_cell(spec: FormatSpec, row: ExplanationRow) -> str:
    """The cell id (or sheet name) an explanation row names: its 单元格编号, else its 位置 as a cell id, a
    ``sheet!A1`` place of the format, or a sheet name."""
    for candidate in (row.cell_id, row.place):
        if candidate in spec.by_id:
            return candidate
    ref = split_ref(row.place)
    if ref is not None:
        sheet, address = ref
        for cell in spec.cells:
            if cell.sheet == sheet and cell.address == address:
                return cell.id
    return row.cell_id or row.place


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHORT else text[:SHORT] + "…"


def apply_explanations(spec: FormatSpec, findings: Sequence[Finding],
                       rows: Sequence[ExplanationRow]) -> list[Finding]:
    """``findings`` with the explanations attached, followed by a finding for each explanation of an error or of
    a finding that has gone. Rows without a text yet (listed for the clerk to fill) are left alone; when several
    rows explain the same finding, their texts are joined."""
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, f in enumerate(findings):
        by_key.setdefault(finding_key(f), []).append(i)
    texts: dict[tuple[str, str], tuple[list[str], str]] = {}
    extra: list[Finding] = []
    for row in rows:
        if not row.text:
            continue
        key = (row.rule, row_cell(spec, row))
        place = row.place or row.cell_id or "（未写位置）"
        matched = by_key.get(key, [])
        if not matched and row.rule in spec.rules_by_id and spec.rule(row.rule).kind in PREVIOUS_KINDS:
            continue  # a last-year finding: only a check with last year's report can tell (``explain_added``)
        problem = "" if not matched else "EXPLANATION_OF_ERROR" if any(
            findings[i].severity == "error" for i in matched) else None
        if problem is not None:
            extra.append(FindingFactory(spec.rule(problem or "EXPLANATION_STALE")).make(
                sheet=EXPLANATION_SHEET, actual=row.location, row=row.row, rule=row.rule, place=place,
                text=_quoted(row.text)))
        else:
            joined, location = texts.get(key, ([], row.location))
            joined.append(row.text)
            texts[key] = (joined, location)
    out = list(findings)
    for key, (joined, location) in texts.items():
        explanation = Explanation(key[0], key[1], "；".join(joined), location)
        for i in by_key[key]:
            out[i] = out[i]._replace(explanation=explanation)
    return out + extra


def explain_added(spec: FormatSpec, added: Sequence[Finding], rows: Sequence[ExplanationRow]) -> list[Finding]:
    """Findings added after the check (the comparison with last year) with the explanations that name them; an
    explanation of an error among them is ignored (the check itself reports explanations of errors)."""
    texts: dict[tuple[str, str], tuple[list[str], str]] = {}
    for row in rows:
        if row.text:
            texts.setdefault((row.rule, row_cell(spec, row)), ([], row.location))[0].append(row.text)
    out = []
    for f in added:
        found = texts.get(finding_key(f))
        if found is not None and f.severity != "error":
            f = f._replace(explanation=Explanation(f.rule, finding_key(f)[1], "；".join(found[0]), found[1]))
        out.append(f)
    return out


def explained(findings: Sequence[Finding]) -> int:
    """How many findings carry an explanation."""
    return sum(1 for f in findings if f.explanation is not None)
