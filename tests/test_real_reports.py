"""Real published reports: their hand-checked numbers (copied into tests/data) through new --from -> check, and the
format spec against the official labels (tests/data/format-2021.json). The tests taking the ``real_reports``
fixture read the corpus itself (docs/development.md, "Tests"): the copies still equal it, the verdicts and the
published texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import (
    DATA,
    EXAMPLE_JSON,
    check_json,
    findings_of,
    hand_checked,
    huaian_published_document,
    load_data,
    load_json,
    official_format,
    write_doc,
)

from xltools.format.spec import load_spec

SLUGS = ["heilongjiang-hegang-kejiju-2021", "jiangsu-huaian-shi-2024"]
# names used in the hand-checked files -> our rule ids
RULE_NAMES = {"BLANK_CELLS": "VALUE_BLANK", "S_SECTION6_FEE_REPORTED": "S6_FEE_STATEMENT"}
TABLE_RULES = {"T3_COL_BALANCE", "T3_RESULTS_SUM", "T3_ROW_TOTAL", "T4_GROUP_TOTAL"}


def test_the_hand_checked_numbers_are_copied() -> None:
    assert sorted(p.name.split(".")[0] for p in DATA.glob("*.values.json")) == SLUGS


def test_copied_numbers_match_the_corpus(real_reports: Path) -> None:
    copied = sorted(p.name for p in DATA.glob("*.values.json"))
    assert copied == sorted(p.name for p in (real_reports / "expected").glob("*.values.json"))
    for name in copied:
        assert load_data(name) == load_json(real_reports / "expected" / name), f"refresh tests/data/{name}"


@pytest.mark.parametrize("slug", SLUGS)
def test_published_numbers_pass_the_table_rules(slug: str, tmp_path: Path) -> None:
    _, data = check_json(write_doc(hand_checked(slug), tmp_path))
    rules = {r for r, _ in findings_of(data)}
    assert not rules & TABLE_RULES
    assert not any(r.startswith("VALUE_") for r in rules)
    # only the missing cover fields and text sections (not part of the values file) are reported
    assert rules <= {"META_REQUIRED", "SECTIONS_PRESENT", "S6_FEE_STATEMENT"}


@pytest.mark.parametrize("slug", SLUGS)
def test_hand_checked_verdicts_agree(slug: str, real_reports: Path, tmp_path: Path) -> None:
    expected = load_json(real_reports / "expected" / f"{slug}.json")
    doc = load_json(EXAMPLE_JSON) if "hegang" in slug else huaian_published_document(real_reports)
    _, data = check_json(write_doc(doc, tmp_path))
    found = {r for r, _ in findings_of(data)}
    for item in expected["checks"]:
        rule = RULE_NAMES.get(item["rule"], item["rule"])
        assert (rule in found) == (item["status"] == "fail"), rule


def test_huaian_2024_passes_every_hard_rule(real_reports: Path, tmp_path: Path) -> None:
    code, data = check_json(write_doc(huaian_published_document(real_reports), tmp_path))
    assert code == 0
    # its 总体情况 really is longer than 1000 characters; cut from the PDF's text its paragraphs are one line, more
    # than one row of 正文 shows (the workbook keeps it whole and says so)
    assert findings_of(data) == [("TEXT_PARAGRAPH_TOO_LONG", "正文!A3"), ("S1_LENGTH", "正文!A3")]
    assert [f["actual"] > 1000 for f in data["files"][0]["findings"]] == [True, True]


def test_example_workbook_holds_the_seed_numbers() -> None:
    seed = hand_checked("heilongjiang-hegang-kejiju-2021")
    example = load_json(EXAMPLE_JSON)
    assert example["values"] == seed["values"] and example["unit"] == seed["unit"]


def test_example_texts_are_the_published_ones(real_reports: Path) -> None:
    raw = (real_reports / "raw" / "heilongjiang-hegang-kejiju-2021.pdftext.txt").read_text(encoding="utf-8")
    flat = "".join(raw.split())
    for text in load_json(EXAMPLE_JSON)["texts"].values():
        assert "".join(text.split()) in flat


def test_spec_labels_and_ids_match_the_official_format() -> None:
    official = official_format()
    spec = load_spec()
    assert [s.title for s in spec.sections] == [s["title"] for s in official["sections"]]
    t3 = official["tables"]["T3"]
    for row in t3["rows"]:
        for col in t3["columns"]:
            cell = spec.cell(f"T3.{row['id']}.{col['id']}")
            assert cell.row[-1] == row["label"] and cell.col[-1] == col["label"]
    for block in official["tables"]["T2"]["blocks"]:
        for row in block["rows"]:
            for col in block["columns"]:
                cell = spec.cell(f"T2.{row['id']}.{col['id']}")
                assert cell.row == (row["label"],) and cell.col == (block["caption"], col["label"])
    for group in official["tables"]["T4"]["groups"]:
        for col in official["tables"]["T4"]["columns_per_group"]:
            cell = spec.cell(f"T4.{group['id']}.{col['id']}")
            assert cell.col[-1] == col["label"] and cell.col[-2] == group["label"].split("/")[-1]
    counts = {t: sum(1 for c in spec.cells if c.id.startswith(t + ".")) for t in ("T2", "T3", "T4")}
    assert counts == {"T2": 10, "T3": 175, "T4": 15}
    header = next(b.text for s in spec.sheets for b in s.boxes if b.range == "A2:C4")
    assert header == t3["header_note"]
    for rule in ("T3_COL_BALANCE", "T3_RESULTS_SUM", "T3_ROW_TOTAL", "T4_GROUP_TOTAL", "SECTIONS_PRESENT",
                 "S6_FEE_STATEMENT", "S1_LENGTH"):
        official_rule = next(r for r in official["rules"] if r["id"] == rule)
        assert spec.rule(rule).severity == official_rule["severity"]
