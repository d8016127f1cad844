"""A new format version is data only: a made-up revision of the 2021 format (one more 表三 row, one more required
item in section 六), written as a spec source beside the tests, runs through new, check, fill, export, import
and consolidate without any code change. Mixing it with the 2021 format in one consolidation is refused."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import REPO, load_json, run

SOURCE = REPO / "xltools" / "format" / "sources" / "gov_disclosure_2021.toml"
REVISION = "gov-disclosure-2099"
NEW_ROW = "4.转送其他机关办理"
NEW_ITEM = "（一）人大代表建议和政协提案办理结果公开情况"
PROPOSALS = "本年度共办理人大代表建议12件、政协提案8件，办理结果已全部公开。"
EXTRA_RULE = '''
[[rules]]
id = "S6_PROPOSALS_REQUIRED"
severity = "error"
kind = "text_required"
params.cell = "S6.proposals"
summary.zh = "第六部分必须报告人大代表建议和政协提案办理结果公开情况（测试用的省级要求）"
summary.en = "Section 六 must report on the proposals (a made-up provincial requirement)"
message.zh = "{row}：内容为空"
message.en = "{row}: empty"
fix.zh = "在“正文”工作表该项下面的黄色单元格中填写。"
fix.en = "Write it under its heading on sheet 正文."
source = "测试用的省级要求"
'''


@pytest.fixture
def revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The revision's spec source in a folder on XLTOOLS_FORMAT_PATH (so that every subprocess sees it)."""
    text = SOURCE.read_text(encoding="utf-8")
    text = text.replace('id = "gov-disclosure-2021"', f'id = "{REVISION}"', 1)
    text = text.replace("default = true", "default = false", 1)
    text = re.sub(r'(r_other_other = \["三、本年度办理结果", "（六）其他处理", "3.其他"\]\n)',
                  rf'\1r_other_transferred = ["三、本年度办理结果", "（六）其他处理", "{NEW_ROW}"]\n', text)
    text = text.replace('text = [{ id = "S6.text", rows = 10 }]',
                        f'text = [{{ id = "S6.text", rows = 10 }}, {{ id = "S6.proposals", label = "{NEW_ITEM}", '
                        'rows = 3 }]')
    assert NEW_ROW in text and "S6.proposals" in text, "the 2021 source changed: update this test's edits"
    folder = tmp_path / "formats"
    folder.mkdir()
    (folder / (REVISION.replace("-", "_") + ".toml")).write_text(text + EXTRA_RULE, encoding="utf-8")
    monkeypatch.setenv("XLTOOLS_FORMAT_PATH", str(folder))
    return REVISION


def document(unit: str, **changes: Any) -> dict[str, Any]:
    """A clean report of the revision: applications from natural persons only, 3 of them in the new row."""
    columns = ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
               "legal_service_org", "other_org", "total"]
    t3 = {"new_received": 10, "carried_over": 2, "r_granted": 5, "r_other_transferred": 3, "r_total": 8,
          "carried_forward": 4}
    values: dict[str, Any] = {}
    for row, n in t3.items():
        for col in columns:
            values[f"T3.{row}.{col}"] = n if col in ("natural_person", "total") else 0
    doc = {"format": REVISION, "unit": unit, "year": 2024,
           "meta": {"date": "2025-01-20", "level": "部门"}, "values": values,
           "texts": {"S1.text": "本年度依法做好政府信息公开工作。", "S5.text": "存在的问题及改进措施。",
                     "S6.text": "本年度未收取信息处理费。", "S6.proposals": PROPOSALS}}
    doc.update(changes)
    return doc


def workbook(doc: dict[str, Any], folder: Path, name: str) -> Path:
    """The revision's workbook, filled with ``doc``; every number cell not given is 0."""
    src = folder / f"{name}.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = folder / f"{name}.xlsx"
    made = run("new", "--from", src, "-o", out)
    assert made.returncode == 0, made.stderr
    return out


def check(book: Path) -> tuple[int, list[tuple[str, str]]]:
    result = run("check", "--format", "json", book)
    data = json.loads(result.stdout)
    return result.returncode, [(f["rule"], f["location"]) for f in data["files"][0]["findings"]
                               if f["severity"] == "error"]


