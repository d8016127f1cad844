"""Messages a clerk reads (issue 15): one sentence per case (no template slots showing), numbers as typed, option
errors as usage errors, ``import`` exit 1 for text not placed, ``clear-flags`` writes nothing when there is
nothing to clear, bilingual option help."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import clean_document, export, libreoffice_convert, run, write_doc

from xltools.format.findings import fmt_number


def book_with(tmp_path: Path, **cells: Any) -> Path:
    """A clean workbook with ``cells`` (``封面__B5=1999``: sheet, two underscores, address) overwritten."""
    book = write_doc(clean_document(), tmp_path)
    wb = openpyxl.load_workbook(book)
    for key, value in cells.items():
        sheet, address = key.split("__")
        wb[sheet][address] = value
    out = tmp_path / "edited.xlsx"
    wb.save(out)
    return out


def check_text(book: Path, lang: str = "zh") -> str:
    result = run("check", book, "--lang", lang)
    assert result.returncode == 1, result.stderr
    return result.stdout


def test_each_kind_of_cover_field_has_its_own_sentence(tmp_path: Path) -> None:
    book = book_with(tmp_path, 封面__B5=1999, 封面__B6="明天", 封面__B7="省部级")
    zh, en = check_text(book), check_text(book, "en")
    last = dt.date.today().year
    assert f"封面“年度”填的是“1999”，不是本格式适用的报告年度（2021年至{last}年）" in zh
    assert "修改：填写报告所属的年度，用四位数字，如" in zh and "本格式只适用于2021年度起的报告。" in zh
    assert "封面“成文日期”填的是“明天”，不是一个日期" in zh
    assert "修改：填写报告的成文日期，如 2022-01-17 或 2022年1月17日。" in zh
    assert "封面“单位层级”填的是“省部级”，不是规定的单位层级" in zh
    assert "修改：从下拉列表中选择单位层级，可选：部门、乡镇街道、县级政府、市级政府、汇总。" in zh
    for template in ("的要求改正", "按日期", "按以下之一", "应为日期", "之间的四位年份（"):
        assert template not in zh
    assert f"cover field “年度” is “1999”, not a report year this format covers (2021 to {last})" in en
    assert "cover field “成文日期” is “明天”, which is not a date" in en
    assert "Choose the unit level from the drop-down list: 部门, 乡镇街道, 县级政府, 市级政府, 汇总." in en
    assert "Correct it:" not in en


def test_numbers_are_shown_as_the_clerk_typed_them(tmp_path: Path) -> None:
    zh = check_text(book_with(tmp_path, 表二__B15="12.3456789"))
    assert "单元格中的“12.3456789”是文本，已按数字 12.3456789 读取" in zh
    assert "金额 12.3456789 超过6位小数" in zh
    assert "12.345679" not in zh
    assert [fmt_number(x) for x in (12.3456789, 0.1 + 0.2, 1e-7, 96171.6, 12.0, 24252.311082)] == \
        ["12.3456789", "0.3", "0.0000001", "96171.6", "12", "24252.311082"]


def test_a_difference_is_said_as_its_size(tmp_path: Path) -> None:
    zh = check_text(book_with(tmp_path, 表三__J16=99))
    line = next(x for x in zh.splitlines() if "总计为 99" in x)
    assert "相差 -" not in line and "，相差 " in line


def test_nested_row_labels_are_joined_with_a_separator(tmp_path: Path) -> None:
    zh = check_text(book_with(tmp_path, 表三__J16=99))
    assert "（三）不予公开：8.属于行政查询事项" in zh
    assert "不予公开8." not in zh


def test_new_option_errors_are_usage_errors(tmp_path: Path) -> None:
    result = run("new", "--macro", "-o", "m.xlsx", cwd=tmp_path)
    assert result.returncode == 2
    assert "Usage:" in result.stderr and "--macro" in result.stderr and "m.xlsx" in result.stderr
    assert "数据有误" not in result.stderr
    result = run("new", "-o", "m.xlsm", cwd=tmp_path)
    assert result.returncode == 2 and "--macro" in result.stderr and "数据有误" not in result.stderr
    result = run("new", "--year", "1999", "-o", "y.xlsx", cwd=tmp_path)
    assert result.returncode == 2
    assert "'--year'" in result.stderr and "年度 1999 不在本格式适用的范围内" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_importing_a_pdf_with_text_not_placed_exits_1(tmp_path: Path) -> None:
    import docx

    word = tmp_path / "report.docx"
    assert export(write_doc(clean_document(), tmp_path), "-o", word).returncode == 0
    document = docx.Document(str(word))
    first = next(p for p in document.paragraphs if p.text.strip().startswith("一、"))
    first.insert_paragraph_before("本报告依据《中华人民共和国政府信息公开条例》编制，统计期限为本年1月1日至12月31日。")
    document.save(str(word))
    pdf = libreoffice_convert(word, tmp_path, "pdf")
    for source in (word, pdf):
        result = run("import", source, "-o", tmp_path / f"{source.suffix[1:]}.xlsx")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "部分导入" in result.stdout and "不属于任何部分，未导入" in result.stdout


def test_clear_flags_without_flags_writes_nothing(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path)
    before = sorted(tmp_path.iterdir())
    result = run("clear-flags", book)
    assert result.returncode == 0, result.stderr
    assert "没有需要清除的标记，没有写入任何文件。" in result.stdout
    assert sorted(tmp_path.iterdir()) == before
    result = run("clear-flags", book, "--in-place")
    assert result.returncode == 0 and "没有写入任何文件" in result.stdout
    assert sorted(tmp_path.iterdir()) == before  # no backup either
    result = run("clear-flags", book, "-o", tmp_path / "copy.xlsx")  # an output asked for by name is written
    assert result.returncode == 0 and "没有需要清除的标记" in result.stdout and (tmp_path / "copy.xlsx").is_file()


def test_fill_names_a_negative_part_as_negative_not_as_text(tmp_path: Path) -> None:
    result = run("fill", book_with(tmp_path, 表三__E5=-1))
    assert "（分项 表三!E5 是负数 -1）" in result.stdout
    assert "不是数字" not in result.stdout and "点“校验”" not in result.stdout


def test_rules_lang_has_bilingual_help() -> None:
    result = run("rules", "--help")
    assert result.returncode == 0
    block = result.stdout.split("--lang", 1)[1]
    assert "目录的语言" in block and "language of the catalogue" in block
