"""The Excel button handlers without Excel: the handlers run on the openpyxl implementation of the workbook port
and the saved file is asserted; the real entry points run as xlwings would start them, and never show a
traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest
from helpers import clean_document, run, write_doc, xltools_env

from xltools.format.spec import load_spec
from xltools.workbook import actions
from xltools.workbook import handlers as excel
from xltools.workbook.openpyxl_port import OpenpyxlPort
from xltools.workbook.port import SheetTable, token_rgb

SPEC = load_spec()


def test_validate_button_writes_the_results_sheet_and_says_so(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T4.review.total"] += 1
    book = write_doc(doc, tmp_path, macro=True)
    port = OpenpyxlPort(book)
    message = excel.run("validate", actions.validate, lambda: port)
    assert message.startswith("校验完成：1 个错误")
    port.save(tmp_path / "after.xlsm")
    wb = openpyxl.load_workbook(tmp_path / "after.xlsm", keep_vba=True)
    results = wb[actions.RESULTS_SHEET]
    assert [r[1].value for r in results.iter_rows(min_row=3)] == ["T4_GROUP_TOTAL"]
    assert wb.active.title == actions.RESULTS_SHEET
    again = OpenpyxlPort(tmp_path / "after.xlsm")
    excel.run("validate", actions.validate, lambda: again)
    assert again.sheet_names().count(actions.RESULTS_SHEET) == 1, "validate refreshes the sheet, never adds a second"


def test_fill_then_validate_in_one_session_reads_the_new_totals(tmp_path: Path) -> None:
    doc = clean_document()
    expected = doc["values"].pop("T3.r_total.total")
    book = write_doc(doc, tmp_path)
    port = OpenpyxlPort(book)
    assert "其中 1 个改了数值" in excel.run("fill_totals", actions.fill_totals, lambda: port)
    assert excel.run("validate", actions.validate, lambda: port) == "校验通过：未发现问题。"
    c = SPEC.cell("T3.r_total.total")
    assert port.values(c.sheet)[int(c.address[1:]) - 1][ord(c.address[0]) - 65] == expected


def test_flag_twice_then_clear_is_the_original_workbook(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T3.new_received.natural_person"] += 2
    book = write_doc(doc, tmp_path)
    port = OpenpyxlPort(book)
    c = SPEC.cell("T3.new_received.total")
    original = (port.fill(c.sheet, c.address), port.note(c.sheet, c.address))
    first = excel.run("flag", actions.flag, lambda: port)
    second = excel.run("flag", actions.flag, lambda: port)
    assert first == second and first.startswith("已标记")
    assert port.fill(c.sheet, c.address) != original[0]
    assert "怎么改" in (port.note(c.sheet, c.address) or "")
    assert excel.run("clear_flags", actions.clear_flags, lambda: port).startswith("已清除")
    assert (port.fill(c.sheet, c.address), port.note(c.sheet, c.address)) == original
    assert actions.FLAGS_SHEET not in port.sheet_names()
    assert port.book["表三"].protection.sheet


def test_export_button_writes_the_report_beside_the_workbook(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path, macro=True)
    message = excel.run("export_report", lambda p: actions.export_beside(p, with_pdf=False),
                        lambda: OpenpyxlPort(book))
    title = f"{clean_document()['unit']}2024年政府信息公开工作年度报告"
    written = tmp_path / f"{title}.docx"
    assert written.name in message and written.exists()
    assert "".join(p.text for p in docx.Document(str(written)).paragraphs[:2]).replace("\n", "") == title


def test_export_button_refuses_a_workbook_with_errors(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T4.review.total"] += 1
    book = write_doc(doc, tmp_path)
    message = excel.run("export_report", actions.export_beside, lambda: OpenpyxlPort(book))
    assert message.startswith("有 1 个错误，暂不导出")
    assert not list(tmp_path.glob("*.docx"))


@pytest.mark.slow
def test_export_button_also_writes_the_pdf_with_libreoffice(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path, macro=True)
    message = excel.run("export_report", actions.export_beside, lambda: OpenpyxlPort(book))
    assert ".docx" in message and ".pdf" in message
    title = f"{clean_document()['unit']}2024年政府信息公开工作年度报告"
    assert (tmp_path / f"{title}.pdf").read_bytes().startswith(b"%PDF")


def test_a_failing_handler_shows_a_message_and_logs_the_details(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLTOOLS_LOG_DIR", str(tmp_path / "logs"))
    book = write_doc(clean_document(), tmp_path)

    def broken(port: object) -> actions.Outcome:
        raise ZeroDivisionError("boom")

    message = excel.run("validate", broken, lambda: OpenpyxlPort(book))
    assert "意外错误（ZeroDivisionError）" in message and "excel.log" in message and "Traceback" not in message
    log = (tmp_path / "logs" / "excel.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "boom" in log
    locked = excel.run("export", lambda p: (_ for _ in ()).throw(PermissionError(13, "denied")), lambda: None)
    assert "请先关闭" in locked


def test_button_entry_points_without_excel_exit_1_with_the_message_on_stderr(tmp_path: Path) -> None:
    """Started the way xlwings' RunPython starts them; here Book.caller() cannot reach Excel, so no message box can
    show the message: standard error holds it and the exit code is 1, which makes xlwings show it."""
    env = {**xltools_env(), "XLTOOLS_LOG_DIR": str(tmp_path / "logs")}
    for handler in ("validate", "fill_totals", "flag", "clear_flags", "export_report"):
        result = subprocess.run([sys.executable, "-c", f"import xltools.workbook.handlers as h; h.{handler}()"],
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("操作未完成：") and "excel.log" in result.stderr
        assert "Traceback" not in result.stderr
    log = (tmp_path / "logs" / "excel.log").read_text(encoding="utf-8")
    for handler in ("validate", "fill_totals", "flag", "clear_flags", "export_report"):
        assert log.count(f"ERROR {handler} failed\nTraceback") == 1, handler


_PRESS = """
import sys
import xltools.workbook.handlers as h
from xltools.workbook import actions
from xltools.workbook.openpyxl_port import OpenpyxlPort

