"""The check of a whole format spec document (the generated JSON) before it is used: required keys, unique cell and
rule ids, every rule against its declared kind (``rulekinds``), sections, levels and key figures. The first problem
stops the load with one ``FormatError`` naming the file and the rule or part of the spec."""

from __future__ import annotations

from typing import Any

from xltools.format.addresses import parse_address
from xltools.format.errors import FormatError
from xltools.format.rulekinds import SEVERITIES, RuleProblem, Scope, check_rule, did_you_mean

REQUIRED = ("id", "template_version", "title", "doc_no", "first_year", "levels", "sections", "tables", "sheets",
            "cells", "rules")
RULE_KEYS = ("id", "severity", "kind", "summary", "message", "fix", "source")
TEXT_LANGS = ("zh", "en")


def fail(source: str, where_zh: str, where_en: str, zh: str, en: str) -> FormatError:
    """The one error of a broken spec: ``格式规范 <file>：<where>：<problem>``."""
    return FormatError(f"格式规范 {source} 有误：{where_zh}：{zh}", f"format spec {source}: {where_en}: {en}")


def _rule(rule: Any, source: str, seen: set[str], scope: Scope) -> list[dict[str, Any]]:
    rid = rule.get("id") if isinstance(rule, dict) else None
    if not isinstance(rid, str) or not rid:
        raise fail(source, "规则", "rules", f"规则缺少 id：{rule!r:.80}", f"a rule without an id: {rule!r:.80}")
    where = (f"规则 {rid}", f"rule {rid}")
    if rid in seen:
        raise fail(source, *where, "规则 id 重复", "duplicate rule id")
    seen.add(rid)
    for key in RULE_KEYS:
        if key not in rule:
            raise fail(source, *where, f"缺少“{key}”", f"missing {key!r}")
    if rule["severity"] not in SEVERITIES:
        zh, en = did_you_mean(str(rule["severity"]), SEVERITIES)
        raise fail(source, *where, f"未知的严重程度“{rule['severity']}”{zh}",
                   f"unknown severity {rule['severity']!r}{en}")
    for key in ("summary", "message", "fix"):
        texts = rule[key]
        if not isinstance(texts, dict) or any(not isinstance(texts.get(lang), str) for lang in TEXT_LANGS):
            raise fail(source, *where, f"“{key}”应有 zh 和 en 两种文字", f"{key!r} needs texts 'zh' and 'en'")
    params, for_each = rule.get("params", {}), rule.get("for_each", {})
    if not isinstance(params, dict) or not isinstance(for_each, dict):
        raise fail(source, *where, "params 和 for_each 应为表", "params and for_each must be tables")
    try:
        return check_rule(rule["kind"], params, for_each, scope)
    except RuleProblem as problem:
        raise fail(source, *where, problem.zh, problem.en) from None


def _cells_exist(ids: Any, cells: dict[str, str], source: str, where: tuple[str, str], types: tuple[str, ...]
                 ) -> None:
    if not isinstance(ids, list) or not ids:
        raise fail(source, *where, "应为非空的单元格列表", "expected a non-empty list of cell ids")
    for cell_id in ids:
        if cell_id not in cells:
            zh, en = did_you_mean(str(cell_id), cells)
            raise fail(source, *where, f"单元格“{cell_id}”不存在{zh}", f"no cell {cell_id!r}{en}")
        if cells[cell_id] not in types:
            raise fail(source, *where, f"单元格“{cell_id}”不是 {'/'.join(types)}",
                       f"cell {cell_id!r} is not {'/'.join(types)}")


def _sections(data: dict[str, Any], cells: dict[str, str], source: str) -> None:
    for section in data["sections"]:
        sid = section.get("id", "?")
        where = (f"第 {sid} 部分", f"section {sid}")
        if section.get("kind") == "text":
            _cells_exist(section.get("cells", [section.get("cell")]), cells, source, where, ("text",))
        elif section.get("table") not in data["tables"]:
            raise fail(source, *where, f"表格“{section.get('table')}”不存在", f"no table {section.get('table')!r}")
        if not all(isinstance(k, str) for k in section.get("keywords", [])):
            raise fail(source, *where, "keywords 应为文字列表", "keywords must be a list of strings")


IMPORT_KEYS: dict[str, dict[str, type]] = {  # [[import.<list>]] entries: required keys and their types
    "variants": {"table": str, "detect": str, "note": str, "keep_rows": list, "width": int},
    "merged_rows": {"table": str, "detect": str, "note": str, "rows": list, "into": str, "label": str},
}


