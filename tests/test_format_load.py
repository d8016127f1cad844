"""Loading a format spec: the default is data, XLTOOLS_FORMAT_PATH adds formats (JSON or TOML), a broken rule stops
the load with one message naming the file and the rule, the rule kinds and their implementations match, and the
checks, the workbook's red totals and its 填充合计 button read the same sum relations."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import REPO, run, xltools_env

from xltools.checking import rules
from xltools.checking.rules import run_rules
from xltools.format import rulekinds
from xltools.format.errors import FormatError
from xltools.format.spec import (
    DEFAULT_FORMAT,
    PATH_ENV,
    available_formats,
    default_format_id,
    load_spec,
    parse_spec,
)
from xltools.reading.values import Values
from xltools.workbook.actions import total_definitions
from xltools.workbook.check_formulas import CHECK_SHEET
from xltools.workbook.writer import write_workbook

SHIPPED = REPO / "xltools" / "format" / "gov_disclosure_2021.json"
SOURCE = REPO / "xltools" / "format" / "sources" / "gov_disclosure_2021.toml"
Doc = dict[str, Any]


def _data() -> Doc:
    data: Doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return data


def _rule(d: Doc, rule_id: str) -> Doc:
    return next(r for r in d["rules"] if r["id"] == rule_id)


def _write(folder: Path, format_id: str, d: Doc) -> Path:
    d["id"], d["default"] = format_id, False
    path = folder / (format_id.replace("-", "_") + ".json")
    path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    return path


# ---- the new data of the spec -------------------------------------------------------------------------------------

def test_the_default_format_is_the_one_shipped_spec_marked_default() -> None:
    assert default_format_id() == DEFAULT_FORMAT == "gov-disclosure-2021"
    assert load_spec().default and load_spec().id == DEFAULT_FORMAT
    marked = [p.name for p in SHIPPED.parent.glob("*.json") if json.loads(p.read_text("utf-8")).get("default")]
    assert marked == [SHIPPED.name]


def test_sections_key_figures_summary_level_and_import_block() -> None:
    spec = load_spec()
    assert [s.numeral for s in spec.sections] == ["一", "二", "三", "四", "五", "六"]
    assert all(s.title.startswith(s.numeral + "、") for s in spec.sections)
    keywords = {s.id: s.keywords for s in spec.sections}
    assert keywords["S3"] == ("收到和处理", "依申请公开") and keywords["S4"] == ("复议", "诉讼")
    assert keywords["S6"] == ("其他需要报告", "其他事项", "其他需报告", "其他需要说明", "其他需说明")
    assert [(s.id, s.cells, s.cell) for s in spec.text_sections] == [
        ("S1", ("S1.text",), "S1.text"), ("S5", ("S5.text",), "S5.text"), ("S6", ("S6.text",), "S6.text")]
    assert all(not s.cells and s.table for s in spec.sections if s.kind == "table")
    assert spec.key_figures == (
        ("本年新收申请", ("T3.new_received.total",)), ("办理结果总计", ("T3.r_total.total",)),
        ("行政复议", ("T4.review.total",)),
        ("行政诉讼", ("T4.litigation_direct.total", "T4.litigation_after_review.total")),
        ("行政许可", ("T2.administrative_licensing.decisions",)),
        ("行政处罚", ("T2.administrative_punishment.decisions",)))
    assert spec.summary_level == "汇总" and spec.summary_level in spec.levels
    assert isinstance(spec.importing, dict)


def test_the_import_block_is_passed_through_verbatim(tmp_path: Path) -> None:
    d = _data()
    d["import"] = {"aliases": {"T3.r_total": ["合计"]}, "tolerance": 0}
    assert parse_spec(d).importing == {"aliases": {"T3.r_total": ["合计"]}, "tolerance": 0}
    del d["import"]
    assert parse_spec(d).importing == {}


# ---- broken specs: one message naming the file and the rule --------------------------------------------------------

def _set(rule_id: str, key: str, value: Any) -> Callable[[Doc], None]:
    return lambda d: _rule(d, rule_id).__setitem__(key, value)


def _param(rule_id: str, name: str, value: Any) -> Callable[[Doc], None]:
    return lambda d: _rule(d, rule_id)["params"].__setitem__(name, value)


def _rename_param(rule_id: str, old: str, new: str) -> Callable[[Doc], None]:
    return lambda d: _rule(d, rule_id)["params"].__setitem__(new, _rule(d, rule_id)["params"].pop(old))


BROKEN: dict[str, tuple[Callable[[Doc], None], str, str]] = {
    # case: (how to break the spec, the rule named, what the English message says)
    "unknown kind": (_set("T3_ROW_TOTAL", "kind", "sum_equal"), "T3_ROW_TOTAL",
                     "unknown kind 'sum_equal' (did you mean 'sum_equals'?)"),
    "unknown parameter": (_rename_param("T3_ROW_TOTAL", "right", "rigth"), "T3_ROW_TOTAL",
                          "sum_equals has no parameter 'rigth' (did you mean 'right'?)"),
    "missing parameter": (lambda d: _rule(d, "S1_LENGTH")["params"].pop("max"), "S1_LENGTH",
                          "missing parameter 'max'"),
    "wrong type": (_param("S_OTHER_PROCESSING_SHARE", "max_share", "30%"), "S_OTHER_PROCESSING_SHARE",
                   "parameter 'max_share': expected float, got '30%'"),
    "wrong type in a list": (_param("S6_FEE_STATEMENT", "any", ["信息处理费", 3]), "S6_FEE_STATEMENT",
                             "parameter 'any': expected str, got 3"),
    "cell after expansion": (_param("T4_GROUP_TOTAL", "left", ["T4.{group}.totl"]), "T4_GROUP_TOTAL",
                             "parameter 'left': no cell 'T4.review.totl' (did you mean 'T4.review.total'?)"),
    "cell of the wrong type": (_param("S1_LENGTH", "cell", "T2.regulations.issued"), "S1_LENGTH",
                               "parameter 'cell': cell 'T2.regulations.issued' is count, not text"),
    "placeholder without for_each": (_param("S1_LENGTH", "cell", "{section}.text"), "S1_LENGTH",
                                     "placeholder {section} is not a for_each variable"),
    "unknown level": (_param("S_REGULATIONS_LEVEL", "levels", ["部门", "县政府"]), "S_REGULATIONS_LEVEL",
                      "parameter 'levels': no unit level '县政府' (did you mean '县级政府'?)"),
    "unknown severity": (_set("S1_LENGTH", "severity", "warn"), "S1_LENGTH",
                         "unknown severity 'warn' (did you mean 'warning'?)"),
    "duplicate rule id": (lambda d: d["rules"].append(copy.deepcopy(_rule(d, "S1_LENGTH"))), "S1_LENGTH",
                          "duplicate rule id"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_rule_stops_the_load_with_one_message(case: str, tmp_path: Path) -> None:
    breaker, rule_id, expected = BROKEN[case]
    d = _data()
    breaker(d)
    path = _write(tmp_path, "broken-spec", d)
    with pytest.raises(FormatError) as info:
        parse_spec(json.loads(path.read_text("utf-8")), str(path))
    message = info.value.en
    assert message == f"format spec {path}: rule {rule_id}: {expected}"
    assert "\n" not in info.value.zh and str(path) in info.value.zh and rule_id in info.value.zh


@pytest.mark.parametrize("case", ["unknown kind", "cell after expansion"])
def test_the_command_line_shows_the_message_without_a_traceback(case: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    breaker, rule_id, _ = BROKEN[case]
    d = _data()
    breaker(d)
    path = _write(tmp_path, "broken-spec", d)
    monkeypatch.setenv(PATH_ENV, str(tmp_path))
    result = run("rules")  # loads every available format
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"xltools: 格式规范 {path} 有误：规则 {rule_id}：")
    assert "Traceback" not in result.stderr


def test_a_spec_whose_id_differs_from_its_file_name_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "province-a", _data())
    path.rename(tmp_path / "province_b.json")
    monkeypatch.setenv(PATH_ENV, str(tmp_path))
    with pytest.raises(FormatError, match="province-b"):
        load_spec("province-b")


# ---- XLTOOLS_FORMAT_PATH --------------------------------------------------------------------------------------------

def test_the_format_path_adds_a_json_and_a_toml_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    d = _data()
    d["title"] = "某省政府信息公开工作年度报告格式"
    _write(one, "province-profile", d)
    text = SOURCE.read_text(encoding="utf-8").replace('id = "gov-disclosure-2021"', 'id = "revision-2030"')
    text = text.replace("default = true", "default = false").replace('first_year = 2021', 'first_year = 2030')
    (two / "revision_2030.toml").write_text(text, encoding="utf-8")
    assert "province-profile" not in available_formats()
    with pytest.raises(KeyError):
        load_spec("province-profile")
    monkeypatch.setenv(PATH_ENV, f"{one}{os.pathsep}{two}")
    assert {"gov-disclosure-2021", "province-profile", "revision-2030"} <= set(available_formats())
    profile, revision = load_spec("province-profile"), load_spec("revision-2030")
    assert (profile.id, profile.title, profile.default) == ("province-profile", d["title"], False)
    assert (revision.id, revision.first_year, revision.cell("T3.r_total.total").address) == \
        ("revision-2030", 2030, "J28")
    assert default_format_id() == "gov-disclosure-2021"
    result = run("rules")
    assert result.returncode == 0 and "## province-profile" in result.stdout and "## revision-2030" in result.stdout


def test_a_shipped_format_is_loaded_from_its_json_without_the_generator() -> None:
    code = ("import sys; from xltools.format.spec import load_spec; load_spec()\n"
            "print(sorted(m for m in sys.modules if m.startswith('xltools.format.') or m == 'tomllib'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=xltools_env())
    loaded = out.stdout.strip()
    assert "xltools.format.build" not in loaded and "tomllib" not in loaded and "xltools.format.spec" in loaded


# ---- rule kinds ----------------------------------------------------------------------------------------------------

def test_every_declared_kind_has_exactly_one_implementation_and_vice_versa() -> None:
    assert set(rules.KINDS) == set(rulekinds.KINDS)
    for name, fn in rules.KINDS.items():
        assert fn.__name__ == name and rulekinds.implementation_problem(fn) is None
    used = {r.kind for r in load_spec().rules}
    assert used <= {*rulekinds.KINDS, rulekinds.BUILTIN}


def test_an_implementation_must_match_its_declaration() -> None:
    def sum_equals(ctx: Any, *, left: list[str], right: list[str]) -> Any:
        return iter(())

    def no_such_kind(ctx: Any) -> Any:
        return iter(())

    with pytest.raises(TypeError, match="differ from the declaration"):
        rules.kind(sum_equals)
    with pytest.raises(TypeError, match="no rule kind 'no_such_kind'"):
        rules.kind(no_such_kind)
    with pytest.raises(TypeError, match="implemented twice"):
        rules.kind(rules.sum_equals)


# ---- sum relations: one reading for the checks, the red totals and the fill button ----------------------------------

def _values(spec: Any, numbers: dict[str, int | float]) -> Values:
    return Values(spec.id, numbers, frozenset(), frozenset(), {}, {"level": "汇总"}, {})


def test_the_checks_the_red_totals_and_the_fill_button_agree(tmp_path: Path) -> None:
    spec = load_spec()
    relations = list(spec.sum_relations())
    expected_count = sum(len(r.expanded) for r in spec.rules if r.kind == "sum_equals")
    assert len(relations) == expected_count == 7 + 7 + 25 + 3
    # the checks: breaking one relation gives a finding of its rule over exactly its cells, the total first
    zeros: dict[str, int | float] = {c.id: 0 for c in spec.number_cells}
    for rel in relations:
        findings = run_rules(spec, _values(spec, {**zeros, rel.left[0]: 1}))
        assert any(f.rule == rel.rule and [c.id for c in f.cells] == [*rel.left, *rel.right] for f in findings), rel
    # the red totals: one conditional format per left cell of every error relation
    path = tmp_path / "blank.xlsx"
    write_workbook(spec, str(path))
    wb = openpyxl.load_workbook(path)
    drawn = {(ws.title, str(rng.sqref), rule.formula[0]) for ws in wb.worksheets if ws.title != CHECK_SHEET  # its own
             for rng in ws.conditional_formatting for rule in rng.rules}
    wanted = set()
    for rel in relations:
        if rel.severity == "error":
            left, right = [spec.cell(i) for i in rel.left], [spec.cell(i) for i in rel.right]
            formula = f"({'+'.join(c.address for c in left)})<>({'+'.join(c.address for c in right)})"
            wanted |= {(c.sheet, c.address, formula) for c in left}
    assert drawn == wanted and ("表三", "J7", "(J7)<>(D7+E7+F7+G7+H7+I7)") in drawn
    # the fill button: every total with its parts, the first relation that defines it
    definitions = total_definitions(spec)
    assert definitions == {r.total: list(r.right) for r in reversed(relations) if r.total}
    assert set(definitions) == {c.id for c in spec.cells if c.total}
    assert definitions["T4.review.total"] == ["T4.review.upheld", "T4.review.corrected", "T4.review.other",
                                              "T4.review.pending"]


def test_a_broken_import_block_stops_the_load_with_one_message(tmp_path: Path) -> None:
    """The importer's older layouts are checked like rules: a misspelt row or a missing key is named at load."""
    d = _data()
    d["import"]["merged_rows"][0]["into"] = "r_other_othr"
    with pytest.raises(FormatError) as info:
        parse_spec(d, "x.json")
    assert info.value.en == ("format spec x.json: import.merged_rows[0]: table T3 has no row 'r_other_othr' "
                             "(did you mean 'r_other_other'?)")
    d = _data()
    del d["import"]["variants"][0]["note"]
    with pytest.raises(FormatError, match="“note”应为 str"):
        parse_spec(d, "x.json")
    d = _data()
    d["import"]["from_formats"] = {"old": {"cells": {"T3.r_totl.total": ["x"]}}}
    with pytest.raises(FormatError, match=re.escape("单元格“T3.r_totl.total”不存在")):
        parse_spec(d, "x.json")
