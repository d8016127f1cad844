"""Province profiles: data over the national format that change severities, switch rules off, add required items to
section 六 and soft rules; validated before anything runs; named in every output; recorded by ``new --profile``."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from helpers import check_json, clean_document, findings_of, run, write_doc

from xltools.format.profile import PROFILE_PROPERTY, load_profile
from xltools.format.spec import load_spec
from xltools.workbook.actions import RESULTS_SHEET

LABEL = "示例省（演示用）〔example〕"
ITEM = "P_S6_NPC_CPPCC"


def _book(folder: Path, s6: str = "本年度未收取信息处理费。", name: str = "report") -> Path:
    doc = clean_document()
    doc["texts"].pop("S6", None)
    doc["texts"]["S6.text"] = s6
    doc["meta"]["level"] = "县级政府"
    doc["values"]["T2.regulations.issued"] = 1  # S_REGULATIONS_LEVEL (info) nationally; off in the example
    return write_doc(doc, folder, name)


def _rules(data: dict[str, object]) -> dict[str, str]:
    return {f["rule"]: f["severity"] for f in data["files"][0]["findings"]}  # type: ignore[index]


def test_the_example_profile_changes_severities_switches_off_and_adds_rules(tmp_path: Path) -> None:
    book = _book(tmp_path)
    code, national = check_json(book)
    assert (code, _rules(national)) == (0, {"S_REGULATIONS_LEVEL": "info"})
    assert national["files"][0]["profile"] is None

    code, data = check_json(book, extra=("--profile", "example"))
    assert code == 0 and data["files"][0]["profile"] == LABEL
    assert _rules(data) == {ITEM: "warning"}  # the required item is missing; the level rule is off
    assert ("P_S6_NPC_CPPCC", "正文!A40") in findings_of(data)
    item = next(f for f in data["files"][0]["findings"] if f["rule"] == ITEM)
    assert "人大代表建议和政协提案办理结果公开情况" in item["message"]["zh"]

    no_fee = _book(tmp_path, "本年度人大代表建议和政协提案办理结果均已公开。", "no-fee")
    code, data = check_json(no_fee, extra=("--profile", "example"))
    assert code == 1 and _rules(data) == {"S6_FEE_STATEMENT": "error"}, "the profile made the fee statement an error"
    text = run("check", "--profile", "example", no_fee).stdout
    assert text.splitlines()[0].endswith(f"规则配置：{LABEL}")


def test_a_soft_rule_of_an_existing_kind_runs(tmp_path: Path) -> None:
    doc = clean_document()
    share = doc["values"]["T3.r_other_other.total"] / doc["values"]["T3.r_total.total"]
    assert share > 0
    profile = tmp_path / "strict.toml"
    profile.write_text(
        'name = "strict"\n[[rules]]\nid = "P_OTHER"\nseverity = "warning"\nkind = "share_at_most"\n'
        'params.parts = ["T3.r_other_other.total"]\nparams.whole = "T3.r_total.total"\n'
        f'params.max_share = {share / 2}\nparams.min_whole = 1\n'
        'summary.zh = "其他处理"\nsummary.en = "other"\nmessage.zh = "占 {share}"\nmessage.en = "{share}"\n'
        'fix.zh = "核对"\nfix.en = "check"\nsource = "测试"\n', encoding="utf-8")
    book = write_doc(doc, tmp_path)
    code, data = check_json(book, extra=("--profile", str(profile)))
    assert (code, findings_of(data), data["files"][0]["profile"]) == (0, [("P_OTHER", "表三!J27")], "strict")
    assert findings_of(check_json(book)[1]) == []


@pytest.mark.parametrize(("content", "expected"), [
    ('name = "x"\nseverty = { S1_LENGTH = "info" }\n', "未知的键“severty”（是否应为“severity”？）"),
    ('name = "x"\n[severity]\nS1_LENGHT = "info"\n', "没有规则“S1_LENGHT”（是否应为“S1_LENGTH”？）"),
    ('name = "x"\n[severity]\nS1_LENGTH = "warn"\n', "未知的严重程度“warn”（是否应为“warning”？）"),
    ('name = "x"\noff = ["S_FEE_UNTI"]\n', "没有规则“S_FEE_UNTI”（是否应为“S_FEE_UNIT”？）"),
    ('name = "x"\n[[required_items]]\nid = "P_X"\ntitle = "t"\nkeyword = ["a"]\n',
     "未知的键“keyword”（是否应为“keywords”？）"),
    ('name = "x"\n[[rules]]\nid = "P_Y"\nseverity = "info"\nkind = "text_contains"\nparams.cell = "S6.txt"\n'
     'params.any = ["a"]\nsummary = {zh = "a", en = "a"}\nmessage = {zh = "a", en = "a"}\n'
     'fix = {zh = "a", en = "a"}\nsource = "s"\n', "单元格“S6.txt”不存在（是否应为“S6.text”？）"),
])
def test_a_broken_profile_stops_before_anything_is_read(tmp_path: Path, content: str, expected: str) -> None:
    profile = tmp_path / "broken.toml"
    profile.write_text(content, encoding="utf-8")
    result = run("check", "--profile", profile, tmp_path / "no-such-workbook.xlsx")
    assert result.returncode == 2 and result.stdout == ""
    assert expected in result.stderr and str(profile) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_profile_name_suggests_the_shipped_one(tmp_path: Path) -> None:
    result = run("check", "--profile", "exampel", tmp_path / "no-such-workbook.xlsx")
    assert result.returncode == 2 and "没有名为“exampel”的地方规则配置（是否应为“example”？）" in result.stderr


def test_new_records_the_profile_and_check_uses_it_by_default(tmp_path: Path) -> None:
    book = tmp_path / "blank.xlsx"
    assert run("new", "--profile", "example", "--unit", "某某局", "--year", "2024", "-o", book).returncode == 0
    props = {p.name: p.value for p in openpyxl.load_workbook(book).custom_doc_props.props}
    assert props[PROFILE_PROPERTY] == "example"
    _, data = check_json(book)
    assert data["files"][0]["profile"] == LABEL and ITEM in _rules(data)

    other = tmp_path / "other.toml"  # --profile overrides the workbook's
    other.write_text('name = "other"\ntitle = "另一配置"\noff = ["SECTIONS_PRESENT"]\n', encoding="utf-8")
    _, data = check_json(book, extra=("--profile", str(other)))
    assert data["files"][0]["profile"] == "另一配置〔other〕" and ITEM not in _rules(data)
    assert "SECTIONS_PRESENT" not in _rules(data)


def test_annotate_and_rules_name_the_profile(tmp_path: Path) -> None:
    book = _book(tmp_path)
    out = tmp_path / "annotated.xlsx"
    assert run("check", "--profile", "example", book, "--annotate", out).returncode == 0
    title = openpyxl.load_workbook(out)[RESULTS_SHEET]["A1"].value
    assert title.endswith(f"（按规则配置：{LABEL}）")
    page = tmp_path / "overview.html"
    assert run("check", "--profile", "example", book, "--report", page).returncode == 0
    assert f"校验情况（规则配置：{LABEL}）" in page.read_text(encoding="utf-8")
    catalogue = run("rules", "--profile", "example", "--lang", "zh").stdout
    assert f"Profile / 地方规则配置：{LABEL}" in catalogue
    assert "| `S6_FEE_STATEMENT` | error（错误）" in catalogue and "`S_REGULATIONS_LEVEL` |" not in catalogue
    assert f"| `{ITEM}` | warning（警告）" in catalogue


def test_the_example_profile_applies_to_the_spec() -> None:
    profile = load_profile("example")
    spec = profile.apply(load_spec(profile.format_id))
    assert spec.rule("S1_LENGTH").severity == "info" and "S_REGULATIONS_LEVEL" not in spec.rules_by_id
    assert [r.id for r in spec.rules[-2:]] == [ITEM, "P_OTHER_PROCESSING_SHARE"]
    assert json.dumps(profile.to_json(), ensure_ascii=False)


def test_the_profile_applies_to_the_last_year_findings(tmp_path: Path) -> None:
    from helpers import previous_year_document

    doc = clean_document()
    last = previous_year_document(doc)
    last["values"]["T3.carried_forward.natural_person"] += 1  # PREV_CARRIED_OVER (warning) nationally
    last_book, book = write_doc(last, tmp_path, "last"), write_doc(doc, tmp_path)
    _, data = check_json(book, extra=("--previous", str(last_book)))
    assert "PREV_CARRIED_OVER" in _rules(data)
    profile = tmp_path / "p.toml"
    profile.write_text('name = "p"\noff = ["PREV_CARRIED_OVER"]\n', encoding="utf-8")
    _, data = check_json(book, extra=("--previous", str(last_book), "--profile", str(profile)))
    assert "PREV_CARRIED_OVER" not in _rules(data)


def test_consolidate_names_the_profiles_its_units_were_checked_against(tmp_path: Path) -> None:
    """Every output names the active profile: in a consolidation each workbook is checked against the profile it
    records, and the overview page names them."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    doc = clean_document()
    doc.update(unit="甲局", year=2024)
    doc["meta"] = {"date": "2025-01-20", "level": "部门", "code": "11320800MB0000001X"}
    src = tmp_path / "a.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert run("new", "--from", src, "--profile", "example", "-o", inbox / "甲局.xlsx").returncode == 0
    doc.update(unit="乙局")
    doc["meta"]["code"] = "11320800MB0000002X"
    write_doc(doc, inbox, "乙局")
    (inbox / "乙局.json").unlink()
    out = tmp_path / "city.xlsx"
    result = run("consolidate", inbox, "-o", out, "--unit", "某市", "--year", "2024")
    assert result.returncode in (0, 1), result.stderr
    page = (tmp_path / "city-汇总情况.html").read_text(encoding="utf-8")
    assert f"汇总情况（规则配置：{LABEL}）" in page
    plain = run("consolidate", inbox / "乙局.xlsx", "-o", tmp_path / "b.xlsx", "--unit", "某市", "--year", "2024")
    assert plain.returncode in (0, 1), plain.stderr
    assert "规则配置" not in (tmp_path / "b-汇总情况.html").read_text(encoding="utf-8")
