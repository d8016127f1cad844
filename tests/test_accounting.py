"""Every file a folder holds is accounted for (issue 15): in ``consolidate`` a Word/PDF/web/text report is imported
and marked so, counted only when complete and without errors, and never counted beside its unit's workbook;
anything else is 无法读取 with its reason; a unit is never 未报送 when a file of its name is there; the original of
two identical files is counted, not its copy; the 退回 lines name the annotated copy written. ``check`` of a
folder lists every file too. A mistyped input writes nothing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import EXAMPLE_XLSX, department, run

from xltools.consolidate.decide import file_unit_keys, is_copy
from xltools.extract.sources import read_source

YEAR = 2024


def broken(folder: Path, unit: str) -> Path:
    book = department(folder, unit)
    wb = openpyxl.load_workbook(book)
    wb["表三"]["D5"] = wb["表三"]["D5"].value + 10  # the row total no longer holds
    wb.save(book)
    return book


def exported(folder: Path, unit: str, suffix: str, name: str | None = None) -> Path:
    """The unit's report as ``xltools export`` makes it from a clean workbook (the workbook itself not kept)."""
    work = folder.parent / f"work-{unit}{suffix}"
    work.mkdir()
    target = folder / f"{name or unit}{suffix}"
    result = run("export", department(work, unit), "-o", target)
    assert target.is_file(), result.stdout + result.stderr
    shutil.rmtree(work)
    return target


def rows_of(book: Path, sheet: str) -> list[list[Any]]:
    return [list(r) for r in openpyxl.load_workbook(book, read_only=True)[sheet].iter_rows(values_only=True)]


def status_rows(book: Path) -> dict[str, tuple[str, str, str]]:
    """File name (or, for 未报送, the unit) -> (unit, status, reason) in 报送情况."""
    return {(Path(r[5]).name if r[5] else r[0]): (r[0], r[4], r[6] or "") for r in rows_of(book, "报送情况")[1:]}


