"""Explanations that last (情况说明): written once in the workbook, shown as 已说明 by every later check (text, JSON,
the 校验结果 sheet, the flags), kept by the 校验 button, ``check --annotate``, ``fill`` and ``clear-flags``; an
explanation of an error is ignored and reported, one whose finding has gone is reported as stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
from helpers import check_json, clean_document, findings_of, run, write_doc

from xltools.reading.explanations import EXPLANATION_HEADER, EXPLANATION_SHEET
from xltools.workbook import actions
from xltools.workbook import handlers as excel
from xltools.workbook.openpyxl_port import OpenpyxlPort

TEXT = "本年度未收取信息处理费，已在第五部分说明。"
COL = {name: i for i, name in enumerate(EXPLANATION_HEADER)}


def _warning_book(folder: Path) -> Path:
    """A clean report whose section 六 lacks the fee statement (warning S6_FEE_STATEMENT at 正文!A40)."""
    doc = clean_document()
    doc["texts"].pop("S6", None)
    doc["texts"]["S6.text"] = "本年度无其他需要报告的事项。"
    return write_doc(doc, folder)


def _rows(book: Path) -> list[dict[str, Any]]:
    """The 情况说明 sheet's rows under its header, by column name."""
    ws = openpyxl.load_workbook(book)[EXPLANATION_SHEET]
    assert [c.value for c in ws[2]] == list(EXPLANATION_HEADER)
    return [{name: row[i] for name, i in COL.items()} for row in ws.iter_rows(min_row=3, values_only=True)
            if row[COL["规则"]]]


def _write(book: Path, out: Path, *rows: tuple[str, str, str]) -> Path:
    """Write (rule, place, text) rows by hand, as a clerk would, under the header."""
    wb = openpyxl.load_workbook(book)
    ws = wb[EXPLANATION_SHEET]
    first = next(r for r in range(3, ws.max_row + 2) if not ws.cell(r, COL["规则"] + 1).value)
    for n, (rule, place, text) in enumerate(rows):
        ws.cell(first + n, COL["规则"] + 1).value = rule
        ws.cell(first + n, COL["位置"] + 1).value = place
        ws.cell(first + n, COL["情况说明"] + 1).value = text
    wb.save(out)
    return out


