"""The report format as data: find and load a format spec (one generated JSON file per format version) into typed
objects, validated on load (``validate``).

A format version is the TOML source in ``xltools/format/sources/`` built into JSON by ``python -m
xltools.format.build``; the shipped JSON files sit in ``xltools/format``. Folders listed in ``XLTOOLS_FORMAT_PATH``
(``os.pathsep``-separated) add formats as data: generated ``.json`` specs or ``.toml`` sources, built on load. A file
is named after its id with ``-`` as ``_`` (``gov_disclosure_2021.json`` holds ``gov-disclosure-2021``); a shipped
format wins over one of the same id on the path, and in one folder the ``.json`` over the ``.toml``.
"""

import json
import os
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

from xltools.format.errors import FormatError
from xltools.format.validate import fail, validate

FORMATS_DIR = os.path.dirname(__file__)
PATH_ENV = "XLTOOLS_FORMAT_PATH"

__all__ = ["DEFAULT_FORMAT", "PATH_ENV", "Box", "CellSpec", "FormatError", "FormatSpec", "RuleSpec", "SectionSpec",
           "SheetSpec", "SumRelation", "available_formats", "default_format_id", "load_spec", "parse_spec",
           "search_path", "spec_file"]


LABEL_JOIN = "："  # between a group and its leaf in a label: （三）不予公开：8.属于行政查询事项


class CellSpec(NamedTuple):
    """One input cell: its stable id, where the template puts it and what it holds."""

    id: str
    sheet: str
    address: str
    type: str  # count | amount | text | meta
    row: tuple[str, ...]
    col: tuple[str, ...]
    kind: str = ""  # for meta cells: text | year | date | choice | code | phone
    required: bool = False
    total: bool = False
    merge: str | None = None
    section: str | None = None
    col_qualified: bool = False  # the column leaf alone is ambiguous on its sheet (表四): messages add its group
    block: str | None = None  # a text cell's paragraph rows ("A3:A22"), ``address`` the first of them

    @property
    def name(self) -> str:
        """The workbook-level defined name: the id with dots turned into underscores."""
        return self.id.replace(".", "_")

    @property
    def is_number(self) -> bool:
        return self.type in ("count", "amount")

    @property
    def row_label(self) -> str:
        """The row label shown in messages; numbered leaves ("1.属于国家秘密") carry their group."""
        if len(self.row) >= 3:
            return self.row[-2] + LABEL_JOIN + self.row[-1]
        return self.row[-1] if self.row else ""

    @property
    def col_label(self) -> str:
        """The column label shown in messages; where the row and column leaf alone would name several cells (表四's
        groups repeat the same columns), the column carries its group."""
        if not self.col:
            return ""
        if self.col_qualified and len(self.col) >= 2:
            return self.col[-2] + LABEL_JOIN + self.col[-1]
        return self.col[-1]

    @property
    def ref(self) -> str:
        return f"{self.sheet}!{self.address}"


class Box(NamedTuple):
    """A label or heading the template draws (a cell or merged range)."""

    range: str
    text: str
    style: str


class SheetSpec(NamedTuple):
    name: str
    role: str
    landscape: bool
    widths: dict[str, float]
    heights: dict[int, float]
    print_area: str
    boxes: tuple[Box, ...]
    table: str | None = None
    repeat_rows: str | None = None
    verdict: str | None = None  # the cover: the cell the workbook's formulas write their verdict into (never read)


class RuleSpec(NamedTuple):
    """A rule: stable id, severity, kind (a declared rule kind or "builtin"), its parameters and its texts.
    ``expanded``: the parameters once per ``for_each`` combination, placeholders filled (checked on load)."""

    id: str
    severity: str
    kind: str
    summary: dict[str, str]
    message: dict[str, str]
    fix: dict[str, str]
    source: str
    params: dict[str, Any]
    for_each: dict[str, list[str]]
    expanded: tuple[dict[str, Any], ...] = ()


class SectionSpec(NamedTuple):
    """One of the report's six parts: a text section (its text cells) or a table section (its table).
    ``keywords``: the words by which a heading is recognised in published reports."""

    id: str
    title: str
    kind: str
    cell: str | None = None  # the first of ``cells``
    table: str | None = None
    hint: str = ""
    numeral: str = ""
    keywords: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()


class SumRelation(NamedTuple):
    """One expanded ``sum_equals`` rule: sum(left) = sum(right). ``total``: the left cell when the left side is one
    total cell (a total the workbook can fill and turns red), else None."""

    rule: str
    severity: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    total: str | None


# id(cells) -> (cells, its number cells): ``cells`` is kept, so its id is never another's
_NUMBER_CELLS: dict[int, tuple[tuple[CellSpec, ...], tuple[CellSpec, ...]]] = {}


