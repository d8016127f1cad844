"""The importer's pure parts: digit runs split by arithmetic, rows read from token runs, headings and paragraphs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from xltools.extract.splitting import splits, sums_hold
from xltools.extract.tables import groups, read_row
from xltools.extract.text import find_headings, paragraphs, signature_date
from xltools.format.spec import load_spec

counts = st.lists(st.integers(min_value=0, max_value=2000), min_size=6, max_size=6)


@given(counts)
def test_a_row_always_reads_back_when_separated(parts: list[int]) -> None:
    row = [*parts, sum(parts)]
    numbers, why = read_row([str(n) for n in row], 7, 7)
    assert (numbers, why) == (row, "")


@settings(deadline=None, max_examples=40)  # up to tens of thousands of readings per row: slow, not flaky
@given(counts)
def test_a_glued_row_is_either_its_own_reading_or_left_empty(parts: list[int]) -> None:
    row = [*parts, sum(parts)]
    numbers, why = read_row(["".join(map(str, row))], 7, 7)
    if numbers is None:  # more than one reading fits the row total: never guessed
        fitting = [s for s in splits(["".join(map(str, row))], 7) or [] if sums_hold(s, 7)]
        assert len(fitting) != 1 and why
    else:
        assert numbers == row


def test_real_glued_rows() -> None:
    assert read_row(["21710000218"], 7, 7) == ([217, 1, 0, 0, 0, 0, 218], "")
    assert read_row(["8100008"], 7, 7) == ([8, 1, 0, 0, 0, 0, 8], "")  # inconsistent, but the only reading
    tokens = ["00", "0", "0", "01", "0", "0", "0", "1", "0", "0", "0", "00"]
    assert read_row(tokens, 15, 5)[0] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    numbers, why = read_row(["6233440"], 3, None)
    assert numbers is None and "种以上拆分" in why
    assert read_row(["3", "∅", "5"], 3, None) == ([3, None, 5], "")


def test_label_numbers_are_not_read_as_numbers() -> None:
    found = groups("1.属于国家秘密 2 0 0 0 0 0 2\n2、其他法律行政法规禁止公开 00000003.危及“三安全一稳定”1 0 0 0 0 0 1")
    assert [g.tokens for g in found] == [["2", "0", "0", "0", "0", "0", "2"], ["0000000"],
                                         ["1", "0", "0", "0", "0", "0", "1"]]


def test_headings_are_told_from_the_table_rows_with_the_same_numerals() -> None:
    headings = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                "四、政府信息公开行政法复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    text = (f"{headings[0]} ……{headings[1]} 表 {headings[2]} 一、本年新收政府信息公开申请数量 二、上年结转 "
            f"三、本年度办理结果 四、结转下年度继续办理 {headings[3]} 1 {headings[4]} 问题 {headings[5]} 无")
    found = find_headings(text, load_spec().sections)
    assert [text[h.start:h.end] for h in found.values()] == headings


def test_pdf_lines_are_reflowed_into_paragraphs() -> None:
    text = ("2021 年，在市政府政务公开办的指导和帮助下，我局紧\n紧围绕科技部门职能，坚持原则，持续加大力度。\n"
            "（一）强化组织领导\n为确保各项政务公开工作顺利开展，按照以“公开是常\n态”的原则，完善了领导小组。")
    assert paragraphs(text, hard_wrapped=True) == [
        "2021年，在市政府政务公开办的指导和帮助下，我局紧紧围绕科技部门职能，坚持原则，持续加大力度。",
        "（一）强化组织领导", "为确保各项政务公开工作顺利开展，按照以“公开是常态”的原则，完善了领导小组。"]


def test_the_signature_date_is_only_taken_at_the_very_end() -> None:
    assert signature_date("……信息处理费0元。\n鹤岗市科学技术局\n2022 年 1 月 17 日\n")[0] == "2022-01-17"
    assert signature_date("统计期限自2024年1月1日至2024年12月31日。其他内容。")[0] is None


def test_the_date_is_found_before_what_publishers_print_after_it() -> None:
    trailers = str(load_spec().importing["signature_trailers"])
    tail = "……本年度未收取信息处理费。\n某某县某某局\n2025年1月20日\n附件下载：\n抄送：县政务公开办\n（此件主动公开）\n"
    date, at = signature_date(tail, trailers)
    assert (date, tail[at:at + 10]) == ("2025-01-20", "2025年1月20日")
    assert signature_date("某某县某某局 2025年1月20日印发", trailers)[0] == "2025-01-20"  # a crawler's one line
    assert signature_date(tail)[0] is None  # without the spec's trailers: not at the very end


def test_renumbered_and_appendix_headings_are_found_by_their_keywords() -> None:
    spec = load_spec()
    seven = ("一、总体情况 甲 二、主动公开政府信息情况 乙 三、收到和处理政府信息公开申请情况 丙 "
             "四、政府信息公开行政复议、行政诉讼情况 丁 五、信息处理费收取情况 戊 六、存在的主要问题及改进情况 己 "
             "七、其他需说明事项 庚")
    found = find_headings(seven, spec.sections, spec.importing["section_orders"])
    assert [seven[h.start:h.start + 2] for h in found.values()] == ["一、", "二、", "三、", "四、", "六、", "七、"]
    appendix = ("一、总体情况 甲 二、存在的主要问题及改进情况 乙 三、其他需要报告的事项 丙 附件 "
                "一、主动公开政府信息情况 丁 二、收到和处理政府信息公开申请情况 戊 "
                "三、政府信息公开行政复议、行政诉讼情况 己")
    found = find_headings(appendix, spec.sections, spec.importing["section_orders"])
    assert [appendix[h.end + 1] for h in found.values()] == ["甲", "丁", "戊", "己", "乙", "丙"]


def test_numbers_in_a_sentence_are_no_table_row() -> None:
    assert [g.tokens for g in groups("共收到政府信息公开申请3条。\n一、本年新收 3 0 0 0 0 0 3")] == [
        ["3", "0", "0", "0", "0", "0", "3"]]
