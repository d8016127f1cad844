"""Lay out the sheets of a format source for ``build``: where every cell goes, the label and heading boxes (merged
ranges), widths, heights, print areas and repeated header rows, from the rows × columns × labels of the TOML.

Conventions (the same for every format): row 1 holds a table's title; the column headers follow, one row per
level of the column labels, with the row labels in as many columns on the left as their deepest path; then one row
per data row. A label shared by consecutive rows or columns is one merged box (a group); a label shallower than the
deepest path spans the remaining levels. Group labels are drawn level by level, then the leaf labels in order
(``header_order = "reading"`` draws the column headers row by row instead). Pure functions of the TOML tables.
"""

import math
import unicodedata
from typing import Any, NamedTuple

from xltools.format.addresses import col_letters, to_address

# Text heights. A column width counts the default font's digit width (7 px); a CJK character is as wide as the font
# size, other characters are taken as 0.6 of it; wrapping loses up to ~1.5 characters a line (a punctuation mark may
# not start a line, a word does not fit). A line is 1.45 × the font size high: the CJK fonts LibreOffice substitutes
# for 宋体 (Noto CJK), a little more than 宋体 in Excel, so that a row set from this estimate shows its whole text
# in both. Heights are whole pixels (0.75 pt), as Excel stores them; the highest row is 409 pt (545 px).
CHAR_PX = 7
LINE_EM = 1.45
WRAP_LOSS_EM = 1.5
CELL_PADDING_PT = 4
MAX_ROW_PT = 408.75


class SourceProblem(Exception):
    """What is wrong in a source, and where (``build`` names the file)."""

    def __init__(self, where: str, zh: str, en: str):
        super().__init__(en)
        self.where, self.zh, self.en = where, zh, en


class Entry(NamedTuple):
    """A key rules can select (a row, column or group): its label path and whether it is a total."""

    key: str
    path: tuple[str, ...]
    total: bool = False


class Laid(NamedTuple):
    """One laid-out sheet: the JSON sheet, its cells, the extra keys of its "tables" entry, its selectable lists."""

    sheet: dict[str, Any]
    cells: list[dict[str, Any]]
    table: dict[str, Any]
    lists: dict[str, list[Entry]]


class _Node(NamedTuple):
    key: str
    path: tuple[str, ...]
    total: bool
    height: float | None


def _nodes(where: str, spec: Any) -> list[_Node]:
    """``key = "label"``, ``key = ["group", "label"]`` or ``key = { label = ..., total = true, height = 28 }``."""
    if not isinstance(spec, dict) or not spec:
        raise SourceProblem(where, "应为非空的表（键 = 名称）", "expected a non-empty table (key = label)")
    out = []
    for key, value in spec.items():
        attrs = value if isinstance(value, dict) else {"label": value}
        label = attrs.get("label")
        path = (label,) if isinstance(label, str) else tuple(label) if isinstance(label, list) else ()
        if not path or not all(isinstance(x, str) and x for x in path):
            raise SourceProblem(f"{where}.{key}", "名称应为文字或文字列表", "label must be a string or a list of "
                                "strings")
        unknown = set(attrs) - {"label", "total", "height"}
        if unknown:
            raise SourceProblem(f"{where}.{key}", f"未知的键 {sorted(unknown)}", f"unknown keys {sorted(unknown)}")
        out.append(_Node(key, path, attrs.get("total", False) is True, attrs.get("height")))
    return out


