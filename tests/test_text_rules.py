"""The text rules read text as people write it: the 信息处理费 statement in its real phrasings, and the numbers
quoted in 总体情况 and 六 compared with the tables (precision first: another scope is never compared). The corpus
test holds the figure of benchmarks/text_rules.py: no false warning on any real text."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import check_json, clean_document, findings_of, hand_checked, write_doc

from xltools.checking.rules import run_rules
from xltools.checking.text_numbers import quotes
from xltools.extract.importing import read_report
from xltools.format.spec import load_spec
from xltools.reading.values import Values

SPEC = load_spec()

# How section 六 states the fee, gathered from real reports (the corpus: 全年收取政府信息公开信息处理费0元 / 3940元,
# 无收取信息处理费情况) and from the phrasings reported as false alarms (未发生收费情况, 未收取信息公开处理费): 收取 /
# 未收取 / 未发生 / 没有 / 零 with 信息处理费 / 处理费 / 收费 / 费用.
FEE_STATEMENTS = [
    "2024年，区政府严格落实《政府信息公开信息处理费管理办法》，全年收取政府信息公开信息处理费0元。",
    "全年收取政府信息公开信息处理费3940元。",
    "2024年，无收取信息处理费情况。",
    "本年度未发生收费情况。",
    "本机关未收取信息公开处理费。",
    "本年度没有收取信息处理费。",
    "本年度政府信息公开工作零收费。",
    "本年度依申请公开未收取任何费用。",
    "本年度收费0元。",
    "本年度未向申请人收取费用。",
    "不存在收取信息处理费的情况。",
]
NO_FEE_STATEMENT = ["本年度无其他需要报告的事项。", "按要求做好人大代表建议和政协提案办理结果公开工作。", "无。"]


def _values(texts: dict[str, str], numbers: dict[str, int | float] | None = None) -> Values:
    """Values with these texts and numbers; a number cell not given is unusable (left out, as an import's gaps)."""
    missing = frozenset(c.id for c in SPEC.number_cells if c.id not in (numbers or {}))
    return Values(SPEC.id, dict(numbers or {}), frozenset(), missing, texts, {}, {})


def _rules(texts: dict[str, str], numbers: dict[str, int | float] | None = None) -> list[tuple[str, object]]:
    return [(f.rule, f.actual) for f in run_rules(SPEC, _values(texts, numbers)) if f.rule.startswith("TEXT_")]


@pytest.mark.parametrize("text", FEE_STATEMENTS)
def test_every_real_phrasing_of_the_fee_statement_passes(text: str) -> None:
    assert "S6_FEE_STATEMENT" not in {f.rule for f in run_rules(SPEC, _values({"S6.text": text}))}


@pytest.mark.parametrize("text", NO_FEE_STATEMENT)
def test_a_section_six_without_the_fee_is_still_flagged(text: str) -> None:
    assert "S6_FEE_STATEMENT" in {f.rule for f in run_rules(SPEC, _values({"S6.text": text}))}


TABLES = {"T3.new_received.total": 95, "T3.carried_over.total": 3, "T3.r_total.total": 90,
          "T4.review.total": 2, "T4.litigation_direct.total": 1, "T4.litigation_after_review.total": 1,
          "T2.normative_documents.issued": 8, "T2.administrative_licensing.decisions": 315,
          "T3.carried_forward.total": 0, "T2.regulations.issued": 0}


@pytest.mark.parametrize(("text", "expected"), [
    ("2024年，全区共受理政府信息公开申请95件。", []),
    ("全年收到政府信息公开申请98件，上年结转3件。", []),  # new + carried over is accepted
    ("全年收到政府信息公开申请97件。", [("TEXT_APPLICATIONS", 97)]),
    ("全年收到政府信息公开申请９７件。", [("TEXT_APPLICATIONS", 97)]),  # full-width digits
    ("全年收到政府信息公开申请 97 件。", [("TEXT_APPLICATIONS", 97)]),  # spaces from a PDF
    ("2024年，区政府办代表区政府受理政府信息公开申请17件。", []),  # another scope
    ("市本级受理政府信息公开申请17件。", []),
    ("其中，市政府办公室收到申请17件。", []),
    ("全年收到政府信息公开申请近100件。", []),  # hedged
    ("全年收到政府信息公开申请100余件。", []),
    ("办结政府信息公开申请90件，另有8件结转下年度继续办理。", [("TEXT_CARRIED_FORWARD", 8)]),
    ("政府信息公开行政复议2件，行政诉讼3件。", [("TEXT_LITIGATION", 3)]),
    ("行政复议和行政诉讼案件共2件。", []),  # two figures in one: not compared
    ("全年印发行政规范性文件9件。", [("TEXT_NORMATIVE_DOCUMENTS", 9)]),
    ("市政府及市政府办公室印发行政规范性文件11件。", []),  # the scope of the example in the issue
    ("新增公开市政府规章1件、市政府及市政府办政策性文件11件。", [("TEXT_REGULATIONS", 1)]),
    ("全年作出行政许可决定315件，网上公示行政许可信息300条。", []),
])
def test_quoted_numbers_against_the_tables(text: str, expected: list[tuple[str, int]]) -> None:
    assert _rules({"S1.text": text}, TABLES) == expected


def test_a_quote_finding_quotes_the_sentence_and_points_at_the_text() -> None:
    (finding,) = [f for f in run_rules(SPEC, _values({"S6.text": "本年度收到政府信息公开申请97件。其他无。"}, TABLES))
                  if f.rule.startswith("TEXT_")]
    assert finding.cells[0].id == "S6.text" and finding.cells[1].id == "T3.new_received.total"
    assert "“本年度收到政府信息公开申请97件”" in finding.message["zh"]
    assert (finding.expected, finding.actual) == (95, 97)


def test_quotes_keep_the_text_as_written() -> None:
    (q,) = quotes("2024年，全市共受理政府信息公开申请3119件，答复3050件。", [r"受理政府信息公开申请(?P<n>\d+)件"], [])
    assert (q.number, q.sentence) == (3119, "2024年，全市共受理政府信息公开申请3119件，答复3050件")


def test_check_flags_a_wrong_quote_in_the_workbook(tmp_path: Path) -> None:
    doc = clean_document()
    doc["texts"]["S1"] = doc["texts"]["S1"].replace("新收政府信息公开申请3119件", "新收政府信息公开申请3191件")
    code, data = check_json(write_doc(doc, tmp_path))
    assert (code, findings_of(data)) == (0, [("TEXT_APPLICATIONS", "正文!A3")])


@pytest.mark.parametrize("name", ["raw/jiangsu-huaian-shi-2024.pypdf.txt", "pdf/jiangsu-huaian-shi-2024.pdf",
                                  "raw/jiangsu-huaian-hongzequ-2024.pypdf.txt", "pdf/jiangsu-huaian-hongzequ-2024.pdf",
                                  "raw/fujian-pingtan-zhyq-2024.crawl-page.txt", "raw/fujian-pingtan-zrz-2023.page.txt",
                                  "raw/heilongjiang-hegang-kejiju-2021.pdftext.txt"])
def test_no_false_text_warning_on_the_real_reports(name: str, real_reports: Path) -> None:
    """Every real text with its tables (hand-checked where the corpus has them): the quoted numbers agree, the fee
    statement is found wherever section 六 exists, and the 区政府办 quote of 洪泽区 (another scope) is left out."""
    doc, _ = read_report(real_reports / name)
    slug = Path(name).name.split(".")[0]
    numbers = hand_checked(slug)["values"] if slug in ("jiangsu-huaian-shi-2024",
                                                       "heilongjiang-hegang-kejiju-2021") else doc.values
    values = _values(dict(doc.texts), {k: v for k, v in numbers.items() if v is not None})
    rules = {f.rule for f in run_rules(SPEC, values)}
    assert not {r for r in rules if r.startswith("TEXT_")}
    assert ("S6_FEE_STATEMENT" in rules) == (not doc.texts.get("S6.text"))
    if slug == "jiangsu-huaian-shi-2024":  # seven quotes compared, each caught when its table number is wrong
        compared = [r.id for r in SPEC.rules if r.kind == "text_quotes" for p in r.expanded
                    if quotes(doc.texts["S1.text"], p["patterns"], p["exclude"])]
        assert len(compared) == 7
        wrong = values._replace(numbers={**values.numbers, "T4.review.total": 350})
        assert "TEXT_REVIEW" in {f.rule for f in run_rules(SPEC, wrong)}
