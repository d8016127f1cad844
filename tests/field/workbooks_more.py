"""The second round of workbook cases: package tricks (duplicate entries, 100,000 entries, ZIP64, encryption),
bombs in parts the check never reads, names and sheets, cell types, impossible addresses."""

from __future__ import annotations

import base64
import functools
import io
import random
import re
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.field.workbooks import (
    ANY,
    CLEAN,
    DATA,
    ERRORS,
    UNREADABLE,
    WorkbookCase,
    _bytes,
    _control,
    _padding,
    _parts,
    _replace,
    _sheet,
    _xlsm,
)
from tests.field.zipparts import (
    SHEETS,
    append_row,
    clean_parts,
    number_cell,
    read_parts,
    set_cell,
    write_parts,
)

# --- issue 12, second round: package-level oddities, parts nobody reads, names and sheets, cell types, addresses ----

def _with_extra_entries(data: bytes, entries: Callable[[zipfile.ZipFile], None]) -> bytes:
    """The package ``data`` with more entries appended by ``entries`` (written straight into the zip)."""
    buf = io.BytesIO(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name: that is the point of one case
        with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z:
            entries(z)
    return buf.getvalue()


def _duplicate_entry() -> bytes:
    """Two different entries named like 表三's sheet: the second says D5 = -1 (zip readers differ on which wins)."""
    parts = clean_parts()
    other = number_cell(parts[SHEETS["表三"]], "D5", "-1")
    return _with_extra_entries(write_parts(parts), lambda z: z.writestr(SHEETS["表三"], other))


@functools.cache  # built once per test session: the runs share it
def _many_entries() -> bytes:
    """100,000 one-byte entries beside the workbook's parts (so the central directory needs ZIP64 records too)."""
    def add(z: zipfile.ZipFile) -> None:
        for i in range(100_000):
            z.writestr(zipfile.ZipInfo(f"x/{i:05d}"), b"x")  # ZipInfo: stored, no compression set-up per entry
    return _with_extra_entries(write_parts(clean_parts()), add)


def _zip64() -> bytes:
    """Every part written with ZIP64 extra fields (as a writer that does not know the sizes in advance does)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in clean_parts().items():
            with z.open(name, "w", force_zip64=True) as fh:
                fh.write(data)
    return buf.getvalue()


def _cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (the container of .xls and of an encrypted .xlsx) holding ``streams``, each
    padded to at least 4,096 bytes so that all live in regular 512-byte sectors (no mini stream)."""
    sector, end, free, fat_sect = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    bodies = [data.ljust(max(4096, -(-len(data) // sector) * sector), b"\0") for data in streams.values()]
    fat = [fat_sect, end]  # sector 0: the FAT itself, sector 1: the directory
    starts = []
    for body in bodies:
        starts.append(len(fat))
        n = len(body) // sector
        fat += [len(fat) + i + 1 for i in range(n - 1)] + [end]
    assert len(fat) <= sector // 4, "one FAT sector only"

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = (name.encode("utf-16-le") + b"\0\0") if name else b""
        return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, left, right, child) + bytes(16)
                + bytes(4 + 16) + struct.pack("<IQ", start, size))

    names = list(streams)
    # the directory's red-black tree: the root's child is the last stream, the others hang off its left side
    directory = entry("Root Entry", 5, free, free, len(names), end, 0)
    for i, (name, data) in enumerate(zip(names, streams.values(), strict=True), 1):
        directory += entry(name, 2, i - 1 if i > 1 else free, free, free, starts[i - 1], len(data))
    directory = directory.ljust(sector, b"\0")
    assert len(directory) == sector, "one directory sector only"
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + bytes(6) + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(sector, b"\xff")
    return header + fat_bytes + directory + b"".join(bodies)


def _encrypted_ooxml() -> bytes:
    """What Excel writes for a workbook with an open password: a compound file with EncryptionInfo (agile, 4.4)
    and EncryptedPackage, named .xlsx."""
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><encryption xmlns="http://schemas.microsoft.com/'
        b'office/2006/encryption"><keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm='
        b'"AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/>'
        b'</encryption>')
    package = struct.pack("<Q", 12_000) + bytes(range(256)) * 47
    return _cfb({"EncryptionInfo": info, "EncryptedPackage": package})


def _big_attribute(xml: bytes) -> bytes:
    """One attribute of 5 MB on the sheet's root element, random base64 (so that it does not compress: no ratio
    bomb, only a long value)."""
    value = base64.b64encode(random.Random(12).randbytes(3_900_000))
    assert xml.count(b"<worksheet ") == 1
    return xml.replace(b"<worksheet ", b'<worksheet junk="' + value + b'" ', 1)


PNG = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
DRAWING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"


def _picture_bomb() -> bytes:
    """表四 shows a picture (xl/media/image1.png) that is 100 MB of zeros compressed about 1000 times."""
    parts = clean_parts()
    sheet = SHEETS["表四"]
    parts[sheet] = parts[sheet].replace(b"</worksheet>", b'<drawing r:id="rIdPic"/></worksheet>', 1)
    parts["xl/worksheets/_rels/sheet5.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.'
        f'org/package/2006/relationships"><Relationship Id="rIdPic" Type="{DRAWING}" Target="../drawings/drawing1.'
        'xml"/></Relationships>').encode()
    parts["xl/drawings/_rels/drawing1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.'
        f'org/package/2006/relationships"><Relationship Id="rId1" Type="{PNG}" Target="../media/image1.png"/>'
        '</Relationships>').encode()
    parts["xl/drawings/drawing1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.'
        'org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><xdr:oneCellAnchor>'
        '<xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>8</xdr:row><xdr:rowOff>0</xdr:rowOff>'
        '</xdr:from><xdr:ext cx="952500" cy="952500"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="1" name="图片 1"/>'
        '<xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch>'
        '</xdr:blipFill><xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>'
        '<xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>').encode()
    types = parts["[Content_Types].xml"]
    parts["[Content_Types].xml"] = types.replace(b"</Types>", b'<Default Extension="png" ContentType="image/png"/>'
                                                 b'<Override PartName="/xl/drawings/drawing1.xml" ContentType="'
                                                 b'application/vnd.openxmlformats-officedocument.drawing+xml"/>'
                                                 b"</Types>", 1)

    def picture(z: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo("xl/media/image1.png")
        info.compress_type = zipfile.ZIP_DEFLATED
        chunk = b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024 - 8)
        with z.open(info, "w") as fh:
            for _ in range(100):
                fh.write(chunk)
    return _with_extra_entries(write_parts(parts), picture)


SHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
EMPTY_SHEET = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats'
               '.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>附注</t></is></c>'
               '</row></sheetData></worksheet>').encode()


def _extra_sheet(name: str, xml: bytes, defined: str = "") -> Callable[[dict[str, bytes]], None]:
    """Add a sixth sheet ``name`` (XML-escaped here) the format does not use, with ``xml``; ``defined`` is a
    definedName element to add."""
    def change(parts: dict[str, bytes]) -> None:
        escaped = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            b"</sheets>", f'<sheet name="{escaped}" sheetId="6" r:id="rId99"/></sheets>'.encode(), 1).replace(
            b"<definedNames>", b"<definedNames>" + defined.encode(), 1)
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", f'<Relationship Id="rId99" Type="{SHEET_REL}" Target="worksheets/sheet6.xml"/>'
                                 "</Relationships>".encode(), 1)
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", f'<Override PartName="/xl/worksheets/sheet6.xml" ContentType="{SHEET_TYPE}"/></Types>'
            .encode(), 1)
        parts["xl/worksheets/sheet6.xml"] = xml
    return change


