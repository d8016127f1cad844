"""``xltools import`` on every real report of the corpus (docs/development.md, "Tests"; every test here takes the
``real_reports`` fixture): hand-checked numbers come out exactly, nothing is invented, every known quirk is handled
or reported; the seed text gives the example's document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLE_JSON, findings_of, hand_checked, load_json, run

SLUGS = ("heilongjiang-hegang-kejiju-2021", "jiangsu-huaian-shi-2024")  # reports with hand-checked numbers
# Every file of the corpus, listed here so that collecting the tests never reads the corpus;
# test_this_list_is_the_corpus keeps it complete.
REAL_FILES = [
    "pdf/jiangsu-huaian-hongzequ-2024.pdf",
    "pdf/jiangsu-huaian-shi-2024.pdf",
    "raw/fujian-pingtan-shs-2024.T4-table.fragment.html",
    "raw/fujian-pingtan-zhyq-2024.crawl-page.txt",
    "raw/fujian-pingtan-zhyq-2025.T2-table.fragment.html",
    "raw/fujian-pingtan-zrz-2023.page.txt",
    "raw/heilongjiang-hegang-kejiju-2021.pdftext.txt",
    "raw/jiangsu-huaian-hongzequ-2024.pypdf.txt",
    "raw/jiangsu-huaian-shi-2024.pdfminer.txt",
    "raw/jiangsu-huaian-shi-2024.pypdf.txt",
]


def test_this_list_is_the_corpus(real_reports: Path) -> None:
    found = sorted(p.relative_to(real_reports).as_posix() for d in ("pdf", "raw") for p in (real_reports / d).iterdir())
    assert found == REAL_FILES, "update REAL_FILES"


def imported(source: Path, folder: Path, *args: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Import one file; return the exit code, the JSON import report of it and the workbook's document."""
    out = folder / (source.name + ".xlsx")
    result = run("import", source, "-o", out, "--format", "json", *args)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = json.loads(result.stdout)["files"][0]
    dumped = run("dump", out)
    assert dumped.returncode == 0, dumped.stderr
    return result.returncode, report, json.loads(dumped.stdout)


def expected_for(source: Path) -> dict[str, Any] | None:
    """The hand-checked numbers of the report a corpus file is a rendering of (the copies, equal to the corpus's)."""
    return next((hand_checked(slug) for slug in SLUGS if source.name.startswith(slug)), None)


@pytest.mark.parametrize("name", REAL_FILES, ids=lambda name: name.split("/")[-1])
def test_every_real_file_imports_without_inventing_a_number(name: str, real_reports: Path, tmp_path: Path) -> None:
    source = real_reports / name
    _, report, doc = imported(source, tmp_path)
    values = doc["values"]
    empty = set(report["empty_cells"])
    assert report["status"] in ("imported", "partial")
    assert set(values) | empty == {k for k in load_json(EXAMPLE_JSON)["values"]}  # every cell: a value or empty
    # every cell left empty is accounted for by a note (ambiguous, missing section, variant…)
    noted = {c for n in report["notes"] for c in n["cells"]}
    missing_tables = [n for n in report["notes"] if n["kind"] in ("missing", "image") and not n["cells"]]
    assert empty <= noted or missing_tables, sorted(empty - noted)[:5]
    expected = expected_for(source)
    if expected is not None:
        wrong = {k: (v, expected["values"][k]) for k, v in values.items() if v != expected["values"][k]}
        assert wrong == {}
        assert doc.get("unit", "").startswith(expected["unit"][:4]) and doc["year"] == expected["year"]


def test_hand_checked_reports_come_out_exactly(real_reports: Path, tmp_path: Path) -> None:
    """The complete extractions: every one of the 200 numbers equals the hand-checked value."""
    for name in ("raw/heilongjiang-hegang-kejiju-2021.pdftext.txt", "raw/jiangsu-huaian-shi-2024.pypdf.txt",
                 "pdf/jiangsu-huaian-shi-2024.pdf"):
        _, report, doc = imported(real_reports / name, tmp_path)
        assert doc["values"] == expected_for(real_reports / name)["values"], name  # type: ignore[index]
        assert report["cells"] == {"found": 200, "total": 200}


