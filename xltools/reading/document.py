"""The report as a JSON document: what ``new --from`` reads and ``dump`` prints.

``{"format": "gov-disclosure-2021", "unit": ..., "year": ..., "meta": {"date": "YYYY-MM-DD", "level": ...,
"code": ..., "contact": ..., "phone": ...}, "values": {cell_id: number}, "texts": {text_cell_id: text}}``
(text cell ids such as "S1.text"; a section id such as "S1" is read as its first text cell).
Every key but "format" and "values" is optional; unknown keys and cell ids are errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from xltools.errors import XltoolsError
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec, load_spec
from xltools.reading.values import Values

TOP_KEYS = ("format", "unit", "year", "meta", "values", "texts")
META_KEYS = ("date", "level", "code", "contact", "phone")


class DocumentError(XltoolsError):
    """The JSON document is not a valid report document; ``problems`` lists every reason (Chinese)."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


class ReportDocument(NamedTuple):
    format_id: str
    unit: str | None = None
    year: int | None = None
    meta: dict[str, str] = {}  # noqa: RUF012 (never mutated)
    values: dict[str, Number | None] = {}  # noqa: RUF012
    texts: dict[str, str] = {}  # noqa: RUF012

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": self.format_id}
        if self.unit is not None:
            out["unit"] = self.unit
        if self.year is not None:
            out["year"] = self.year
        if self.meta:
            out["meta"] = dict(self.meta)
        out["values"] = dict(self.values)
        if self.texts:
            out["texts"] = dict(self.texts)
        return out


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def parse_document(data: Any) -> tuple[FormatSpec, ReportDocument]:
    """Validate a decoded JSON document against its format; raise DocumentError listing every problem."""
    if not isinstance(data, dict):
        raise DocumentError(["顶层必须是 JSON 对象"])
    problems: list[str] = [f"未知的键“{k}”（允许：{'、'.join(TOP_KEYS)}）" for k in data if k not in TOP_KEYS]
    try:
        spec = load_spec(str(data.get("format")))
    except KeyError:
        raise DocumentError([f"未知或缺少的报告格式 format=“{data.get('format')}”", *problems]) from None
    if "values" not in data or not isinstance(data["values"], dict):
        problems.append("缺少 values 对象（单元格编号 → 数字）")
    values: dict[str, Number | None] = {}
    for cell_id, v in (data.get("values") or {}).items():
        cell = spec.by_id.get(cell_id)
        if cell is None or not cell.is_number:
            problems.append(f"未知的单元格编号“{cell_id}”")
        elif v is not None and not _is_number(v):
            problems.append(f"“{cell_id}”的值必须是数字，实际是 {v!r}")
        else:
            values[cell_id] = v
    unit, year = data.get("unit"), data.get("year")
    if unit is not None and not isinstance(unit, str):
        problems.append("unit 必须是文字")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        problems.append("year 必须是整数年份")
    meta = data.get("meta") or {}
    if not isinstance(meta, dict):
        problems.append("meta 必须是对象")
        meta = {}
    for k, v in meta.items():
        if k not in META_KEYS:
            problems.append(f"meta 中未知的键“{k}”（允许：{'、'.join(META_KEYS)}）")
        elif not isinstance(v, str):
            problems.append(f"meta.{k} 必须是文字")
    if isinstance(meta.get("date"), str):
        try:
            dt.date.fromisoformat(meta["date"])
        except ValueError:
            problems.append(f"meta.date 必须是 YYYY-MM-DD 格式的日期，实际是“{meta['date']}”")
    if isinstance(meta.get("level"), str) and meta["level"] not in spec.levels:
        problems.append(f"meta.level 必须是以下之一：{'、'.join(spec.levels)}")
    text_ids = [c for s in spec.text_sections for c in s.cells]
    first_cell = {s.id: s.cells[0] for s in spec.text_sections if s.cells}
    texts = data.get("texts") or {}
    if not isinstance(texts, dict):
        problems.append("texts 必须是对象")
        texts = {}
    clean_texts: dict[str, str] = {}
    for k, v in texts.items():
        cell_id = first_cell.get(k, k)
        if cell_id not in text_ids:
            problems.append(f"texts 中未知的正文单元格“{k}”（允许：{'、'.join(text_ids)}）")
        elif not isinstance(v, str):
            problems.append(f"texts.{k} 必须是文字")
        else:
            clean_texts[cell_id] = v
    if problems:
        raise DocumentError(problems)
    return spec, ReportDocument(spec.id, unit, year, {k: str(v) for k, v in meta.items()}, values, clean_texts)


def document_from_values(spec: FormatSpec, values: Values) -> ReportDocument:
    """The document of a read workbook: clean numbers only (blank and invalid cells are left out)."""
    meta: dict[str, str] = {}
    for key in META_KEYS:
        v = values.meta.get(key)
        if v is not None and v != "":
            meta[key] = v.isoformat() if isinstance(v, dt.date) else str(v)
    unit = values.meta.get("unit")
    year = values.meta.get("year")
    nums: dict[str, Number | None] = {c.id: values.numbers[c.id] for c in spec.number_cells if c.id in values.numbers}
    texts = {c: values.texts[c] for s in spec.text_sections for c in s.cells if c in values.texts}
    return ReportDocument(spec.id, unit if isinstance(unit, str) else None, year if isinstance(year, int) else None,
                          meta, nums, texts)
