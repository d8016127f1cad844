"""``xltools consolidate``: sums exact, every unit's fate in 报送情况, duplicates and double counting refused,
consolidations of consolidations, rosters, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import clean_document, department, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltools.consolidate.consolidation import consolidate
from xltools.format.spec import load_spec
from xltools.workbook.new import new

SPEC = load_spec()
T3 = SPEC.tables["T3"]


def finish(book: Path) -> None:
    """What the office does before sending a consolidation up: date and text sections, in Excel (here openpyxl)."""
    import datetime as dt

    wb = openpyxl.load_workbook(book)
    wb["封面"]["B6"] = dt.datetime(2025, 2, 15)
    spec = load_spec()
    texts = {"S1.text": "全市总体情况。", "S5.text": "存在的问题。", "S6.text": "本年度未收取信息处理费。"}
    for cell_id, text in texts.items():
        wb["正文"][spec.cell(cell_id).address] = text
    wb.save(book)


def dump(book: Path) -> dict[str, Any]:
    result = run("dump", book)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def sheet_rows(book: Path, name: str) -> list[list[Any]]:
    return [list(r) for r in openpyxl.load_workbook(book, read_only=True)[name].iter_rows(values_only=True)]


def status_of(book: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in sheet_rows(book, "报送情况")[1:]:
        out.setdefault(str(row[4]), []).append(str(row[0] or ""))
    return {k: sorted(v) for k, v in out.items()}


def test_a_folder_with_a_roster(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    a = department(inbox, "市教育局", bump=1)
    department(inbox, "市民政局", bump=2)
    broken = department(inbox, "市交通局")
    wb = openpyxl.load_workbook(broken)
    wb["表三"]["D5"] = 999  # the row total no longer holds: rejected
    wb.save(broken)
    department(inbox, "市文旅局", year=2023)
    department(inbox, "某某公司")  # not on the roster
    shutil.copy(a, inbox / "市教育局（再次报送）.xlsx")  # identical copy
    (inbox / "损坏.xlsx").write_bytes(b"PK\x03\x04 broken")
    roster = tmp_path / "名单.csv"
    roster.write_text("单位名称,代码,单位层级,上级单位\n市教育局,,部门,××市\n市民政局,,部门,××市\n市交通局,,部门,××市\n"
                      "市文旅局,,部门,××市\n市公安局,,部门,××市\n", encoding="utf-8")
    out = tmp_path / "全市.xlsx"
    result = run("consolidate", inbox, "-o", out, "--unit", "××市人民政府", "--year", "2024", "--roster", roster)
    assert result.returncode == 1, result.stdout + result.stderr  # consolidated, but not everyone is in
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert status_of(out) == {
        "已汇总": ["市教育局", "市民政局"], "退回（有错误）": ["市交通局"], "年度不符": ["市文旅局"],
        "不在名单中": ["某某公司"], "重复（文件相同，只计一次）": ["市教育局"], "无法读取": [""],
        "未报送": ["市公安局"]}
    assert "T3_ROW_TOTAL" in result.stdout and "未报送" in result.stdout and "无法读取" in result.stdout
    city, base = dump(out), clean_document()["values"]
    assert city["meta"]["level"] == "汇总" and (city["unit"], city["year"]) == ("××市人民政府", 2024)
    for cell_id, value in base.items():  # two departments: twice the base, plus the bumps
        bump = 3 if cell_id in ("T3.new_received.natural_person", "T3.new_received.total",
                                "T3.r_granted.natural_person", "T3.r_granted.total", "T3.r_total.natural_person",
                                "T3.r_total.total") else 0
        expected = round(2 * value, 6) if isinstance(value, float) else 2 * value
        assert city["values"][cell_id] == expected + bump, cell_id
    detail = sheet_rows(out, "汇总明细")
    header, units, total = detail[0], detail[1:-1], detail[-1]
    assert sorted(u[0] for u in units) == ["市教育局", "市民政局"]
    for col, title in enumerate(header[7:], start=7):  # every city number is the sum of its column
        cell_id = title.split("〔")[1].rstrip("〕")
        assert pytest.approx(sum(u[col] or 0 for u in units)) == city["values"][cell_id]
        assert total[0] == "合计"
    assert (tmp_path / "全市-汇总情况.html").is_file()
    checked = json.loads(run("check", "--format", "json", out).stdout)
    rules = {f["rule"] for f in checked["files"][0]["findings"] if f["severity"] == "error"}
    assert not {r for r in rules if r.startswith(("T3_", "T4_"))}  # the sum of consistent reports is consistent


def test_different_files_for_the_same_unit_are_refused(tmp_path: Path) -> None:
    department(tmp_path, "市教育局", code="113208000000000001")
    department(tmp_path, "市教育局（更正）", code="113208000000000001", bump=5, name="更正")
    department(tmp_path, "市民政局")
    out = tmp_path / "out" / "全市.xlsx"
    result = run("consolidate", tmp_path, "-o", out, "--unit", "××市", "--year", "2024")
    assert result.returncode == 1
    assert status_of(out) == {"重复": ["市教育局", "市教育局（更正）"], "已汇总": ["市民政局"]}
    assert dump(out)["values"]["T3.new_received.total"] == clean_document()["values"]["T3.new_received.total"]


def test_consolidations_of_consolidations_and_double_counting(tmp_path: Path) -> None:
    depts, county = tmp_path / "depts", tmp_path / "county"
    depts.mkdir()
    county.mkdir()
    department(depts, "市教育局", bump=1)
    department(depts, "市民政局", bump=2)
    department(county, "县教育局", bump=4)
    level1 = tmp_path / "市本级.xlsx"
    level2 = tmp_path / "某某县.xlsx"
    assert run("consolidate", depts, "-o", level1, "--unit", "市本级", "--year", "2024").returncode == 0
    assert run("consolidate", county, "-o", level2, "--unit", "某某县人民政府", "--year", "2024").returncode == 0
    finish(level1)
    finish(level2)
    city = tmp_path / "全市.xlsx"
    result = run("consolidate", level1, level2, "-o", city, "--unit", "××市", "--year", "2024")
    assert result.returncode == 0, result.stdout
    total = dump(city)["values"]["T3.new_received.total"]
    assert total == 3 * clean_document()["values"]["T3.new_received.total"] + 7
    composition = sheet_rows(city, "汇总构成")[1:]
    assert sorted((r[0], r[2]) for r in composition) == [("县教育局", "经“某某县人民政府”汇总"),
                                                         ("市教育局", "经“市本级”汇总"), ("市民政局", "经“市本级”汇总")]
    # 市教育局 handed in again directly, beside 市本级 which already contains it: refused, never counted twice
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(depts / "市教育局.xlsx", again / "市教育局.xlsx")
    city2 = tmp_path / "全市2.xlsx"
    result = run("consolidate", level1, level2, again, "-o", city2, "--unit", "××市", "--year", "2024")
    assert result.returncode == 1
    assert status_of(city2)["重复计算（已含在汇总中）"] == ["市教育局"]
    assert dump(city2)["values"]["T3.new_received.total"] == total


def test_include_invalid_counts_and_marks_them(tmp_path: Path) -> None:
    broken = department(tmp_path, "市交通局")
    wb = openpyxl.load_workbook(broken)
    wb["表三"]["D5"] = wb["表三"]["D5"].value + 10
    wb.save(broken)
    department(tmp_path, "市民政局")
    out = tmp_path / "o" / "全市.xlsx"
    result = run("consolidate", tmp_path, "-o", out, "--unit", "××市", "--year", "2024", "--include-invalid")
    assert result.returncode == 1 and "勾稽关系错误" in result.stdout
    assert status_of(out) == {"已汇总": ["市民政局"], "已汇总（有错误）": ["市交通局"]}


@pytest.mark.parametrize(("args", "message"), [
    (("--unit", "××市", "--year", "2024", "-o", "x.xlsx", "empty"), "没有找到要汇总的工作簿或报告：empty 中没有文件"),
    (("--unit", "××市", "--year", "2024", "-o", "x.txt", "."), ".xlsx"),
    (("--unit", "××市", "--year", "2024", "-o", "x.xlsx", "--roster", "bad.csv", "."), "单位名称"),
    (("--year", "2024", "-o", "x.xlsx", "."), "--unit"),
])
def test_cannot_run_is_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.csv").write_text("名称x,代码\n市教育局,1\n", encoding="utf-8")
    department(tmp_path, "市教育局")
    result = run("consolidate", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_annotated_copies_go_back_and_originals_stay(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    broken = department(inbox, "市交通局")
    wb = openpyxl.load_workbook(broken)
    wb["表三"]["D5"] = wb["表三"]["D5"].value + 10
    wb.save(broken)
    before = broken.read_bytes()
    department(inbox, "市民政局")
    back = tmp_path / "退回"
    result = run("consolidate", inbox, "-o", tmp_path / "全市.xlsx", "--unit", "××市", "--year", "2024",
                 "--annotate-dir", back)
    assert result.returncode == 1
    assert broken.read_bytes() == before
    copy = openpyxl.load_workbook(back / "市交通局-校验结果.xlsx")
    assert copy.sheetnames[-1] == "校验结果" and copy["表三"]["D5"].value == wb["表三"]["D5"].value
    rows = [r for r in copy["校验结果"].iter_rows(values_only=True)]
    assert "2 个错误" in str(rows[0][0])
    assert {r[1] for r in rows[2:]} == {"T3_ROW_TOTAL", "T3_COL_BALANCE"}
    assert copy["表三"].protection.sheet  # the sheet protection survives
    # D5 is the likely cause of both: it and the totals it broke share one colour (cause before echoes)
    assert copy["表三"]["J5"].fill.fgColor.rgb.endswith("F8CBAD") and "总计" in copy["表三"]["J5"].comment.text
    assert copy["表三"]["D5"].fill.fgColor.rgb.endswith("F8CBAD") and "可能的原因" in copy["表三"]["D5"].comment.text
    assert not (back / "市民政局-校验结果.xlsx").exists()  # a unit that passed has nothing to fix: no copy


def consistent_report(draw: Any) -> dict[str, Any]:
    """A random report whose every arithmetic rule holds."""
    ints = st.integers(min_value=0, max_value=300)
    values: dict[str, Any] = {}
    cols = T3["columns"][:-1]
    for row in T3["result_rows"]:
        for c in cols:
            values[f"T3.{row}.{c}"] = draw(ints)
    for c in cols:
        total = sum(values[f"T3.{r}.{c}"] for r in T3["result_rows"])
        values[f"T3.r_total.{c}"] = total
        forward = draw(ints)
        carried = draw(st.integers(min_value=0, max_value=total + forward))
        values[f"T3.carried_forward.{c}"] = forward
        values[f"T3.carried_over.{c}"] = carried
        values[f"T3.new_received.{c}"] = total + forward - carried
    for row in T3["rows"]:
        values[f"T3.{row}.total"] = sum(values[f"T3.{row}.{c}"] for c in cols)
    for g in SPEC.tables["T4"]["groups"]:
        parts = [draw(ints) for _ in range(4)]
        for name, v in zip(("upheld", "corrected", "other", "pending", "total"), [*parts, sum(parts)], strict=True):
            values[f"T4.{g}.{name}"] = v
    for cell in SPEC.number_cells:
        if cell.id.startswith("T2."):
            values[cell.id] = draw(st.decimals(min_value=0, max_value=9999, places=2).map(float)) \
                if cell.type == "amount" else draw(ints)
    for cell in ("T2.regulations", "T2.normative_documents"):
        values[f"{cell}.in_force"] = max(values[f"{cell}.in_force"], values[f"{cell}.issued"])
    return values


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_sums_of_consistent_reports_are_consistent_and_exact(tmp_path_factory: Any, data: Any) -> None:
    folder = tmp_path_factory.mktemp("prop")
    reports = [consistent_report(data.draw) for _ in range(data.draw(st.integers(min_value=1, max_value=4)))]
    for i, values in enumerate(reports):
        doc = {"format": SPEC.id, "unit": f"单位{i}", "year": 2024, "values": values,
               "meta": {"date": "2025-01-10", "level": "部门"},
               "texts": {"S1": "总体情况。", "S5": "问题。", "S6": "本年度未收取信息处理费。"}}
        new(folder / f"u{i}.xlsx", data=doc)
    result = consolidate([str(folder)], folder / "out" / "sum.xlsx", unit="合计", year=2024, jobs=1, overview=False)
    assert all(e.status == "included" for e in result.entries)
    for cell in SPEC.number_cells:
        expected = sum(r[cell.id] for r in reports)
        assert result.document.values[cell.id] == pytest.approx(expected, abs=1e-9), cell.id
    arithmetic = [f.rule for f in result.report.findings
                  if f.severity == "error" and f.rule.startswith(("T3_", "T4_", "VALUE_"))]
    assert arithmetic == []


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess

    from helpers import xltools_command, xltools_env

    for i in range(25):
        doc = clean_document()
        doc.update(unit=f"单位{i:02d}", meta={"date": "2025-01-20", "level": "部门"})
        new(tmp_path / f"u{i:02d}.xlsx", data=doc)
    leader, follower = pty.openpty()
    proc = subprocess.run(xltools_command("consolidate", tmp_path, "-o", tmp_path / "o" / "x.xlsx", "--unit", "x",
                                          "--year", "2024", "--jobs", "2"),
                          stdout=subprocess.PIPE, stderr=follower, env=xltools_env(), timeout=120)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.returncode == 0, proc.stdout.decode()
    assert "读取" in shown.decode(errors="replace") and "25/25" in shown.decode(errors="replace")


@pytest.mark.parametrize("kind", ["xlsx", "gbk-csv"])
def test_rosters_from_excel_and_from_chinese_windows_csv(tmp_path: Path, kind: str) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    department(inbox, "市教育局", code="113208000000000001")
    department(inbox, "市民政局")
    rows = [["单位", "统一社会信用代码", "层级", "上级"],
            ["市教育局（名称不同，按代码对应）", "113208000000000001", "部门", "××市"],
            ["市民政局", "", "部门", "××市"], ["市审计局", "", "部门", "××市"]]
    if kind == "xlsx":
        roster = tmp_path / "名单.xlsx"
        wb = openpyxl.Workbook()
        for row in rows:
            wb.active.append(row)
        wb.save(roster)
    else:
        roster = tmp_path / "名单.csv"
        roster.write_bytes("\r\n".join(",".join(r) for r in rows).encode("gb18030"))
    out = tmp_path / "全市.xlsx"
    result = run("consolidate", inbox, "-o", out, "--unit", "××市", "--year", "2024", "--roster", roster)
    assert result.returncode == 1
    assert status_of(out) == {"已汇总": ["市教育局", "市民政局"], "未报送": ["市审计局"]}
    parents = {r[0]: r[3] for r in sheet_rows(out, "报送情况")[1:]}
    assert parents["市民政局"] == "××市"
