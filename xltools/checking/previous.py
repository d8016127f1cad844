"""Last year: a report compared with the same unit's report of the year before (``check --previous``,
``consolidate --previous``, the portal's last round).

The comparisons are rules of the format spec whose kinds read last year's numbers (``PREVIOUS_KINDS``: 表三 上年结转
= last year's 结转下年度, 表二 in force = last year's + issued − repealed, jumps such as a fee ×100, the year that must
follow); a plain ``check`` never runs them. Last year's numbers come as a ``LastYear``: from a checked workbook
(``last_year_from_values``), from a file of any kind ``import`` reads (``xltools.consolidate.previous``), or built by
the caller (the portal, from a stored upload)."""

from __future__ import annotations

from xltools.checking.causes import link_causes
from xltools.checking.check import SEVERITY_ORDER, CheckReport
from xltools.checking.explanations import explain_added
from xltools.checking.rules import KINDS, Context, LastYear
from xltools.format.findings import Finding, FindingFactory
from xltools.format.rulekinds import PREVIOUS_KINDS
from xltools.format.spec import FormatSpec, load_spec
from xltools.reading.values import Values

__all__ = ["LastYear", "last_year_from_values", "previous_findings", "with_previous"]


def last_year_from_values(values: Values, source: str) -> LastYear:
    """Last year's report as read from its workbook: its usable numbers (blank and invalid cells left out)."""
    numbers = {k: v for k, v in values.numbers.items() if k not in values.invalid}
    unit, year = values.meta.get("unit"), values.meta.get("year")
    return LastYear(source, values.format_id, numbers, unit if isinstance(unit, str) else None,
                    year if isinstance(year, int) else None)


def _numbers_for(spec: FormatSpec, last: LastYear) -> LastYear:
    """Last year's numbers under this year's cell ids: the same format as they are; an older format through the
    spec's ``import.from_formats`` declaration (``cells = {new id = [old ids]}``, ``by_id``), else by id."""
    if last.format_id == spec.id:
        return last
    mapping = spec.importing.get("from_formats", {}).get(last.format_id, {})
    numbers = dict(last.numbers)
    for new_id, old_ids in mapping.get("cells", {}).items():
        parts = [last.numbers.get(i) for i in old_ids]
        numbers[new_id] = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
    return last._replace(numbers=numbers)


def previous_findings(spec: FormatSpec, values: Values, last: LastYear) -> list[Finding]:
    """The findings of the format's last-year rules for a report (``values``) against ``last``."""
    last = _numbers_for(spec, last)

    def run(kinds: set[str]) -> list[Finding]:
        found: list[Finding] = []
        for rule in spec.rules:
            if rule.kind in kinds:
                check, ctx = KINDS[rule.kind], Context(spec, values, FindingFactory(rule), last)
                for params in rule.expanded:
                    found.extend(check(ctx, **params))
        return found

    # the year first: last year's report of another year is not compared at all (its findings would be noise)
    return run({"previous_year"}) or run(set(PREVIOUS_KINDS) - {"previous_year"})


def with_previous(report: CheckReport, last: LastYear, spec: FormatSpec | None = None) -> CheckReport:
    """The report with the last-year findings added, ordered and cause-linked like ``check``'s own. ``spec``: the
    format as the report was checked against it (a province profile's, ``Profile.apply``; default: the report's
    format). A report that could not be checked (no values) is returned as it is."""
    if report.values is None or not report.readable:
        return report
    spec = spec or load_spec(report.values.format_id)
    added = previous_findings(spec, report.values, last)
    if report.applied_profile is not None:  # the profile's severities and switches apply to them too
        added = report.applied_profile.adjust(added)
    added = explain_added(spec, added, report.explanation_rows)
    if not added:
        return report
    sheet_order = {s.name: i for i, s in enumerate(spec.sheets)}
    # echoes go back to their own place before linking again: the new findings may join or form groups
    plain = [f._replace(cause=None, cause_value=None, caused_by="", consequences=()) for f in report.findings]
    findings = [*plain, *added]
    findings.sort(key=lambda f: (sheet_order.get(f.cells[0].sheet if f.cells else f.sheet, 99),
                                 SEVERITY_ORDER[f.severity]))
    return report._replace(findings=tuple(link_causes(spec, report.values, findings)))
