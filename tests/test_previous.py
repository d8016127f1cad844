"""Last year: ``check --previous`` (a workbook, a report file ``import`` reads, or a folder matched by unit code,
else name), ``consolidate --previous`` and the library function the portal calls, on consecutive-year pairs built
from the hand-checked values (helpers.previous_year_document: last year's 结转下年度 = this year's 上年结转, its 表二
in force = this year's − issued + repealed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    check_json,
    clean_document,
    department,
    export,
    findings_of,
    hand_checked,
    previous_year_document,
    run,
    write_doc,
)

from xltools.checking.check import check_file
from xltools.checking.previous import LastYear, with_previous
from xltools.format.spec import load_spec

PREV = ("PREV_YEAR", "PREV_CARRIED_OVER", "PREV_IN_FORCE", "PREV_FEE_JUMP")


def _hegang() -> dict[str, Any]:
    doc = hand_checked("heilongjiang-hegang-kejiju-2021")
    doc.update(meta={"date": "2022-01-20", "level": "部门"}, texts={
        "S1": "本年度工作有序开展。", "S5": "解读形式单一，将加以改进。", "S6": "本年度未收取信息处理费。"})
    return doc


def _prev(data: dict[str, Any], index: int = 0) -> list[tuple[str, str]]:
    return [(r, where) for r, where in findings_of(data, index) if r in PREV]


@pytest.mark.parametrize("make", [clean_document, _hegang], ids=["huaian-2024", "hegang-2021"])
def test_a_consistent_pair_has_no_last_year_finding(make: Any, tmp_path: Path) -> None:
    now = make()
    book, last = write_doc(now, tmp_path, "now"), write_doc(previous_year_document(now), tmp_path, "last")
    code, data = check_json(book, extra=("--previous", str(last)))
    assert (code, findings_of(data)) == (0, [])


def test_a_broken_pair_names_column_and_file(tmp_path: Path) -> None:
    now = clean_document()
    last = previous_year_document(now)
    for cell in ("T3.carried_forward.legal_service_org", "T3.carried_forward.total"):
        last["values"][cell] += 5
    book, last_book = write_doc(now, tmp_path, "now"), write_doc(last, tmp_path, "last")
    code, data = check_json(book, extra=("--previous", str(last_book)))
    assert code == 0 and _prev(data) == [("PREV_CARRIED_OVER", "表三!H6"), ("PREV_CARRIED_OVER", "表三!J6")]
    f = next(f for f in data["files"][0]["findings"] if f["rule"] == "PREV_CARRIED_OVER")
    assert (f["expected"], f["actual"], f["difference"]) == (5, 0, -5) and "法律服务机构" in f["message"]["zh"]
    text = run("check", book, "--previous", last_book).stdout
    assert "上年度报告（" in text and "last.xlsx" in text


def test_a_wrong_carried_over_cell_is_the_cause_of_three_findings(tmp_path: Path) -> None:
    now = clean_document()
    last = previous_year_document(now)
    now["values"]["T3.carried_over.natural_person"] += 2  # the row total and the column balance break, and last year
    book, last_book = write_doc(now, tmp_path, "now"), write_doc(last, tmp_path, "last")
    _, data = check_json(book, extra=("--previous", str(last_book)))
    head = data["files"][0]["findings"][0]
    assert head["cause"]["id"] == "T3.carried_over.natural_person" and head["cause"]["suggested"] == 34
    rules = [head["rule"], *(f["rule"] for f in data["files"][0]["findings"] if f["caused_by"] == head["id"])]
    assert sorted(rules) == ["PREV_CARRIED_OVER", "T3_COL_BALANCE", "T3_ROW_TOTAL"]


def test_last_year_of_another_year_is_not_compared(tmp_path: Path) -> None:
    now = clean_document()
    last = previous_year_document(now)
    last["year"] = 2021
    last["values"]["T3.carried_forward.total"] += 9
    _, data = check_json(write_doc(now, tmp_path, "now"), extra=("--previous", str(write_doc(last, tmp_path, "o"))))
    assert _prev(data) == [("PREV_YEAR", "封面!B5")]
    assert "2021年度" in data["files"][0]["findings"][0]["message"]["zh"]


def test_last_year_as_a_word_report(tmp_path: Path) -> None:
    """LAST may be anything ``import`` reads: here last year's report exported to Word."""
    now = clean_document()
    last = previous_year_document(now)
    last["texts"] = {"S1": "总体情况。", "S5": "问题。", "S6": "本年度未收取信息处理费。"}
    last["values"]["T3.carried_forward.natural_person"] += 1
    last["values"]["T3.carried_forward.total"] += 1
    last["values"]["T3.new_received.natural_person"] += 1  # its own balance still holds
    last["values"]["T3.new_received.total"] += 1
    word = tmp_path / "去年.docx"
    assert export(write_doc(last, tmp_path, "last"), "-o", word).returncode == 0
    _, data = check_json(write_doc(now, tmp_path, "now"), extra=("--previous", str(word)))
    assert _prev(data) == [("PREV_CARRIED_OVER", "表三!D6"), ("PREV_CARRIED_OVER", "表三!J6")]


