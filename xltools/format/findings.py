"""Findings are data: what is wrong, where, expected vs actual, and how to fix it (in Chinese and English)."""

from __future__ import annotations

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
    def of(cls, cell: CellSpec, address: str | None = None) -> CellRef:
        return cls(cell.id, cell.sheet, address or cell.address, cell.row_label, cell.col_label)

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "ref": self.ref, "sheet": self.sheet, "address": self.address,
                "row_label": self.row_label, "column_label": self.col_label}


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

    @property
    def where(self) -> str:
        return self.cells[0].ref if self.cells else self.sheet

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
        }


def fmt_number(value: Any) -> str:
    """Numbers as a clerk writes them: 12, 96171.6 (no 12.0, no exponent)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


class FindingFactory(NamedTuple):
    """Builds findings of one rule, filling its message templates."""

    rule: RuleSpec

    def make(self, cells: tuple[CellRef, ...] = (), *, sheet: str = "", expected: Any = None,
             actual: Any = None, difference: Number | None = None, **context: Any) -> Finding:
        ctx = {"expected": fmt_number(expected), "actual": fmt_number(actual), "diff": fmt_number(difference)}
        if cells:
            ctx.update(row=cells[0].row_label, col=cells[0].col_label, sheet=cells[0].sheet)
        ctx.update({k: fmt_number(v) if isinstance(v, int | float) else str(v) for k, v in context.items()})
        if sheet:
            ctx["sheet"] = sheet
        return Finding(
            rule=self.rule.id,
            severity=self.rule.severity,
            message={lang: text.format(**ctx) for lang, text in self.rule.message.items()},
            fix={lang: text.format(**ctx) for lang, text in self.rule.fix.items()},
            source=self.rule.source,
            cells=cells,
            sheet=sheet or (cells[0].sheet if cells else ""),
            expected=expected,
            actual=actual,
            difference=difference,
        )