class Canvas:
    """One sheet being drawn: its boxes, row heights, column widths and extent (zero-based rows and columns)."""

    def __init__(self, name: str):
        self.name = name
        self.boxes: list[dict[str, str]] = []
        self.heights: dict[int, float] = {}
        self.widths: dict[str, float] = {}
        self.rows = self.cols = 0

    def _extend(self, row: int, col: int) -> None:
        self.rows, self.cols = max(self.rows, row + 1), max(self.cols, col + 1)

    def box(self, r0: int, c0: int, r1: int, c1: int, text: str, style: str) -> None:
        self.boxes.append({"range": rng(r0, c0, r1, c1), "text": text, "style": style})
        self._extend(r1, c1)

    def cell(self, row: int, col: int) -> str:
        self._extend(row, col)
        return to_address(row, col)

    def height(self, row: int, value: float | None) -> None:
        if value is not None:
            self.heights[row + 1] = value

    def sheet(self, role: str, landscape: bool, table: str | None = None, repeat: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "role": role}
        if table:
            out["table"] = table
        out.update(landscape=landscape, widths=self.widths,
                   heights={str(k): v for k, v in sorted(self.heights.items())},
                   print_area=f"A1:{to_address(self.rows - 1, self.cols - 1)}")
        if repeat:
            out["repeat_rows"] = f"2:{1 + repeat}"
        out["boxes"] = self.boxes
        return out


def rng(r0: int, c0: int, r1: int, c1: int) -> str:
    first = to_address(r0, c0)
    return first if (r0, c0) == (r1, c1) else f"{first}:{to_address(r1, c1)}"


def _line_em(width: float, font_pt: float) -> float:
    """How many ems of text one wrapped line of a column ``width`` characters wide holds."""
    usable_pt = (width * CHAR_PX + 5) * 0.75 - CELL_PADDING_PT
    return max(usable_pt / font_pt - WRAP_LOSS_EM, 1.0)


def text_lines(text: str, width: float, font_pt: float = 11) -> int:
    """The lines a wrapped cell ``width`` characters wide needs for ``text`` (each line break starts a line)."""
    per_line = _line_em(width, font_pt)
    lines = 0
    for line in text.split("\n"):
        ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in line)
        lines += max(1, math.ceil(ems / per_line))
    return lines


def text_height(text: str, width: float, font_pt: float = 11) -> float:
    """The row height (points, whole pixels) that shows all of ``text`` in a wrapped cell ``width`` characters wide;
    at most ``MAX_ROW_PT`` (``fits_one_row`` says whether that is enough)."""
    need = text_lines(text, width, font_pt) * font_pt * LINE_EM + CELL_PADDING_PT
    return min(math.ceil(need / 0.75) * 0.75, MAX_ROW_PT)


def fits_one_row(text: str, width: float, font_pt: float = 11) -> bool:
    """Whether one row (at most 409 pt) can show all of ``text``. No character is wider than one em, so a text
    whose lines fit when every character counts as one em fits without measuring each character."""
    per_line = _line_em(width, font_pt)
    at_most = sum(max(1, math.ceil(len(line) / per_line)) for line in text.split("\n"))
    if at_most * font_pt * LINE_EM + CELL_PADDING_PT <= MAX_ROW_PT:
        return True
    return text_lines(text, width, font_pt) * font_pt * LINE_EM + CELL_PADDING_PT <= MAX_ROW_PT