def test_last_year_unreadable_stops_before_anything_runs(tmp_path: Path) -> None:
    bad = tmp_path / "去年.xlsx"
    bad.write_bytes(b"not a workbook")
    result = run("check", write_doc(clean_document(), tmp_path, "now"), "--previous", bad)
    assert result.returncode == 2 and "上年度报告" in result.stderr and result.stdout == ""


def test_a_folder_of_last_year_is_matched_by_code_then_name(tmp_path: Path) -> None:
    now_dir, last_dir = tmp_path / "now", tmp_path / "last"
    department(now_dir, "甲局", code="11111111111111111A")
    department(now_dir, "乙局")
    department(now_dir, "丙局")
    last_dir.mkdir()
    for unit, code, name in (("甲局（改名前）", "11111111111111111A", "a"), ("乙局", "", "b")):
        last = previous_year_document({**clean_document(), "unit": unit, "year": 2024})
        last["meta"] = {"date": "2024-01-20", "level": "部门", **({"code": code} if code else {})}
        last["values"]["T3.carried_forward.other_org"] += 4
        last["values"]["T3.carried_forward.total"] += 4
        last["values"]["T3.new_received.other_org"] += 4
        last["values"]["T3.new_received.total"] += 4
        write_doc(last, last_dir, name)
        (last_dir / f"{name}.json").unlink()
    _, data = check_json(now_dir, extra=("--previous", str(last_dir)))
    by_unit = {f["unit"]: [f["rule"] for f in f["findings"] if f["rule"] in PREV] for f in data["files"]}
    assert by_unit == {"甲局": ["PREV_CARRIED_OVER"] * 2, "乙局": ["PREV_CARRIED_OVER"] * 2, "丙局": []}


