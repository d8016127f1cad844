"""Finding the parts of a report in extracted text: title, unit, year, the section headings (their numerals and
keywords come from the format spec), the clerk's paragraphs and the signature date. Pure; works on text with
lines (PDF, Word, web page) and on text whose line breaks were lost (a crawler's flattened page)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from xltools.format.spec import SectionSpec

CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’《》"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{CJK}])[ \t\u00a0]+|[ \t\u00a0]+(?=[{CJK}])")
_PAGE_NUMBER = re.compile(r"^\s*[-—–－]\s*\d{1,3}\s*[-—–－]\s*$")
_TITLE = re.compile(r"(?P<unit>[^\s，。,:：；;]{2,40}?)\s*(?P<year>(?:19|20)\d{2})\s*年\s*度?"
                    r"\s*政\s*府\s*信\s*息\s*公\s*开\s*(?:工\s*作\s*)?(?:年\s*度\s*)?(?:报\s*告)?")
_PERIOD_YEAR = re.compile(r"统计(?:期限|时限|期间)[^。]{0,6}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_TITLE_LINE = re.compile(r"[#*>\s]*[\u4e00-\u9fff（）()]{2,20}")
_NOT_UNIT = re.compile(r"公开|年报|报告|首页|位置|栏目|来源|时间|日期|字号")
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


_NUMERALS = "一二三四五六七八九十"


def _heading(numeral: str, keywords: Sequence[str]) -> re.Pattern[str]:
    """A heading: a numeral (``numeral``, or any when empty: a renumbered section), a few characters, one of the
    keywords, up to 情况/事项."""
    keyword = "|".join(re.escape(k) for k in keywords)
    mark = re.escape(numeral) if numeral else rf"(?<![（(\d{_NUMERALS}])[{_NUMERALS}]{{1,2}}"
    gap = rf"(?:(?![{_NUMERALS}]{{1,2}}\s*[、.．])[^。，\n]){{0,14}}?"  # not across another heading's numeral
    return re.compile(rf"{mark}\s*[、.．]\s*{gap}(?:{keyword})(?:[^。，\s…]{{0,16}}?(?:情况|事项))?")


def _in_order(text: str, sections: Sequence[SectionSpec]) -> dict[str, Heading]:
    """The headings searched one after the other: each with its own numeral, else (renumbered) with any."""
    found: dict[str, Heading] = {}
    pos = 0
    for section in sections:
        m = _heading(section.numeral, section.keywords).search(text, pos)
        if m is None:
            m = _heading("", section.keywords).search(text, pos)
        if m is not None:
            found[section.id] = Heading(section.id, m.start(), m.end())
            pos = m.end()
    return found


def find_headings(text: str, sections: Sequence[SectionSpec], orders: Sequence[Sequence[str]] = ()
                  ) -> dict[str, Heading]:
    """The format's section headings (numerals and keywords from the format spec), searched in each of
    ``orders`` (default: the format's; the spec adds e.g. tables printed as an appendix after the text sections,
    numbered 一/二/三 again): the order that finds the most sections wins, the format's own on a tie. A section
    printed under another numeral (an extra section before it) is found by its keywords."""
    by_id = {s.id: s for s in sections}
    best: dict[str, Heading] = {}
    for order in [[s.id for s in sections], *orders]:
        found = _in_order(text, [by_id[i] for i in order if i in by_id])
        if len(found) > len(best):
            best = found
    return dict(sorted(best.items(), key=lambda kv: [s.id for s in sections].index(kv[0])))


def extra_headings(text: str, extras: Sequence[dict[str, Any]], taken: Sequence[Heading]) -> list[
        tuple[dict[str, Any], Heading]]:
    """Headings of sections outside the format (``[import] extra_sections`` of the spec, e.g. 五、信息处理费收取
    情况 in a seven-section report), each once, not inside a heading already found."""
    out: list[tuple[dict[str, Any], Heading]] = []
    for extra in extras:
        m = _heading("", extra["keywords"]).search(text)
        if m is not None and not any(h.start <= m.start() < h.end for h in taken):
            out.append((extra, Heading(str(extra["title"]), m.start(), m.end())))
    return out


def title_unit_year(head: str, whole: str) -> tuple[str | None, int | None, int]:
    """Unit and year from the title (the text before section 一), else the year of the statistics period; and
    where the title ends in ``head`` (0 when there is none)."""
    m = _TITLE.search(head)
    if m:
        unit = re.sub(r"^(标题|题目|[#*>]+)", "", m.group("unit"))
        line_start = head.rfind("\n", 0, m.start()) + 1
        before = head[:line_start].rstrip("\n").rsplit("\n", 1)[-1].strip() if line_start else ""
        if head[line_start:m.start()].strip() == "" and _TITLE_LINE.fullmatch(before) and not _NOT_UNIT.search(before):
            unit = before + unit  # a title printed over two lines: "某某市" / "某某局2024年…报告"
        return unit or None, int(m.group("year")), m.end()
    period = _PERIOD_YEAR.search(whole)
    return None, int(period.group(1)) if period else None, 0


def signature_date(tail: str, trailers: str = "") -> tuple[str | None, int]:
    """The 成文日期 at the very end of the report ("2022 年 1 月 17 日") as ISO, and where it starts in ``tail``.
    Lines after it that match ``trailers`` (a pattern from the format spec: 附件下载, 抄送, （此件主动公开）…)
    are not report text and may follow it."""
    end = len(tail.rstrip(" \n\t。"))  # only a date right at the end counts (one pass: linear time)
    if trailers:
        lines = tail[:end].split("\n")
        cut = len(lines)
        while cut > 1 and (not lines[cut - 1].strip() or re.match(trailers, lines[cut - 1].strip())):
            cut -= 1
        if cut < len(lines):
            end = len("\n".join(lines[:cut]).rstrip(" \n\t。"))
        elif (m := re.search(rf"\d\s*日\s*(?:{trailers})", tail[max(0, end - 300):end])) is not None:
            end = max(0, end - 300) + m.start() + len(m.group(0).split("日")[0]) + 1  # flattened: "…17日附件下载"
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