def test_revision_runs_through_every_verb_without_code_changes(revision: str, tmp_path: Path) -> None:
    from xltools.format.spec import load_spec

    spec = load_spec(revision)
    ids = [c.id for c in spec.number_cells]
    assert "T3.r_other_transferred.total" in ids and spec.cell("S6.proposals").section == "S6"
    doc = document("甲局")
    doc["values"] = {**{i: 0 for i in ids}, **doc["values"]}

    # new + check: the new row sits under its label, （七）总计 one row lower, and the report is clean
    book = workbook(doc, tmp_path, "a")
    code, errors = check(book)
    assert (code, errors) == (0, [])
    ws = openpyxl.load_workbook(book)["表三"]
    assert (ws["C28"].value, ws["D28"].value) == (NEW_ROW, 3)
    assert (ws["B29"].value, ws["D29"].value) == ("（七）总计", 8)
    body = openpyxl.load_workbook(book)["正文"]
    texts = [c.value for row in body.iter_rows() for c in row if c.value]
    assert texts.index(NEW_ITEM) + 1 == texts.index(PROPOSALS)  # the item's heading, its yellow cell below

    # check: the new row counts in the results sum; the new required item is checked
    wrong = document("乙局", texts={**doc["texts"], "S6.proposals": ""})
    wrong["values"] = {**doc["values"], "T3.r_other_transferred.natural_person": 4,
                       "T3.r_other_transferred.total": 4}
    code, errors = check(workbook(wrong, tmp_path, "wrong"))
    assert code == 1
    rules = {rule for rule, _ in errors}
    assert {"T3_RESULTS_SUM", "S6_PROPOSALS_REQUIRED"} <= rules
    assert ("T3_RESULTS_SUM", "表三!D29") in errors

    # fill: the totals are computed with the new row
    unfilled = document("丙局")
    unfilled["values"] = {k: (None if k.startswith("T3.r_total.") else v) for k, v in doc["values"].items()}
    filled = tmp_path / "filled.xlsx"
    result = run("fill", workbook(unfilled, tmp_path, "unfilled"), "-o", filled)
    assert result.returncode == 0, result.stdout + result.stderr
    assert openpyxl.load_workbook(filled)["表三"]["D29"].value == 8

    # export: the published table has the new row, section 六 both items
    page = tmp_path / "a.html"
    result = run("export", book, "-o", page)
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert NEW_ROW in html and PROPOSALS in html
    assert html.index("本年度未收取信息处理费") < html.index(NEW_ITEM) < html.index(PROPOSALS)

    # import: the exported page comes back with every number in place
    back = tmp_path / "back.xlsx"
    result = run("import", page, "-o", back, "--format-version", revision, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    dumped = json.loads(run("dump", back).stdout)
    assert dumped["format"] == revision
    assert dumped["values"] == doc["values"]

    # consolidate: two units of the revision are summed by cell id, the new row included
    second = workbook({**doc, "unit": "丁局"}, tmp_path, "b")
    city = tmp_path / "city.xlsx"
    result = run("consolidate", book, second, "-o", city, "--unit", "某市", "--year", "2024")
    assert result.returncode == 0, result.stdout + result.stderr
    summed = json.loads(run("dump", city).stdout)
    assert summed["format"] == revision
    assert summed["values"]["T3.r_other_transferred.natural_person"] == 6
    assert summed["values"]["T3.r_total.total"] == 16


def _two_versions(revision: str, tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A workbook of the revision and one of the 2021 format (the example, moved to 2024)."""
    from xltools.format.spec import load_spec

    doc = document("甲局")
    doc["values"] = {**{c.id: 0 for c in load_spec(revision).number_cells}, **doc["values"]}
    mine = workbook(doc, tmp_path, "rev")
    old = load_json(REPO / "examples" / "hegang-kejiju-2021.json")
    old["year"], old["meta"]["date"] = 2024, "2025-01-20"
    other = tmp_path / "old.json"
    other.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    assert run("new", "--from", other, "-o", tmp_path / "old.xlsx").returncode == 0
    return mine, tmp_path / "old.xlsx", old


def test_mixing_format_versions_is_refused(revision: str, tmp_path: Path) -> None:
    mine, old, _ = _two_versions(revision, tmp_path)
    city = tmp_path / "city.xlsx"
    result = run("consolidate", mine, old, "-o", city, "--unit", "某市", "--year", "2024", "--include-invalid")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "不同版本的报告格式" in result.stderr
    assert REVISION in result.stderr and "gov-disclosure-2021" in result.stderr
    assert not city.exists() and not (tmp_path / "city-汇总情况.html").exists()


def test_a_declared_mapping_lets_the_older_version_be_added_up(revision: str, tmp_path: Path) -> None:
    """The revision declares that a 2021 cell means the cell of the same id (the new row has no 2021 cell)."""
    spec_file = Path(os.environ["XLTOOLS_FORMAT_PATH"]) / (REVISION.replace("-", "_") + ".toml")
    spec_file.write_text(spec_file.read_text(encoding="utf-8")
                         + '\n[import.from_formats."gov-disclosure-2021"]\nby_id = true\n', encoding="utf-8")
    mine, old, old_doc = _two_versions(revision, tmp_path)
    city = tmp_path / "city.xlsx"
    result = run("consolidate", mine, old, "-o", city, "--unit", "某市", "--year", "2024", "--include-invalid")
    assert result.returncode in (0, 1), result.stdout + result.stderr
    summed = json.loads(run("dump", city).stdout)
    assert summed["format"] == revision
    old_values = old_doc["values"]
    assert summed["values"]["T3.new_received.total"] == 10 + old_values["T3.new_received.total"]
    assert summed["values"]["T3.r_other_transferred.total"] == 3  # only the revision has this row
    assert summed["values"]["T2.administrative_licensing.decisions"] == \
        old_values["T2.administrative_licensing.decisions"]