QUOTED_NAME = "It's \"说明\" 附表：单位''名称'与备注 2021年度表"  # 31 characters, quotes of both kinds


def _merges_outside(xml: bytes) -> bytes:
    """10,000 merged ranges of two cells each, far below the tables (20,000 cells: within merged_cells)."""
    merges = "".join(f'<mergeCell ref="A{r}:B{r}"/>' for r in range(200, 10_200))
    start = xml.index(b"<mergeCells count=")
    end = xml.index(b">", start) + 1
    count = int(re.search(rb'count="(\d+)"', xml[start:end]).group(1))  # type: ignore[union-attr]
    return (xml[:start] + f'<mergeCells count="{count + 10_000}">'.encode() + xml[end:]).replace(
        b"</mergeCells>", merges.encode() + b"</mergeCells>", 1)


def _name_target(name: str, target: str) -> Callable[[Path], Path]:
    """The defined name ``name`` pointed at ``target`` (a formula, XML-escaped here)."""
    def change(parts: dict[str, bytes]) -> None:
        book = parts["xl/workbook.xml"]
        new, n = re.subn(f'(<definedName name="{name}">)[^<]*'.encode(),
                         lambda m: m.group(1) + target.replace("&", "&amp;").encode(), book, count=1)
        assert n == 1, name
        parts["xl/workbook.xml"] = new
    return _parts(change)