class FormatSpec(NamedTuple):
    id: str
    template_version: int
    title: str
    doc_no: str
    first_year: int
    levels: tuple[str, ...]
    sections: tuple[SectionSpec, ...]
    sheets: tuple[SheetSpec, ...]
    cells: tuple[CellSpec, ...]
    rules: tuple[RuleSpec, ...]
    instructions: tuple[dict[str, str], ...]
    tables: dict[str, dict[str, Any]]
    default: bool
    summary_level: str  # the unit level of a consolidated report (one of ``levels``)
    key_figures: tuple[tuple[str, tuple[str, ...]], ...]  # (label, cell ids summed) for the overview page
    importing: dict[str, Any]  # the spec's free-form "import" block, verbatim
    overview: dict[str, Any]  # the spec's free-form "overview" block (the office overview page), verbatim
    by_id: dict[str, CellSpec]
    rules_by_id: dict[str, RuleSpec]

    def cell(self, cell_id: str) -> CellSpec:
        return self.by_id[cell_id]

    def rule(self, rule_id: str) -> RuleSpec:
        return self.rules_by_id[rule_id]

    def meta_cell(self, fieldname: str) -> CellSpec:
        return self.by_id[f"meta.{fieldname}"]

    @property
    def number_cells(self) -> tuple[CellSpec, ...]:
        """The number cells, in order (worked out once per spec: a round asks for them for every unit)."""
        kept = _NUMBER_CELLS.get(id(self.cells))
        if kept is None or kept[0] is not self.cells:
            if len(_NUMBER_CELLS) >= 64:  # (specs built from data, one after another: a bounded memory)
                _NUMBER_CELLS.clear()
            kept = _NUMBER_CELLS[id(self.cells)] = (self.cells, tuple(c for c in self.cells if c.is_number))
        return kept[1]

    @property
    def text_sections(self) -> tuple[SectionSpec, ...]:
        return tuple(s for s in self.sections if s.kind == "text")

    def sum_relations(self) -> Iterator[SumRelation]:
        """Every expanded sum relation, in rule order: the one reading of the ``sum_equals`` rules for the checks,
        the red totals of the workbook and its 填充合计 button."""
        for rule in self.rules:
            if rule.kind != "sum_equals":
                continue
            for p in rule.expanded:
                left, right = tuple(p["left"]), tuple(p["right"])
                total = left[0] if len(left) == 1 and self.by_id[left[0]].total else None
                yield SumRelation(rule.id, rule.severity, left, right, total)


def _cell(d: dict[str, Any]) -> CellSpec:
    return CellSpec(
        id=d["id"], sheet=d["sheet"], address=d["address"], type=d["type"], row=tuple(d["row"]),
        col=tuple(d["col"]), kind=d.get("kind", ""), required=d.get("required", False),
        total=d.get("total", False), merge=d.get("merge"), section=d.get("section"), block=d.get("block"),
    )


def _qualify(cells: tuple[CellSpec, ...]) -> tuple[CellSpec, ...]:
    """Mark the cells whose (sheet, row label, column leaf) is shared with another cell."""
    seen: dict[tuple[str, str, str], int] = {}
    for c in cells:
        if c.col:
            key = (c.sheet, c.row_label, c.col[-1])
            seen[key] = seen.get(key, 0) + 1
    return tuple(c._replace(col_qualified=True) if c.col and seen[(c.sheet, c.row_label, c.col[-1])] > 1 else c
                 for c in cells)


def _sheet(d: dict[str, Any]) -> SheetSpec:
    return SheetSpec(
        name=d["name"], role=d["role"], landscape=d["landscape"], widths=dict(d["widths"]),
        heights={int(k): v for k, v in d["heights"].items()}, print_area=d["print_area"],
        boxes=tuple(Box(b["range"], b["text"], b["style"]) for b in d["boxes"]),
        table=d.get("table"), repeat_rows=d.get("repeat_rows"), verdict=d.get("verdict"),
    )


def _section(d: dict[str, Any]) -> SectionSpec:
    cells = tuple(d.get("cells") or ([d["cell"]] if d.get("cell") else []))
    return SectionSpec(
        id=d["id"], title=d["title"], kind=d["kind"], cell=cells[0] if cells else None, table=d.get("table"),
        hint=d.get("hint", ""), numeral=d.get("numeral", ""), keywords=tuple(d.get("keywords", ())), cells=cells,
    )


