"""Value semantics of the pure core: raw cell contents -> values and findings (no files involved)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from xltools.checking.check import check_raw
from xltools.format.spec import load_spec
from xltools.reading.rawbook import RawBook, RawCell

SPEC = load_spec()
COUNT = "T3.r_granted.natural_person"
FEE = "T2.administrative_fees.amount"


def book(**cells: Any) -> RawBook:
    raw = {c.id: RawCell(0 if c.is_number else None, c.address) for c in SPEC.cells}
    raw["meta.unit"] = RawCell("某局", "B4")
    raw["meta.year"] = RawCell(2024.0, "B5")
    raw["meta.date"] = RawCell(dt.datetime(2025, 1, 20), "B6")
    raw["meta.level"] = RawCell("部门", "B7")
    for section in ("S1", "S5", "S6"):
        raw[f"{section}.text"] = RawCell("本年度未收取信息处理费。", "A2")
    for cell_id, value in cells.items():
        raw[cell_id.replace("__", ".")] = value if isinstance(value, RawCell) else RawCell(value, "X1")
    return RawBook("test.xlsx", SPEC.id, 1, raw)


def rules_at(rawbook: RawBook, cell_id: str) -> list[str]:
    report = check_raw(rawbook, today=dt.date(2025, 3, 1))
    return [f.rule for f in report.findings if f.cells and f.cells[0].id == cell_id]


@pytest.mark.parametrize("value", [None, "", "  "])
def test_blank_is_reported_not_silently_zero(value: Any) -> None:
    assert rules_at(book(**{COUNT: value}), COUNT) == ["VALUE_BLANK"]


@pytest.mark.parametrize("value", ["/", "-", "—", "无", "／", "－"])
def test_placeholders_are_reported(value: str) -> None:
    assert rules_at(book(**{COUNT: value}), COUNT) == ["VALUE_PLACEHOLDER"]


@pytest.mark.parametrize(("text", "number"), [("12", 12), ("１２", 12), (" 12 ", 12), ("1,234", 1234)])
def test_numeric_text_is_read_with_a_warning(text: str, number: int) -> None:
    report = check_raw(book(**{COUNT: text, "T3.r_granted.total": number}), today=dt.date(2025, 3, 1))
    assert report.values is not None and report.values.numbers[COUNT] == number
    assert [f.rule for f in report.findings if f.cells[0].id == COUNT] == ["VALUE_NUMERIC_TEXT"]


@pytest.mark.parametrize(
    ("value", "rule"),
    [("十二", "VALUE_NOT_A_NUMBER"), ("12件", "VALUE_NOT_A_NUMBER"), (True, "VALUE_NOT_A_NUMBER"),
     (-3.0, "VALUE_NEGATIVE"), ("-3", "VALUE_NEGATIVE"), (2.5, "VALUE_NOT_INTEGER"),
     (dt.date(2024, 1, 1), "VALUE_NOT_A_NUMBER")],
)
def test_bad_values_are_errors_at_that_cell_and_left_out_of_sums(value: Any, rule: str) -> None:
    report = check_raw(book(**{COUNT: value}), today=dt.date(2025, 3, 1))
    at_cell = {(f.rule, f.severity) for f in report.findings if f.cells[0].id == COUNT}
    assert (rule, "error") in at_cell
    assert not any(f.rule.startswith("T3_") for f in report.findings)  # no knock-on arithmetic findings


def test_formula_without_cached_value() -> None:
    cell = RawCell(None, "D7", formula="SUM(D8:D9)")
    assert rules_at(book(**{COUNT: cell}), COUNT) == ["VALUE_FORMULA_NO_CACHE"]


def test_fee_keeps_six_decimals_and_refuses_seven() -> None:
    assert rules_at(book(**{FEE: 24252.311082}), FEE) == []
    assert rules_at(book(**{FEE: 1.1234567}), FEE) == ["VALUE_TOO_PRECISE"]
    assert rules_at(book(**{FEE: 1e-07}), FEE) == ["VALUE_TOO_PRECISE"]


@pytest.mark.parametrize("text", ["2025-01-20", "2025/1/20", "2025年1月20日", "２０２５年１月２０日"])
def test_dates_in_the_usual_spellings(text: str) -> None:
    report = check_raw(book(meta__date=text), today=dt.date(2025, 3, 1))
    assert report.values is not None and report.values.meta["date"] == dt.date(2025, 1, 20)
    assert not report.findings


def test_year_before_the_format_is_refused() -> None:
    assert rules_at(book(meta__year=2019), "meta.year") == ["META_INVALID"]
    assert rules_at(book(meta__year="2024年"), "meta.year") == []


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 1.7e308, 10**20, 1e15, "9" * 5000,
                                   "1" * 31, "1234567890123456", "0.1234567890123456", "１" * 16])
def test_numbers_excel_cannot_hold_are_invalid(value: Any) -> None:
    """Before: "9" * 5000 crashed (int() refuses more than 4300 digits); NaN and INF reached the arithmetic."""
    report = check_raw(book(**{FEE: value}), today=dt.date(2025, 3, 1))
    assert [f.rule for f in report.findings if f.cells and f.cells[0].id == FEE] == ["VALUE_INVALID_NUMBER"]
    assert report.values is not None and FEE in report.values.invalid and FEE not in report.values.numbers
    assert len(next(f for f in report.findings if f.rule == "VALUE_INVALID_NUMBER").message["zh"]) < 120


@pytest.mark.parametrize("value", [123456789012345, "123456789012345", 99999999999999.9, "0.000001"])
def test_fifteen_significant_digits_are_fine(value: Any) -> None:
    assert "VALUE_INVALID_NUMBER" not in rules_at(book(**{FEE: value}), FEE)


@pytest.mark.parametrize(("value", "shown"), [(12.3456789, "12.3456789"), ("12.3456789", "12.3456789"),
                                              (1e-07, "0.0000001")])
def test_too_precise_shows_what_was_typed(value: Any, shown: str) -> None:
    report = check_raw(book(**{FEE: value}), today=dt.date(2025, 3, 1))
    finding = next(f for f in report.findings if f.rule == "VALUE_TOO_PRECISE")
    assert shown in finding.message["zh"] and finding.actual == shown


@pytest.mark.parametrize("value", ["2" * 5000, float("inf"), float("nan"), "２０２４" + "0" * 5000])
def test_meta_fields_do_not_crash_on_huge_or_invalid_numbers(value: Any) -> None:
    assert rules_at(book(meta__year=value), "meta.year") == ["META_INVALID"]


def test_template_version_of_any_length() -> None:
    from xltools.reading.locate import spec_of

    assert spec_of({"xltools.template_version": "9" * 5000})[1] is None
    assert spec_of({"xltools.template_version": "²"})[1] is None
    assert spec_of({"xltools.template_version": "3"})[1] == 3


def test_control_characters_are_a_warning_and_the_text_is_kept() -> None:
    report = check_raw(book(S1__text="第一段\x0b第二段\x0b第三段", meta__unit="某\x01局"), today=dt.date(2025, 3, 1))
    found = {f.cells[0].id: f for f in report.findings if f.rule == "TEXT_CONTROL_CHARS"}
    assert sorted(found) == ["S1.text", "meta.unit"]
    assert (found["S1.text"].actual, found["S1.text"].expected, found["S1.text"].severity) == (
        2, "手动换行符 U+000B", "warning")
    assert report.values is not None and report.values.texts["S1.text"] == "第一段\x0b第二段\x0b第三段"
    assert report.values.meta["unit"] == "某\x01局"