def _finding(data: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(f for f in data["files"][0]["findings"] if f["rule"] == rule)


def test_the_template_has_the_sheet_and_a_workbook_without_it_still_checks(tmp_path: Path) -> None:
    book = _warning_book(tmp_path)
    assert _rows(book) == []
    wb = openpyxl.load_workbook(book)
    del wb[EXPLANATION_SHEET]
    wb.save(tmp_path / "old.xlsx")
    code, data = check_json(tmp_path / "old.xlsx")
    assert (code, findings_of(data)) == (0, [("S6_FEE_STATEMENT", "正文!A40")])
    assert data["files"][0]["explained"] == 0 and _finding(data, "S6_FEE_STATEMENT")["explanation"] is None


def test_annotate_lists_the_warning_and_a_written_explanation_lasts(tmp_path: Path) -> None:
    book = _warning_book(tmp_path)
    annotated = tmp_path / "annotated.xlsx"
    assert run("check", book, "--annotate", annotated).returncode == 0
    (row,) = _rows(annotated)
    assert (row["规则"], row["位置"], row["单元格编号"], row["情况说明"]) == (
        "S6_FEE_STATEMENT", "正文!A40", "S6.text", None)
    wb = openpyxl.load_workbook(annotated)
    wb[EXPLANATION_SHEET].cell(3, COL["情况说明"] + 1).value = TEXT  # the clerk types into the yellow cell
    wb.save(tmp_path / "explained.xlsx")

    code, data = check_json(tmp_path / "explained.xlsx")
    finding = _finding(data, "S6_FEE_STATEMENT")
    assert code == 0 and finding["severity"] == "warning"
    assert finding["explanation"] == {"rule": "S6_FEE_STATEMENT", "cell": "S6.text", "text": TEXT,
                                      "location": "情况说明!E3"}
    assert data["files"][0]["explained"] == 1
    text = run("check", tmp_path / "explained.xlsx").stdout
    assert "警告（已说明）  正文!A40" in text and f"已说明：{TEXT}" in text and "其中 1 条已说明" in text
    assert run("check", "--strict", tmp_path / "explained.xlsx").returncode == 0, "an explained warning passes"
    assert run("check", "--strict", book).returncode == 1

    again = tmp_path / "again.xlsx"  # annotating again keeps it, once, and flags the cell as explained
    assert run("check", tmp_path / "explained.xlsx", "--annotate", again).returncode == 0
    assert [(r["规则"], r["情况说明"]) for r in _rows(again)] == [("S6_FEE_STATEMENT", TEXT)]
    wb = openpyxl.load_workbook(again)
    results = [[c.value for c in r] for r in wb[actions.RESULTS_SHEET].iter_rows(min_row=3)]
    assert [(r[0], r[1], r[-1]) for r in results] == [("警告（已说明）", "S6_FEE_STATEMENT", TEXT)]
    cell = wb["正文"]["A40"]
    assert cell.fill.fgColor.rgb.endswith(actions.EXPLAINED_COLOUR) and f"已说明：{TEXT}" in cell.comment.text


def test_fill_and_clear_flags_keep_the_explanations(tmp_path: Path) -> None:
    book = _write(_warning_book(tmp_path), tmp_path / "explained.xlsx", ("S6_FEE_STATEMENT", "正文!A40", TEXT))
    annotated = tmp_path / "annotated.xlsx"
    assert run("check", book, "--annotate", annotated).returncode == 0
    cleared, filled = tmp_path / "cleared.xlsx", tmp_path / "filled.xlsx"
    assert run("clear-flags", annotated, "-o", cleared).returncode == 0
    assert run("fill", cleared, "-o", filled).returncode == 0
    for path in (annotated, cleared, filled):
        assert [(r["规则"], r["情况说明"]) for r in _rows(path)] == [("S6_FEE_STATEMENT", TEXT)], path
        assert _finding(check_json(path)[1], "S6_FEE_STATEMENT")["explanation"]["text"] == TEXT


def test_an_explanation_of_an_error_is_ignored_and_one_of_a_gone_finding_is_stale(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T3.r_partial.total"] -= 4  # T3_ROW_TOTAL at 表三!J8, an error
    book = _write(write_doc(doc, tmp_path), tmp_path / "explained.xlsx",
                  ("T3_ROW_TOTAL", "表三!J8", "数字是对的"), ("S1_LENGTH", "S1.text", "已精简"))
    code, data = check_json(book)
    assert code == 1
    assert _finding(data, "T3_ROW_TOTAL")["explanation"] is None and data["files"][0]["explained"] == 0
    of_error, stale = _finding(data, "EXPLANATION_OF_ERROR"), _finding(data, "EXPLANATION_STALE")
    assert (of_error["severity"], of_error["location"], of_error["actual"]) == ("info", "情况说明", "情况说明!E3")
    assert "表三!J8" in of_error["message"]["zh"] and "错误必须改正" in of_error["message"]["zh"]
    assert stale["actual"] == "情况说明!E4" and "“已精简”" in stale["message"]["zh"]


def test_the_validate_button_lists_and_keeps_explanations(tmp_path: Path) -> None:
    book = _write(_warning_book(tmp_path), tmp_path / "explained.xlsx", ("S6_FEE_STATEMENT", "S6.text", TEXT))
    port = OpenpyxlPort(book)
    assert excel.run("validate", actions.validate, lambda: port).startswith("校验完成：0 个错误，1 个警告")
    port.save(tmp_path / "after.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "after.xlsx")
    assert wb.sheetnames[-2:] == [EXPLANATION_SHEET, actions.RESULTS_SHEET]
    assert [(r["规则"], r["情况说明"]) for r in _rows(tmp_path / "after.xlsx")] == [("S6_FEE_STATEMENT", TEXT)]
    assert wb[actions.RESULTS_SHEET]["I3"].value == TEXT


def test_json_schema_documents_the_new_fields() -> None:
    schema = json.loads((Path(__file__).parents[1] / "docs" / "check-result.schema.json").read_text("utf-8"))
    text = json.dumps(schema)
    assert "explanation" in text and "explained" in text and "profile" in text


def test_the_check_sheet_shows_explained_lines_after_recalculation(tmp_path: Path) -> None:
    """The 校验 sheet's 情况说明 column, computed by LibreOffice as a clerk's spreadsheet does: 已说明 beside the
    explained warning only, nothing beside an explained error or a line that holds."""
    from helpers import libreoffice_convert

    from xltools.workbook.check_formulas import CHECK_SHEET, HEADER

    doc = clean_document()
    doc["values"]["T2.normative_documents.in_force"] = 5  # S_T2_IN_FORCE_GE_ISSUED (warning) at 表二!D5
    doc["values"]["T4.review.total"] += 1  # T4_GROUP_TOTAL (error) at 表四!E5
    book = _write(write_doc(doc, tmp_path), tmp_path / "explained.xlsx",
                  ("S_T2_IN_FORCE_GE_ISSUED", "表二!D5", "本年清理了大量文件"), ("T4_GROUP_TOTAL", "表四!E5", "无"))
    computed = openpyxl.load_workbook(libreoffice_convert(book, tmp_path, "xlsx:Calc MS Excel 2007 XML"),
                                      data_only=True)[CHECK_SHEET]
    col = {name: i for i, name in enumerate(HEADER)}
    lines = {(r[col["规则"]], r[col["位置"]]): (r[col["结果"]], r[col["情况说明"]])
             for r in computed.iter_rows(min_row=6, values_only=True) if r[col["规则"]]}
    assert lines[("S_T2_IN_FORCE_GE_ISSUED", "表二!D5")] == ("✘", "已说明")
    assert lines[("T4_GROUP_TOTAL", "表四!E5")] == ("✘", None)
    assert {v for k, v in lines.items() if k[0] != "S_T2_IN_FORCE_GE_ISSUED" or k[1] != "表二!D5"
            if v[0] == "✔"} == {("✔", None)}


def test_a_last_year_finding_is_explained_only_where_last_year_is_compared(tmp_path: Path) -> None:
    from helpers import previous_year_document

    doc = clean_document()
    last = previous_year_document(doc)
    last["values"]["T3.carried_forward.natural_person"] += 1  # 上年结转 ≠ last year's 结转下年度: a warning
    last_book = write_doc(last, tmp_path, "last")
    book = write_doc(doc, tmp_path)
    _, data = check_json(book, extra=("--previous", str(last_book)))
    found = [f for f in data["files"][0]["findings"] if f["rule"] == "PREV_CARRIED_OVER"]
    assert len(found) >= 1 and found[0]["severity"] == "warning"
    explained = _write(book, tmp_path / "explained.xlsx", ("PREV_CARRIED_OVER", found[0]["location"], "上年数据已更正"))
    code, plain = check_json(explained)
    assert (code, findings_of(plain)) == (0, []), "without last year: neither a finding nor a stale explanation"
    _, data = check_json(explained, extra=("--previous", str(last_book)))
    finding = next(f for f in data["files"][0]["findings"] if f["rule"] == "PREV_CARRIED_OVER")
    assert finding["explanation"]["text"] == "上年数据已更正" and data["files"][0]["explained"] == 1


def test_the_rewritten_sheet_is_open_for_typing(tmp_path: Path) -> None:
    """The template protects 情况说明 with its cells open; the buttons rewrite it unprotected (Excel cannot clear a
    protected sheet, and a new sheet's cells are locked)."""
    book = _warning_book(tmp_path)
    assert openpyxl.load_workbook(book)[EXPLANATION_SHEET].protection.sheet
    annotated = tmp_path / "annotated.xlsx"
    assert run("check", book, "--annotate", annotated).returncode == 0
    assert not openpyxl.load_workbook(annotated)[EXPLANATION_SHEET].protection.sheet


def test_explanations_survive_dump_and_new_from(tmp_path: Path) -> None:
    book = _write(_warning_book(tmp_path), tmp_path / "explained.xlsx", ("S6_FEE_STATEMENT", "正文!A40", TEXT))
    dumped = run("dump", book)
    assert dumped.returncode == 0
    data = json.loads(dumped.stdout)
    assert data["explanations"] == [{"rule": "S6_FEE_STATEMENT", "place": "正文!A40", "cell": "", "text": TEXT}]
    source = tmp_path / "doc.json"
    source.write_text(dumped.stdout, encoding="utf-8")
    again = tmp_path / "again.xlsx"
    assert run("new", "--from", source, "-o", again).returncode == 0
    assert _finding(check_json(again)[1], "S6_FEE_STATEMENT")["explanation"]["text"] == TEXT
    data["explanations"] = [{"rule": "S6_FEE_STATEMENT", "txt": "x"}]
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    refused = run("new", "--from", source, "-o", tmp_path / "refused.xlsx")
    assert refused.returncode == 2 and "explanations 第 1 项中未知的键“txt”" in refused.stderr
