"""Zip-level editing of the shipped example workbook: read its parts, change some, write a new package — fast and
precise, with nothing else of the workbook touched."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLE_XLSX = REPO / "examples" / "hegang-kejiju-2021.xlsx"

# the example's sheets, by the name the format gives them
SHEETS = {"封面": "xl/worksheets/sheet1.xml", "正文": "xl/worksheets/sheet2.xml", "表二": "xl/worksheets/sheet3.xml",
          "表三": "xl/worksheets/sheet4.xml", "表四": "xl/worksheets/sheet5.xml"}
S6_TEXT = "本年度未收取信息处理费。无其他需要报告的事项。"


def read_parts(path: Path = EXAMPLE_XLSX) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write_parts(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def _cell_pattern(ref: str) -> re.Pattern[bytes]:
    return re.compile(rb'<c r="' + ref.encode() + rb'"(?: [^>]*?)?(?:/>|>.*?</c>)', re.S)


def set_cell(sheet_xml: bytes, ref: str, cell_xml: str | bytes) -> bytes:
    """Replace cell ``ref`` (which must exist in the sheet) with ``cell_xml``, a whole ``<c …>…</c>`` element."""
    new = cell_xml.encode() if isinstance(cell_xml, str) else cell_xml
    out, n = _cell_pattern(ref).subn(lambda _m: new, sheet_xml, count=1)
    if not n:
        raise KeyError(ref)
    return out


def style_of(sheet_xml: bytes, ref: str) -> str:
    m = _cell_pattern(ref).search(sheet_xml)
    s = re.search(rb' s="(\d+)"', m.group(0)) if m else None
    return f' s="{s.group(1).decode()}"' if s else ""


def number_cell(sheet_xml: bytes, ref: str, value: str) -> bytes:
    return set_cell(sheet_xml, ref, f'<c r="{ref}"{style_of(sheet_xml, ref)}><v>{value}</v></c>')


def text_cell(sheet_xml: bytes, ref: str, text: str) -> bytes:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return set_cell(sheet_xml, ref, f'<c r="{ref}"{style_of(sheet_xml, ref)} t="inlineStr"><is><t xml:space="preserve">'
                                    f'{escaped}</t></is></c>')


def append_row(sheet_xml: bytes, row_xml: str) -> bytes:
    """Add a row (its number must be below every existing row) at the end of sheetData."""
    return sheet_xml.replace(b"</sheetData>", row_xml.encode() + b"</sheetData>", 1)


def add_merge(sheet_xml: bytes, ref: str) -> bytes:
    def bump(m: re.Match[bytes]) -> bytes:
        return b'<mergeCells count="' + str(int(m.group(1)) + 1).encode() + b'">'
    out = re.sub(rb'<mergeCells count="(\d+)">', bump, sheet_xml, count=1)
    return out.replace(b"</mergeCells>", f'<mergeCell ref="{ref}"/></mergeCells>'.encode(), 1)


def clean_parts() -> dict[str, bytes]:
    """The example with section 六 filled: a workbook that passes ``check`` (exit code 0)."""
    parts = read_parts()
    parts[SHEETS["正文"]] = text_cell(parts[SHEETS["正文"]], "A40", S6_TEXT)
    return parts


def with_unit(parts: dict[str, bytes], unit: str) -> dict[str, bytes]:
    """A copy whose 填报单位 is ``unit`` (inline string, so shared strings stay as they are)."""
    out = dict(parts)
    out[SHEETS["封面"]] = text_cell(out[SHEETS["封面"]], "B4", unit)
    return out
