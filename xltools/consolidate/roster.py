"""The list of units expected to report (报送名单): CSV or XLSX with the unit's name and, optionally, its code,
level and parent unit. Header names may be Chinese or English; see docs/commands/consolidate.md."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

from xltools.errors import ReadError, XltoolsError
from xltools.reading.textfile import decode_text

COLUMNS = {
    "unit": ("单位名称", "单位", "填报单位", "名称", "unit", "name"),
    "code": ("代码", "统一社会信用代码", "行政区划代码", "单位代码", "code"),
    "level": ("单位层级", "层级", "level"),
    "parent": ("上级单位", "上级", "parent"),
}


class RosterError(XltoolsError):
    """The roster cannot be used (message in Chinese)."""


class RosterEntry(NamedTuple):
    unit: str
    code: str = ""
    level: str = ""
    parent: str = ""


def unit_key(name: str | None) -> str:
    """Names compared as people mean them: width, spaces and bracket styles ignored."""
    text = unicodedata.normalize("NFKC", name or "")
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")


def _rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from xltools.reading.reader import read_rows

        try:
            return [["" if v is None else str(v).strip() for v in row] for row in read_rows(path)]
        except ReadError as exc:
            raise RosterError(f"名单 {path.name}：{exc}") from None
    if path.suffix.lower() != ".csv":
        raise RosterError(f"名单必须是 .csv 或 .xlsx 文件：{path.name}")
    text = decode_text(path.read_bytes())
    if text is None:
        raise RosterError(f"名单 {path.name} 的文字编码无法识别（请用 UTF-8 或 GBK）")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def read_roster(path: str | Path) -> list[RosterEntry]:
    """Read a roster file. Raises RosterError listing what is wrong, or OSError."""
    path = Path(path)
    rows = [r for r in _rows(path) if any(r)]
    if not rows:
        raise RosterError(f"名单 {path.name} 是空的")
    header = [h.lower() for h in rows[0]]
    where: dict[str, int] = {}
    for field, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                where[field] = i
                break
    if "unit" not in where:
        raise RosterError(f"名单 {path.name} 第一行没有“单位名称”列（表头可用：{'、'.join(COLUMNS['unit'])}）")
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    problems: list[str] = []
    for n, row in enumerate(rows[1:], start=2):
        def get(field: str, row: list[str] = row) -> str:
            i = where.get(field)
            return row[i] if i is not None and i < len(row) else ""

        unit = get("unit")
        if not unit:
            problems.append(f"第 {n} 行没有单位名称")
            continue
        key = unit_key(unit)
        if key in seen:
            problems.append(f"第 {n} 行“{unit}”与第 {seen[key]} 行重复")
            continue
        seen[key] = n
        entries.append(RosterEntry(unit, get("code"), get("level"), get("parent")))
    if problems:
        raise RosterError(f"名单 {path.name} 有问题：" + "；".join(problems[:10]))
    return entries