@pytest.fixture(scope="module")
def round_(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """One realistic round: workbooks, a copy, an old .xls, a PDF and a web page, a partial text, a zip, a picture,
    lock and hidden files; with a roster and --annotate-dir."""
    root = tmp_path_factory.mktemp("round")
    inbox = root / "报送"
    inbox.mkdir()
    original = department(inbox, "市教育局")
    shutil.copy(original, inbox / "市教育局-副本.xlsx")  # sorts before 市教育局.xlsx
    shutil.copy(original, inbox / "~$市教育局.xlsx")  # Office's lock file: skipped
    (inbox / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden: skipped
    (inbox / "市民政局2024年报.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    exported(inbox, "市交通局", ".pdf")
    department(inbox, "市卫健委")
    exported(inbox, "市卫健委", ".html")  # the same unit's web version beside its workbook
    web = exported(root, "市文旅局", ".html", name="full")
    text = read_source(web).text
    cut = text.replace("3.其他 108 2 0 0 0 0 110", "3.其他")  # one row's numbers missing
    assert cut != text
    (inbox / "市文旅局.txt").write_text(cut, encoding="utf-8")
    (inbox / "附件.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (inbox / "照片.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 20)
    broken(inbox, "市财政局")
    roster = root / "名单.csv"
    roster.write_text("单位名称,单位层级\n" + "".join(f"{u},部门\n" for u in (
        "市教育局", "市民政局", "市交通局", "市文旅局", "市卫健委", "市财政局", "市公安局")), encoding="utf-8")
    out = root / "全市.xlsx"
    back = root / "退回"
    result = run("consolidate", inbox, "-o", out, "--unit", "××市人民政府", "--year", str(YEAR),
                 "--roster", roster, "--annotate-dir", back, "--jobs", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return root, result


def test_every_file_of_the_folder_is_accounted_for(round_: tuple[Path, Any]) -> None:
    root, _ = round_
    rows = status_rows(root / "全市.xlsx")
    assert set(rows) == {"市教育局.xlsx", "市教育局-副本.xlsx", "市民政局2024年报.xls", "市交通局.pdf", "市卫健委.xlsx",
                         "市卫健委.html", "市文旅局.txt", "附件.zip", "照片.jpg", "市财政局.xlsx", "市公安局"}
    assert rows["附件.zip"][1] == "无法读取" and "压缩包" in rows["附件.zip"][2]
    assert rows["照片.jpg"][1] == "无法读取" and "图片" in rows["照片.jpg"][2]
    assert rows["市公安局"][1:] == ("未报送", "没有收到报告，请催报")


def test_a_pdf_report_is_imported_counted_and_marked(round_: tuple[Path, Any]) -> None:
    root, result = round_
    rows = status_rows(root / "全市.xlsx")
    assert rows["市交通局.pdf"][:2] == ("市交通局", "已汇总（由 PDF 导入）")
    assert "已汇总（由 PDF 导入）" in result.stdout and "市交通局.pdf" in result.stdout
    detail = rows_of(root / "全市.xlsx", "汇总明细")
    assert sorted(r[0] for r in detail[1:-1]) == ["市交通局", "市卫健委", "市教育局"]
    assert next(r for r in detail if r[0] == "市交通局")[4] == "通过（由 PDF 导入）"


def test_a_partial_import_is_sent_back_naming_the_empty_cells(round_: tuple[Path, Any]) -> None:
    root, result = round_
    unit, status, reason = status_rows(root / "全市.xlsx")["市文旅局.txt"]
    assert (unit, status) == ("市文旅局", "退回（有错误）")
    assert "由 文本 导入不完整" in reason and re.search(r"留空：表三!D\d+〔[^〕]+｜自然人〕", reason)
    assert "T3." not in reason  # cells as check names them, not internal ids
    assert "导入不完整" in result.stdout


def test_a_workbook_counts_and_the_same_units_web_version_does_not(round_: tuple[Path, Any]) -> None:
    rows = status_rows(round_[0] / "全市.xlsx")
    assert rows["市卫健委.xlsx"][1] == "已汇总"
    assert rows["市卫健委.html"][1] == "重复（同一单位的另一版本）"
    assert "同一单位的 网页 版本，未重复计入" in rows["市卫健委.html"][2]


def test_an_unreadable_file_of_a_roster_unit_is_not_missing(round_: tuple[Path, Any]) -> None:
    rows = status_rows(round_[0] / "全市.xlsx")
    unit, status, reason = rows["市民政局2024年报.xls"]
    assert (unit, status) == ("市民政局", "无法读取") and "另存为" in reason
    assert "市民政局" not in [r[0] for r in rows.values() if r[1] == "未报送"]


def test_the_original_counts_and_the_copy_is_the_duplicate(round_: tuple[Path, Any]) -> None:
    rows = status_rows(round_[0] / "全市.xlsx")
    assert rows["市教育局.xlsx"][1] == "已汇总"
    assert rows["市教育局-副本.xlsx"][1] == "重复（文件相同，只计一次）"
    assert "市教育局.xlsx 完全相同" in rows["市教育局-副本.xlsx"][2]


def test_sent_back_lines_name_the_copy_written_and_only_sent_back_units_get_one(round_: tuple[Path, Any]) -> None:
    root, result = round_
    copy = root / "退回" / "市财政局-校验结果.xlsx"
    assert sorted(p.name for p in (root / "退回").iterdir()) == [copy.name]
    reason = status_rows(root / "全市.xlsx")["市财政局.xlsx"][2]
    assert str(copy) in reason and "--annotate-dir" not in reason
    assert str(copy) in result.stdout and "--annotate-dir 可生成" not in result.stdout


def test_without_annotate_dir_the_hint_is_given(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    broken(inbox, "市财政局")
    department(inbox, "市教育局")
    out = tmp_path / "全市.xlsx"
    result = run("consolidate", inbox, "-o", out, "--unit", "××市", "--year", str(YEAR))
    assert result.returncode == 1
    assert "（加 --annotate-dir 可生成带校验结果的工作簿发回）" in status_rows(out)["市财政局.xlsx"][2]


def test_check_of_a_folder_lists_every_file_with_its_reason(tmp_path: Path) -> None:
    department(tmp_path, "市教育局")
    (tmp_path / "市交通局.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (tmp_path / "附件.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (tmp_path / "说明.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    (tmp_path / "~$市教育局.xlsx").write_bytes(b"lock")
    result = run("check", tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = {line.split("：")[0]: line for line in result.stdout.splitlines() if " —— " in line}
    assert ("这是 PDF 报告（.pdf），不是工作簿：请用 xltools import 转为工作簿后再校验，"
            "或在汇总（xltools consolidate）时自动导入") in lines[str(tmp_path / "市交通局.pdf")]
    assert "压缩包" in lines[str(tmp_path / "附件.zip")] and "旧版 Word" in lines[str(tmp_path / "说明.doc")]
    assert "~$" not in result.stdout


@pytest.mark.parametrize("command", [
    ("check", "{missing}"),
    ("check", "{missing}", "--report", "{out}.html"),
    ("consolidate", "{missing}", "-o", "{out}.xlsx", "--unit", "××市", "--year", "2024"),
])
def test_a_mistyped_input_writes_nothing(tmp_path: Path, command: tuple[str, ...]) -> None:
    department(tmp_path, "市教育局")
    for missing in ("市不存在.xlsx", "报送不存在"):
        args = [a.format(missing=tmp_path / missing, out=tmp_path / "out") for a in command]
        result = run(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        said = (result.stdout + result.stderr).strip().splitlines()
        assert len(said) == 1 and missing in said[0] and ("不存在" in said[0] or "找不到" in said[0])
        assert sorted(p.name for p in tmp_path.iterdir()) == ["市教育局.xlsx"]


@pytest.mark.parametrize(("name", "copy"), [
    ("报告-副本.xlsx", True), ("报告 - 副本 (2).xlsx", True), ("报告(1).xlsx", True), ("报告 copy.xlsx", True),
    ("复件 报告.xlsx", True), ("报告.xlsx", False), ("市教育局（再次报送）.xlsx", False),
])
def test_copies_are_recognised_by_name(name: str, copy: bool) -> None:
    assert is_copy(name) is copy


@pytest.mark.parametrize("name", ["市民政局.xls", "市民政局2024年报.xls", "2024年市民政局政府信息公开工作年度报告.pdf",
                                  "市民政局-副本.xlsb", "市民政局 2024 年度报告 (1).zip"])
def test_file_names_name_their_unit(name: str) -> None:
    assert "市民政局" in file_unit_keys(name)


def test_the_roster_in_the_folder_is_not_an_input(tmp_path: Path) -> None:
    inbox = tmp_path / "报送"
    inbox.mkdir()
    department(inbox, "市教育局")
    roster = inbox / "名单.csv"
    roster.write_text("单位名称\n市教育局\n", encoding="utf-8")
    out = tmp_path / "全市.xlsx"
    result = run("consolidate", inbox, "-o", out, "--unit", "××市", "--year", str(YEAR), "--roster", roster)
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(status_rows(out)) == ["市教育局.xlsx"]


def test_check_json_and_report_list_a_pdf_with_its_reason(tmp_path: Path) -> None:
    department(tmp_path, "市教育局")
    (tmp_path / "市交通局.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    page = tmp_path / "情况.html"
    result = run("check", tmp_path, "--format", "json", "--report", page)
    assert result.returncode == 2, result.stderr
    files = {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}
    assert set(files) == {"市教育局.xlsx", "市交通局.pdf"}
    assert files["市交通局.pdf"]["reason"].startswith("这是 PDF 报告（.pdf），不是工作簿")
    again = run("check", tmp_path, "--format", "json", "--report", page, "--overwrite")
    assert {Path(f["file"]).name for f in json.loads(again.stdout)["files"]} == set(files)


def test_a_round_where_no_unit_can_be_counted_writes_nothing(tmp_path: Path) -> None:
    """Nothing to sum: exit 2 with one line naming the files, no all-zero city workbook or page."""
    inbox = tmp_path / "报送"
    inbox.mkdir()
    (inbox / "市民政局.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    (inbox / "市财政局.xlsx").write_text("不是工作簿", encoding="utf-8")
    out = tmp_path / "out" / "全市.xlsx"
    result = run("consolidate", inbox, "-o", out, "--unit", "××市人民政府", "--year", "2024")
    assert result.returncode == 2 and "没有可以汇总的单位" in result.stderr and "无法读取 2" in result.stderr
    assert "市民政局.xls" in result.stderr and "Traceback" not in result.stderr
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_a_roster_with_only_its_header_is_refused(tmp_path: Path) -> None:
    roster = tmp_path / "名单.csv"
    roster.write_text("单位名称,代码\n", encoding="utf-8")
    (tmp_path / "报送").mkdir()
    shutil.copy(EXAMPLE_XLSX, tmp_path / "报送" / "科技局.xlsx")
    result = run("consolidate", tmp_path / "报送", "-o", tmp_path / "全市.xlsx", "--unit", "××市", "--year", "2021",
                 "--roster", roster)
    assert result.returncode == 2 and "名单.csv 只有表头" in result.stderr
