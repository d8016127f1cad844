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
from xltools.limits import check_file_size
from xltools.reading.textfile import decode_text

COLUMNS = {
    "unit": ("单位名称", "单位", "填报单位", "名称", "unit", "name"),
    "code": ("代码", "统一社会信用代码", "行政区划代码", "单位代码", "code"),
    "level": ("单位层级", "层级", "level"),
    "parent": ("上级单位", "上级", "parent"),
}


FIELD_CHARS = 200  # the longest unit name or code a roster may hold (real names are under 40 characters)
FIELD_ZH = {"unit": "单位名称", "code": "代码", "level": "单位层级", "parent": "上级单位"}


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


def code_key(code: str | None) -> str:
    """Codes compared as people mean them: width, spaces and letter case ignored, and a code Excel stored as a
    number ("410100.0") read as its digits."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", code or "")).upper()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


class RosterIndex:
    """Finds a unit's roster entry by code (when it has one) or by name."""

    def __init__(self, roster: list[RosterEntry] | tuple[RosterEntry, ...]):
        self.by_code = {code_key(e.code): e for e in roster if code_key(e.code)}
        self.by_name = {unit_key(e.unit): e for e in roster}

    def match(self, unit: str | None, code: str | None) -> tuple[RosterEntry | None, str]:
        """The roster entry of a unit, and why there is none when its code and its name point at two different
        entries (a code copied from another unit: counting it as either would show the other as 未报送)."""
        by_code = self.by_code.get(code_key(code)) if code_key(code) else None
        by_name = self.by_name.get(unit_key(unit)) if unit else None
        if by_code is not None and by_name is not None and by_code is not by_name:
            return None, (f"封面的代码 {code} 在名单上是“{by_code.unit}”，而单位名称是名单上的“{by_name.unit}”："
                          "请核对封面的单位名称和代码（或名单）后重新报送")
        return by_code or by_name, ""


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
    reader = csv.reader(io.StringIO(text))
    try:
        return [[c.strip() for c in row] for row in reader]
    except csv.Error as exc:  # a field over csv's limit (128 KiB) or a stray NUL: not a roster a person wrote
        raise RosterError(f"名单 {path.name} 第 {reader.line_num} 行无法读取（{exc}）："
                          "名单每行应是一个单位的名称、代码等几项短文字，请用 Excel 打开检查后另存为 CSV",
                          f"roster {path.name}, line {reader.line_num}: cannot be read ({exc})") from None


def read_roster(path: str | Path) -> list[RosterEntry]:
    """Read a roster file. Raises RosterError listing what is wrong, LimitError (too large), or OSError."""
    from xltools.checking.check import file_problem

    path = Path(path)
    problem = file_problem(path)
    if problem is not None:  # a pipe would make reading wait forever
        raise RosterError(f"名单 {path.name} 无法读取：{problem}", f"roster {path.name} cannot be read: {problem}")
    check_file_size(path, "名单文件")
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
    seen_codes: dict[str, int] = {}
    problems: list[str] = []
    for n, row in enumerate(rows[1:], start=2):
        def get(field: str, row: list[str] = row) -> str:
            i = where.get(field)
            return row[i] if i is not None and i < len(row) else ""

        unit = get("unit")
        if not unit:
            problems.append(f"第 {n} 行没有单位名称")
            continue
        long = next((f for f in COLUMNS if len(get(f)) > FIELD_CHARS), None)
        if long is not None:
            problems.append(f"第 {n} 行的{FIELD_ZH[long]}太长（{len(get(long))} 个字符，最多 {FIELD_CHARS} 个）")
            continue
        key = unit_key(unit)
        if key in seen:
            problems.append(f"第 {n} 行“{unit}”与第 {seen[key]} 行重复")
            continue
        seen[key] = n
        code = code_key(get("code"))
        if code and code in seen_codes:
            problems.append(f"第 {n} 行“{unit}”的代码 {get('code')} 与第 {seen_codes[code]} 行重复")
            continue
        if code:
            seen_codes[code] = n
        entries.append(RosterEntry(unit, get("code"), get("level"), get("parent")))
    if problems:
        raise RosterError(f"名单 {path.name} 有问题：" + "；".join(problems[:10]))
    if not entries:
        raise RosterError(f"名单 {path.name} 只有表头，没有列出任何单位：请在表头下面每行写一个应报送的单位",
                          f"roster {path.name} has a header but no units")
    return entries
