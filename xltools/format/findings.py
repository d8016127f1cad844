"""Findings are data: what is wrong, where, expected vs actual, and how to fix it (in Chinese and English)."""

import math
from typing import Any, NamedTuple

from xltools.format.rulekinds import SEVERITIES as SEVERITIES
from xltools.format.spec import CellSpec, RuleSpec

SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
Number = int | float


class CellRef(NamedTuple):
    """Where a finding points: the cell id, sheet!A1 and the row/column labels."""

    id: str
    sheet: str
    address: str
    row_label: str = ""
    col_label: str = ""

    @property
    def ref(self) -> str:
        return f"{self.sheet}!{self.address}"

    @classmethod
    def of(cls, cell: CellSpec, address: str | None = None) -> "CellRef":
        return cls(cell.id, cell.sheet, address or cell.address, cell.row_label, cell.col_label)

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "ref": self.ref, "sheet": self.sheet, "address": self.address,
                "row_label": self.row_label, "column_label": self.col_label}


class Explanation(NamedTuple):
    """A clerk's 情况说明 of a warning or information finding, kept in the workbook (sheet 情况说明): the rule and
    the cell it is keyed by, the text and where it stands (``情况说明!E5``)."""

    rule: str
    cell: str  # the cell id of the finding's first cell, or the sheet name of a finding without cells
    text: str
    location: str = ""

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "cell": self.cell, "text": self.text, "location": self.location}


class Finding(NamedTuple):
    """One rule violation. ``cells[0]`` is the cell to fix first (the total, the blank cell, ...)."""

    rule: str
    severity: str
    message: dict[str, str]
    fix: dict[str, str]
    source: str
    cells: tuple[CellRef, ...] = ()
    sheet: str = ""
    expected: Any = None
    actual: Any = None
    difference: Number | None = None
    explanation: Explanation | None = None  # the clerk's 情况说明 of this warning or information (已说明)
    cause: CellRef | None = None  # on the head of a group: the one cell that most likely is wrong (causes.py)
    cause_value: Any = None  # the value that cell should have so that every relation of the group holds
    caused_by: str = ""  # on an echo: the id of the head finding whose cause also broke this relation
    consequences: tuple[str, ...] = ()  # on the head: the ids of its echoes, in order

    @property
    def where(self) -> str:
        return self.cells[0].ref if self.cells else self.sheet

    @property
    def id(self) -> str:
        """Stable within one report: the rule and the first cell (or the sheet of a finding without cells)."""
        return f"{self.rule}@{self.cells[0].id if self.cells else self.sheet}"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "location": self.where,
            "sheet": self.cells[0].sheet if self.cells else self.sheet,
            "cell_ids": [c.id for c in self.cells],
            "cells": [c.to_json() for c in self.cells],
            "expected": self.expected,
            "actual": self.actual,
            "difference": self.difference,
            "message": dict(self.message),
            "fix": dict(self.fix),
            "source": self.source,
            "explanation": self.explanation.to_json() if self.explanation else None,
            "id": self.id,
            "cause": None if self.cause is None else {**self.cause.to_json(), "suggested": self.cause_value},
            "caused_by": self.caused_by or None,
            "consequences": list(self.consequences),
        }


EXCEL_DIGITS = 15  # significant digits a workbook keeps: more than that in a float is arithmetic noise
LANGS = ("zh", "en")


def fmt_number(value: Any) -> str:
    """Numbers as a clerk writes them: 12, 96171.6, 12.3456789, 0.0000001 — every digit typed, no 12.0, no
    exponent, no binary noise of a sum (0.1 + 0.2 is 0.3)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 10 ** EXCEL_DIGITS:
            return str(int(value))
        from decimal import Decimal  # (here: most numbers are whole, and ``check`` starts without decimal)

        text = format(Decimal(f"{value:.{EXCEL_DIGITS}g}"), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


class FindingFactory(NamedTuple):
    """Builds findings of one rule, filling its message templates. A rule whose cases need different sentences
    has them beside its general text, keyed ``<lang>.<case>`` (``message."zh.year"``); ``make(case=...)`` picks
    them, falling back to the general text."""

    rule: RuleSpec

    def texts(self, templates: dict[str, str], case: str) -> dict[str, str]:
        """The template of each language for ``case``."""
        return {lang: templates.get(f"{lang}.{case}", templates[lang]) if case else templates[lang]
                for lang in LANGS if lang in templates}

    def make(self, cells: tuple[CellRef, ...] = (), *, sheet: str = "", expected: Any = None,
             actual: Any = None, difference: Number | None = None, case: str = "", **context: Any) -> Finding:
        """A finding; ``context`` fills the other slots of the texts (a dict value gives one text per language).
        ``{diff}`` is the size of the difference ("相差 6"); the finding's ``difference`` keeps its sign."""
        gap = abs(difference) if isinstance(difference, int | float) else difference
        ctx: dict[str, Any] = {"expected": fmt_number(expected), "actual": fmt_number(actual), "diff": fmt_number(gap)}
        if cells:
            ctx.update(row=cells[0].row_label, col=cells[0].col_label, sheet=cells[0].sheet)
        ctx.update({k: v if isinstance(v, dict) else fmt_number(v) if isinstance(v, int | float) else str(v)
                    for k, v in context.items()})
        if sheet:
            ctx["sheet"] = sheet

        def fill(templates: dict[str, str]) -> dict[str, str]:
            return {lang: text.format(**{k: v.get(lang, "") if isinstance(v, dict) else v for k, v in ctx.items()})
                    for lang, text in self.texts(templates, case).items()}

        return Finding(
            rule=self.rule.id,
            severity=self.rule.severity,
            message=fill(self.rule.message),
            fix=fill(self.rule.fix),
            source=self.rule.source,
            cells=cells,
            sheet=sheet or (cells[0].sheet if cells else ""),
            expected=expected,
            actual=actual,
            difference=difference,
        )
