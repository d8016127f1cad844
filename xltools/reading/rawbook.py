"""What a reader hands to the core: raw cell contents by cell id, plus findings about the layout.

Readers (files via python-calamine, live Excel via xlwings) produce a RawBook; nothing downstream reads files.
"""

from typing import Any, NamedTuple

from xltools.format.findings import Finding
from xltools.reading.explanations import ExplanationRow


class RawCell(NamedTuple):
    """A cell as stored: ``value`` is None, str, int, float, bool or a date; ``formula`` is set when the
    cell holds a formula without a cached result."""

    value: Any
    address: str
    formula: str | None = None


class RawBook(NamedTuple):
    source: str
    format_id: str
    template_version: int | None
    cells: dict[str, RawCell]
    findings: tuple[Finding, ...] = ()
    properties: dict[str, str] = {}  # noqa: RUF012 (never mutated)
    constituents: tuple[tuple[str, str], ...] = ()  # a consolidated workbook's units (name, code), from 汇总构成
    explanations: tuple[ExplanationRow, ...] = ()  # the clerk's 情况说明 rows (``reading.explanations``)
