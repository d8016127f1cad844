"""The installed ``xltools`` command: exit codes, output, JSON schema, new/dump round trip, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from helpers import EXAMPLE_JSON, EXAMPLE_XLSX, REPO, check_json, clean_document, findings_of, load_json, run, write_doc

SCHEMA = load_json(REPO / "docs" / "check-result.schema.json")


def test_example_names_what_is_really_wrong() -> None:
    result = run("check", EXAMPLE_XLSX)
    assert result.returncode == 1
    assert "SECTIONS_PRESENT" in result.stdout and "六、其他需要报告的事项" in result.stdout
    assert "S6_FEE_STATEMENT" in result.stdout and "信息处理费" in result.stdout
    assert "结论：未通过（1 个错误，1 个警告，0 条提示）" in result.stdout


def test_example_in_english() -> None:
    result = run("check", "--lang", "en", EXAMPLE_XLSX)
    assert result.returncode == 1
    assert "section 六 does not state the information-processing fees collected" in result.stdout
    assert "Result: failed (1 errors, 1 warnings, 0 infos)" in result.stdout


def test_json_output_follows_the_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    code, data = check_json(EXAMPLE_XLSX, bad)
    jsonschema.validate(data, SCHEMA)
    assert code == 2 and data["exit_code"] == 2
    assert [f["status"] for f in data["files"]] == ["errors", "unreadable"]
    assert findings_of(data) == [("SECTIONS_PRESENT", "正文!A40"), ("S6_FEE_STATEMENT", "正文!A40")]
    assert data["summary"] == {"files": 2, "passed": 0, "failed": 1, "unreadable": 1, "errors": 1, "warnings": 1,
                               "infos": 0}


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    doc = clean_document()
    doc["texts"]["S1"] = "字" * 1200
    book = write_doc(doc, tmp_path)
    assert run("check", book).returncode == 0
    assert run("check", "--strict", book).returncode == 1


def test_several_files_get_results_and_a_summary_and_bad_ones_do_not_stop_the_rest(tmp_path: Path) -> None:
    good = write_doc(clean_document(), tmp_path, "good")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    result = run("check", good, EXAMPLE_XLSX, tmp_path / "sub", tmp_path / "missing.xlsx")
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout
    assert "old.xlsx：无法检查 —— 这是旧版 .xls 文件" in out
    assert "missing.xlsx：无法检查 —— 文件不存在" in out
    summary = "共检查 4 个文件：1 个通过，1 个未通过，2 个无法检查（合计 1 个错误，1 个警告，0 条提示）"
    assert out.strip().splitlines()[-1] == summary


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello", "不是 Excel 工作簿"),
        (b"", "不是 Excel 工作簿"),
    ],
)
def test_unreadable_file_exits_2_with_one_line(tmp_path: Path, content: bytes, reason: str) -> None:
    f = tmp_path / "x.xlsx"
    f.write_bytes(content)
    result = run("check", f)
    assert result.returncode == 2
    assert len(result.stdout.strip().splitlines()) == 1 and reason in result.stdout


def test_foreign_workbook_is_refused(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "工资表"
    wb.save(tmp_path / "foreign.xlsx")
    result = run("check", tmp_path / "foreign.xlsx")
    assert result.returncode == 2 and "这不是政府信息公开年度报告工作簿" in result.stdout


def test_new_from_then_dump_round_trips_exactly(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    assert run("new", "--from", EXAMPLE_JSON, "-o", out).returncode == 0
    dumped = run("dump", out)
    assert dumped.returncode == 0
    assert json.loads(dumped.stdout) == load_json(EXAMPLE_JSON)


def test_new_with_unit_and_year(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    assert run("new", "--unit", "某某县教育局", "--year", "2024", "-o", out).returncode == 0
    assert json.loads(run("dump", out).stdout) == {"format": "gov-disclosure-2021", "unit": "某某县教育局",
                                                   "year": 2024, "values": {}}


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    out.write_text("precious")
    result = run("new", "-o", out)
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert out.read_text() == "precious"


def test_new_from_reports_every_problem(tmp_path: Path) -> None:
    src = tmp_path / "d.json"
    src.write_text(json.dumps({"format": "gov-disclosure-2021", "colour": "red", "meta": {"mood": "x"},
                               "values": {"T3.nope.total": 1, "T2.regulations.issued": "3"}}), encoding="utf-8")
    result = run("new", "--from", src, "-o", tmp_path / "x.xlsx")
    assert result.returncode == 2
    for word in ("colour", "mood", "T3.nope.total", "T2.regulations.issued"):
        assert word in result.stderr
    assert not (tmp_path / "x.xlsx").exists()
    assert "Traceback" not in result.stderr


def test_new_from_invalid_json(tmp_path: Path) -> None:
    src = tmp_path / "d.json"
    src.write_text("{oops", encoding="utf-8")
    result = run("new", "--from", src, "-o", tmp_path / "x.xlsx")
    assert result.returncode == 2 and "不是有效的 JSON" in result.stderr


def test_dump_of_a_bad_file_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "x.xlsx"
    f.write_text("no")
    result = run("dump", f)
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr


def test_no_workbook_in_folder_exits_2(tmp_path: Path) -> None:
    result = run("check", tmp_path)
    assert result.returncode == 2 and "没有找到" in result.stderr


def test_python_dash_m_works() -> None:
    import subprocess
    import sys

    from helpers import xltools_env

    result = subprocess.run([sys.executable, "-m", "xltools", "--version"], capture_output=True, text=True,
                            env=xltools_env())
    assert result.returncode == 0 and "xltools" in result.stdout


def test_workbook_without_defined_names_is_read_from_template_positions(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    book = tmp_path / "nonames.xlsx"
    wb.save(book)
    assert json.loads(run("dump", book).stdout) == load_json(EXAMPLE_JSON)
    code, data = check_json(book)
    found = findings_of(data)
    assert code == 1 and len([r for r, _ in found if r == "LAYOUT_NAME_MOVED"]) == 210
    assert [f for f in found if f[0] != "LAYOUT_NAME_MOVED"] == [("SECTIONS_PRESENT", "正文!A40"),
                                                                   ("S6_FEE_STATEMENT", "正文!A40")]


def test_help_offers_debug_and_an_unknown_option_is_a_usage_error() -> None:
    helptext = run("--help")
    assert helptext.returncode == 0 and "--debug" in helptext.stdout and "XLTOOLS_DEBUG" in helptext.stdout
    usage = run("check", "--no-such-option", EXAMPLE_XLSX)
    assert usage.returncode == 2 and "No such option" in usage.stderr and "内部错误" not in usage.stderr
