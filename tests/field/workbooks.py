"""The workbook family of the field corpus: every way a workbook a unit sends can be broken or hostile, built from
the shipped example by zip-level edits (``zipparts``), each with the exit code ``check`` promises for it."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.field.zipparts import (
    SHEETS,
    add_merge,
    append_row,
    clean_parts,
    number_cell,
    read_parts,
    set_cell,
    text_cell,
    with_unit,
    write_parts,
)

UNREADABLE = frozenset({2})
CLEAN = frozenset({0})
ERRORS = frozenset({1})
DATA = frozenset({0, 1})  # readable; findings or not (the promise is only: read, no crash)
ANY = frozenset({0, 1, 2})  # read it or refuse it with a message: both keep the promise
SECRET = "XLTOOLS-FIELD-SECRET-7f3a"  # the content of the local file an external entity points at


@dataclasses.dataclass(frozen=True)
class WorkbookCase:
    """One workbook: ``make(folder)`` writes it into ``folder`` and returns its path; ``rc`` the exit codes ``check``
    may give; ``env`` extra environment (lowered limits); ``leak`` text that must appear in no output."""

    id: str
    make: Callable[[Path], Path]
    rc: frozenset[int]
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    leak: str | None = None
    edits: frozenset[int] | None = None  # the exit codes of fill/--annotate/clear-flags where they differ from check
    suffix: str = ".xlsx"
    # run one of the three editing commands (in turn) instead of all: they share one way of opening a workbook,
    # and this case is slow to edit or is refused on the way in
    one_writer: bool = False

    @property
    def unreadable(self) -> bool:
        return self.rc == UNREADABLE


def _bytes(name: str, data: Callable[[], bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data())
        return path
    return make


def _parts(edit: Callable[[dict[str, bytes]], dict[str, bytes] | None], name: str = "report.xlsx"
           ) -> Callable[[Path], Path]:
    def data() -> bytes:
        parts = clean_parts()
        out = edit(parts)
        return write_parts(out if out is not None else parts)
    return _bytes(name, data)


def _sheet(sheet: str, edit: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def change(parts: dict[str, bytes]) -> None:
        parts[SHEETS[sheet]] = edit(parts[SHEETS[sheet]])
    return _parts(change)


def _replace(part: str, old: bytes, new: bytes) -> Callable[[Path], Path]:
    def change(parts: dict[str, bytes]) -> None:
        assert old in parts[part], (part, old)
        parts[part] = parts[part].replace(old, new, 1)
    return _parts(change)


def _drop(part: str) -> Callable[[Path], Path]:
    def change(parts: dict[str, bytes]) -> None:
        del parts[part]
    return _parts(change)


def _crc_error() -> bytes:
    data = bytearray(write_parts(clean_parts()))
    with _open(bytes(data)) as z:
        info = z.getinfo(SHEETS["表三"])
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle] ^= 0x55
    return bytes(data)


def _open(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _stored_crc_error() -> bytes:
    """Stored (uncompressed) parts, one byte of 表三 changed: only the CRC tells."""
    data = bytearray(write_parts(clean_parts(), zipfile.ZIP_STORED))
    with _open(bytes(data)) as z:
        info = z.getinfo(SHEETS["表三"])
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    body = bytes(data[start:start + info.compress_size])
    at = start + body.index(b"<v>0</v>") + 3
    data[at] = ord("7")
    return bytes(data)


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _special(kind: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "report.xlsx"
        if kind == "folder":
            path.mkdir()
            (path / "sheet.xml").write_text("<x/>")
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "dangling":
            path.symlink_to(folder / "gone.xlsx")
        elif kind == "loop":
            other = folder / "other.xlsx"
            path.symlink_to(other)
            other.symlink_to(path)
        return path
    return make


def _d5(value: str) -> Callable[[Path], Path]:
    return _sheet("表三", lambda x: number_cell(x, "D5", value))


def _d5_text(value: str) -> Callable[[Path], Path]:
    return _sheet("表三", lambda x: text_cell(x, "D5", value))


def _billion_laughs(xml: bytes) -> bytes:
    ents = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    head, sep, rest = xml.partition(b"?>")
    rest = rest.replace(b"<t>", b"<t>&l9;", 1)
    return head + sep + f"<!DOCTYPE sst [{ents}]>".encode() + rest


def _xxe(secret: Path) -> Callable[[Path], Path]:
    def change(parts: dict[str, bytes]) -> None:
        xml = parts["xl/sharedStrings.xml"]
        head, sep, rest = xml.partition(b"?>")
        dtd = f'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'.encode()
        parts["xl/sharedStrings.xml"] = head + sep + dtd + rest.replace("鹤岗市科学技术局".encode(),
                                                                         b"&xxe;", 1)
    return _parts(change)


def _deep_nesting(xml: bytes) -> bytes:
    depth = 100_000
    return xml.replace(b"<sheetData>", b"<sheetData>" + b"<row>" * depth + b"</row>" * depth, 1)


def _million_rows(xml: bytes) -> bytes:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(40, 1_000_040))
    return append_row(xml, rows)


def _padding(xml: bytes, size: int = 2 * 1024 * 1024) -> bytes:
    head, sep, rest = xml.partition(b"?>")
    return head + sep + b"<!--" + b"x" * size + b"-->" + rest


def _shared_strings_bomb(parts: dict[str, bytes]) -> None:
    sst = parts["xl/sharedStrings.xml"]
    parts["xl/sharedStrings.xml"] = sst.replace(b"</sst>", b"<si><t>" + b"A" * (3 * 1024 * 1024) + b"</t></si></sst>")


def _formula(cached: bool) -> Callable[[Path], Path]:
    cell = '<c r="J5" s="16"><f>SUM(D5:I5)</f>' + ("<v>0</v>" if cached else "") + "</c>"
    return _sheet("表三", lambda x: set_cell(x, "J5", cell))


def _xlsm(folder: Path) -> Path:
    from tests.helpers import clean_document, write_doc
    return write_doc(clean_document(), folder, name="report", macro=True)


def _control(sheet: str, ref: str, text: str) -> Callable[[Path], Path]:
    return _sheet(sheet, lambda x: text_cell(x, ref, text))


def _raw_control(sheet: str, ref: str, byte: bytes) -> Callable[[Path], Path]:
    def edit(x: bytes) -> bytes:
        out = text_cell(x, ref, "前文MARK后文")
        return out.replace(b"MARK", byte, 1)
    return _sheet(sheet, edit)


def cases(secret: Path) -> list[WorkbookCase]:
    """All workbook cases; ``secret`` is a local file holding SECRET (the external entity's target)."""
    from tests.field.workbooks_more import more_cases  # (it builds on this module)

    unit_sst = "鹤岗市科学技术局".encode()
    unit_ref = re.search(rb'<c r="B4"[^>]*t="s"[^>]*><v>[0-9]+</v>', read_parts()[SHEETS["封面"]])
    assert unit_ref, "the example's unit name on 封面!B4 is a shared string"
    unit_v = unit_ref.group(0)[unit_ref.group(0).index(b"<v>"):]
    lim = {"XLTOOLS_LIMITS": "part_mb=1"}
    return [
        WorkbookCase("clean", _parts(lambda p: None), CLEAN),
        WorkbookCase("example-as-shipped", _bytes("report.xlsx", lambda: write_parts(read_parts())), ERRORS),
        WorkbookCase("not-a-zip", _bytes("report.xlsx", lambda: "这不是工作簿\n".encode() * 50), UNREADABLE),
        WorkbookCase("truncated-zip", _bytes("report.xlsx", lambda: _half(write_parts(clean_parts()))), UNREADABLE),
        WorkbookCase("truncated-zip-tail", _bytes("report.xlsx", lambda: write_parts(clean_parts())[:-200]),
                     UNREADABLE),
        WorkbookCase("no-workbook-xml", _drop("xl/workbook.xml"), UNREADABLE),
        WorkbookCase("no-content-types", _drop("[Content_Types].xml"), frozenset({0, 2})),
        WorkbookCase("no-shared-strings", _drop("xl/sharedStrings.xml"), UNREADABLE),
        WorkbookCase("no-sheet-part", _drop(SHEETS["表三"]), UNREADABLE),
        WorkbookCase("malformed-workbook-xml", _replace("xl/workbook.xml", b"</sheets>", b"</sheetz>"), UNREADABLE),
        WorkbookCase("malformed-rels", _replace("xl/_rels/workbook.xml.rels", b"</Relationships>", b"<Relat"),
                     UNREADABLE),
        WorkbookCase("rels-wrong-target", _replace("xl/_rels/workbook.xml.rels", b"worksheets/sheet4.xml",
                                                   b"worksheets/nowhere.xml"), UNREADABLE),
        WorkbookCase("rels-target-escape", _replace("xl/_rels/workbook.xml.rels", b"worksheets/sheet4.xml",
                                                    b"../../../../../../etc/passwd"), UNREADABLE),
        WorkbookCase("malformed-custom-xml", _replace("docProps/custom.xml", b"</Properties>", b"<Prop"),
                     frozenset({0, 2})),
        WorkbookCase("malformed-shared-strings", _replace("xl/sharedStrings.xml", b"</sst>", b"<si><t>"), UNREADABLE),
        WorkbookCase("malformed-sheet-xml", _replace(SHEETS["表三"], b"</sheetData>", b"</sheetDat"), UNREADABLE),
        WorkbookCase("shared-string-index-out-of-range", _replace(SHEETS["封面"], unit_v, b"<v>99999</v>"),
                     ANY),
        WorkbookCase("crc-error", _bytes("report.xlsx", _crc_error), UNREADABLE),
        WorkbookCase("crc-error-stored", _bytes("report.xlsx", _stored_crc_error), UNREADABLE),
        WorkbookCase("xls-renamed", _bytes("report.xlsx", lambda: bytes.fromhex("D0CF11E0A1B11AE1") + bytes(4088)),
                     UNREADABLE),
        WorkbookCase("xls-renamed-xls", _bytes("report.xls", lambda: bytes.fromhex("D0CF11E0A1B11AE1") + bytes(4088)),
                     UNREADABLE, suffix=".xls"),
        WorkbookCase("empty-file", _bytes("report.xlsx", lambda: b""), UNREADABLE),
        WorkbookCase("folder-named-xlsx", _special("folder"), UNREADABLE),
        WorkbookCase("fifo-named-xlsx", _special("fifo"), UNREADABLE),
        WorkbookCase("dangling-symlink", _special("dangling"), UNREADABLE),
        WorkbookCase("symlink-loop", _special("loop"), UNREADABLE),
        WorkbookCase("stray-AZ1048576", _sheet("表三", lambda x: append_row(
            x, '<row r="1048576"><c r="AZ1048576"><v>7</v></c></row>')), CLEAN),
        WorkbookCase("stray-XFD1048576", _sheet("表三", lambda x: append_row(
            x, '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')), CLEAN),
        WorkbookCase("dimension-whole-sheet", _replace(SHEETS["表三"], b'<dimension ref="A1:J29"/>',
                                                       b'<dimension ref="A1:XFD1048576"/>'), CLEAN),
        WorkbookCase("shared-strings-bomb", _parts(_shared_strings_bomb), UNREADABLE, env=lim),
        WorkbookCase("sheet-bomb", _sheet("表三", _padding), UNREADABLE, env=lim),
        WorkbookCase("sheet-ratio-bomb", _sheet("表四", lambda x: _padding(x, 30 * 1024 * 1024)), UNREADABLE),
        WorkbookCase("million-rows", _sheet("表四", _million_rows), frozenset({0, 2})),
        WorkbookCase("merge-K40-XFD1048576", _sheet("表三", lambda x: add_merge(x, "K40:XFD1048576")), UNREADABLE),
        WorkbookCase("merged-input-E5-F5", _sheet("表三", lambda x: add_merge(x, "E5:F5")), ERRORS),
        # no spreadsheet program writes these: check reports the cell, the editing commands refuse the file
        WorkbookCase("value-NaN", _d5("NaN"), ERRORS, edits=UNREADABLE),
        WorkbookCase("value-INF", _d5("INF"), ERRORS, edits=UNREADABLE),
        WorkbookCase("value-1.8e308", _d5("1.8e308"), ERRORS),
        WorkbookCase("value-1e20", _d5(str(10 ** 20)), ERRORS),
        WorkbookCase("value-5000-digit-text", _d5_text("9" * 5000), ERRORS),
        WorkbookCase("value-minus-1", _d5("-1"), ERRORS),
        WorkbookCase("value-1.5", _d5("1.5"), ERRORS),
        WorkbookCase("value-error-cell", _sheet("表三", lambda x: set_cell(
            x, "D5", '<c r="D5" s="13" t="e"><v>#DIV/0!</v></c>')), ERRORS),
        WorkbookCase("value-bool-cell", _sheet("表三", lambda x: set_cell(
            x, "D5", '<c r="D5" s="13" t="b"><v>1</v></c>')), ERRORS),
        # found by benchmarks/fuzz.py: calamine panics (PanicException, not an Exception) converting the date
        WorkbookCase("date-out-of-range", _sheet("封面", lambda x: number_cell(x, "B6", "-5647826480094245.0")),
                     ERRORS),
        WorkbookCase("date-1e20", _sheet("封面", lambda x: number_cell(x, "B6", "1e20")), ERRORS),
        WorkbookCase("control-x0b-text", _control("正文", "A3", "总体情况_x000B_第二行"), DATA),
        WorkbookCase("control-x00-text", _control("正文", "A3", "总体情况_x0000_结尾"), DATA),
        WorkbookCase("control-x1f-unit", _control("封面", "B4", "鹤岗市_x001F_科学技术局"), DATA),
        WorkbookCase("control-raw-x0b-text", _raw_control("正文", "A3", b"\x0b"), ANY),
        WorkbookCase("control-raw-x00-unit", _raw_control("封面", "B4", b"\x00"), ANY),
        WorkbookCase("unit-hyperlink-formula", _parts(lambda p: with_unit(
            p, '=HYPERLINK("http://example.invalid/x","点此")')), DATA),
        WorkbookCase("unit-120-chars", _parts(lambda p: with_unit(p, "鹤岗市" + "科学技术局" * 23 + "x")), DATA),
        WorkbookCase("formula-cached", _formula(True), CLEAN),
        WorkbookCase("formula-uncached", _formula(False), DATA),
        WorkbookCase("dtd-billion-laughs", _parts(lambda p: {**p, "xl/sharedStrings.xml": _billion_laughs(
            p["xl/sharedStrings.xml"])}), ANY),
        WorkbookCase("dtd-external-entity", _xxe(secret), ANY, leak=SECRET),
        WorkbookCase("deep-xml-nesting", _sheet("表三", _deep_nesting), ANY),
        WorkbookCase("random-sheet-attributes", _replace(SHEETS["表三"], b'<row r="5" spans="1:10">',
                                                         b'<row r="5" spans="99999:-3" ht="-1e309" hidden="maybe" '
                                                         b'outlineLevel="9999999999">'), ANY),
        WorkbookCase("row-number-garbage", _replace(SHEETS["表三"], b'<row r="6" spans="1:10">',
                                                    b'<row r="sechs" spans="1:10">'), ANY),
        WorkbookCase("cell-ref-garbage", _replace(SHEETS["表三"], b'<c r="E6" ', b'<c r="E99999999999999999999" '),
                     ANY),
        WorkbookCase("unit-name-shared-empty", _replace("xl/sharedStrings.xml", unit_sst, b""), DATA),
        WorkbookCase("xlsm-with-macros", _xlsm, CLEAN, suffix=".xlsm"),
        *more_cases(),
    ]