class Port(OpenpyxlPort):
    def alert(self, message):
        if sys.argv[2] == "fails":
            raise OSError("the message box could not be shown")
        print("BOX:" + message)

def broken(port):
    raise ZeroDivisionError("boom")

h.press("validate", broken if sys.argv[3] == "broken" else actions.validate, lambda: Port(sys.argv[1]))
"""


def press(book: Path, alert: str, action: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """A button pressed, in its own Python as RunPython starts it, on a port whose message box works or fails."""
    env = {**xltools_env(), "XLTOOLS_LOG_DIR": str(tmp_path / "logs")}
    return subprocess.run([sys.executable, "-c", _PRESS, str(book), alert, action], capture_output=True, text=True,
                          env=env, timeout=60)


def test_a_handler_whose_message_box_fails_exits_1_with_the_message_on_stderr(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T4.review.total"] += 1
    book = write_doc(doc, tmp_path)
    failed = press(book, "fails", "validate", tmp_path)
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.startswith("校验完成：1 个错误") and "Traceback" not in failed.stderr
    log = (tmp_path / "logs" / "excel.log").read_text(encoding="utf-8")
    assert "could not show the message" in log and "the message box could not be shown" in log
    shown = press(book, "works", "validate", tmp_path)
    assert shown.returncode == 0 and shown.stderr == ""
    assert shown.stdout.strip() == "BOX:" + failed.stderr.strip()


def test_a_failing_handler_whose_message_box_fails_exits_1_with_the_chinese_error(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path)
    failed = press(book, "fails", "broken", tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.startswith("操作未完成：xltools 出现意外错误（ZeroDivisionError）")
    assert "excel.log" in failed.stderr and "Traceback" not in failed.stderr
    shown = press(book, "works", "broken", tmp_path)
    assert shown.returncode == 0 and shown.stderr == "" and "意外错误（ZeroDivisionError）" in shown.stdout


@pytest.mark.parametrize("token, rgb", [
    ("DDEBF7", "DDEBF7"), ("#ddebf7", "DDEBF7"),
    ('<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/></patternFill></fill>', "DDEBF7"),
    ('<fill><patternFill patternType="solid"><fgColor theme="4"/></patternFill></fill>', None),
])
def test_fill_tokens_of_either_port_give_their_colour(token: str, rgb: str | None) -> None:
    assert token_rgb(token) == rgb


def test_flags_recorded_in_excel_are_cleared_by_the_command(tmp_path: Path) -> None:
    """A workbook flagged by the button (colours recorded as #RRGGBB) and cleared with xltools clear-flags."""
    book = write_doc(clean_document(), tmp_path)
    port = OpenpyxlPort(book)
    c = SPEC.cell("T3.r_total.total")
    note = "【xltools】错误：（七）总计不一致"
    port.write_table(SheetTable(actions.FLAGS_SHEET, "", actions.FLAGS_HEADER,
                                [[c.sheet, c.address, "#DDEBF7", "", note]], hidden=True))
    port.set_fill(c.sheet, c.address, actions.FLAG_COLOURS["error"])
    port.set_note(c.sheet, c.address, note)
    port.save(tmp_path / "flagged-in-excel.xlsx")
    assert run("clear-flags", tmp_path / "flagged-in-excel.xlsx", "-o", tmp_path / "out.xlsx").returncode == 0
    cleared = openpyxl.load_workbook(tmp_path / "out.xlsx")[c.sheet][c.address]
    assert cleared.fill.fgColor.rgb.endswith("DDEBF7") and cleared.comment is None


def test_reflagging_a_flagged_workbook_then_clearing_restores_the_original(tmp_path: Path) -> None:
    """Flags already saved in the file, flagged again and cleared in one session: clear uses the new record."""
    doc = clean_document()
    doc["values"]["T3.new_received.natural_person"] += 2
    book = write_doc(doc, tmp_path)
    c = SPEC.cell("T3.new_received.total")
    original = OpenpyxlPort(book).fill(c.sheet, c.address)
    first = OpenpyxlPort(book)
    actions.flag(first)
    first.save(tmp_path / "flagged.xlsx")
    port = OpenpyxlPort(tmp_path / "flagged.xlsx")
    fixed, broken = SPEC.cell("T3.new_received.natural_person"), SPEC.cell("T4.review.upheld")
    port.set_value(fixed.sheet, fixed.address, doc["values"]["T3.new_received.natural_person"] - 2)
    port.set_value(broken.sheet, broken.address, doc["values"]["T4.review.upheld"] + 1)
    assert actions.flag(port).message.startswith("已标记 1 个单元格")
    other = SPEC.cell("T4.review.total")
    other_original = OpenpyxlPort(book).fill(other.sheet, other.address)
    assert port.fill(other.sheet, other.address) != other_original
    actions.clear_flags(port)
    for cell, fill in ((c, original), (other, other_original)):
        assert port.fill(cell.sheet, cell.address) == fill and port.note(cell.sheet, cell.address) is None