def parse_spec(data: dict[str, Any], source: str = "<data>") -> FormatSpec:
    """Build a FormatSpec from the JSON document of one format version, after validating it (FormatError naming
    ``source`` at the first problem)."""
    expanded = validate(data, source)
    try:
        cells = _qualify(tuple(_cell(c) for c in data["cells"]))
        rules = tuple(
            RuleSpec(
                id=r["id"], severity=r["severity"], kind=r["kind"], summary=r["summary"], message=r["message"],
                fix=r["fix"], source=r["source"], params=r.get("params", {}), for_each=r.get("for_each", {}),
                expanded=tuple(expanded[r["id"]]),
            )
            for r in data["rules"]
        )
        return FormatSpec(
            id=data["id"], template_version=data["template_version"], title=data["title"], doc_no=data["doc_no"],
            first_year=data["first_year"], levels=tuple(data["levels"]),
            sections=tuple(_section(s) for s in data["sections"]),
            sheets=tuple(_sheet(s) for s in data["sheets"]), cells=cells, rules=rules,
            instructions=tuple(data.get("instructions", [])), tables=data["tables"],
            default=data.get("default", False) is True, summary_level=data.get("summary_level", ""),
            key_figures=tuple((f["label"], tuple(f["cells"])) for f in data.get("key_figures", [])),
            importing=dict(data.get("import", {})), overview=dict(data.get("overview", {})),
            by_id={c.id: c for c in cells}, rules_by_id={r.id: r for r in rules},
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise fail(source, "文件", "file", f"结构有误（{type(exc).__name__}: {exc}）",
                   f"malformed ({type(exc).__name__}: {exc})") from None


def _file_id(name: str) -> str | None:
    stem, ext = os.path.splitext(name)
    return stem.replace("_", "-") if ext in (".json", ".toml") and not stem.startswith(".") else None


def search_path() -> list[str]:
    """The folders named in XLTOOLS_FORMAT_PATH, in order."""
    return [p for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]


def _shipped() -> list[str]:
    return sorted(f[:-5].replace("_", "-") for f in os.listdir(FORMATS_DIR) if f.endswith(".json"))


def available_formats() -> list[str]:
    """Ids of the shipped formats and of those found in the XLTOOLS_FORMAT_PATH folders (nothing is loaded)."""
    found = set(_shipped())
    for folder in search_path():
        if os.path.isdir(folder):
            found.update(i for f in os.listdir(folder) if (i := _file_id(f)))
    return sorted(found)


def spec_file(format_id: str) -> str | None:
    """The file that defines ``format_id``: the shipped JSON, else the first match on the search path."""
    if not format_id or any(ch in format_id for ch in "/\\:") or format_id.startswith("."):
        return None
    stem = format_id.replace("-", "_")
    for folder, exts in ((FORMATS_DIR, (".json",)), *((f, (".json", ".toml")) for f in search_path())):
        for ext in exts:
            path = os.path.join(folder, stem + ext)
            if os.path.isfile(path):
                return path
    return None


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except ValueError as exc:
        raise fail(path, "文件", "file", f"不是有效的 JSON（{exc}）", f"not valid JSON ({exc})") from None


@cache
def _shipped_data(path: str) -> Any:
    """A shipped spec's JSON, read once (the default flag and the load share it)."""
    return _read_json(path)


@cache
def _load_file(path: str, stamp: tuple[int, int]) -> FormatSpec:
    if path.endswith(".toml"):
        from xltools.format.build import build_file

        data = build_file(path)
    else:
        data = _shipped_data(path) if os.path.dirname(path) == FORMATS_DIR else _read_json(path)
    spec = parse_spec(data, path)
    expected = _file_id(os.path.basename(path))
    if spec.id != expected:
        raise fail(path, "id", "id", f"文件名对应的格式是“{expected}”，文件中的 id 却是“{spec.id}”",
                   f"the file name says {expected!r} but the spec's id is {spec.id!r}")
    return spec


@cache
def _load(format_id: str, path_env: str) -> FormatSpec:  # path_env: in the cache key, as the path may change
    path = spec_file(format_id)
    if path is None:
        raise KeyError(format_id)
    st = os.stat(path)
    return _load_file(path, (st.st_mtime_ns, st.st_size))


@cache
def default_format_id() -> str:
    """The id of the one shipped format marked ``"default": true`` (read from the shipped JSON files)."""
    marked = [i for i in _shipped()
              if _shipped_data(os.path.join(FORMATS_DIR, i.replace("-", "_") + ".json")).get("default") is True]
    if len(marked) != 1:
        raise FormatError(f"xltools/format 中应恰有一个格式标为 default，实际 {len(marked)} 个：{marked}",
                          f"exactly one shipped format must be marked default, found {len(marked)}: {marked}")
    return marked[0]


DEFAULT_FORMAT = default_format_id()


def load_spec(format_id: str = DEFAULT_FORMAT) -> FormatSpec:
    """Load a format spec by id, e.g. ``gov-disclosure-2021`` (shipped, or found on XLTOOLS_FORMAT_PATH). Raises
    KeyError for an unknown id and FormatError for a broken spec."""
    return _load(format_id, os.environ.get(PATH_ENV, ""))