def test_consolidate_compares_every_unit_with_its_last_year(tmp_path: Path) -> None:
    now_dir, last_dir = tmp_path / "now", tmp_path / "last"
    department(now_dir, "甲局", code="11111111111111111A")
    department(now_dir, "乙局", code="22222222222222222B")
    last = previous_year_document({**clean_document(), "unit": "甲局", "year": 2024})
    last["meta"] = {"date": "2024-01-20", "level": "部门", "code": "11111111111111111A"}
    last["values"]["T2.administrative_fees.amount"] /= 1000  # this year's is 1000 times last year's
    last_dir.mkdir()
    write_doc(last, last_dir, "甲局2023")
    (last_dir / "甲局2023.json").unlink()
    result = run("consolidate", now_dir, "-o", tmp_path / "city.xlsx", "--unit", "市", "--year", "2024",
                 "--previous", last_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "与上年度比较  甲局" in lines[0] and "PREV_FEE_JUMP" in lines[1] and "1000 倍" in lines[2]
    assert any("1 个文件在上年度报告中找不到同一单位" in line and "乙局.xlsx" in line for line in lines)


def test_with_previous_is_the_library_call_the_portal_makes(tmp_path: Path) -> None:
    now = clean_document()
    report = check_file(write_doc(now, tmp_path))
    spec = load_spec()
    numbers = dict(previous_year_document(now)["values"])
    numbers["T2.regulations.in_force"] = 4  # 4 + 1 issued − 0 repealed ≠ 11 in force
    last = LastYear("上一轮：2023年度", spec.id, numbers, "淮安市人民政府（全市汇总）", 2023)
    compared = with_previous(report, last)
    assert [(f.rule, f.where, f.severity) for f in compared.findings] == [("PREV_IN_FORCE", "表二!D4", "info")]
    assert "上一轮：2023年度" in compared.findings[0].message["zh"] and report.findings == ()
    assert json.dumps([f.to_json() for f in compared.findings], ensure_ascii=False)


def _next_year(doc: dict[str, Any]) -> dict[str, Any]:
    """The year after ``doc``: its 上年结转 = doc's 结转下年度 on every column (its 本年新收 keeps its own balance), its
    表二 in force = doc's + issued − repealed; plain text."""
    now = json.loads(json.dumps(doc))
    now["year"] = doc["year"] + 1
    now["meta"] = {**doc.get("meta", {}), "date": f"{doc['year'] + 2}-01-20"}
    now["texts"] = {"S1": "本年度工作有序开展。", "S5": "解读形式单一，将加以改进。", "S6": "本年度未收取信息处理费。"}
    v = now["values"]
    for col in ("natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
                "legal_service_org", "other_org", "total"):
        v[f"T3.carried_over.{col}"] = doc["values"][f"T3.carried_forward.{col}"]
        v[f"T3.new_received.{col}"] = v[f"T3.r_total.{col}"] + v[f"T3.carried_forward.{col}"] - v[
            f"T3.carried_over.{col}"]
    for row in ("regulations", "normative_documents"):
        v[f"T2.{row}.in_force"] += v[f"T2.{row}.issued"] - v[f"T2.{row}.repealed"]
    return now


@pytest.mark.parametrize("name", ["raw/jiangsu-huaian-shi-2024.pypdf.txt", "pdf/jiangsu-huaian-shi-2024.pdf"])
def test_last_year_as_the_published_report(name: str, real_reports: Path, tmp_path: Path) -> None:
    """The real 2024 report of 淮安市 as published (text, PDF) is last year's report of a 2025 workbook that carries
    its figures over: nothing to report; one carried-over number wrong: found, naming the PDF."""
    now = _next_year(clean_document())
    _, data = check_json(write_doc(now, tmp_path, "ok"), extra=("--previous", str(real_reports / name)))
    assert findings_of(data) == []
    now["values"]["T3.carried_over.commercial_enterprise"] += 3
    now["values"]["T3.carried_over.total"] += 3
    now["values"]["T3.new_received.commercial_enterprise"] -= 3
    now["values"]["T3.new_received.total"] -= 3
    _, data = check_json(write_doc(now, tmp_path, "bad"), extra=("--previous", str(real_reports / name)))
    assert findings_of(data) == [("PREV_CARRIED_OVER", "表三!E6"), ("PREV_CARRIED_OVER", "表三!J6")]
    assert Path(name).name in data["files"][0]["findings"][0]["message"]["zh"]


def test_annotated_copy_carries_the_last_year_findings(tmp_path: Path) -> None:
    import openpyxl

    now = clean_document()
    last = previous_year_document(now)
    last["values"]["T3.carried_forward.natural_person"] += 1
    last["values"]["T3.carried_forward.total"] += 1
    book, last_book = write_doc(now, tmp_path, "now"), write_doc(last, tmp_path, "last")
    out = tmp_path / "flagged.xlsx"
    result = run("check", book, "--previous", last_book, "--annotate", out)
    assert result.returncode == 0 and result.stdout.count("PREV_CARRIED_OVER") == 2
    wb = openpyxl.load_workbook(out)
    rules = [row[1] for row in wb["校验结果"].iter_rows(min_row=3, values_only=True)]
    assert rules == ["PREV_CARRIED_OVER", "PREV_CARRIED_OVER"]
    assert "上年度报告" in wb["表三"]["D6"].comment.text


def test_overview_page_shows_the_last_year_findings(tmp_path: Path) -> None:
    now_dir, last_dir = tmp_path / "now", tmp_path / "last"
    department(now_dir, "甲局", code="11111111111111111A")
    last_dir.mkdir()
    last = previous_year_document({**clean_document(), "unit": "甲局", "year": 2024})
    last["meta"] = {"date": "2024-01-20", "level": "部门", "code": "11111111111111111A"}
    last["values"]["T3.carried_forward.total"] += 6
    write_doc(last, last_dir, "a")
    (last_dir / "a.json").unlink()
    page = tmp_path / "page.html"
    result = run("check", now_dir, "--previous", last_dir, "--report", page)
    assert result.returncode == 0 and result.stdout.count("PREV_CARRIED_OVER") == 1
    assert "PREV_CARRIED_OVER" in page.read_text(encoding="utf-8")


def test_a_profile_sets_the_severity_of_the_last_year_rules(tmp_path: Path) -> None:
    profile = tmp_path / "province.toml"
    profile.write_text('name = "province"\ntitle = "某省"\nformat = "gov-disclosure-2021"\n'
                       'off = ["PREV_IN_FORCE"]\n[severity]\nPREV_CARRIED_OVER = "error"\n', encoding="utf-8")
    now = clean_document()
    last = previous_year_document(now)
    last["values"]["T3.carried_forward.total"] += 1
    last["values"]["T2.regulations.in_force"] += 1
    book, last_book = write_doc(now, tmp_path, "now"), write_doc(last, tmp_path, "last")
    _, plain = check_json(book, extra=("--previous", str(last_book)))
    assert [(f["rule"], f["severity"]) for f in plain["files"][0]["findings"]] == [
        ("PREV_IN_FORCE", "info"), ("PREV_CARRIED_OVER", "warning")]
    code, data = check_json(book, extra=("--previous", str(last_book), "--profile", str(profile)))
    assert code == 1 and [(f["rule"], f["severity"]) for f in data["files"][0]["findings"]] == [
        ("PREV_CARRIED_OVER", "error")]
