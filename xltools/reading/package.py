"""The workbook package (the .xlsx/.xlsm zip), opened within the limits of ``xltools.limits``.

Only the parts xltools reads are ever decompressed (the workbook, its relationships, the custom properties, shared
strings, styles and the sheets the format needs; never pictures), each at most ``part_mb`` (its declared size and
the bytes actually read), at most ``ratio`` times its compressed size and all of them together at most
``total_mb``. XML is parsed by ``xltools.safexml``, which refuses DTDs and
entity tricks; damaged parts raise ReadError naming the part.

``reader_copy`` builds the in-memory package that python-calamine reads: made of the bytes read here only, so it
never sees a part (or a byte) these limits did not allow. The sheets' XML is handled in ``reading.sheetxml``.
"""

import io
import posixpath
import zipfile
import zlib
from functools import lru_cache
from typing import NamedTuple
from xml.etree.ElementTree import Element, ParseError

from xltools import safexml
from xltools.errors import ReadError
from xltools.limits import ENV, LimitError, check_file_size, limits
from xltools.reading.locate import name_target

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
CUSTOM = "docProps/custom.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"
RESAVE = "请用 Excel/WPS 打开后另存为 .xlsx 再试"
RESAVE_EN = "open it in Excel/WPS, save it as .xlsx and try again"
# What a reading error from zipfile/zlib looks like (CRC error, truncated data, unknown compression, encryption)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError)


def damaged(part: str, what: str = "无法解析", what_en: str = "cannot be parsed") -> ReadError:
    """The error for a damaged part: what is damaged and what to do."""
    return ReadError(f"工作簿文件已损坏（{part} {what}）：{RESAVE}", f"the workbook is damaged ({part} {what_en}): "
                     f"{RESAVE_EN}")


def hostile(part: str) -> ReadError:
    return ReadError(f"工作簿文件的 {part} 含有不允许的 XML 声明（DTD/实体），不是 Excel/WPS 保存的文件：{RESAVE}",
                     f"{part} holds an XML declaration that is not allowed (DTD/entities): {RESAVE_EN}")


def parse_xml(data: bytes, part: str) -> Element:
    """A part's XML, parsed safely (no DTD, no entities); ReadError naming the part when it is damaged or hostile."""
    try:
        return safexml.parse(data)
    except safexml.HostileXML:
        raise hostile(part) from None
    except (ParseError, ValueError):
        raise damaged(part) from None


