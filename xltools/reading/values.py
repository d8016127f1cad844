"""Raw cell contents -> typed report values, with a finding for every cell that is not a clean value.

Value semantics: blank and "/", "-", "—", "无" are not numbers (reported, taken as 0 in the arithmetic checks);
numeric text ("12", full-width "１２", " 12 ") is read with a warning; other text, negatives and fractions in count
cells are errors at that cell and the cell is left out of the arithmetic. So are numbers Excel cannot hold (NaN,
infinity, more than 15 significant digits): numeric text longer than ``limits().number_digits`` digits is never
converted at all. Text holding control characters is read as it is, with a warning at the cell.
"""

import datetime as dt
import math
import re
import unicodedata
from typing import Any, NamedTuple

from xltools.format.findings import CellRef, Finding, FindingFactory, Number, fmt_number
from xltools.format.spec import CellSpec, FormatSpec
from xltools.limits import limits
from xltools.reading.rawbook import RawBook, RawCell
from xltools.textsafe import control_chars, describe

PLACEHOLDERS = frozenset({"/", "-", "—", "——", "–", "无", "\\", "－", "／", "空"})
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YEAR = re.compile(r"^(\d{4})\s*年?(度)?$")
_CODE = re.compile(r"^([0-9A-HJ-NPQRTUWXY]{18}|\d{6})$")
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits: a number with more is not the number the clerk typed
_TOO_LARGE = 10 ** EXCEL_DIGITS


class Values(NamedTuple):
    """A report's content by cell id: usable numbers, texts (by text cell id), metadata and where each cell was
    found."""

    format_id: str
    numbers: dict[str, Number]
    blank: frozenset[str]
    invalid: frozenset[str]
    texts: dict[str, str]
    meta: dict[str, Any]
    addresses: dict[str, str]

    def number(self, cell_id: str) -> Number | None:
        """The value used by the arithmetic rules: blank counts as 0; None when the cell is unusable."""
        if cell_id in self.invalid:
            return None
        return self.numbers.get(cell_id, 0)


def _clean_number(x: float | int, cell: CellSpec) -> tuple[Number, str | None]:
    """Normalise a numeric value and return the rule it breaks, if any."""
    if not math.isfinite(x) or abs(x) >= _TOO_LARGE:
        return x, "VALUE_INVALID_NUMBER"
    value: Number = int(x) if isinstance(x, float) and x.is_integer() else x
    if value < 0:
        return value, "VALUE_NEGATIVE"
    if cell.type == "count" and not isinstance(value, int):
        return value, "VALUE_NOT_INTEGER"
    if isinstance(value, float) and decimals(value) > 6:
        return value, "VALUE_TOO_PRECISE"
    return value, None


def decimals(x: float) -> int:
    """How many decimals the shortest repr of a float has (1e-07 -> 7)."""
    text = repr(x)
    mantissa, _, exp = text.partition("e")
    places = len(mantissa.partition(".")[2].rstrip("0"))
    return max(0, places - int(exp)) if exp else places


def number_text(text: str) -> str | None:
    """'１２' / ' 12 ' / '1,234' / '12.50' -> the plain number text ('12', '1234', '12.50'); None when it is not a
    plain number."""
    s = unicodedata.normalize("NFKC", text).strip().replace(",", "").replace(" ", "")
    return s if _NUMBER.match(s) else None


def number_text_valid(s: str) -> bool:
    """Whether plain number text (from ``number_text``) is a number Excel can hold: at most
    ``limits().number_digits`` digits (checked before any conversion) and at most 15 significant digits."""
    if len(s) > limits().number_digits + 2:  # sign and point
        return False
    whole, _, fraction = s.lstrip("+-").partition(".")
    significant = (whole + fraction.rstrip("0")).lstrip("0")
    return len(whole.lstrip("0")) <= EXCEL_DIGITS and len(significant) <= EXCEL_DIGITS


def parse_number_text(text: str) -> float | int | None:
    """'１２' / ' 12 ' / '1,234' / '12.50' -> number; None when it is not a plain number Excel can hold."""
    s = number_text(text)
    if s is None or not number_text_valid(s):
        return None
    return int(s) if re.fullmatch(r"[+-]?\d+", s) else float(s)


