"""The report as a JSON document: what ``new --from`` reads and ``dump`` prints.

``{"format": "gov-disclosure-2021", "unit": ..., "year": ..., "meta": {"date": "YYYY-MM-DD", "level": ...,
"code": ..., "contact": ..., "phone": ...}, "values": {cell_id: number}, "texts": {text_cell_id: text}}``
(text cell ids such as "S1.text"; a section id such as "S1" is read as its first text cell), and the clerk's
``"explanations": [{"rule", "place", "cell", "text"}]`` of the 情况说明 sheet (``reading.explanations``).
Every key but "format" and "values" is optional; unknown keys and cell ids are errors.

``read_document`` reads the file as clerks save it (UTF-8 with or without BOM, or GBK) within the limits: its size
(``file_mb``) and nesting (``json_depth``, measured before parsing so that no document can make the parser
recurse), and refuses numbers no workbook can hold: NaN, Infinity, numbers too large for a float and numbers with
more than 15 significant digits (Excel keeps 15) — except a decimal fraction written exactly as the binary value
it stands for (what ``dump`` prints), so that a dump always loads again. ``to_json`` never holds a non-finite
number, and ``dumps`` is the strict serializer for JSON xltools prints (``allow_nan=False``).
"""

import datetime as dt
import itertools
import json
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from xltools.errors import ReadError, XltoolsError
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec, available_formats, load_spec
from xltools.limits import ENV, LimitError, check_file_size, limits
from xltools.reading.explanations import ExplanationRow, document_explanations, explanations_json
from xltools.reading.textfile import decode_text
from xltools.reading.values import Values

TOP_KEYS = ("format", "unit", "year", "meta", "values", "texts", "explanations")
META_KEYS = ("date", "level", "code", "contact", "phone")
EXCEL_CELL_CHARS = 32767  # the most characters one Excel cell holds (longer text would be cut off)
NUMBER_DIGITS = 15  # significant digits Excel keeps of a number
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string literal (escapes included)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH = str.maketrans({"[": "\x02", "{": "\x02", "]": "\x00", "}": "\x00"})


class DocumentError(XltoolsError):
    """The JSON document is not a valid report document; ``problems`` lists every reason (Chinese)."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


class BadNumber(NamedTuple):
    """A number in a JSON document that no workbook can hold, as written (``NaN``, ``1e400``, 400 digits…)."""

    text: str
    reason: str

    def describe(self) -> str:
        shown = self.text if len(self.text) <= 24 else self.text[:20] + f"…（共 {len(self.text)} 个字符）"
        return f"{shown}（{self.reason}）"


def _number(text: str, integer: bool) -> int | float | BadNumber:
    """A JSON number literal as a value, or BadNumber when it is not finite or too precise for a workbook."""
    try:
        exact = Decimal(text)
    except InvalidOperation:  # NaN, Infinity, -Infinity (parse_constant)
        exact = Decimal("NaN")
    if not exact.is_finite():
        return BadNumber(text, "不是有限的数")
    value = float(exact)
    if not math.isfinite(value):
        return BadNumber(text, "太大，超出了可以保存的范围")
    digits = len(exact.normalize().as_tuple().digits)
    # A float exactly as a program writes it (the shortest form of a binary value, as ``dump`` prints a computed
    # 0.30000000000000004) is accepted, so that what ``dump`` prints loads again; other long numbers would silently
    # change in the workbook.
    if digits > NUMBER_DIGITS and (integer or Decimal(repr(value)) != exact):
        return BadNumber(text, f"有效数字超过 {NUMBER_DIGITS} 位，Excel 无法准确保存")
    if integer:
        return int(exact)
    return value


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON ``text`` (brackets inside strings do not count), measured
    without recursion and in linear time, so that it can be checked before parsing."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    steps = (b - 1 for b in brackets.translate(_DEPTH).encode("ascii"))  # +1 for an opening, -1 for a closing
    return max(0, max(itertools.accumulate(steps)))


class DuplicateKey(ValueError):
    """A JSON object names the same key twice (json keeps the last value without a word)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key[:80]


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(key)
        found[key] = value
    return found