def _sheet_states(parts: dict[str, bytes]) -> None:
    book = parts["xl/workbook.xml"]
    for sheet, state in (("表二", "hidden"), ("表三", "veryHidden")):
        old = f'<sheet name="{sheet}" '.encode()
        assert old in book
        book = book.replace(old, old + f'state="{state}" '.encode(), 1)
    parts["xl/workbook.xml"] = book


def _rich_unit(parts: dict[str, bytes]) -> None:
    """The unit name as rich text: two runs with fonts, and a phonetic run (not part of the text)."""
    old = "<t>鹤岗市科学技术局</t>".encode()
    new = ('<r><rPr><b/><sz val="12"/><rFont val="宋体"/></rPr><t>鹤岗市</t></r><r><rPr><sz val="12"/></rPr>'
           '<t>科学技术局</t></r><rPh sb="0" eb="3"><t>hegangshi</t></rPh>').encode()
    assert old in parts["xl/sharedStrings.xml"]
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(old, new, 1)


def _xlsm_garbage_vba(folder: Path) -> Path:
    """The macro workbook with its VBA project replaced by random bytes (never read, kept as it is)."""
    path = _xlsm(folder)
    parts = read_parts(path)
    parts["xl/vbaProject.bin"] = random.Random(7).randbytes(20_000)
    path.write_bytes(write_parts(parts))
    return path


def _first_row(row_xml: str) -> Callable[[bytes], bytes]:
    return lambda x: x.replace(b"<sheetData>", b"<sheetData>" + row_xml.encode(), 1)