def typed(value: Any) -> str:
    """A number as the clerk typed it: 12.3456789, 0.0000001 (no rounding, no exponent)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and math.isfinite(value):
        from decimal import Decimal  # (here: ``check`` starts without decimal)

        return format(Decimal(repr(value)), "f")
    return _invalid_display(value)


def _invalid_display(value: Any) -> str:
    """An invalid number, short enough for a message: NaN, INF, 1.8e+308, 123456789012345678901…（共 5000 位）."""
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else ("-INF" if value < 0 else "INF") if math.isinf(value) else \
            f"{value:.15g}"
    text = value.strip() if isinstance(value, str) else repr(value)
    if len(text) > 40:
        digits = sum(ch.isdigit() for ch in text)
        return f"{text[:24]}…（共 {digits} 位数字）"
    return text


def _display(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return fmt_number(value)
    return str(value).strip() if value is not None else ""


class _Parser:
    def __init__(self, spec: FormatSpec, today: dt.date):
        self.spec = spec
        self.today = today
        self.findings: list[Finding] = []
        self.numbers: dict[str, Number] = {}
        self.blank: set[str] = set()
        self.invalid: set[str] = set()
        self.texts: dict[str, str] = {}
        self.meta: dict[str, Any] = {}

    def emit(self, rule: str, cell: CellSpec, raw: RawCell, **kw: Any) -> None:
        ref = CellRef.of(cell, raw.address)
        self.findings.append(FindingFactory(self.spec.rule(rule)).make((ref,), **kw))

    def number(self, cell: CellSpec, raw: RawCell) -> None:
        v = raw.value
        if v.__class__ is float and raw.formula is None and 0 <= v < _TOO_LARGE and v.is_integer():
            self.numbers[cell.id] = int(v)  # what nearly every cell holds: a whole number as calamine reads it
            return
        if raw.formula is not None:
            self.invalid.add(cell.id)
            self.emit("VALUE_FORMULA_NO_CACHE", cell, raw, actual="=" + raw.formula)
            return
        if v is None or (isinstance(v, str) and not v.strip()):
            self.blank.add(cell.id)
            self.emit("VALUE_BLANK", cell, raw, expected=0, actual=None)
            return
        shown = v
        if isinstance(v, str):
            stripped = unicodedata.normalize("NFKC", v).strip()
            if stripped in PLACEHOLDERS or v.strip() in PLACEHOLDERS:
                self.blank.add(cell.id)
                self.emit("VALUE_PLACEHOLDER", cell, raw, expected=0, actual=v.strip())
                return
            text = number_text(v)
            if text is None:
                self.invalid.add(cell.id)
                self.emit("VALUE_NOT_A_NUMBER", cell, raw, actual=_invalid_display(v))
                return
            if not number_text_valid(text):
                self.invalid.add(cell.id)
                self.emit("VALUE_INVALID_NUMBER", cell, raw, actual=_invalid_display(v))
                return
            parsed = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
            self.emit("VALUE_NUMERIC_TEXT", cell, raw, expected=parsed, actual=v)
            v, shown = parsed, text
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.invalid.add(cell.id)
            self.emit("VALUE_NOT_A_NUMBER", cell, raw, actual=_display(v))
            return
        value, broken = _clean_number(v, cell)
        if broken == "VALUE_INVALID_NUMBER":
            self.invalid.add(cell.id)
            self.emit(broken, cell, raw, actual=_invalid_display(shown))
            return
        if broken:
            expected = {"VALUE_NEGATIVE": "≥ 0", "VALUE_NOT_INTEGER": "整数", "VALUE_TOO_PRECISE": "≤ 6 位小数"}
            actual = typed(shown) if broken == "VALUE_TOO_PRECISE" else value
            self.emit(broken, cell, raw, expected=expected[broken], actual=actual)
            if broken != "VALUE_TOO_PRECISE":
                self.invalid.add(cell.id)
                return
        self.numbers[cell.id] = value

    def text(self, cell: CellSpec, raw: RawCell) -> None:
        text = _display(raw.value)
        if text:
            self.texts[cell.id] = text
            self.control_chars(cell, raw, text)

    def control_chars(self, cell: CellSpec, raw: RawCell, text: str) -> None:
        """A warning at the cell when its text holds control characters (the text is kept as read)."""
        found = control_chars(text)
        if found:
            self.emit("TEXT_CONTROL_CHARS", cell, raw, actual=len(found), expected=describe(found[0]))

    def meta_field(self, cell: CellSpec, raw: RawCell) -> None:
        fieldname = cell.id.split(".", 1)[1]
        v = raw.value
        if v is None or (isinstance(v, str) and not v.strip()):
            if cell.required:
                self.emit("META_REQUIRED", cell, raw)
            return
        if isinstance(v, str):
            self.control_chars(cell, raw, v)
        parsed, expected = self._meta_value(cell.kind, v)
        if parsed is None:
            self.emit("META_INVALID", cell, raw, expected=expected, actual=_invalid_display(v) if isinstance(v, str)
                      else _display(v), case=cell.kind, first=self.spec.first_year, last=self.today.year,
                      example=max(self.spec.first_year, self.today.year - 1),
                      levels={"zh": "、".join(self.spec.levels), "en": ", ".join(self.spec.levels)})
            return
        if cell.kind == "code" and not _CODE.match(str(parsed)):
            self.emit("META_CODE_FORMAT", cell, raw, actual=parsed)
        self.meta[fieldname] = parsed

    def _meta_value(self, kind: str, v: Any) -> tuple[Any, str]:
        """The value of a cover field of this kind (None when invalid) and what was expected (the finding's
        ``expected``; its texts are the rule's sentences for the kind)."""
        if kind == "year":
            year: int | None = None
            if isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer():
                year = int(v)
            elif isinstance(v, str) and (m := _YEAR.match(unicodedata.normalize("NFKC", v).strip())):
                year = int(m.group(1))
            ok = year is not None and self.spec.first_year <= year <= self.today.year
            first = self.spec.first_year
            expected = f"{first} 至 {self.today.year} 之间的四位年份（本格式适用于{first}年度起的报告）"
            return (year if ok else None), expected
        if kind == "date":
            return parse_date(v), "日期，如 2022-01-17 或 2022年1月17日"
        if kind == "choice":
            s = str(v).strip()
            return (s if s in self.spec.levels else None), "以下之一：" + "、".join(self.spec.levels)
        return _display(v), ""


def parse_date(v: Any) -> dt.date | None:
    """A date from a date cell, an Excel serial number or text like 2022-01-17 / 2022年1月17日."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool) and 1 < v < 2958466:
        return EXCEL_EPOCH + dt.timedelta(days=int(v))
    if isinstance(v, str) and (m := _DATE.match(unicodedata.normalize("NFKC", v).strip())):
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    return None


def parse_values(spec: FormatSpec, raw: RawBook, today: dt.date | None = None) -> tuple[Values, list[Finding]]:
    """Turn raw cells into values; every cell that is not a clean value yields a finding at that cell."""
    p = _Parser(spec, today or dt.date.today())
    for cell in spec.cells:
        rc = raw.cells.get(cell.id)
        if rc is None:  # not read: the layout finding already says why
            if cell.is_number:
                p.invalid.add(cell.id)
            continue
        if cell.is_number:
            p.number(cell, rc)
        elif cell.type == "text":
            p.text(cell, rc)
        else:
            p.meta_field(cell, rc)
    _report_date(spec, p, raw)
    values = Values(
        format_id=spec.id, numbers=p.numbers, blank=frozenset(p.blank), invalid=frozenset(p.invalid),
        texts=p.texts, meta=p.meta, addresses={k: v.address for k, v in raw.cells.items()},
    )
    return values, p.findings


def _report_date(spec: FormatSpec, p: _Parser, raw: RawBook) -> None:
    year, date = p.meta.get("year"), p.meta.get("date")
    if isinstance(year, int) and isinstance(date, dt.date) and date.year != year + 1:
        cell = spec.meta_cell("date")
        p.emit("S_REPORT_DATE", cell, raw.cells[cell.id], expected=year, actual=date.isoformat())