def _open_zip(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError):
        with open(path, "rb") as fh:  # within file_mb: checked before
            whole = fh.read()
        head = whole[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0") and "EncryptedPackage".encode("utf-16-le") in whole:
        raise ReadError("工作簿设置了打开密码（文件已加密），无法读取：请在 Excel/WPS 中打开，去掉打开密码"
                        "（文件→信息→保护工作簿→用密码进行加密，清空密码）后保存，再报送",
                        "the workbook is password-protected (encrypted): remove the password in Excel/WPS and save")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError("这是旧版 .xls 文件，请在 Excel/WPS 中另存为“Excel 工作簿（.xlsx）”后再校验",
                        "an old .xls file: save it as .xlsx in Excel/WPS first")
    if head.startswith(b"PK"):
        raise ReadError("工作簿文件已损坏（zip 结构不完整，可能没有下载或复制完整）：请重新获取文件，"
                        "或用 Excel/WPS 打开后另存为 .xlsx 再试",
                        f"the workbook is damaged (incomplete zip: a broken download or copy?): get the file again, or "
                        f"{RESAVE_EN}")
    raise ReadError("不是 Excel 工作簿（.xlsx/.xlsm）文件，或文件已损坏",
                    "not an Excel workbook (.xlsx/.xlsm), or the file is damaged")


class WorkbookPackage:
    """An opened workbook package: bounded part reading, its defined names, sheets and custom properties.
    Raises ReadError (LimitError for a broken limit) when it cannot be read."""

    def __init__(self, path: str):
        self.limits = limits()
        check_file_size(path, "工作簿文件")
        self.zf = _open_zip(path)
        try:
            self._read_workbook()
        except BaseException:
            self.zf.close()
            raise

    def _read_workbook(self) -> None:
        self._infos = {i.filename: i for i in self.zf.infolist()}
        self._lower = {name.lower(): name for name in self._infos}
        self._parts: dict[str, bytes] = {}
        self._total = 0
        book = self.read(WORKBOOK)
        if book is None:
            raise ReadError("文件中没有工作簿内容（xl/workbook.xml），不是 Excel 工作簿",
                            "no workbook part (xl/workbook.xml): not an Excel workbook")
        info = _workbook_info(book, self.read(WORKBOOK_RELS))
        self.names: dict[str, tuple[str, str]] = dict(info.names)
        self.strings, self.styles = info.strings, info.styles
        self.sheet_parts: dict[str, str] = dict(info.sheet_parts)  # in workbook order: calamine's sheet 0 first
        custom = self.read(CUSTOM)
        self.properties: dict[str, str] = dict(_properties(custom)) if custom is not None else {}

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> "WorkbookPackage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _name(self, part: str) -> str | None:
        return part if part in self._infos else self._lower.get(part.lower())

    def read(self, part: str) -> bytes | None:
        """A part's bytes (None when the package has no such part), within the limits."""
        name = self._name(part)
        if name is None:
            return None
        if name in self._parts:
            return self._parts[name]
        info, lim = self._infos[name], self.limits
        self._check(name, info.file_size, info.compress_size)
        try:
            with self.zf.open(info) as fh:
                data = fh.read(lim.part_bytes + 1)
        except RuntimeError:  # zipfile: "File … is encrypted, password required"
            raise ReadError(f"工作簿中的 {name} 已加密，无法读取：请提供未加密的文件（在 Excel/WPS 中取消密码后另存）",
                            f"{name} is encrypted: provide an unencrypted file") from None
        except _ZIP_ERRORS:
            raise damaged(name, "数据损坏", "is corrupt") from None
        self._check(name, len(data), info.compress_size)
        self._total += len(data)
        self._parts[name] = data
        return data

    def _check(self, name: str, size: int, compressed: int) -> None:
        lim = self.limits
        if size > lim.part_bytes:
            raise LimitError(f"工作簿中的 {name} 解压后太大（超过 {lim.part_mb:g} MB）：这不是正常的年度报告工作簿，"
                             f"请确认文件是否正确（上限可由 {ENV}=part_mb=… 调整）",
                             f"{name} is too large uncompressed (over {lim.part_mb:g} MB; see {ENV})")
        if size > lim.ratio * max(compressed, 1):
            raise LimitError(f"工作簿中的 {name} 压缩比异常（超过 {lim.ratio:g} 倍，可能是“压缩炸弹”）：请确认文件"
                             f"是否正确，或{RESAVE}（上限可由 {ENV}=ratio=… 调整）",
                             f"{name} is compressed more than {lim.ratio:g} times (a zip bomb?); see {ENV}")
        if self._total + size > lim.total_bytes:
            raise LimitError(f"工作簿解压后的内容太大（超过 {lim.total_mb:g} MB）：这不是正常的年度报告工作簿，"
                             f"请确认文件是否正确（上限可由 {ENV}=total_mb=… 调整）",
                             f"the workbook is too large uncompressed (over {lim.total_mb:g} MB; see {ENV})")

    def xml(self, part: str) -> Element | None:
        """A part parsed safely (None when the package has no such part)."""
        data = self.read(part)
        return parse_xml(data, part) if data is not None else None

    def sheet_xml(self, sheet: str) -> bytes | None:
        """The XML of a sheet by its name (None when the workbook does not have it)."""
        part = self.sheet_parts.get(sheet)
        return self.read(part) if part else None

    def reader_copy(self, sheets: dict[str, bytes], styles: bool = True) -> io.BytesIO:
        """The package calamine reads: the workbook, its relationships, shared strings, styles (unless ``styles``
        is false: then dates are read as their serial numbers) and the given sheet XML by sheet name (all read
        within the limits), uncompressed, in memory."""
        parts: dict[str, bytes] = {}
        for part in (CONTENT_TYPES, ROOT_RELS, WORKBOOK, WORKBOOK_RELS, *sorted(self.strings),
                     *(sorted(self.styles) if styles else ())):
            data = self.read(part)
            name = self._name(part)
            if data is not None and name is not None:
                parts[name] = _without_names(data) if part == WORKBOOK else data
        if ROOT_RELS not in parts:
            raise damaged(ROOT_RELS, "缺失", "is missing")
        if not any(self._name(p) in parts for p in self.strings) and any(
                b't="s"' in data for data in sheets.values()):
            raise damaged(SHARED_STRINGS, "缺失", "is missing")
        for sheet, data in sheets.items():
            sheet_part = self._name(self.sheet_parts[sheet])
            if sheet_part is None:
                raise damaged(self.sheet_parts[sheet] or sheet, "缺失", "is missing")
            parts[sheet_part] = data
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as out:
            for name, data in parts.items():
                out.writestr(name, data)
        buffer.seek(0)
        return buffer


def _without_names(book: bytes) -> bytes:
    """The workbook part without its defined names (read here, never by calamine: it would parse them all again,
    a third of its work on a report workbook)."""
    start, end = book.find(b"<definedNames>"), book.rfind(b"</definedNames>")
    if start < 0 or end < start:
        return book
    return book[:start] + book[end + len(b"</definedNames>"):]


class _WorkbookInfo(NamedTuple):
    names: tuple[tuple[str, tuple[str, str]], ...]
    strings: frozenset[str]
    styles: frozenset[str]
    sheet_parts: tuple[tuple[str, str], ...]


# Workbooks made from one template share these parts byte for byte: a batch parses each distinct one once.
@lru_cache(maxsize=16)
def _workbook_info(book_xml: bytes, rels_xml: bytes | None) -> _WorkbookInfo:
    """The defined names (global ones that point at a cell or a text section's rows), the shared strings and
    styles parts and the sheets' parts by name, in workbook order."""
    book = parse_xml(book_xml, WORKBOOK)
    names: dict[str, tuple[str, str]] = {}
    for dn in book.iter(f"{NS_MAIN}definedName"):
        target = name_target(dn.text or "")  # a cell, or a text section's rows
        if dn.get("localSheetId") is None and target:
            names[dn.get("name", "")] = target
    rels = parse_xml(rels_xml, WORKBOOK_RELS) if rels_xml is not None else None
    relations = list(rels.iter(f"{NS_PKG_REL}Relationship")) if rels is not None else []
    targets = {r.get("Id"): _resolve(r.get("Target", "")) for r in relations}
    strings = {SHARED_STRINGS} | {targets[r.get("Id")] for r in relations
                                  if r.get("Type", "").endswith("/sharedStrings")}
    styles = {STYLES} | {targets[r.get("Id")] for r in relations if r.get("Type", "").endswith("/styles")}
    sheet_parts: dict[str, str] = {}
    for sh in book.iter(f"{NS_MAIN}sheet"):
        sheet_parts[sh.get("name", "")] = targets.get(sh.get(f"{NS_REL}id"), "")
    return _WorkbookInfo(tuple(names.items()), frozenset(strings), frozenset(styles), tuple(sheet_parts.items()))


@lru_cache(maxsize=16)
def _properties(custom_xml: bytes) -> tuple[tuple[str, str], ...]:
    """The custom document properties by name."""
    custom = parse_xml(custom_xml, CUSTOM)
    return tuple((prop.get("name", ""), "".join(prop.itertext()).strip())
                 for prop in custom.iter(f"{NS_CUSTOM}property"))


def _resolve(target: str) -> str:
    """A relationship target of the workbook as a part name."""
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