def _import_block(block: dict[str, Any], data: dict[str, Any], cells: dict[str, str], source: str) -> None:
    """The importer's older layouts and the declared mappings from other format versions."""
    import re

    for name, keys in IMPORT_KEYS.items():
        for i, entry in enumerate(block.get(name, [])):
            where = (f"import.{name} 第 {i + 1} 项", f"import.{name}[{i}]")
            if not isinstance(entry, dict):
                raise fail(source, *where, "应为表", "must be a table")
            for key, tp in keys.items():
                if not isinstance(entry.get(key), tp):
                    raise fail(source, *where, f"“{key}”应为 {tp.__name__}", f"{key!r} must be a {tp.__name__}")
            if entry["table"] not in data["tables"]:
                raise fail(source, *where, f"表格“{entry['table']}”不存在", f"no table {entry['table']!r}")
            for key in ("detect", "unless"):
                try:
                    re.compile(entry.get(key, ""))
                except re.error as exc:
                    raise fail(source, *where, f"“{key}”不是有效的正则表达式（{exc}）",
                               f"{key!r} is not a valid regular expression ({exc})") from None
            rows = [*entry.get("keep_rows", []), *entry.get("rows", []), *([entry["into"]] if "into" in entry else [])]
            prefix = entry["table"] + "."
            known = {c.split(".")[1] for c in cells if c.startswith(prefix) and c.count(".") == 2}
            for row in rows:
                if row not in known:
                    zh, en = did_you_mean(str(row), known)
                    raise fail(source, *where, f"表格 {entry['table']} 没有“{row}”行{zh}",
                               f"table {entry['table']} has no row {row!r}{en}")
    from_formats: dict[str, Any] = block.get("from_formats", {})
    for other, mapping in from_formats.items():
        where = (f"import.from_formats.{other}", f"import.from_formats.{other}")
        if not isinstance(mapping, dict) or not isinstance(mapping.get("by_id", False), bool):
            raise fail(source, *where, "应为表，by_id 为 true/false", "must be a table with by_id true/false")
        for target, sources in mapping.get("cells", {}).items():
            _cells_exist([target], cells, source, where, ("count", "amount"))
            if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
                raise fail(source, *where, f"“{target}”应对应单元格编号列表", f"{target!r} must map to a list of ids")


def _block(cell: dict[str, Any], source: str) -> None:
    """A text cell's paragraph rows: one column, from its address down."""
    where = (f"单元格 {cell['id']}", f"cell {cell['id']}")
    first, _, last = str(cell["block"]).partition(":")
    try:
        (r0, c0), (r1, c1) = parse_address(first), parse_address(last or first)
        ok = cell["type"] == "text" and first == cell["address"] and c0 == c1 and r1 >= r0
    except ValueError:
        ok = False
    if not ok:
        raise fail(source, *where, f"block“{cell['block']}”应为正文单元格所在列、从该单元格向下的区域",
                   f"block {cell['block']!r} must be a text cell's column range starting at its address")


def validate(data: Any, source: str) -> dict[str, list[dict[str, Any]]]:
    """Check a spec document; returns every rule's expanded parameters by rule id. Raises FormatError."""
    if not isinstance(data, dict):
        raise fail(source, "文件", "file", "不是格式规范（应为 JSON 对象）", "not a format spec (expected an object)")
    for key in REQUIRED:
        if key not in data:
            raise fail(source, "文件", "file", f"缺少“{key}”", f"missing {key!r}")
    cells: dict[str, str] = {}
    for cell in data["cells"]:
        if not isinstance(cell, dict) or not {"id", "sheet", "address", "type", "row", "col"} <= cell.keys():
            raise fail(source, "单元格", "cells", f"单元格定义不完整：{cell!r:.80}", f"incomplete cell: {cell!r:.80}")
        if cell["id"] in cells:
            raise fail(source, f"单元格 {cell['id']}", f"cell {cell['id']}", "单元格 id 重复", "duplicate cell id")
        if cell.get("block") is not None:
            _block(cell, source)
        cells[cell["id"]] = cell["type"]
    levels = tuple(data["levels"])
    summary = data.get("summary_level")
    if summary is not None and summary not in levels:
        raise fail(source, "summary_level", "summary_level", f"“{summary}”不在 levels 中",
                   f"{summary!r} is not one of the levels")
    _sections(data, cells, source)
    for figure in data.get("key_figures", []):
        label = figure.get("label", "?") if isinstance(figure, dict) else "?"
        ids = figure.get("cells") if isinstance(figure, dict) else None
        _cells_exist(ids, cells, source, (f"关键数字 {label}", f"key figure {label}"), ("count", "amount"))
    for block in ("import", "overview"):
        if not isinstance(data.get(block, {}), dict):
            raise fail(source, block, block, "应为表", "must be a table")
    _import_block(data.get("import", {}), data, cells, source)
    scope = Scope(cells, levels)
    seen: set[str] = set()
    expanded: dict[str, list[dict[str, Any]]] = {}
    for rule in data["rules"]:
        params = _rule(rule, source, seen, scope)
        expanded[rule["id"]] = params
    return expanded
