"""Every rule of the format: the clean workbook passes it, and a workbook built to break it fails it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import check_json, clean_document, findings_of, previous_year_document, write_doc

from xltools.checking.rules import run_rules
from xltools.format.spec import load_spec
from xltools.reading.values import Values

Doc = dict[str, Any]


def bump(doc: Doc, *cells: str, by: int = 1) -> None:
    for c in cells:
        doc["values"][c] += by


def set_text(doc: Doc, cell_id: str, text: str | None = None) -> None:
    """Set (None: remove) a text cell, whether the document keys it by cell id or by section id."""
    for key in (cell_id, cell_id.split(".")[0]):
        doc["texts"].pop(key, None)
    if text is not None:
        doc["texts"][cell_id] = text


DOC_CASES: dict[str, tuple[Callable[[Doc], None], str]] = {
    # rule id: (how to break the clean document, where the finding must point)
    "T3_COL_BALANCE": (lambda d: bump(d, "T3.new_received.natural_person", "T3.new_received.total"), "表三!D28"),
    "T3_RESULTS_SUM": (lambda d: bump(d, "T3.r_granted.natural_person", "T3.r_granted.total"), "表三!D28"),
    "T3_ROW_TOTAL": (lambda d: bump(d, "T3.r_partial.total", by=-4), "表三!J8"),
    "T4_GROUP_TOTAL": (lambda d: bump(d, "T4.litigation_after_review.total", by=-5), "表四!O5"),
    "SECTIONS_PRESENT": (lambda d: set_text(d, "S5.text"), "正文!A27"),
    "S6_FEE_STATEMENT": (lambda d: set_text(d, "S6.text", "本年度无其他需要报告的事项。"), "正文!A40"),
    "S1_LENGTH": (lambda d: set_text(d, "S1.text", "公开" * 501), "正文!A3"),
    "TEXT_PARAGRAPH_TOO_LONG": (lambda d: set_text(d, "S5.text", "第一段。\n" + "公开" * 600), "正文!A28"),
    "S_T2_IN_FORCE_GE_ISSUED": (lambda d: d["values"].update({"T2.normative_documents.in_force": 5}), "表二!D5"),
    "S_OTHER_PROCESSING_SHARE": (lambda d: bump(d, "T3.r_other_other.total", by=3000), "表三!J25"),
    "S_FEE_UNIT": (lambda d: (d["meta"].update(level="部门"),
                              d["values"].update({"T2.administrative_fees.amount": 961716000})), "表二!B15"),
    "S_REGULATIONS_LEVEL": (lambda d: d["meta"].update(level="县级政府"), "表二!B4"),
    "VALUE_BLANK": (lambda d: d["values"].pop("T3.r_partial.research_institution"), "表三!F8"),
    "VALUE_NEGATIVE": (lambda d: d["values"].update({"T4.review.pending": -1}), "表四!D5"),
    "VALUE_NOT_INTEGER": (lambda d: d["values"].update({"T2.administrative_licensing.decisions": 1.5}), "表二!B8"),
    "VALUE_TOO_PRECISE": (lambda d: d["values"].update({"T2.administrative_fees.amount": 1.1234567}), "表二!B15"),
    "META_REQUIRED": (lambda d: d["meta"].pop("level"), "封面!B7"),
    "META_INVALID": (lambda d: d.update(year=2019), "封面!B5"),
    "META_CODE_FORMAT": (lambda d: d["meta"].update(code="12345"), "封面!B8"),
    "S_REPORT_DATE": (lambda d: d["meta"].update(date="2024-06-30"), "封面!B6"),
    # numbers quoted in the text that differ from the tables (the clean document quotes the tables' own)
    "TEXT_APPLICATIONS": (lambda d: set_text(d, "S1.text", "全年共收到政府信息公开申请3000件。"), "正文!A3"),
    "TEXT_CARRIED_OVER": (lambda d: set_text(d, "S1.text", "上年结转申请30件。"), "正文!A3"),
    "TEXT_RESULTS": (lambda d: set_text(d, "S1.text", "全年办结政府信息公开申请3000件。"), "正文!A3"),
    "TEXT_CARRIED_FORWARD": (lambda d: set_text(d, "S1.text", "另有100件结转下年度继续办理。"), "正文!A3"),
    "TEXT_REVIEW": (lambda d: set_text(d, "S1.text", "政府信息公开行政复议350件。"), "正文!A3"),
    "TEXT_LITIGATION": (lambda d: set_text(d, "S1.text", "政府信息公开行政诉讼45件。"), "正文!A3"),
    "TEXT_REGULATIONS": (lambda d: set_text(d, "S1.text", "全年新制发规章2件。"), "正文!A3"),
    "TEXT_NORMATIVE_DOCUMENTS": (lambda d: set_text(d, "S1.text", "全年印发行政规范性文件9件。"), "正文!A3"),
    "TEXT_LICENSING": (lambda d: set_text(d, "S1.text", "全年作出行政许可决定447000件。"), "正文!A3"),
    "TEXT_PUNISHMENT": (lambda d: set_text(d, "S1.text", "全年作出行政处罚决定3985000件。"), "正文!A3"),
    "TEXT_COERCION": (lambda d: set_text(d, "S1.text", "全年作出行政强制决定88000件。"), "正文!A3"),
}

# The last-year rules run only with last year's report (check --previous): (how to break the pair, where).
# ``last`` is built from this year's document by helpers.previous_year_document (a consistent pair).
PREVIOUS_CASES: dict[str, tuple[Callable[[Doc, Doc], None], str]] = {
    "PREV_YEAR": (lambda now, last: last.update(year=now["year"] - 2), "封面!B5"),
    "PREV_CARRIED_OVER": (lambda now, last: bump(last, "T3.carried_forward.natural_person",
                                                 "T3.carried_forward.total", by=2), "表三!D6"),
    "PREV_IN_FORCE": (lambda now, last: bump(last, "T2.normative_documents.in_force", by=3), "表二!D5"),
    "PREV_FEE_JUMP": (lambda now, last: now["values"].update(
        {"T2.administrative_fees.amount": last["values"]["T2.administrative_fees.amount"] * 200}), "表二!B15"),
}


def _edit(path: Path, fn: Callable[[openpyxl.Workbook], None]) -> Path:
    wb = openpyxl.load_workbook(path)
    fn(wb)
    out = path.with_name("edited.xlsx")
    wb.save(out)
    return out


def _set(sheet: str, address: str, value: Any) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        wb[sheet][address].value = value
    return edit


def _drop_name(name: str) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        del wb.defined_names[name]
    return edit


def _set_escaped(sheet: str, address: str, text: str) -> Callable[[openpyxl.Workbook], None]:
    """Text as Excel stores a control character (_x000B_): openpyxl refuses the character itself."""
    def edit(wb: openpyxl.Workbook) -> None:
        cell = wb[sheet][address]
        cell._value, cell.data_type = text, "s"
    return edit


def _explain(rule: str, place: str, *also: Callable[[openpyxl.Workbook], None]) -> Callable[[openpyxl.Workbook], None]:
    """A 情况说明 row (rule, place, text), after the edits ``also``."""
    def edit(wb: openpyxl.Workbook) -> None:
        for other in also:
            other(wb)
        ws = wb["情况说明"]
        ws["A3"], ws["B3"], ws["E3"] = rule, place, "情况属实，特此说明。"
    return edit


def _profile(name: str) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        from openpyxl.packaging.custom import StringProperty

        wb.custom_doc_props.append(StringProperty(name="xltools.profile", value=name))
    return edit


BOOK_CASES: dict[str, tuple[Callable[[openpyxl.Workbook], None], str]] = {
    "VALUE_PLACEHOLDER": (_set("表三", "E9", "/"), "表三!E9"),
    "VALUE_NUMERIC_TEXT": (_set("表三", "D5", "３００１"), "表三!D5"),
    "VALUE_NOT_A_NUMBER": (_set("表四", "A5", "七十二"), "表四!A5"),
    "VALUE_FORMULA_NO_CACHE": (_set("表三", "J5", "=SUM(D5:I5)"), "表三!J5"),
    "LAYOUT_SHEET_MISSING": (lambda wb: wb.remove(wb["表四"]), "表四"),
    "LAYOUT_LABEL_MISMATCH": (lambda wb: wb["表三"].insert_rows(10), "表三!D10"),
    "LAYOUT_NAME_MOVED": (_drop_name("T4_review_upheld"), "表四!A5"),
    "VALUE_INVALID_NUMBER": (_set("表三", "D5", "9" * 5000), "表三!D5"),
    "TEXT_CONTROL_CHARS": (_set_escaped("正文", "A3", "第一段_x000B_第二段"), "正文!A3"),
    "LAYOUT_MERGED_INPUT": (lambda wb: wb["表三"].merge_cells("D5:E5"), "表三!E5"),
    "LAYOUT_STRAY_CELLS": (_set("表三", "AZ1048576", 7), "表三"),
    "EXPLANATION_STALE": (_explain("T3_ROW_TOTAL", "表三!J8"), "情况说明"),
    "EXPLANATION_OF_ERROR": (_explain("VALUE_NOT_A_NUMBER", "表四!A5", _set("表四", "A5", "七十二")), "情况说明"),
    "PROFILE_NOT_FOUND": (_profile("没有这个配置"), "封面"),
}


@pytest.fixture(scope="module")
def clean_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_doc(clean_document(), tmp_path_factory.mktemp("clean"))


def test_every_rule_has_a_failing_case() -> None:
    spec = load_spec()
    assert {r.id for r in spec.rules} == set(DOC_CASES) | set(BOOK_CASES) | set(PREVIOUS_CASES)


def test_clean_workbook_passes_every_rule(clean_book: Path) -> None:
    code, data = check_json(clean_book)
    assert (code, findings_of(data)) == (0, [])


@pytest.mark.parametrize("rule", sorted(DOC_CASES))
def test_rule_fails_on_broken_document(rule: str, tmp_path: Path) -> None:
    doc = clean_document()
    breaker, where = DOC_CASES[rule]
    breaker(doc)
    code, data = check_json(write_doc(doc, tmp_path))
    assert (rule, where) in findings_of(data)
    severity = load_spec().rule(rule).severity
    assert code == (1 if any(f["severity"] == "error" for f in data["files"][0]["findings"]) else 0)
    finding = next(f for f in data["files"][0]["findings"] if f["rule"] == rule)
    assert finding["severity"] == severity
    assert finding["message"]["zh"] and finding["message"]["en"] and finding["fix"]["zh"]


@pytest.mark.parametrize("rule", sorted(BOOK_CASES))
def test_rule_fails_on_edited_workbook(rule: str, clean_book: Path, tmp_path: Path) -> None:
    editor, where = BOOK_CASES[rule]
    book = _edit(_copy(clean_book, tmp_path), editor)
    _, data = check_json(book)
    assert (rule, where) in findings_of(data)


@pytest.mark.parametrize("rule", sorted(PREVIOUS_CASES))
def test_last_year_rule_fails_on_broken_pair(rule: str, tmp_path: Path) -> None:
    now = clean_document()
    last = previous_year_document(now)
    breaker, where = PREVIOUS_CASES[rule]
    breaker(now, last)
    book, last_book = write_doc(now, tmp_path, "now"), write_doc(last, tmp_path, "last")
    _, alone = check_json(book)
    assert rule not in {r for r, _ in findings_of(alone)}  # never without last year's report
    _, data = check_json(book, extra=("--previous", str(last_book)))
    assert (rule, where) in findings_of(data)
    finding = next(f for f in data["files"][0]["findings"] if f["rule"] == rule)
    assert finding["severity"] == load_spec().rule(rule).severity and "last.xlsx" in finding["message"]["zh"]


def _copy(src: Path, folder: Path) -> Path:
    dst = folder / "book.xlsx"
    dst.write_bytes(src.read_bytes())
    return dst


def test_sum_finding_gives_expected_actual_difference_and_labels(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T3.r_partial.total"] = 450  # the six columns add up to 454
    _, data = check_json(write_doc(doc, tmp_path))
    f = next(f for f in data["files"][0]["findings"] if f["rule"] == "T3_ROW_TOTAL")
    assert (f["expected"], f["actual"], f["difference"]) == (454, 450, -4)
    first = f["cells"][0]
    assert first["ref"] == "表三!J8" and first["id"] == "T3.r_partial.total"
    assert first["row_label"].startswith("（二）部分公开") and first["column_label"] == "总计"
    assert "454" in f["message"]["zh"] and "450" in f["message"]["zh"] and "454" in f["fix"]["zh"]


def test_shifted_sheet_is_reported_never_misread(clean_book: Path, tmp_path: Path) -> None:
    book = _edit(_copy(clean_book, tmp_path), lambda wb: wb["表三"].insert_rows(10))
    code, data = check_json(book)
    rules = {r for r, _ in findings_of(data)}
    assert code == 1 and "LAYOUT_LABEL_MISMATCH" in rules
    # rows below the inserted one are not read at the wrong place: no arithmetic finding is invented from them
    assert not rules & {"T3_ROW_TOTAL", "T3_RESULTS_SUM", "T3_COL_BALANCE"}


def test_text_rules_read_the_text_by_cell_id() -> None:
    spec = load_spec()

    def text_findings(texts: dict[str, str]) -> set[str]:
        values = Values(spec.id, {}, frozenset(), frozenset(), texts, {}, {})
        return {f.rule for f in run_rules(spec, values) if f.rule in ("SECTIONS_PRESENT", "S6_FEE_STATEMENT")}

    by_cell = {"S1.text": "总体情况。", "S5.text": "问题。", "S6.text": "本年度未收取信息处理费。"}
    assert text_findings(by_cell) == set()
    assert text_findings({k.split(".")[0]: v for k, v in by_cell.items()}) == {"SECTIONS_PRESENT", "S6_FEE_STATEMENT"}