def test_seed_text_imports_to_the_example(real_reports: Path, tmp_path: Path) -> None:
    source = real_reports / "raw" / "heilongjiang-hegang-kejiju-2021.pdftext.txt"
    _, report, doc = imported(source, tmp_path, "--level", "部门")
    seed = load_json(EXAMPLE_JSON)
    assert doc["values"] == seed["values"]
    assert doc["texts"] == seed["texts"]  # sections 一 and 五, paragraph by paragraph; 六 is missing in both
    assert (doc["unit"], doc["year"], doc["meta"]) == (seed["unit"], seed["year"], seed["meta"])
    assert any(n["kind"] == "missing" and "六、其他需要报告的事项" in n["message"] for n in report["notes"])


def test_flattened_crawl_text_is_split_by_the_tables_arithmetic(real_reports: Path, tmp_path: Path) -> None:
    _, report, doc = imported(real_reports / "raw" / "fujian-pingtan-zhyq-2024.crawl-page.txt", tmp_path)
    values = doc["values"]
    cols = ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
            "legal_service_org", "other_org", "total"]
    assert [values[f"T3.new_received.{c}"] for c in cols] == [217, 1, 0, 0, 0, 0, 218]  # "21710000218"
    # 表二 has no arithmetic: "6233440" reads as 62/33/440, 6/233/440 … so those cells stay empty, and say why
    ambiguous = [n for n in report["notes"] if n["kind"] == "ambiguous"]
    assert [n["source"] for n in ambiguous] == ["行政规范性文件 6233440"]
    assert set(ambiguous[0]["cells"]) == {"T2.normative_documents.issued", "T2.normative_documents.repealed",
                                          "T2.normative_documents.in_force"}
    assert all(f"T2.normative_documents.{c}" not in values for c in ("issued", "repealed", "in_force"))


def test_inconsistent_published_tables_are_imported_as_published(real_reports: Path, tmp_path: Path) -> None:
    _, _, doc = imported(real_reports / "raw" / "fujian-pingtan-zrz-2023.page.txt", tmp_path)
    cols = ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
            "legal_service_org", "other_org", "total"]
    assert [doc["values"][f"T3.r_partial.{c}"] for c in cols] == [8, 1, 0, 0, 0, 0, 8]
    # flattened text: the signature ("…生态环境局2024年1月5日") is cut off section 六 and gives the date
    assert doc["texts"]["S6.text"] == "2023年，无收取信息处理费情况。" and doc["meta"]["date"] == "2024-01-05"
    out = tmp_path / "fujian-pingtan-zrz-2023.page.txt.xlsx"
    result = run("check", "--format", "json", out)
    assert ("T3_ROW_TOTAL", "表三!J8") in findings_of(json.loads(result.stdout))

    _, _, doc = imported(real_reports / "raw" / "fujian-pingtan-shs-2024.T4-table.fragment.html", tmp_path)
    group = ["upheld", "corrected", "other", "pending", "total"]
    assert [doc["values"][f"T4.litigation_after_review.{c}"] for c in group] == [13, 2, 4, 0, 15]
    result = run("check", "--format", "json", tmp_path / "fujian-pingtan-shs-2024.T4-table.fragment.html.xlsx")
    assert ("T4_GROUP_TOTAL", "表四!O5") in findings_of(json.loads(result.stdout))


def test_2019_single_row_other_processing_is_mapped_and_reported(real_reports: Path, tmp_path: Path) -> None:
    for name in ("raw/jiangsu-huaian-hongzequ-2024.pypdf.txt", "pdf/jiangsu-huaian-hongzequ-2024.pdf"):
        _, report, doc = imported(real_reports / name, tmp_path)
        values = doc["values"]
        assert values["T3.r_other_other.total"] == 0 and values["T3.new_received.total"] == 95
        assert "T3.r_other_no_correction.natural_person" in report["empty_cells"]
        assert [n["kind"] for n in report["notes"]].count("variant") == 1
        assert report["status"] == "partial"


def test_cell_by_cell_pdf_text_is_read_in_the_right_orientation(real_reports: Path, tmp_path: Path) -> None:
    """pdfminer wrote 表三 column by column: the row totals say so."""
    _, report, doc = imported(real_reports / "raw" / "jiangsu-huaian-shi-2024.pdfminer.txt", tmp_path)
    expected = hand_checked("jiangsu-huaian-shi-2024")["values"]
    t3 = {k: v for k, v in expected.items() if k.startswith("T3.")}
    assert {k: doc["values"].get(k) for k in t3} == t3
    # 表二 第（一）项 came as a block of six numbers that could be rows or columns: left empty, reported
    assert any(n["kind"] == "ambiguous" and "规章" in n["message"] for n in report["notes"])
