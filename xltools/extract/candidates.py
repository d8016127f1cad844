"""A table section that holds several tables of the same shape (a page that prints last year's 表三 before this
year's, or a 2020 and a 2021 table side by side): which one belongs to the report year. Pure.

The section is cut before each repetition of the table's first row label; each piece that yields numbers is a
candidate. Identical candidates are no conflict. Otherwise the text just before each table decides: a year
("2021年度") or "上年度"/"本年度" read against the report year. When that does not single out one table, none is
taken: the table is left empty with a note naming the conflict (never silently the first).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from xltools.extract.tables import Note
from xltools.format.findings import Number

_NUMBERING = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|（[一二三四五六七八九十]{1,3}）"
                        r"|\d{1,2}\s*[.、．])")
_DATA_ROW = re.compile(r"(?:\d+(?:\.\d+)?\s+){2,}\d")  # three numbers in a row: a table row, not a caption
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_LAST_YEAR = re.compile(r"上\s*一?\s*年\s*度|去\s*年|上\s*年\s*同\s*期")
_THIS_YEAR = re.compile(r"本\s*年\s*度|今\s*年|当\s*年\s*度")
CONTEXT_LINES = 4  # caption lines looked at before a table
CAPTION_CHARS = 120  # characters of each caption line kept


class Candidate(NamedTuple):
    """One table found in a section: its values, the notes reading it gave, and the caption text before it."""

    values: dict[str, Number | None]
    notes: list[Note]
    context: str


def split_at_label(body: str, label: str) -> list[tuple[str, str]]:
    """``body`` cut before each repetition of the table's first row label (at its line's start, or at the label
    itself in text whose line breaks were lost): (caption before it, piece) pairs. One piece (the whole body) when
    the label appears at most once."""
    core = _NUMBERING.sub("", label).strip()
    if len(core) < 2:
        return [("", body)]
    pattern = re.compile(r"\s*".join(re.escape(ch) for ch in core))
    starts: list[int] = []
    for m in pattern.finditer(body):
        line_start = body.rfind("\n", 0, m.start()) + 1
        start = line_start if not starts or line_start > starts[-1] else m.start()
        if not starts or start > starts[-1]:
            starts.append(start)
    if len(starts) < 2:
        return [("", body)]
    bounds = [0, *starts[1:], len(body)]
    return [(caption_before(body[:starts[i]]), body[bounds[i]:bounds[i + 1]]) for i in range(len(starts))]


def caption_before(before: str) -> str:
    """The text just before a table since the previous table's last row: its caption ("2020年度情况如下")."""
    lines: list[str] = []
    for line in reversed(before.rstrip().split("\n")[-3 * CONTEXT_LINES:]):
        rows = list(_DATA_ROW.finditer(line))
        if rows:
            tail = line[rows[-1].end():].strip()
            if tail:
                lines.append(tail[-CAPTION_CHARS:])
            break
        if line.strip():
            lines.append(line.strip()[-CAPTION_CHARS:])
        if len(lines) >= CONTEXT_LINES:
            break
    return " ".join(reversed(lines))


def year_of(context: str, report_year: int | None) -> str | None:
    """"report" when the caption says the table is the report year's, "other" when another year's, else None."""
    years = {int(y) for y in _YEAR.findall(context)}
    if report_year is not None and years:
        if report_year not in years:
            return "other"
        return "report" if len(years) == 1 else None
    if _LAST_YEAR.search(context):
        return "other"
    if _THIS_YEAR.search(context):
        return "report"
    return None


def choose(candidates: list[Candidate], report_year: int | None) -> int | None:
    """The index of the report year's table among candidates that differ, or None when the text does not tell."""
    marks = [year_of(c.context, report_year) for c in candidates]
    this_year = [i for i, m in enumerate(marks) if m == "report"]
    if len(this_year) == 1:
        return this_year[0]
    if not this_year:
        unmarked = [i for i, m in enumerate(marks) if m is None]
        if len(unmarked) == 1:
            return unmarked[0]
    return None
