"""The workbook reader on anything a unit can send: far-away cells, merged ranges, zip bombs, hostile XML, damaged
packages and numbers Excel cannot hold. Each input is built here from the example workbook by rewriting its XML
parts; the check runs as users run it (``python -m xltools``), bombs made small by lowering XLTOOLS_LIMITS, and one
real-size bomb of each kind runs under a memory limit and a time-out to prove that reading stays bounded."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLE_XLSX, xltools_command, xltools_env

from xltools.reading.package import WorkbookPackage

Edit = bytes | Callable[[bytes], bytes] | None  # new content, a rewrite of the old, or None: leave the part out
PARTS = WorkbookPackage(str(EXAMPLE_XLSX)).sheet_parts  # sheet name -> part name in the example
T3 = PARTS["表三"]


def rewrite(dst: Path, edits: dict[str, Edit], src: Path = EXAMPLE_XLSX) -> Path:
    """A copy of ``src`` with some parts replaced, rewritten or left out (new parts are added)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            edit = edits.get(info.filename, zin.read(info.filename))
            if edit is None:
                continue
            zout.writestr(info.filename, edit(zin.read(info.filename)) if callable(edit) else edit)
        for name in edits.keys() - set(zin.namelist()):
            new = edits[name]
            if isinstance(new, bytes):
                zout.writestr(name, new)
    return dst


def append_rows(xml: str) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"</sheetData>", xml.encode() + b"</sheetData>", 1)


def set_cell(address: str, inner: str, t: str | None = None) -> Callable[[bytes], bytes]:
    """Replace the content of one existing cell (keeping its style; ``t``: its type attribute)."""
    def edit(data: bytes) -> bytes:
        def cell(m: re.Match[bytes]) -> bytes:
            attrs = re.sub(rb'\s+t="[^"]*"', b"", m.group(1)) + (f' t="{t}"'.encode() if t else b"")
            return b'<c r="' + address.encode() + b'"' + attrs + b">" + inner.encode() + b"</c>"
        new, n = re.subn(rb'<c r="' + address.encode() + rb'"([^>]*?)(?:/>|>.*?</c>)', cell, data, count=1,
                         flags=re.S)
        assert n == 1
        return new
    return edit


def xltools(*args: str | Path, limits: str = "", memory_mb: int | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = xltools_env()
    env.pop("XLTOOLS_LIMITS", None)
    if limits:
        env["XLTOOLS_LIMITS"] = limits

    def guard() -> None:
        if memory_mb:
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    return subprocess.run(xltools_command(*args), capture_output=True, text=True, env=env, timeout=timeout,
                          preexec_fn=guard)


def check(book: Path, **kw: Any) -> tuple[int, list[dict[str, Any]]]:
    result = xltools("check", "--format", "json", book, **kw)
    assert result.stderr == "", result.stderr
    data = json.loads(result.stdout)
    return result.returncode, data["files"][0]["findings"]


def refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one-line message of a run that could not read the workbook (exit 2, no traceback)."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = result.stderr + result.stdout
    assert "Traceback" not in message and "内部错误" not in message and "请报告" not in message, message
    for word in words:
        assert word in message, message
    return message


@pytest.fixture(scope="module")
def baseline() -> tuple[int, list[dict[str, Any]]]:
    """The check of the unmodified example."""
    return check(EXAMPLE_XLSX)


def rules(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["rule"], f["location"]) for f in findings]


# --- Far-away cells ---------------------------------------------------------------------------------------------

def test_far_cell_is_a_warning_and_the_rest_is_unchanged(tmp_path: Path, baseline: Any) -> None:
    book = rewrite(tmp_path / "far.xlsx", {T3: append_rows('<row r="1048576"><c r="AZ1048576"><v>7</v></c></row>')})
    code, findings = check(book)
    stray = [f for f in findings if f["rule"] == "LAYOUT_STRAY_CELLS"]
    assert [(f["location"], f["actual"], f["severity"]) for f in stray] == [("表三", "AZ1048576", "warning")]
    assert "AZ1048576" in stray[0]["message"]["zh"] and "Ctrl+End" in stray[0]["fix"]["zh"]
    assert (code, rules([f for f in findings if f not in stray])) == (baseline[0], rules(baseline[1]))


