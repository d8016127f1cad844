"""The 情况说明 sheet: a clerk's explanations of warnings and information findings, kept in the workbook itself.

One row per explanation, keyed by the rule id and the finding's first cell (its cell id, or its place ``表三!J8``
when a clerk typed the row by hand). The sheet is written by the template (``xltools.workbook.writer``) and kept
up to date by the 校验 button and ``check --annotate`` (``xltools.workbook.explanation_sheet``); reading it is here,
matching it with the findings is ``xltools.checking.explanations``. A workbook without the sheet has none.
"""

from typing import Any, NamedTuple

from xltools.format.addresses import to_address

EXPLANATION_SHEET = "情况说明"
RULE, PLACE, LABELS, PROBLEM, TEXT, CELL = "规则", "位置", "行｜列", "问题", "情况说明", "单元格编号"
EXPLANATION_HEADER = (RULE, PLACE, LABELS, PROBLEM, TEXT, CELL)
WIDTHS = (24, 14, 30, 60, 50, 30)  # of the sheet's columns
TITLE = ("情况说明：“警告”和“提示”确有其事、不需修改的，在“情况说明”列（黄色）写明原因，以后每次校验都显示为“已说明”。"
         "“错误”必须改正，不能说明。点“校验”或用 xltools check --annotate 会列出可以说明的问题。")
HEADER_ROWS = 2  # the title, then the header


class ExplanationRow(NamedTuple):
    """One row of the sheet as stored (``row``: its 1-based row number)."""

    rule: str
    place: str
    cell_id: str
    text: str
    row: int
    problem: str = ""
    labels: str = ""
    address: str = ""  # of the text cell ("E5")

    @property
    def location(self) -> str:
        return f"{EXPLANATION_SHEET}!{self.address}" if self.address else EXPLANATION_SHEET


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def explanation_rows(rows: list[list[Any]]) -> tuple[ExplanationRow, ...]:
    """Every row under the sheet's header that names a rule (with or without a text yet). The header is found by
    its words in the first rows, so a clerk's extra line or moved column does not lose the explanations."""
    h = next((i for i, header in enumerate(rows[:10]) if {RULE, TEXT} <= {_text(x) for x in header}), None)
    if h is None:
        return ()
    names = [_text(x) for x in rows[h]]
    col = {name: names.index(name) for name in EXPLANATION_HEADER if name in names}

    def get(row: list[Any], name: str) -> str:
        i = col.get(name)
        return _text(row[i]) if i is not None and i < len(row) else ""

    found = []
    for r, row in enumerate(rows[h + 1:], start=h + 2):
        rule = get(row, RULE)
        if rule:
            found.append(ExplanationRow(rule, get(row, PLACE), get(row, CELL), get(row, TEXT), r,
                                        get(row, PROBLEM), get(row, LABELS), to_address(r - 1, col[TEXT])))
    return tuple(found)


DOC_KEYS = ("rule", "place", "cell", "text")  # an explanation in the JSON document (``dump``, ``new --from``)


def document_explanations(data: Any) -> tuple[tuple[ExplanationRow, ...], list[str]]:
    """The ``explanations`` of a JSON document (a list of ``{"rule", "place", "cell", "text"}``; ``rule`` and
    ``text`` required) as rows, and the problems found (Chinese, one each)."""
    if data is None:
        return (), []
    if not isinstance(data, list):
        return (), ["explanations 必须是列表（每项 {\"rule\": …, \"place\": …, \"text\": …}）"]
    rows: list[ExplanationRow] = []
    problems: list[str] = []
    for n, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(f"explanations 第 {n} 项必须是对象")
            continue
        unknown = [k for k in item if k not in DOC_KEYS]
        if unknown:
            problems.append(f"explanations 第 {n} 项中未知的键“{str(unknown[0])[:40]}”（允许：{'、'.join(DOC_KEYS)}）")
        if any(not isinstance(item.get(k, ""), str) for k in DOC_KEYS):
            problems.append(f"explanations 第 {n} 项的 {'、'.join(DOC_KEYS)} 必须是文字")
        elif not item.get("rule") or not item.get("text"):
            problems.append(f"explanations 第 {n} 项缺少 rule 或 text")
        elif not unknown:
            rows.append(ExplanationRow(item["rule"], item.get("place", ""), item.get("cell", ""), item["text"],
                                       HEADER_ROWS + n))
    return tuple(rows), problems


def explanations_json(rows: tuple[ExplanationRow, ...]) -> list[dict[str, str]]:
    """The written explanations (rows with a text) as the JSON document holds them."""
    return [{"rule": r.rule, "place": r.place, "cell": r.cell_id, "text": r.text} for r in rows if r.text]