def more_cases() -> list[WorkbookCase]:
    """The second round of workbook cases (issue 12): see each comment for what the docs promise."""
    e6 = b'<c r="E6" '
    return [
        # two entries of the same name: which one a zip reader takes differs (first, last, or refused) — any
        # answer is fine as long as it is an answer
        WorkbookCase("zip-duplicate-entry", _bytes("report.xlsx", _duplicate_entry), ANY),
        # 100,000 extra entries (ZIP64 end records): never read, the workbook is the clean one; the editing
        # commands may refuse such a package
        WorkbookCase("zip-100000-entries", _bytes("report.xlsx", _many_entries), CLEAN, edits=ANY,
                     one_writer=True),
        WorkbookCase("zip64-extra-fields", _bytes("report.xlsx", _zip64), CLEAN),
        WorkbookCase("encrypted-ooxml", _bytes("report.xlsx", _encrypted_ooxml), UNREADABLE),
        WorkbookCase("sheet-part-0-bytes", _parts(lambda p: {**p, SHEETS["表三"]: b""}), UNREADABLE),
        WorkbookCase("sheet-5mb-attribute", _sheet("表三", _big_attribute), CLEAN, one_writer=True),
        # pictures are never decompressed by check (docs/servers.md); the editing commands load the workbook and
        # may read it: refused or done, within the memory cap
        WorkbookCase("picture-100mb-ratio-1000", _bytes("report.xlsx", _picture_bomb), CLEAN, edits=ANY),
        WorkbookCase("unused-sheet-bomb", _parts(_extra_sheet("附表", _padding(EMPTY_SHEET, 30 * 1024 * 1024))),
                     CLEAN, edits=ANY),
        WorkbookCase("merges-10000-outside", _sheet("表三", _merges_outside), CLEAN, one_writer=True),
        # a name that points elsewhere: the cell is found at its template position, or reported — never a crash
        WorkbookCase("name-external-workbook", _name_target("T3_new_received_natural_person", "[1]Sheet1!$A$1"),
                     DATA),
        WorkbookCase("name-missing-sheet", _name_target("T2_administrative_licensing_decisions", "'表九'!$B$8"),
                     DATA),
        WorkbookCase("name-ref-error", _name_target("meta_unit", "#REF!"), DATA),
        # 表三 renamed: the format's sheet is missing (reported, or the file refused with that reason)
        WorkbookCase("sheet-renamed-space", _replace("xl/workbook.xml", '<sheet name="表三"'.encode(),
                                                     '<sheet name="表 三"'.encode()), ANY),
        WorkbookCase("sheets-hidden-veryhidden", _parts(_sheet_states), CLEAN),
        WorkbookCase("sheet-name-31-quotes", _parts(_extra_sheet(QUOTED_NAME, EMPTY_SHEET, (
            '<definedName name="note_cell">\'' + QUOTED_NAME.replace("'", "''").replace("&", "&amp;")
            .replace('"', "&quot;") + "'!$A$1</definedName>"))), CLEAN),
        WorkbookCase("unit-lone-surrogate", _replace("xl/sharedStrings.xml", "鹤岗市科学技术局".encode(),
                                                     "鹤岗市_xD800_科学_xDFFF_技术局".encode()), DATA),
        WorkbookCase("text-lone-surrogate", _control("正文", "A3", "总体情况_xDC00_后文"), DATA),
        WorkbookCase("unit-rich-text", _parts(_rich_unit), CLEAN),
        WorkbookCase("value-ref-error-t2", _sheet("表二", lambda x: set_cell(
            x, "B8", '<c r="B8" s="13" t="e"><f>#REF!+1</f><v>#REF!</v></c>')), ERRORS),
        WorkbookCase("value-iso-date-t3", _sheet("表三", lambda x: set_cell(
            x, "D5", '<c r="D5" s="13" t="d"><v>2021-03-04T00:00:00Z</v></c>')), ERRORS),
        # an ISO date cell (t="d", as LibreOffice may write) where the format wants a date: read, or reported
        WorkbookCase("date-iso-cover", _sheet("封面", lambda x: set_cell(
            x, "B6", '<c r="B6" s="5" t="d"><v>2022-01-17T00:00:00</v></c>')), DATA),
        WorkbookCase("xlsm-garbage-vba", _xlsm_garbage_vba, CLEAN, suffix=".xlsm"),
        # impossible row and cell numbers: read (the stray cell ignored or reported) or refused as damaged
        WorkbookCase("row-r-0", _sheet("表三", _first_row('<row r="0"><c><v>5</v></c></row>')), ANY,
                     one_writer=True),
        WorkbookCase("row-r-minus-1", _sheet("表三", _first_row('<row r="-1"><c><v>5</v></c></row>')), ANY,
                     one_writer=True),
        WorkbookCase("row-r-99999999999", _sheet("表三", lambda x: append_row(
            x, '<row r="99999999999"><c><v>5</v></c></row>')), ANY, one_writer=True),
        WorkbookCase("cell-r-A0", _replace(SHEETS["表三"], e6, b'<c r="A0" '), ANY, one_writer=True),
        WorkbookCase("cell-r-ZZZZ1", _replace(SHEETS["表三"], e6, b'<c r="ZZZZ1" '), ANY, one_writer=True),
    ]