def row_capacity(width: float, font_pt: float = 11) -> int:
    """About how many CJK characters one row of a column ``width`` characters wide shows (at 409 pt)."""
    lines = int((MAX_ROW_PT - CELL_PADDING_PT) // (font_pt * LINE_EM))
    return lines * int(_line_em(width, font_pt))


def paragraph_rows(text: str, rows: int) -> list[str]:
    """A text in ``rows`` paragraph rows: a line per row, a blank line kept at the end of the row before it, lines
    beyond the last row in the last row. Joined with line breaks, the non-empty rows are the text again."""
    out: list[str] = []
    for line in text.split("\n"):
        if out and not line.strip():
            out[-1] += "\n" + line
        else:
            out.append(line)
    if len(out) > rows:
        out[rows - 1:] = ["\n".join(out[rows - 1:])]
    return out


def headers(paths: list[tuple[str, ...]], depth: int, order: str = "groups") -> list[tuple[int, int, int, int, str]]:
    """The label boxes of one axis as (first level, first position, last level, last position, text): the groups
    level by level, then the leaves (down to the last level); ``order="reading"`` sorts them by level, position."""
    groups = []
    for level in range(depth - 1):
        i = 0
        while i < len(paths):
            prefix = paths[i][: level + 1]
            if len(paths[i]) <= level + 1:
                i += 1
                continue
            j = i
            while j + 1 < len(paths) and len(paths[j + 1]) > level + 1 and paths[j + 1][: level + 1] == prefix:
                j += 1
            groups.append((level, i, level, j, prefix[-1]))
            i = j + 1
    boxes = groups + [(len(p) - 1, i, depth - 1, i, p[-1]) for i, p in enumerate(paths)]
    return sorted(boxes, key=lambda b: (b[0], b[1])) if order == "reading" else boxes


def _widths(canvas: Canvas, where: str, t: dict[str, Any], labels: int, columns: int) -> None:
    label_widths = list(t.get("label_widths", []))
    if len(label_widths) != labels:
        raise SourceProblem(f"{where}.label_widths", f"应有 {labels} 个宽度（每个行名列一个）",
                            f"expected {labels} widths, one per row-label column")
    for i, w in enumerate([*label_widths, *[t["column_width"]] * columns]):
        canvas.widths[col_letters(i)] = w


def _order(where: str, t: dict[str, Any]) -> str:
    order = t.get("header_order", "groups")
    if order not in ("groups", "reading"):
        raise SourceProblem(f"{where}.header_order", "应为 groups 或 reading", "must be 'groups' or 'reading'")
    return str(order)


def _start(canvas: Canvas, t: dict[str, Any], title: str) -> None:
    canvas.height(0, t.get("title_height"))
    for k, h in enumerate(t.get("header_heights", [])):
        canvas.height(1 + k, h)
    canvas.box(0, 0, 0, canvas.cols - 1, title, "title")


def grid(where: str, tid: str, t: dict[str, Any], title: str) -> Laid:
    """A table of rows × columns (表三): cell ``<table>.<row>.<column>``; an optional banner over all columns is part
    of the label path of every non-total column."""
    cols, rows = _nodes(f"{where}.columns", t.get("columns")), _nodes(f"{where}.rows", t.get("rows"))
    banner = (t["column_banner"],) if t.get("column_banner") else ()
    drawn = [banner + c.path for c in cols]
    depth, labels = max(map(len, drawn)), max(len(r.path) for r in rows)
    top, kind = 1 + depth, t.get("type", "count")
    canvas = Canvas(t["sheet"])
    canvas.cols = labels + len(cols)
    _widths(canvas, where, t, labels, len(cols))
    _start(canvas, t, title)
    if t.get("corner"):
        canvas.box(1, 0, depth, labels - 1, t["corner"], "note")
    for l0, p0, l1, p1, text in headers(drawn, depth, _order(where, t)):
        canvas.box(1 + l0, labels + p0, 1 + l1, labels + p1, text, "header")
    for l0, p0, l1, p1, text in headers([r.path for r in rows], labels):
        canvas.box(top + p0, l0, top + p1, l1, text, "rowhead")
    cells = []
    for i, r in enumerate(rows):
        canvas.height(top + i, r.height)
        for j, c in enumerate(cols):
            address = canvas.cell(top + i, labels + j)
            cells.append({"id": f"{tid}.{r.key}.{c.key}", "sheet": t["sheet"], "address": address, "type": kind,
                          "total": r.total or c.total, "row": list(r.path),
                          "col": list(c.path if c.total else banner + c.path)})
    lists = {"columns": [Entry(c.key, c.path, c.total) for c in cols],
             "rows": [Entry(r.key, r.path, r.total) for r in rows]}
    sheet = canvas.sheet("table", t.get("landscape", False), tid, depth if t.get("repeat_header") else 0)
    return Laid(sheet, cells, {"columns": [c.key for c in cols], "rows": [r.key for r in rows]}, lists)


def groups(where: str, tid: str, t: dict[str, Any], title: str) -> Laid:
    """One row of column groups (表四): every group has the same columns; cell ``<table>.<group>.<column>``."""
    grps, cols = _nodes(f"{where}.groups", t.get("groups")), _nodes(f"{where}.columns", t.get("columns"))
    drawn = [g.path + c.path for g in grps for c in cols]
    depth = max(map(len, drawn))
    canvas = Canvas(t["sheet"])
    canvas.cols = len(drawn)
    _widths(canvas, where, t, 0, len(drawn))
    _start(canvas, t, title)
    for l0, p0, l1, p1, text in headers(drawn, depth, _order(where, t)):
        canvas.box(1 + l0, p0, 1 + l1, p1, text, "header")
    cells = [{"id": f"{tid}.{g.key}.{c.key}", "sheet": t["sheet"], "address": canvas.cell(1 + depth, i * len(cols) + j),
              "type": t.get("type", "count"), "total": c.total, "row": [], "col": [*g.path, *c.path]}
             for i, g in enumerate(grps) for j, c in enumerate(cols)]
    lists = {"groups": [Entry(g.key, g.path) for g in grps], "columns": [Entry(c.key, c.path, c.total) for c in cols]}
    sheet = canvas.sheet("table", t.get("landscape", False), tid, depth if t.get("repeat_header") else 0)
    return Laid(sheet, cells, {"groups": [g.key for g in grps]}, lists)


def blocks(where: str, tid: str, t: dict[str, Any], title: str) -> Laid:
    """Captioned blocks one below the other (表二): a caption row, a header row, the rows; a block with one column
    spans the width of the widest block. Cell ``<table>.<row>.<column>``, column path (caption, label)."""
    blks = t.get("blocks")
    if not isinstance(blks, list) or not blks:
        raise SourceProblem(f"{where}.blocks", "应有至少一个 [[blocks]]", "expected at least one [[blocks]]")
    parsed = [(b, _nodes(f"{where}.blocks[{n}].columns", b.get("columns")),
               _nodes(f"{where}.blocks[{n}].rows", b.get("rows"))) for n, b in enumerate(blks)]
    width = max(len(c) for _, c, _ in parsed)
    canvas = Canvas(t["sheet"])
    canvas.cols = 1 + width
    _widths(canvas, where, t, 1, width)
    _start(canvas, t, title)
    cells: list[dict[str, Any]] = []
    rows: list[Entry] = []
    cols: dict[str, Entry] = {}
    r = 1
    for n, (b, bcols, brows) in enumerate(parsed):
        if len(bcols) not in (1, width):
            raise SourceProblem(f"{where}.blocks[{n}]", f"应有 1 或 {width} 列", f"expected 1 or {width} columns")
        caption, span = b.get("caption", ""), len(bcols) == 1 and width > 1
        canvas.box(r, 0, r, width, caption, "caption")
        canvas.box(r + 1, 0, r + 1, 0, t.get("row_header", ""), "header")
        for j, c in enumerate(bcols):
            canvas.box(r + 1, 1 + j, r + 1, width if span else 1 + j, c.path[-1], "header")
            cols.setdefault(c.key, Entry(c.key, (caption, *c.path)))
        r += 2
        for row in brows:
            canvas.box(r, 0, r, 0, row.path[-1], "rowhead")
            for j, c in enumerate(bcols):
                cells.append({"id": f"{tid}.{row.key}.{c.key}", "sheet": t["sheet"], "address": canvas.cell(r, 1 + j),
                              "merge": rng(r, 1, r, width) if span else None, "type": b.get("type", "count"),
                              "row": list(row.path), "col": [caption, *c.path]})
            rows.append(Entry(row.key, (caption, *row.path)))
            r += 1
    sheet = canvas.sheet("table", t.get("landscape", False), tid, 0)
    return Laid(sheet, cells, {}, {"rows": rows, "columns": list(cols.values())})


LAYOUTS = {"grid": grid, "groups": groups, "blocks": blocks}


def cover(where: str, c: dict[str, Any]) -> Laid:
    """The cover: title, subtitle, one row per field (label left, input right), the verdict row (a label and the
    cell the workbook's formulas write their verdict into: no input, no cell id), then the numbered filling notes."""
    canvas = Canvas(c["sheet"])
    canvas.cols = 2
    canvas.widths.update(A=c["widths"][0], B=c["widths"][1])
    canvas.box(0, 0, 0, 1, c["title"], "title")
    canvas.box(1, 0, 1, 1, c["subtitle"], "subtitle")
    cells, r = [], 3
    for f in c["fields"]:
        canvas.box(r, 0, r, 0, f["label"], "label")
        cells.append({"id": f"meta.{f['id']}", "sheet": c["sheet"], "address": canvas.cell(r, 1), "type": "meta",
                      "kind": f.get("kind", "text"), "required": f.get("required", False) is True,
                      "row": [f["label"]], "col": []})
        r += 1
    verdict = None
    if c.get("verdict_label"):
        r += 1
        canvas.box(r, 0, r, 0, c["verdict_label"], "label")
        canvas.height(r, c.get("verdict_height"))
        verdict = canvas.cell(r, 1)
        r += 1
    if c.get("notes"):
        canvas.box(r + 1, 0, r + 1, 1, c.get("notes_caption", ""), "caption")
        for n, note in enumerate(c["notes"], start=1):
            text = f"{n}. {note}"
            canvas.height(r + 1 + n, max(c.get("notes_height", 0), text_height(text, sum(c["widths"]))))
            canvas.box(r + 1 + n, 0, r + 1 + n, 1, text, "instruction")
    sheet = canvas.sheet("cover", False)
    if verdict:
        sheet = {**{k: v for k, v in sheet.items() if k != "boxes"}, "verdict": verdict, "boxes": sheet["boxes"]}
    return Laid(sheet, cells, {}, {})


def body(where: str, b: dict[str, Any], sections: list[dict[str, Any]], sheets: dict[str, str]) -> Laid:
    """The text sheet: a note on how to fill it in, then every section's heading in order. Below the heading of a
    text section its block of paragraph rows (``rows``, one paragraph per row), one text cell over the block: its
    address is the first row, ``block`` the range (a second text cell of a section below its own ``label``). A
    table section's heading points at its sheet. Paragraph rows have no set height: they fit their text."""
    canvas = Canvas(b["sheet"])
    canvas.cols = 1
    canvas.widths["A"] = b["width"]
    if b.get("edge"):  # an empty narrow column B in the print area (LibreOffice fits only several columns)
        canvas.cols = 2
        canvas.widths["B"] = b["edge"]
    cells, r = [], 0
    if b.get("note"):
        canvas.box(0, 0, 0, 0, b["note"], "note")
        canvas.height(0, text_height(b["note"], b["width"], b.get("note_font", 9)))
        r = 1
    for s in sections:
        if s["kind"] == "table":
            heading = b["table_heading"].format(title=s["title"], sheet=sheets[s["table"]])
            canvas.box(r, 0, r, 0, heading, "heading")
            r += 1
            continue
        for n, text in enumerate(s["_text"]):
            label = text.get("label") if n else s["title"]
            where_cell = f"{where}.{s['id']}"
            if not label:
                raise SourceProblem(where_cell, "第二个及以后的正文单元格需要 label",
                                    "every text cell after the first needs a label")
            rows = text.get("rows", b.get("rows", 10))
            if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
                raise SourceProblem(where_cell, "rows 应为正整数（段落行数）", "rows must be a positive whole number")
            unknown = set(text) - {"id", "label", "rows", "height"}  # height: of the one-cell layout, unused
            if unknown:
                raise SourceProblem(where_cell, f"未知的键 {sorted(unknown)}", f"unknown keys {sorted(unknown)}")
            canvas.box(r, 0, r, 0, label, "heading")
            cells.append({"id": text["id"], "sheet": b["sheet"], "address": canvas.cell(r + 1, 0),
                          "block": rng(r + 1, 0, r + rows, 0), "type": "text", "section": s["id"], "row": [label],
                          "col": []})
            canvas.cell(r + rows, 0)
            r += 1 + rows
    return Laid(canvas.sheet("text", False), cells, {}, {})