def test_far_cells_on_several_sheets_give_one_warning_per_sheet_at_the_farthest_corner(tmp_path: Path) -> None:
    book = rewrite(tmp_path / "far.xlsx", {
        T3: append_rows('<row r="500"><c r="B500"><v>1</v></c></row><row r="900"><c r="A900" t="inlineStr">'
                        '<is><t>x</t></is></c><c r="ZZ900"><v>2</v></c></row>'),
        PARTS["封面"]: append_rows('<row r="300"><c r="C300"><v>3</v></c></row>'),
    })
    _, findings = check(book)
    assert sorted((f["location"], f["actual"]) for f in findings if f["rule"] == "LAYOUT_STRAY_CELLS") == [
        ("封面", "C300"), ("表三", "ZZ900")]


def test_cells_written_without_an_address_are_placed_like_excel_does(tmp_path: Path) -> None:
    # a row far down without r= on its cells, then a row without r= (it follows the row before it)
    book = rewrite(tmp_path / "far.xlsx", {T3: append_rows('<row r="4000"><c><v>1</v></c><c><v>2</v></c></row>'
                                                           '<row><c t="inlineStr"><is><t>x</t></is></c></row>')})
    _, findings = check(book)
    assert [f["actual"] for f in findings if f["rule"] == "LAYOUT_STRAY_CELLS"] == ["B4001"]


def test_empty_styled_cells_far_away_are_no_content(tmp_path: Path, baseline: Any) -> None:
    book = rewrite(tmp_path / "styled.xlsx", {T3: append_rows('<row r="5000"><c r="A5000" s="1"/></row>')})
    assert check(book) == baseline


def test_margin_is_a_limit(tmp_path: Path) -> None:
    book = rewrite(tmp_path / "near.xlsx", {T3: append_rows('<row r="40"><c r="B40"><v>1</v></c></row>')})
    _, default = check(book)
    assert "LAYOUT_STRAY_CELLS" not in [f["rule"] for f in default]
    _, narrow = check(book, limits="margin_rows=5")
    assert [f["actual"] for f in narrow if f["rule"] == "LAYOUT_STRAY_CELLS"] == ["B40"]


def test_real_size_far_cell_stays_bounded(tmp_path: Path, baseline: Any) -> None:
    """Before: calamine made the whole sheet dense (XFD1048576: the process aborted asking for 512 GB)."""
    book = rewrite(tmp_path / "far.xlsx", {T3: append_rows('<row r="1048576"><c r="XFD1048576"><v>7</v></c>'
                                                           "</row>")})
    result = xltools("check", "--format", "json", book, memory_mb=1024, timeout=60)
    assert result.returncode == baseline[0], result.stderr
    findings = json.loads(result.stdout)["files"][0]["findings"]
    assert [f["actual"] for f in findings if f["rule"] == "LAYOUT_STRAY_CELLS"] == ["XFD1048576"]


# --- Merged ranges ----------------------------------------------------------------------------------------------

def merge(ref: str) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"</mergeCells>", f'<mergeCell ref="{ref}"/></mergeCells>'.encode(), 1)


def test_input_cell_under_a_merged_range_is_not_read(tmp_path: Path) -> None:
    book = rewrite(tmp_path / "merged.xlsx", {T3: merge("D5:E5")})
    code, findings = check(book)
    merged = [f for f in findings if f["rule"] == "LAYOUT_MERGED_INPUT"]
    assert [(f["location"], f["actual"], f["severity"]) for f in merged] == [("表三!E5", "D5:E5", "error")]
    assert "D5:E5" in merged[0]["message"]["zh"] and "取消合并" in merged[0]["fix"]["zh"]
    assert code == 1
    dumped = xltools("dump", book)
    assert dumped.returncode == 0, dumped.stderr
    assert "T3.new_received.commercial_enterprise" not in json.loads(dumped.stdout)["values"]  # E5: not read


def test_the_templates_own_merged_labels_give_no_finding(tmp_path: Path) -> None:
    assert xltools("new", "-o", tmp_path / "blank.xlsx").returncode == 0
    for book in (EXAMPLE_XLSX, tmp_path / "blank.xlsx"):
        _, findings = check(book)
        assert not [f for f in findings if f["rule"] in ("LAYOUT_MERGED_INPUT", "LAYOUT_STRAY_CELLS")]


