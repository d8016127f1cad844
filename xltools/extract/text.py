"""Finding the parts of a report in extracted text: title, unit, year, the section headings (their numerals and
keywords come from the format spec), the clerk's paragraphs and the signature date. Pure; works on text with
lines (PDF, Word, web page) and on text whose line breaks were lost (a crawler's flattened page)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from xltools.format.spec import SectionSpec

CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’《》"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{CJK}])[ \t\u00a0]+|[ \t\u00a0]+(?=[{CJK}])")
_PAGE_NUMBER = re.compile(r"^\s*[-—–－]\s*\d{1,3}\s*[-—–－]\s*$")
_TITLE = re.compile(r"(?P<unit>[^\s，。,:：；;]{2,40}?)\s*(?P<year>(?:19|20)\d{2})\s*年\s*度?"
                    r"\s*政\s*府\s*信\s*息\s*公\s*开\s*(?:工\s*作\s*)?(?:年\s*度\s*)?(?:报\s*告)?")
_PERIOD_YEAR = re.compile(r"统计(?:期限|时限|期间)[^。]{0,6}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MARKER = re.compile(r"^(（[一二三四五六七八九十]{1,3}）|[一二三四五六七八九十]{1,3}是|\d{1,2}[.、．](?!\d))")
_CHROME = re.compile(r"(版权所有|网站标识码|ICP备|主办单位|承办单位|网站地图|联系我们|打印本页|关闭窗口|"
                     r"【打印】|扫一扫)")


class Heading(NamedTuple):
    section: str
    start: int  # offset of the heading in the text
    end: int  # offset just after it


def clean_lines(text: str) -> list[str]:
    """Lines without page numbers ("- 4 -"), trailing spaces or spaces next to Chinese characters."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").split("\n"):
        if _PAGE_NUMBER.match(line):
            continue
        out.append(_SPACE_NEAR_CJK.sub("", line).strip())
    return out


def find_headings(text: str, sections: Sequence[SectionSpec]) -> dict[str, Heading]:
    """The format's section headings, each searched after the previous one found: its numeral, a few characters,
    one of its keywords (from the format spec), up to 情况/事项."""
    found: dict[str, Heading] = {}
    pos = 0
    for section in sections:
        keyword = "|".join(re.escape(k) for k in section.keywords)
        numeral = re.escape(section.numeral)
        m = re.compile(rf"{numeral}\s*[、.．]\s*[^。，\n]{{0,14}}?(?:{keyword})(?:[^。，\s…]{{0,16}}?(?:情况|事项))?"
                       ).search(text, pos)
        if m is not None:
            found[section.id] = Heading(section.id, m.start(), m.end())
            pos = m.end()
    return found


def title_unit_year(head: str, whole: str) -> tuple[str | None, int | None, int]:
    """Unit and year from the title (the text before section 一), else the year of the statistics period; and
    where the title ends in ``head`` (0 when there is none)."""
    m = _TITLE.search(head)
    if m:
        unit = re.sub(r"^(标题|题目)", "", m.group("unit"))
        return unit or None, int(m.group("year")), m.end()
    period = _PERIOD_YEAR.search(whole)
    return None, int(period.group(1)) if period else None, 0


def signature_date(tail: str) -> tuple[str | None, int]:
    """The 成文日期 at the very end of the report ("2022 年 1 月 17 日") as ISO, and where it starts in ``tail``."""
    end = len(tail.rstrip(" \n\t。"))  # only a date right at the end counts (one pass: linear time)
    m = _DATE.search(tail, max(0, end - 200))
    while m is not None and m.end() < end:
        m = _DATE.search(tail, m.start() + 1)
    if m is None or m.end() != end:
        return None, len(tail)
    year, month, day = (int(g) for g in m.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None, len(tail)
    return f"{year:04d}-{month:02d}-{day:02d}", m.start()


def _width(line: str) -> float:
    """A line's printed width: ASCII characters count half."""
    return len(line) - 0.5 * len(line.encode("ascii", "ignore"))


def paragraphs(text: str, hard_wrapped: bool) -> list[str]:
    """The clerk's paragraphs. Hard-wrapped text (PDF) is re-flowed: a line shorter than the others ends its
    paragraph, as does a line followed by "（一）" / "一是" / "1." style starts; otherwise lines are joined."""
    lines = [ln for ln in clean_lines(text) if ln]
    lines = [ln for ln in lines if not _CHROME.search(ln)] if not hard_wrapped else lines
    if not hard_wrapped or len(lines) < 2:
        return lines
    widths = sorted(_width(ln) for ln in lines)
    full = widths[int(len(widths) * 0.8)]
    out: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        current += line
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        short = _width(line) < full - 1.5
        heading = _MARKER.match(line) and _width(line) < full * 0.7  # "（一）强化组织领导"
        ends = line[-1] in "。！？：；!?:;”）" if line else True
        if not nxt or (short and ends) or heading or (_MARKER.match(nxt) and ends):
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def strip_chrome(text: str) -> tuple[str, str]:
    """Cut a web page's footer (copyright, ICP number, "print this page"…) off the end of the report body."""
    m = _CHROME.search(text)
    return (text[:m.start()], text[m.start():]) if m else (text, "")
