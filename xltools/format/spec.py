"""The report format as data: load a format spec (one JSON file per format version) into typed objects.

Nothing here knows about files or Excel. A new format version is a new JSON file in ``xltools/format``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any, NamedTuple

FORMATS_DIR = os.path.dirname(__file__)
DEFAULT_FORMAT = "gov-disclosure-2021"


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
            return self.row[-2] + self.row[-1]
        return self.row[-1] if self.row else ""

    @property
    def col_label(self) -> str:
        """The column label shown in messages (T4 leaves are ambiguous, so they carry their group)."""
        if not self.col:
            return ""
        if len(self.col) >= 2 and self.col[-2] in ("行政复议", "未经复议直接起诉", "复议后起诉"):
            return f"{self.col[-2]}·{self.col[-1]}"
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


class RuleSpec(NamedTuple):
    """A rule: stable id, severity, kind (a registered check), its parameters and its texts."""

    id: str
    severity: str
    kind: str
    summary: dict[str, str]
    message: dict[str, str]
    fix: dict[str, str]
    source: str
    params: dict[str, Any]
    for_each: dict[str, list[str]]


class SectionSpec(NamedTuple):
    id: str
    title: str
    kind: str
    cell: str | None = None
    table: str | None = None
    hint: str = ""


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
        return tuple(c for c in self.cells if c.is_number)

    @property
    def text_sections(self) -> tuple[SectionSpec, ...]:
        return tuple(s for s in self.sections if s.kind == "text")


def _cell(d: dict[str, Any]) -> CellSpec:
    return CellSpec(
        id=d["id"], sheet=d["sheet"], address=d["address"], type=d["type"], row=tuple(d["row"]),
        col=tuple(d["col"]), kind=d.get("kind", ""), required=d.get("required", False),
        total=d.get("total", False), merge=d.get("merge"), section=d.get("section"),
    )


def _sheet(d: dict[str, Any]) -> SheetSpec:
    return SheetSpec(
        name=d["name"], role=d["role"], landscape=d["landscape"], widths=dict(d["widths"]),
        heights={int(k): v for k, v in d["heights"].items()}, print_area=d["print_area"],
        boxes=tuple(Box(b["range"], b["text"], b["style"]) for b in d["boxes"]),
        table=d.get("table"), repeat_rows=d.get("repeat_rows"),
    )


def parse_spec(data: dict[str, Any]) -> FormatSpec:
    """Build a FormatSpec from the JSON document of one format version."""
    cells = tuple(_cell(c) for c in data["cells"])
    rules = tuple(
        RuleSpec(
            id=r["id"], severity=r["severity"], kind=r["kind"], summary=r["summary"], message=r["message"],
            fix=r["fix"], source=r["source"], params=r.get("params", {}), for_each=r.get("for_each", {}),
        )
        for r in data["rules"]
    )
    return FormatSpec(
        id=data["id"], template_version=data["template_version"], title=data["title"], doc_no=data["doc_no"],
        first_year=data["first_year"], levels=tuple(data["levels"]),
        sections=tuple(SectionSpec(**s) for s in data["sections"]),
        sheets=tuple(_sheet(s) for s in data["sheets"]), cells=cells, rules=rules,
        instructions=tuple(data.get("instructions", [])), tables=data["tables"],
        by_id={c.id: c for c in cells}, rules_by_id={r.id: r for r in rules},
    )


def available_formats() -> list[str]:
    """Ids of the shipped format versions (one JSON file each)."""
    return sorted(f[:-5].replace("_", "-") for f in os.listdir(FORMATS_DIR) if f.endswith(".json"))


@cache
def load_spec(format_id: str = DEFAULT_FORMAT) -> FormatSpec:
    """Load a shipped format spec by id, e.g. ``gov-disclosure-2021``. Raises KeyError for an unknown id."""
    path = os.path.join(FORMATS_DIR, format_id.replace("-", "_") + ".json")
    if "/" in format_id or not os.path.isfile(path):
        raise KeyError(format_id)
    with open(path, encoding="utf-8") as fh:
        return parse_spec(json.load(fh))