def test_huge_merged_range_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """Before: every cell of K40:XFD1048576 was expanded one by one (GBs)."""
    book = rewrite(tmp_path / "merged.xlsx", {T3: merge("K40:XFD1048576")})
    for command in ("check", "dump"):
        refused(xltools(command, book, memory_mb=1024, timeout=60), "合并单元格太多", "表三")


def test_merged_ranges_beyond_the_bound_are_clipped(tmp_path: Path, baseline: Any) -> None:
    book = rewrite(tmp_path / "merged.xlsx", {T3: merge("K40:Z5000")})  # 80,000 cells: within the limit
    code, findings = check(book)
    assert (code, rules(findings)) == (baseline[0], rules(baseline[1]))


def test_merged_cells_limit(tmp_path: Path) -> None:
    refused(xltools("check", EXAMPLE_XLSX, limits="merged_cells=10"), "合并单元格太多", "merged_cells")


# --- The zip package: limits ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("limits", "words"), [
    ("file_mb=0.01", ("文件太大", "file_mb")),
    ("part_mb=0.05", (T3, "解压后太大", "part_mb")),
    ("ratio=10", (T3, "压缩比异常", "ratio")),
    ("total_mb=0.1", ("解压后的内容太大", "total_mb")),
])
def test_package_limits(limits: str, words: tuple[str, ...]) -> None:
    refused(xltools("check", EXAMPLE_XLSX, limits=limits), *words)
    refused(xltools("dump", EXAMPLE_XLSX, limits=limits), *words)


def test_parts_xltools_does_not_read_are_never_decompressed(tmp_path: Path, baseline: Any) -> None:
    book = rewrite(tmp_path / "picture.xlsx", {"xl/media/image1.png": b"\0" * (4 << 20)})  # ratio ~1000
    assert check(book, limits="ratio=50,part_mb=1") == baseline


def test_real_size_shared_strings_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    book = rewrite(tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": None})
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
            zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:  # 96 MB of one string
        part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
        for _ in range(96):
            part.write(b"A" * (1 << 20))
        part.write(b"</t></si></sst>")
    assert book.stat().st_size < (2 << 20)
    refused(xltools("check", book, memory_mb=1024, timeout=60), "xl/sharedStrings.xml")


def test_real_size_sheet_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    book = rewrite(tmp_path / "bomb.xlsx", {T3: None})
    rows = b"<row>" + b"<c><v>1</v></c>" * 16 + b"</row>"
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
            zf.open(T3, "w", force_zip64=True) as part:  # 1,000,000 rows of 16 numbers: 270 MB
        part.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        for _ in range(100):
            part.write(rows * 10_000)
        part.write(b"</sheetData></worksheet>")
    assert book.stat().st_size < (2 << 20)
    refused(xltools("check", book, memory_mb=1024, timeout=60), T3)


# --- The zip package: damaged and hostile parts -----------------------------------------------------------------

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
          "<workbook>&lol2;</workbook>")


