"""``xltools import``: what ``xltools export`` writes comes back exactly; batches, variants, pictures, blanks,
bad input and the JSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLE_JSON, clean_document, export, load_json, run, write_doc

T2_2019 = """某某县人民政府2020年政府信息公开工作年度报告
一、总体情况
本年度主动公开信息120条。
二、主动公开政府信息情况
第二十条第（一）项
信息内容 本年新制作数量 本年新公开数量 对外公开总数量
规章 0 0 0
规范性文件 5 5 40
第二十条第（五）项
信息内容 上一年项目数量 本年增/减 处理决定数量
行政许可 10 1 321
其他对外管理服务事项 0 0 0
第二十条第（六）项
信息内容 上一年项目数量 本年增/减 处理决定数量
行政处罚 3 0 55
行政强制 1 0 6
第二十条第（八）项
信息内容 上一年项目数量 本年增/减
行政事业性收费 4 0
第二十条第（九）项
信息内容 采购项目数量 采购总金额
政府集中采购 12 300
三、收到和处理政府信息公开申请情况
"""


def dump(book: Path) -> dict[str, Any]:
    result = run("dump", book)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def import_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = run("import", *args, "--format", "json")
    return result.returncode, json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["docx", "html", "pdf"])
def test_exported_reports_import_back_to_the_same_document(tmp_path: Path, fmt: str) -> None:
    doc = clean_document()
    seed = load_json(EXAMPLE_JSON)
    doc["texts"] = {"S1": seed["texts"]["S1.text"], "S5": seed["texts"]["S5.text"], "S6": "本年度未收取信息处理费。"}
    doc["values"]["T2.administrative_fees.amount"] = 24252.311082
    book = write_doc(doc, tmp_path)
    published = tmp_path / f"published.{fmt}"
    assert export(book, "-o", published).returncode == 0
    back = tmp_path / "back.xlsx"
    code, report = import_json(published, "-o", back, "--level", "汇总")
    assert code == 0, report
    assert report["files"][0]["status"] == "imported" and report["files"][0]["notes"] == []
    original, again = dump(book), dump(back)
    assert again["values"] == original["values"]
    assert again["texts"] == original["texts"]  # paragraph by paragraph, run-in headings included
    assert (again["unit"], again["year"], again["meta"]["date"]) == (doc["unit"], doc["year"], doc["meta"]["date"])


def test_a_folder_becomes_a_folder_of_workbooks_with_a_summary(real_reports: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("heilongjiang-hegang-kejiju-2021.pdftext.txt", "fujian-pingtan-zhyq-2025.T2-table.fragment.html"):
        (inbox / name).write_bytes((real_reports / "raw" / name).read_bytes())
    (inbox / "broken.docx").write_bytes(b"not a zip file")
    (inbox / "notes.rtf").write_text("ignored: not a report format", encoding="utf-8")
    out = tmp_path / "out"
    result = run("import", inbox, "--out-dir", out)
    assert result.returncode == 2  # one file could not be read; the others were still imported
    assert "汇总：已导入 0，部分导入 2，失败 1" in result.stdout
    assert "broken.docx" in result.stdout and "不是有效的 Word 文档" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["fujian-pingtan-zhyq-2025.T2-table.fragment.xlsx",
                                                     "heilongjiang-hegang-kejiju-2021.pdftext.xlsx"]
    code, report = import_json(inbox, "--out-dir", out)  # again: the workbooks exist and are not overwritten
    assert code == 2 and report["summary"] == {"imported": 0, "partial": 0, "failed": 3}
    assert all("--overwrite" in f["reason"] for f in report["files"] if not f["source"].endswith(".docx"))


def test_json_report_lists_what_was_left_empty_and_why(real_reports: Path, tmp_path: Path) -> None:
    code, report = import_json(real_reports / "raw" / "fujian-pingtan-zrz-2023.page.txt", "-o", tmp_path / "z.xlsx")
    assert code == 1 and report["schema"] == "xltools.import/1"
    f = report["files"][0]
    assert f["status"] == "partial" and f["cells"] == {"found": 197, "total": 200}
    assert sorted(f["empty_cells"]) == ["T2.normative_documents.in_force", "T2.normative_documents.issued",
                                        "T2.normative_documents.repealed"]
    kinds = {n["kind"]: n for n in f["notes"]}
    assert kinds["ambiguous"]["source"] == "行政规范性文件 2135"
    assert kinds["split"]["source"].endswith("191000019")  # settled by the column relations, and said so
    assert f["check"]["errors"] >= 1  # the published table itself is inconsistent


def test_2019_table_two_maps_only_what_has_a_2021_equivalent(tmp_path: Path) -> None:
    source = tmp_path / "2020.txt"
    source.write_text(T2_2019, encoding="utf-8")
    code, report = import_json(source, "-o", tmp_path / "2020.xlsx")
    assert code == 1
    values = dump(tmp_path / "2020.xlsx")["values"]
    assert {k: v for k, v in values.items() if k.startswith("T2.")} == {
        "T2.administrative_licensing.decisions": 321, "T2.administrative_punishment.decisions": 55,
        "T2.administrative_coercion.decisions": 6}
    assert any(n["kind"] == "variant" and "2019" in n["message"] for n in report["files"][0]["notes"])


def test_tables_published_as_pictures_are_no_data(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>某局2021年政府信息公开工作年度报告</title></head><body>"
                    "<div class='nav'>首页 | 政务公开</div><h1>某局2021年政府信息公开工作年度报告</h1>"
                    "<p>一、总体情况</p><p>本年度主动公开信息120条。</p>"
                    "<p>二、主动公开政府信息情况</p><p><img src='t2.png'></p>"
                    "<p>三、收到和处理政府信息公开申请情况</p><p><img src='t3.png'></p>"
                    "<p>四、政府信息公开行政复议、行政诉讼情况</p><p><img src='t4.png'></p>"
                    "<p>五、存在的主要问题及改进情况</p><p>解读形式单一。</p>"
                    "<p>六、其他需要报告的事项</p><p>本年度未收取信息处理费。</p>"
                    "<div class='footer'>版权所有：某局 网站标识码 123</div></body></html>", encoding="utf-8")
    code, report = import_json(page, "-o", tmp_path / "p.xlsx")
    assert code == 1
    f = report["files"][0]
    assert [n["kind"] for n in f["notes"]].count("image") == 3 and f["cells"]["found"] == 0
    doc = dump(tmp_path / "p.xlsx")
    assert doc["values"] == {} and (doc["unit"], doc["year"]) == ("某局", 2021)
    assert doc["texts"] == {"S1.text": "本年度主动公开信息120条。", "S5.text": "解读形式单一。",
                           "S6.text": "本年度未收取信息处理费。"}


def test_blank_and_slash_cells_stay_empty(tmp_path: Path) -> None:
    """Blank and "/" cells stay empty where the printed total cannot prove them 0 (here the total is blank too;
    where it proves them, they become 0: tests/test_import_published.py)."""
    doc = clean_document()
    book = write_doc(doc, tmp_path)
    html = tmp_path / "r.html"
    assert export(book, "-o", html).returncode == 0
    page = html.read_text(encoding="utf-8")
    page = page.replace('data-cell="T3.carried_over.research_institution">0<', 'data-cell="x">/<')
    page = page.replace('data-cell="T3.carried_over.public_interest_org">0<', 'data-cell="y"><')
    total = doc["values"]["T3.carried_over.total"]
    page = page.replace(f'data-cell="T3.carried_over.total">{total}<', 'data-cell="z"><')
    html.write_text(page, encoding="utf-8")
    code, report = import_json(html, "-o", tmp_path / "b.xlsx")
    assert code == 1
    blank = [n for n in report["files"][0]["notes"] if n["kind"] == "blank"]
    assert [sorted(n["cells"]) for n in blank] == [["T3.carried_over.public_interest_org",
                                                   "T3.carried_over.research_institution", "T3.carried_over.total"]]
    values = dump(tmp_path / "b.xlsx")["values"]
    assert "T3.carried_over.research_institution" not in values and "T3.carried_over.public_interest_org" not in values
    assert values["T3.carried_over.natural_person"] == doc["values"]["T3.carried_over.natural_person"]
    checked = json.loads(run("check", "--format", "json", tmp_path / "b.xlsx").stdout)
    rules = {f["rule"] for f in checked["files"][0]["findings"]}
    assert "VALUE_BLANK" in rules


@pytest.mark.parametrize(("args", "message"), [
    (("missing.pdf",), "无法打开文件"),
    (("x.pdf", "y.pdf", "-o", "z.xlsx"), "-o 只能用于导入单个文件"),
    (("x.pdf", "-o", "z.txt"), ".xlsx"),
    (("x.pdf", "--level", "省级"), "--level"),
])
def test_bad_input_is_a_clear_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    for name in ("x.pdf", "y.pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.4 broken")
    result = run("import", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_an_existing_workbook_is_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"clerk's workbook")
    source = tmp_path / "2020.txt"
    source.write_text(T2_2019, encoding="utf-8")
    result = run("import", source, "-o", out)
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert out.read_bytes() == b"clerk's workbook"
