"""表二、表三、表四 from the text of their sections: runs of numbers, matched to the format's rows by their labels
and their order. Pure. Nothing is invented: a number that cannot be placed with certainty is reported and its
cells are left empty; a published table that is itself inconsistent is read as published."""

from __future__ import annotations

import difflib
import re
from typing import Any, NamedTuple

from xltools.extract.splitting import splits, sums_hold
from xltools.format.findings import Number
from xltools.reading.labels import normalize_label

PLACEHOLDER = "∅"  # a blank, "/" or "-" cell: a position in the row without a number
PICTURE = "〔图片〕"  # where the source had a picture (a table published as an image)
_LABEL_NUMBER = re.compile(r"(\d)\s*[.、．]\s*(?=[\u4e00-\u9fff])")
_PROSE_AFTER = set("条件个项次份人篇名家户起余万元%％。，；：、")  # right after a number: a sentence's count
_TOKEN = re.compile(r"\d+(?:\.\d+)?|∅|(?<!\S)[/／\-－—–]+(?!\S)|\s+|.", re.S)


class Group(NamedTuple):
    """A run of number tokens and the text before it (since the previous run)."""

    tokens: list[str]
    before: str


class Note(NamedTuple):
    """Something the importer could not do with certainty: ``kind`` (missing | ambiguous | variant | extra |
    unplaced | image | blank | split | cut), the cells concerned, a message (Chinese) and the source text."""

    kind: str
    cells: tuple[str, ...]
    message: str
    source: str = ""


def groups(text: str) -> list[Group]:
    """Split a table's text into runs of numbers (separated by spaces or line breaks only). A run whose last
    number is followed directly by a unit or punctuation ("3条。", "5件，") is part of a sentence and no run."""
    text = _LABEL_NUMBER.sub(lambda m: "#.", text)  # "1.属于国家秘密": the 1 is a label, not a number
    out: list[Group] = []
    tokens: list[str] = []
    before = ""
    prose = False
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok.isspace():
            continue
        if tok[0].isdigit() or tok == PLACEHOLDER or tok[0] in "/／-－—–":
            tokens.append(tok if tok[0].isdigit() else PLACEHOLDER)
            prose = tok[0].isdigit() and text[m.end():m.end() + 1] in _PROSE_AFTER
            continue
        if tokens and prose:  # "共收到申请3条。": a number in a sentence, not a table row
            before += " ".join(tokens)
            tokens = []
        if tokens:
            out.append(Group(tokens, before))
            tokens, before = [], ""
        before += tok
    if tokens:
        out.append(Group(tokens, before))
    return out


def read_row(tokens: list[str], n: int, sum_size: int | None) -> tuple[list[Number | None] | None, str]:
    """The ``n`` numbers of a row, or (None, why). Placeholders become None (empty cells)."""
    if len(tokens) == n and all(t == PLACEHOLDER or "." in t or len(t) == 1 or t[0] != "0" for t in tokens):
        return [None if t == PLACEHOLDER else (float(t) if "." in t else int(t)) for t in tokens], ""
    if PLACEHOLDER in tokens:
        return None, "行中有空白或“/”，又无法确定各数字的位置"
    if len(tokens) > n:
        windows = [tokens[i:i + n] for i in range(len(tokens) - n + 1)]
        fits = [w for w in windows if sum_size and sums_hold([int(t) for t in w if t.isdigit()], sum_size)]
        if len(fits) == 1:
            return [int(t) for t in fits[0]], "extra"
        return None, f"有 {len(tokens)} 个数字，多于 {n} 个，无法确定哪些属于本行"
    found = splits(tokens, n)
    if found is None:
        return None, "数字连在一起，可能的拆分太多"
    if len(found) == 1:
        return list(found[0]), ""
    if sum_size:
        fitting = [f for f in found if sums_hold(f, sum_size)]
        if len(fitting) == 1:
            return list(fitting[0]), ""
        if fitting:
            return None, f"数字连在一起，有 {len(fitting)} 种拆分都符合本行的合计关系"
        return None, "数字连在一起，没有一种拆分符合本行的合计关系"
    return None, f"数字连在一起，有 {len(found)} 种以上拆分方式"


def similarity(label: str, text: str) -> float:
    """How well the end of ``text`` reads as ``label`` (0..1), ignoring numbering, spaces and quote styles."""
    want = normalize_label(re.sub(r"^\d+[.、．]", "", label)).replace("#.", "")
    have = normalize_label(text).replace("#.", "")
    if not want or not have:
        return 0.0
    if want in have:
        return 1.0
    tail = have[-(len(want) + 4):]
    return difflib.SequenceMatcher(None, want, tail).ratio()


def match_rows(found: list[Group], labels: list[str], threshold: float = 0.55) -> list[tuple[int, Group, float]]:
    """Assign runs to rows in order: each run goes to the next row whose label its preceding text matches
    (looking up to three rows ahead); runs that match no row are skipped."""
    out: list[tuple[int, Group, float]] = []
    row = 0
    for g in found:
        if row >= len(labels):
            break
        scores = [(similarity(labels[r], g.before), r) for r in range(row, min(row + 3, len(labels)))]
        best, r = max(scores, key=lambda s: (s[0], -s[1]))
        if best >= threshold:
            out.append((r, g, best))
            row = r + 1
    return out


def assign(values: dict[str, Number | None], ids: list[str], numbers: list[Number | None]) -> None:
    for cell_id, v in zip(ids, numbers, strict=True):
        values[cell_id] = v


def row_ids(prefix: str, row: str, columns: list[str]) -> list[str]:
    return [f"{prefix}.{row}.{c}" for c in columns]


def source_of(g: Group) -> str:
    return (g.before[-30:] + " " + " ".join(g.tokens)).strip()


def empty_cells(ids: list[str], values: dict[str, Any]) -> list[str]:
    return [i for i in ids if i not in values]