@pytest.mark.parametrize(("edits", "words"), [
    ({"xl/workbook.xml": b"<workbook><sheets>"}, ("xl/workbook.xml 无法解析", "另存为 .xlsx")),
    ({"xl/_rels/workbook.xml.rels": b"<Relationships"}, ("xl/_rels/workbook.xml.rels 无法解析",)),
    ({"docProps/custom.xml": b"<Properties><property"}, ("docProps/custom.xml 无法解析",)),
    ({"xl/workbook.xml": LAUGHS.encode()}, ("xl/workbook.xml", "DTD")),
    ({"docProps/custom.xml": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><x/>'.encode("utf-16")},
     ("docProps/custom.xml", "DTD")),
    ({"xl/_rels/workbook.xml.rels": lambda d: d.replace(b"?>", b'?><!DOCTYPE x SYSTEM "http://example.invalid/x">',
                                                       1)}, ("xl/_rels/workbook.xml.rels", "DTD")),
    ({T3: lambda d: d[: d.find(b"</sheetData>") // 2]}, (T3, "不完整")),
    ({"xl/workbook.xml": None}, ("xl/workbook.xml",)),
    ({"_rels/.rels": None}, ("_rels/.rels", "缺失")),
    # a row number past the last row, on a cell without an address: calamine allocated 389 GB and aborted
    ({T3: lambda d: d.replace(b"</sheetData>", b'<row r="99999999999"><c><v>1</v></c></row></sheetData>', 1)},
     (T3, "行号", "99999999999")),
    # found by benchmarks/fuzz.py: an encoding Python does not know was an xltools bug (LookupError)
    ({"xl/workbook.xml": lambda d: d.replace(b'encoding="UTF-8"', b'encoding="TTF-8"', 1)},
     ("xl/workbook.xml 无法解析",)),
])
def test_damaged_parts_are_named(tmp_path: Path, edits: dict[str, Edit], words: tuple[str, ...]) -> None:
    book = rewrite(tmp_path / "damaged.xlsx", edits)
    refused(xltools("check", book), *words)
    refused(xltools("dump", book), *words)


def test_crc_error_names_the_part(tmp_path: Path) -> None:
    book = rewrite(tmp_path / "crc.xlsx", {})
    with zipfile.ZipFile(book) as zf:
        info = zf.getinfo(T3)
    data = bytearray(book.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF  # a byte in the middle of the compressed sheet
    book.write_bytes(bytes(data))
    for command in ("check", "dump"):
        refused(xltools(command, book), T3)


def test_truncated_zip(tmp_path: Path) -> None:
    book = tmp_path / "cut.xlsx"
    book.write_bytes(EXAMPLE_XLSX.read_bytes()[:5000])
    for command in ("check", "dump"):
        refused(xltools(command, book), "已损坏", "重新获取")


def test_old_xls_and_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000)
    (tmp_path / "text.xlsx").write_text("不是工作簿", encoding="utf-8")
    refused(xltools("dump", tmp_path / "old.xlsx"), "另存为", ".xlsx")
    refused(xltools("dump", tmp_path / "text.xlsx"), "不是 Excel 工作簿")
    # a workbook with an opening password is an OLE file holding the encrypted package: say so, not "old .xls"
    encrypted = tmp_path / "encrypted.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le"))
    refused(xltools("check", encrypted), "打开密码", "去掉")


# --- Numbers and text -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("inner", "shown"), [
    ("<v>NaN</v>", "NaN"), ("<v>1e309</v>", "INF"), ("<v>1.7e308</v>", "1.7e+308"), ("<v>1E+20</v>", "1e+20"),
    ("<is><t>123456789012345678901</t></is>", "123456789012345678901"),
    (f'<is><t>{"9" * 5000}</t></is>', "（共 5000 位数字）"),
])
def test_numbers_excel_cannot_hold_are_invalid_at_the_cell(tmp_path: Path, inner: str, shown: str) -> None:
    """Before: a 5,000-digit number typed as text crashed every command (int() refuses over 4300 digits)."""
    book = rewrite(tmp_path / "n.xlsx", {T3: set_cell("D5", inner, "inlineStr" if "<is>" in inner else None)})
    code, findings = check(book)
    bad = [f for f in findings if f["location"] == "表三!D5"]
    assert [f["rule"] for f in bad] == ["VALUE_INVALID_NUMBER"] and shown in bad[0]["message"]["zh"]
    assert code == 1
    assert not [f for f in findings if f["rule"].startswith("T3_") and "表三!D" in f["location"]]  # not summed
    dumped = xltools("dump", book)
    assert dumped.returncode == 0, dumped.stderr
    assert "T3.new_received.natural_person" not in json.loads(dumped.stdout)["values"]
    exported = xltools("export", book, "-o", tmp_path / "out.html", "--force")
    assert exported.returncode == 1 and "Traceback" not in exported.stderr, exported.stderr


def test_too_precise_shows_what_was_typed(tmp_path: Path) -> None:
    book = rewrite(tmp_path / "p.xlsx", {PARTS["表二"]: set_cell("B15", "<v>12.3456789</v>")})
    _, findings = check(book)
    assert [f["message"]["zh"] for f in findings if f["rule"] == "VALUE_TOO_PRECISE"] == [
        "金额 12.3456789 超过6位小数"]


