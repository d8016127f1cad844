"""Read a report workbook file (.xlsx/.xlsm, also LibreOffice/WPS re-saves) into a RawBook.

Values come from python-calamine (the only module importing it); defined names, custom document properties and
formulas without cached values come from the workbook XML via the standard library. openpyxl is never imported
here, so ``xltools check`` starts fast.
"""

from __future__ import annotations

import os
import posixpath
import zipfile
from typing import Any
from xml.etree import ElementTree as ET

import python_calamine

from xltools.errors import ReadError
from xltools.format.addresses import split_ref
from xltools.reading.labels import Grid
from xltools.reading.locate import locate_cells, spec_of
from xltools.reading.rawbook import RawBook

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
SUFFIXES = (".xlsx", ".xlsm")
COMPOSITION_SHEET = "汇总构成"  # in consolidated workbooks: every unit counted in them, one row each


def _xml(zf: zipfile.ZipFile, name: str) -> ET.Element | None:
    try:
        return ET.fromstring(zf.read(name))
    except KeyError:
        return None


class _Package:
    """The parts of the workbook XML that calamine does not expose."""

    def __init__(self, path: str):
        try:
            self.zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            with open(path, "rb") as fh:
                head = fh.read(8)
            if head.startswith(b"\xd0\xcf\x11\xe0"):
                raise ReadError("这是旧版 .xls（或加密）文件，请在 Excel/WPS 中另存为 .xlsx 后再校验") from None
            raise ReadError("不是 Excel 工作簿（.xlsx/.xlsm）文件，或文件已损坏") from None
        book = _xml(self.zf, "xl/workbook.xml")
        if book is None:
            raise ReadError("文件中没有工作簿内容（xl/workbook.xml），不是 Excel 工作簿")
        self.names: dict[str, tuple[str, str]] = {}
        for dn in book.iter(f"{NS_MAIN}definedName"):
            name = dn.get("name", "")
            target = split_ref(dn.text or "")
            if dn.get("localSheetId") is None and target:
                self.names[name] = target
        self.sheet_parts: dict[str, str] = {}
        rels = _xml(self.zf, "xl/_rels/workbook.xml.rels")
        relations = rels.iter(f"{NS_PKG_REL}Relationship") if rels is not None else iter(())
        parts = {r.get("Id"): r.get("Target", "") for r in relations}
        for sh in book.iter(f"{NS_MAIN}sheet"):
            part = parts.get(sh.get(f"{NS_REL}id"), "")
            part = part.lstrip("/") if part.startswith("/") else posixpath.normpath(posixpath.join("xl", part))
            self.sheet_parts[sh.get("name", "")] = part
        self.properties: dict[str, str] = {}
        custom = _xml(self.zf, "docProps/custom.xml")
        for prop in custom.iter(f"{NS_CUSTOM}property") if custom is not None else []:
            self.properties[prop.get("name", "")] = "".join(prop.itertext()).strip()

    def formulas(self, sheet: str) -> dict[str, str]:
        """Formulas of the cells that have no cached value, by address."""
        part = self.sheet_parts.get(sheet)
        root = _xml(self.zf, part) if part else None
        found: dict[str, str] = {}
        for c in root.iter(f"{NS_MAIN}c") if root is not None else []:
            f = c.find(f"{NS_MAIN}f")
            v = c.find(f"{NS_MAIN}v")
            if f is not None and (v is None or not (v.text or "").strip()):
                found[c.get("r", "")] = f.text or "（共享公式）"
        return found


def read_workbook(path: str | os.PathLike[str]) -> RawBook:
    """Read a workbook file. Raises ReadError (one-line Chinese reason) when it is not a report workbook."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ReadError("文件不存在" if not os.path.exists(path) else "这是一个文件夹，不是工作簿文件")
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUFFIXES:
        raise ReadError(f"不支持 {suffix or '无扩展名'} 文件：请提供 .xlsx 或 .xlsm 工作簿")
    pkg = _Package(path)
    spec, version = spec_of(pkg.properties)
    try:
        book = python_calamine.CalamineWorkbook.from_path(path)
        sheet_names = set(book.sheet_names)
        known = {s.name for s in spec.sheets} & sheet_names
        if not known and not any(c.name in pkg.names for c in spec.cells):
            raise ReadError("没有找到表二、表三、表四等工作表，也没有 xltools 定义名称："
                            "这不是政府信息公开年度报告工作簿")
        grids: dict[str, Grid] = {}
        for name in {s.name for s in spec.sheets} | {t[0] for t in pkg.names.values()}:
            if name in sheet_names:
                sheet = book.get_sheet_by_name(name)
                grids[name] = Grid(sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or [])
        constituents = _constituents(book.get_sheet_by_name(COMPOSITION_SHEET).to_python()
                                     if COMPOSITION_SHEET in sheet_names else [])
    except ReadError:
        raise
    except Exception as exc:  # calamine raises several types for damaged parts
        reason = f"工作簿内容无法读取（{type(exc).__name__}）：文件可能已损坏，请用 Excel/WPS 打开后另存"
        raise ReadError(reason) from None
    raw = locate_cells(path, spec, version, pkg.names, grids, pkg.formulas, pkg.properties)
    return raw._replace(constituents=constituents)


def _constituents(rows: list[list[Any]]) -> tuple[tuple[str, str], ...]:
    """(unit, code) of each row of a 汇总构成 sheet, found by its header (单位, 代码)."""
    if not rows:
        return ()
    header = [str(x).strip() for x in rows[0]]
    if "单位" not in header:
        return ()
    u = header.index("单位")
    c = header.index("代码") if "代码" in header else None
    out = []
    for row in rows[1:]:
        unit = str(row[u]).strip() if u < len(row) else ""
        code = str(row[c]).strip() if c is not None and c < len(row) else ""
        if unit:
            out.append((unit, code))
    return tuple(out)


def read_rows(path: str | os.PathLike[str]) -> list[list[Any]]:
    """The first sheet of any .xlsx/.xlsm as rows of values (for rosters). Raises ReadError."""
    try:
        book = python_calamine.CalamineWorkbook.from_path(os.fspath(path))
        return list(book.get_sheet_by_index(0).to_python())
    except Exception as exc:  # calamine raises several types for damaged files
        raise ReadError(f"无法读取工作簿（{type(exc).__name__}）") from None