def read_document(path: str | Path) -> tuple[FormatSpec, "ReportDocument"]:
    """Read and validate the JSON report document in file ``path``. Raises ReadError (LimitError) when the file
    cannot be read as JSON, DocumentError listing every problem of its content."""
    name = str(path)  # as the clerk typed it
    path = Path(path)
    try:
        check_file_size(path, "JSON 文档")
        raw = path.read_bytes()
    except LimitError as exc:
        raise LimitError(f"{name}：{exc.zh}", f"{name}: {exc.en}") from None
    except OSError as exc:
        raise ReadError(f"{name}：无法读取文件：{exc.strerror or exc}",
                        f"{name}: cannot read the file: {exc.strerror or exc}") from None
    text = decode_text(raw)
    if text is None or "\x00" in text:
        raise ReadError(f"{name} 不是文本文件（既不是 UTF-8 也不是 GBK 编码的文字）：请提供 JSON 报告文档"
                        "（可用 xltools dump 从工作簿生成）",
                        f"{name} is not a text file (neither UTF-8 nor GBK): expected a JSON report document")
    limit = limits().json_depth
    depth = json_depth(text)
    if depth > limit:
        raise LimitError(f"{name}：JSON 嵌套太深（{depth} 层，上限 {limit} 层）：报告文档只有两三层，"
                         f"请确认文件是否正确（上限可由 {ENV}=json_depth=… 调整）",
                         f"{name}: JSON nested too deeply ({depth} levels, limit {limit}; see {ENV})")
    try:
        data = json.loads(text, parse_int=lambda t: _number(t, True), parse_float=lambda t: _number(t, False),
                          parse_constant=lambda t: _number(t, False), object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ReadError(f"{name} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）：请检查括号、"
                        "引号和逗号，或用 xltools dump 从工作簿重新生成",
                        f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except DuplicateKey as exc:
        raise ReadError(f"{name}：键“{exc.key}”出现了两次，无法确定用哪一个值：请删除多余的一个",
                        f"{name}: the key {exc.key!r} appears twice; remove one") from None
    except RecursionError:  # not reached within json_depth; kept so that no input can ever give a traceback
        raise LimitError(f"{name}：JSON 嵌套太深", f"{name}: JSON nested too deeply") from None
    return parse_document(data)


def finite(data: Any) -> Any:
    """``data`` with every non-finite float (NaN, ±Infinity) replaced by None, at any depth: no JSON xltools
    writes ever holds one."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    return data


def dumps(data: Any, indent: int | None = 2) -> str:
    """Strict JSON of ``data`` (non-finite numbers become null, never ``NaN``), UTF-8 text as it is."""
    return json.dumps(finite(data), ensure_ascii=False, indent=indent, allow_nan=False)


class ReportDocument(NamedTuple):
    format_id: str
    unit: str | None = None
    year: int | None = None
    meta: dict[str, str] = {}  # noqa: RUF012 (never mutated)
    values: dict[str, Number | None] = {}  # noqa: RUF012
    texts: dict[str, str] = {}  # noqa: RUF012
    explanations: tuple[ExplanationRow, ...] = ()  # the 情况说明 rows (``reading.explanations``)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": self.format_id}
        if self.unit is not None:
            out["unit"] = self.unit
        if self.year is not None:
            out["year"] = self.year
        if self.meta:
            out["meta"] = dict(self.meta)
        out["values"] = dict(self.values)
        if self.texts:
            out["texts"] = dict(self.texts)
        if explained := explanations_json(self.explanations):
            out["explanations"] = explained
        return dict(finite(out))


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


_KINDS = {dict: "对象", list: "数组", str: "文字", bool: "true/false", int: "数字", float: "数字",
          type(None): "null", BadNumber: "数字"}


def _kind(v: Any) -> str:
    return _KINDS.get(type(v), type(v).__name__)


def _short(key: str) -> str:
    """A key as a message shows it: a pasted paragraph is not repeated in full."""
    return key if len(key) <= 40 else f"{key[:30]}…（共 {len(key)} 个字符）"


def _text_problem(key: str, text: str) -> str | None:
    if len(text) > EXCEL_CELL_CHARS:
        return (f"{key} 太长（{len(text)} 个字符）：Excel 的一个单元格最多 {EXCEL_CELL_CHARS} 个字符，"
                "请删减或分开填写")
    return None


def parse_document(data: Any) -> tuple[FormatSpec, ReportDocument]:
    """Validate a decoded JSON document against its format; raise DocumentError listing every problem."""
    if not isinstance(data, dict):
        raise DocumentError([f"顶层必须是 JSON 对象 {{…}}，实际是{_kind(data)}"])
    problems: list[str] = [f"未知的键“{_short(k)}”（允许：{'、'.join(TOP_KEYS)}）" for k in data if k not in TOP_KEYS]
    format_id = data.get("format")
    known = "、".join(available_formats())
    if format_id is None:
        raise DocumentError([f"缺少报告格式：请加上 \"format\": \"…\"（可选：{known}）", *problems])
    try:
        if not isinstance(format_id, str):
            raise KeyError(format_id)
        spec = load_spec(format_id)
    except KeyError:
        raise DocumentError([f"未知的报告格式 format=“{format_id}”（可选：{known}）", *problems]) from None
    if "values" not in data or not isinstance(data["values"], dict):
        problems.append("缺少 values 对象（单元格编号 → 数字）")
    values: dict[str, Number | None] = {}
    raw_values = data.get("values")
    for cell_id, v in (raw_values if isinstance(raw_values, dict) else {}).items():
        cell = spec.by_id.get(cell_id)
        if cell is None or not cell.is_number:
            problems.append(f"未知的单元格编号“{_short(cell_id)}”")
        elif isinstance(v, BadNumber):
            problems.append(f"“{cell_id}”的值 {v.describe()}")
        elif v is not None and not _is_number(v):
            problems.append(f"“{cell_id}”的值必须是数字，实际是{_kind(v)} {str(v)[:40]!r}")
        elif isinstance(v, float) and not math.isfinite(v):
            problems.append(f"“{cell_id}”的值 {v}（不是有限的数）")
        else:
            values[cell_id] = v
    unit, year = data.get("unit"), data.get("year")
    if unit is not None and not isinstance(unit, str):
        problems.append("unit 必须是文字")
    elif isinstance(unit, str) and (problem := _text_problem("unit", unit)):
        problems.append(problem)
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        shown = year.describe() if isinstance(year, BadNumber) else f"{_kind(year)} {str(year)[:40]!r}"
        problems.append(f"year 必须是整数年份，实际是 {shown}")
    elif isinstance(year, int) and not isinstance(year, bool) and not 1000 <= year <= 9999:
        problems.append(f"year 必须是四位年份，实际是 {str(year)[:40]}")
    meta = data.get("meta") or {}
    if not isinstance(meta, dict):
        problems.append("meta 必须是对象")
        meta = {}
    for k, v in meta.items():
        if k not in META_KEYS:
            problems.append(f"meta 中未知的键“{_short(k)}”（允许：{'、'.join(META_KEYS)}）")
        elif not isinstance(v, str):
            problems.append(f"meta.{k} 必须是文字")
        elif problem := _text_problem(f"meta.{k}", v):
            problems.append(problem)
    if isinstance(meta.get("date"), str):
        try:
            dt.date.fromisoformat(meta["date"])
        except ValueError:
            problems.append(f"meta.date 必须是 YYYY-MM-DD 格式的日期，实际是“{meta['date']}”")
    if isinstance(meta.get("level"), str) and meta["level"] not in spec.levels:
        problems.append(f"meta.level 必须是以下之一：{'、'.join(spec.levels)}")
    text_ids = [c for s in spec.text_sections for c in s.cells]
    first_cell = {s.id: s.cells[0] for s in spec.text_sections if s.cells}
    texts = data.get("texts") or {}
    if not isinstance(texts, dict):
        problems.append("texts 必须是对象")
        texts = {}
    clean_texts: dict[str, str] = {}
    for k, v in texts.items():
        cell_id = first_cell.get(k, k)
        if cell_id not in text_ids:
            problems.append(f"texts 中未知的正文单元格“{_short(k)}”（允许：{'、'.join(text_ids)}）")
        elif not isinstance(v, str):
            problems.append(f"texts.{k} 必须是文字")
        elif problem := _text_problem(f"texts.{k}", v):
            problems.append(problem)
        else:
            clean_texts[cell_id] = v
    explanations, explanation_problems = document_explanations(data.get("explanations"))
    problems += explanation_problems
    if problems:
        raise DocumentError(problems)
    return spec, ReportDocument(spec.id, unit, year, {k: str(v) for k, v in meta.items()}, values, clean_texts,
                                explanations)


def document_from_values(spec: FormatSpec, values: Values) -> ReportDocument:
    """The document of a read workbook: clean numbers only (blank and invalid cells are left out)."""
    meta: dict[str, str] = {}
    for key in META_KEYS:
        v = values.meta.get(key)
        if v is not None and v != "":
            meta[key] = v.isoformat() if isinstance(v, dt.date) else str(v)
    unit = values.meta.get("unit")
    year = values.meta.get("year")
    nums: dict[str, Number | None] = {c.id: values.numbers[c.id] for c in spec.number_cells
                                      if c.id in values.numbers and finite(values.numbers[c.id]) is not None}
    texts = {c: values.texts[c] for s in spec.text_sections for c in s.cells if c in values.texts}
    return ReportDocument(spec.id, unit if isinstance(unit, str) else None, year if isinstance(year, int) else None,
                          meta, nums, texts)