def test_control_characters_in_text_and_meta_fields(tmp_path: Path) -> None:
    # Excel stores a control character in a cell as _xHHHH_
    book = rewrite(tmp_path / "cc.xlsx", {
        PARTS["正文"]: set_cell("A3", "<is><t>第一段_x000B_第二段_x000B_第三段</t></is>", "inlineStr"),
        PARTS["封面"]: set_cell("B4", "<is><t>某_x0001_局</t></is>", "inlineStr"),
    })
    _, findings = check(book)
    cc = {f["location"]: f for f in findings if f["rule"] == "TEXT_CONTROL_CHARS"}
    assert sorted(cc) == ["封面!B4", "正文!A3"]
    assert (cc["正文!A3"]["actual"], cc["正文!A3"]["expected"], cc["正文!A3"]["severity"]) == (
        2, "手动换行符 U+000B", "warning")
    assert cc["封面!B4"]["expected"] == "控制字符 U+0001"
    dumped = json.loads(xltools("dump", book).stdout)
    # handed on as read: the first paragraph row, then the example's other paragraphs of section 一
    assert dumped["texts"]["S1.text"].split("\n")[0] == "第一段\x0b第二段\x0b第三段"


def test_error_cells_are_not_blanks(tmp_path: Path) -> None:
    """Before: calamine reads #DIV/0! as an empty cell: a broken formula passed as a blank (warning only)."""
    book = rewrite(tmp_path / "e.xlsx", {T3: set_cell("D5", "<f>1/0</f><v>#DIV/0!</v>", "e")})
    code, findings = check(book)
    bad = [f for f in findings if f["location"] == "表三!D5"]
    assert (code, [f["rule"] for f in bad]) == (1, ["VALUE_NOT_A_NUMBER"]) and "#DIV/0!" in bad[0]["message"]["zh"]


def test_roster_with_a_far_cell_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """Rosters (consolidate --roster) go through the same bounded reading."""
    roster = rewrite(tmp_path / "roster.xlsx", {PARTS["封面"]: append_rows(
        '<row r="1048576"><c r="XFD1048576"><v>7</v></c></row>')})
    code = ("import sys; from xltools.reading.reader import read_rows; rows = read_rows(sys.argv[1]); "
            "print(len(rows), max(map(len, rows)))")
    result = subprocess.run([sys.executable, "-c", code, str(roster)], capture_output=True, text=True,
                            env=xltools_env(), timeout=60,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)))
    assert result.returncode == 0, result.stderr
    rows, cols = map(int, result.stdout.split())
    assert rows < 100 and cols <= 20


def _styled(number_format: int) -> Callable[[bytes], bytes]:
    """Add a cell style with a built-in number format (14: date, 46: [h]:mm:ss) as the last style."""
    def edit(styles: bytes) -> bytes:
        count = int(re.search(rb'<cellXfs count="(\d+)"', styles).group(1))  # type: ignore[union-attr]
        styles = styles.replace(b"</cellXfs>", b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" '
                                b'applyNumberFormat="1"/></cellXfs>' % number_format, 1)
        return re.sub(rb'<cellXfs count="\d+"', b'<cellXfs count="%d"' % (count + 1), styles, count=1)
    return edit


@pytest.mark.parametrize(("number_format", "value", "sheet", "address", "rule"), [
    (14, "-1e12", "表三", "D5", "VALUE_NEGATIVE"),  # calamine panics: a BaseException, a traceback before
    (14, "-5647826480094245.0", "封面", "B6", "META_INVALID"),
    (46, "1e16", "表三", "D5", "VALUE_INVALID_NUMBER"),  # Python's timedelta overflows: 无法读取 before
    (14, "99999999", "封面", "B6", "META_INVALID"),  # 8 digits: past the last date calamine can make (it panicked)
])
def test_dates_and_times_out_of_range_are_findings_at_the_cell(tmp_path: Path, number_format: int, value: str,
                                                               sheet: str, address: str, rule: str) -> None:
    with zipfile.ZipFile(EXAMPLE_XLSX) as zf:
        style = int(re.search(rb'<cellXfs count="(\d+)"', zf.read("xl/styles.xml")).group(1))  # type: ignore[union-attr]
    cell = set_cell(address, f"<v>{value}</v>")
    book = rewrite(tmp_path / "d.xlsx", {"xl/styles.xml": _styled(number_format), PARTS[sheet]: lambda d: re.sub(
        rb'(<c r="' + address.encode() + rb'") s="\d+"', rb'\1', cell(d), count=1).replace(
        b'<c r="' + address.encode() + b'"', b'<c r="' + address.encode() + b'" s="%d"' % style, 1)})
    code, findings = check(book)
    assert code == 1 and (rule, f"{sheet}!{address}") in rules(findings)
    dumped = xltools("dump", book)
    assert dumped.returncode == 0 and "Traceback" not in dumped.stderr and "panicked" not in dumped.stderr

