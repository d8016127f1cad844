"""The format is data: the committed JSON spec is exactly what the generator builds from its TOML source, and the
layout follows the source (one more 表三 row shifts every address, merge, height, print area and rule below it)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from xltools.format.build import build, build_file, main, render, shipped_sources
from xltools.format.errors import FormatError
from xltools.format.spec import parse_spec

SOURCE = Path(__file__).resolve().parent.parent / "xltools" / "format" / "sources" / "gov_disclosure_2021.toml"
ANCHOR = 'r_denied_admin_query = ["三、本年度办理结果", "（三）不予公开", "8.属于行政查询事项"]\n'
NEW_ROW = 'r_denied_new = ["三、本年度办理结果", "（三）不予公开", "9.新增情形"]\n'


def _source(edit: tuple[str, str] | None = None) -> dict[str, Any]:
    text = SOURCE.read_text(encoding="utf-8")
    if edit:
        assert text.count(edit[0]) == 1, edit[0]
        text = text.replace(edit[0], edit[1])
    return tomllib.loads(text)


def _sheet(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in data["sheets"] if s["name"] == name)


def _cells(data: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["address"] for c in data["cells"]}


def _merges(data: dict[str, Any], name: str) -> list[str]:
    return [b["range"] for b in _sheet(data, name)["boxes"] if ":" in b["range"]]


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["id"] == rule_id)


def test_every_shipped_source_exists_and_builds_its_committed_json_exactly() -> None:
    pairs = shipped_sources()
    assert [src.name for src, _ in pairs] == [SOURCE.name]
    for src, committed in pairs:
        assert render(build_file(src)) == committed.read_text(encoding="utf-8"), \
            "run: python -m xltools.format.build"


def test_check_mode_finds_no_difference_and_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert capsys.readouterr().err == ""


def test_build_writes_a_source_to_the_output_named(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    assert main([str(SOURCE), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render(build_file(SOURCE))
    assert main([str(SOURCE), "-o", str(out), "--check"]) == 0
    out.write_text("{}", encoding="utf-8")
    assert main([str(SOURCE), "-o", str(out), "--check"]) == 1


def test_the_source_holds_no_table_addresses() -> None:
    text = SOURCE.read_text(encoding="utf-8")
    for address in ("D5", "J28", "A7:A28", "A1:J29", "B8:D8", "O5", "repeat_rows", "print_area"):
        assert address not in text


def test_one_more_table_three_row_shifts_everything_below_it() -> None:
    before = build(_source())
    after = build(_source((ANCHOR, ANCHOR + NEW_ROW)))
    parse_spec(after)  # still a valid spec
    cells_before, cells_after = _cells(before), _cells(after)
    # above: unchanged; the new row; below: one row down
    assert cells_after["T3.r_denied_admin_query.natural_person"] == "D16"
    assert cells_after["T3.r_denied_new.natural_person"] == "D17"
    assert cells_after["T3.r_denied_new.total"] == "J17"
    assert (cells_before["T3.r_unable_not_held.natural_person"], cells_after["T3.r_unable_not_held.natural_person"]) \
        == ("D17", "D18")
    assert (cells_before["T3.r_total.total"], cells_after["T3.r_total.total"]) == ("J28", "J29")
    assert (cells_before["T3.carried_forward.other_org"], cells_after["T3.carried_forward.other_org"]) == ("I29", "I30")
    # merged labels: the groups that hold the row grow, those below it move
    assert "A7:A28" in _merges(before, "表三") and "A7:A29" in _merges(after, "表三")
    assert "B9:B16" in _merges(before, "表三") and "B9:B17" in _merges(after, "表三")
    assert "B17:B19" in _merges(before, "表三") and "B18:B20" in _merges(after, "表三")
    assert "B28:C28" in _merges(before, "表三") and "B29:C29" in _merges(after, "表三")
    assert "A29:C29" in _merges(before, "表三") and "A30:C30" in _merges(after, "表三")
    assert {"range": "C17", "text": "9.新增情形", "style": "rowhead"} in _sheet(after, "表三")["boxes"]
    # print area, row heights; the header rows stay
    assert (_sheet(before, "表三")["print_area"], _sheet(after, "表三")["print_area"]) == ("A1:J29", "A1:J30")
    assert _sheet(before, "表三")["heights"] == {"1": 26, "2": 22, "3": 22, "4": 30, "8": 28, "24": 28, "25": 30,
                                                "26": 30}
    assert _sheet(after, "表三")["heights"] == {"1": 26, "2": 22, "3": 22, "4": 30, "8": 28, "25": 28, "26": 30,
                                               "27": 30}
    assert _sheet(after, "表三")["repeat_rows"] == "2:4"
    # rules: the new row is one of the results and one of the rows every row rule runs over
    results = _rule(after, "T3_RESULTS_SUM")["params"]["right"]
    assert len(results) == 22 and results[9:11] == ["T3.r_denied_admin_query.{col}", "T3.r_denied_new.{col}"]
    assert "r_denied_new" in _rule(after, "T3_ROW_TOTAL")["for_each"]["row"]
    assert after["tables"]["T3"]["result_rows"][9:11] == ["r_denied_admin_query", "r_denied_new"]
    # other sheets do not move
    assert {k: v for k, v in cells_after.items() if not k.startswith("T3.")} == \
        {k: v for k, v in cells_before.items() if not k.startswith("T3.")}


def test_one_more_table_three_column_joins_the_row_totals() -> None:
    anchor = 'other_org = ["法人或其他组织", "其他"]\n'
    after = build(_source((anchor, anchor + 'new_org = ["法人或其他组织", "新类别"]\n')))
    cells = _cells(after)
    assert (cells["T3.new_received.new_org"], cells["T3.new_received.total"]) == ("J5", "K5")
    assert "E3:J3" in _merges(after, "表三") and "D2:K2" in _merges(after, "表三") and "K3:K4" in _merges(after, "表三")
    assert _sheet(after, "表三")["print_area"] == "A1:K29"
    assert "T3.{row}.new_org" in _rule(after, "T3_ROW_TOTAL")["params"]["right"]
    assert "new_org" in _rule(after, "T3_COL_BALANCE")["for_each"]["col"]


@pytest.mark.parametrize(("edit", "expected"), [
    (('for_each.row = "T3.rows"', 'for_each.row = "T3.row"'), "unknown list 'T3.row' (did you mean 'T3.rows'?)"),
    (('layout = "grid"', 'layout = "gird"'), "unknown layout 'gird' (did you mean 'grid'?)"),
    (('for_each.col = "T3.columns"\nsummary.zh = "表三每一列：第一项',
      'for_each.col = "T3.columns:part"\nsummary.zh = "表三每一列：第一项'), "unknown filter ':part'"),
    (('label_widths = [7, 9, 44]', 'label_widths = [7, 44]'), "expected 3 widths"),
])
def test_a_broken_source_names_the_file_and_the_place(edit: tuple[str, str], expected: str) -> None:
    with pytest.raises(FormatError) as info:
        build(_source(edit), "province.toml")
    assert "province.toml" in info.value.en and expected in info.value.en and "\n" not in info.value.en
