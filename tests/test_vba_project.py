"""The VBA project of the macro template as [MS-OVBA] asks a writer to make it, read back from the bytes of a
template built here (olefile for the compound file, oletools for the MS-OVBA decompression, our own reading of the
dir stream), and the generated module: ASCII, Chinese through ChrW, every button behind the pre-flight."""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream
from test_macro_template import _code, build_template

from xltools.workbook.buttons import (
    BUTTONS,
    PREFLIGHT,
    PREFLIGHT_IMPORT,
    PREFLIGHT_TEXTS,
    TEXT_VARIABLES,
    VBA_TEXT_WIDTH,
    vba_module,
    vba_string,
)
from xltools.workbook.macro import missing_xlwings_functions, module_sources, xlwings_folder

SOURCE_ONLY = bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x01, 0x00])  # [MS-OVBA] 3.1.1
STANDARD, OTHER = 0x0021, 0x0022  # MODULETYPE records: procedural module; class, document or designer module


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("vba"))


def ole(book: Path) -> olefile.OleFileIO:
    with zipfile.ZipFile(book) as zf:
        return olefile.OleFileIO(io.BytesIO(zf.read("xl/vbaProject.bin")))


def dir_records(raw: bytes) -> list[tuple[int, bytes]]:
    """The records of a decompressed dir stream, (Id, Data) in order. PROJECTVERSION (0x0009) is the one record
    whose Size field (a reserved 4) is not the length of what follows (6 bytes)."""
    records, at = [], 0
    while at < len(raw):
        rid, size = struct.unpack_from("<HI", raw, at)
        size = 6 if rid == 0x0009 else size
        records.append((rid, raw[at + 6:at + 6 + size]))
        at += 6 + size
    assert at == len(raw)
    return records


def dir_modules(records: list[tuple[int, bytes]]) -> tuple[int, list[dict[str, object]]]:
    """The PROJECTMODULES count and, per module, its name, stream name, MODULEOFFSET and MODULETYPE."""
    codepage = next(struct.unpack("<H", data)[0] for rid, data in records if rid == 0x0003)
    encoding = f"cp{codepage}"
    count = next(struct.unpack("<H", data)[0] for rid, data in records if rid == 0x000F)
    modules: list[dict[str, object]] = []
    current: dict[str, object] = {}
    for rid, data in records[[rid for rid, _ in records].index(0x000F):]:
        if rid == 0x0019:
            current = {"name": data.decode(encoding)}
        elif rid == 0x0047:
            current["name_unicode"] = data.decode("utf-16-le")
        elif rid == 0x001A:
            current["stream"] = data.decode(encoding)
        elif rid == 0x0032:
            current["stream_unicode"] = data.decode("utf-16-le")
        elif rid == 0x0031:
            current["offset"] = struct.unpack("<I", data)[0]
        elif rid in (STANDARD, OTHER):
            current["type"] = rid
        elif rid == 0x002B:
            modules.append(current)
    return count, modules


def test_vba_project_stream_is_the_7_byte_source_only_header(built: Path) -> None:
    f = ole(built)
    assert f.openstream("VBA/_VBA_PROJECT").read() == SOURCE_ONLY
    streams = ["/".join(e) for e in f.listdir(streams=True, storages=True)]
    assert not [s for s in streams if s.split("/")[-1].lower().startswith("__srp_")], streams


def test_dir_stream_names_every_module_stream_at_offset_0(built: Path) -> None:
    f = ole(built)
    count, modules = dir_modules(dir_records(decompress_stream(bytearray(f.openstream("VBA/dir").read()))))
    names = [str(m["name"]) for m in modules]
    assert count == len(modules) and len(set(names)) == len(names)
    sheets = [n for n in names if re.fullmatch(r"Sheet\d+", n)]
    assert names == ["ThisWorkbook", *sheets, "xltools", "xlwings", "Dictionary"] and len(sheets) >= 6
    for m in modules:
        assert m["stream"] == m["name"] == m["name_unicode"] == m["stream_unicode"]
        assert m["offset"] == 0, m
        assert m["type"] == (STANDARD if m["name"] in ("xltools", "xlwings") else OTHER), m
    in_storage = {e[1] for e in f.listdir(streams=True, storages=False) if e[0] == "VBA"}
    assert in_storage == {*names, "dir", "_VBA_PROJECT"}
    project = f.openstream("PROJECT").read().decode("cp1252").split("\r\n")
    declared = project[1:project.index("")]
    assert [ln for ln in declared if ln.startswith(("Document=", "Module=", "Class="))] == [
        *(f"Document={n}/&H00000000" for n in ["ThisWorkbook", *sheets]),
        "Module=xltools", "Module=xlwings", "Class=Dictionary"]
    wm = f.openstream("PROJECTwm").read()
    assert wm.startswith(b"".join(n.encode() + b"\0" + n.encode("utf-16-le") + b"\0\0" for n in names))


def test_module_streams_hold_only_their_compressed_source(built: Path) -> None:
    f = ole(built)
    sources = {name: source for name, source, _ in module_sources()}
    for entry in f.listdir(streams=True, storages=False):
        if entry[0] != "VBA" or entry[1] in ("dir", "_VBA_PROJECT"):
            continue
        name = entry[1]
        # decompress_stream insists on the CompressedContainer's signature byte at offset 0: no compiled code first
        text = decompress_stream(bytearray(f.openstream(entry).read())).decode("cp1252")
        assert text.startswith(f'Attribute VB_Name = "{name}"\r\n'), name
        if name in sources:
            assert _code(text) == _code(sources[name]), name
        else:  # a document module: its attributes and nothing else
            assert all(line.startswith("Attribute VB_") for line in text.split("\r\n") if line), name


def test_olevba_reads_every_module_with_its_full_source(built: Path) -> None:
    parser = VBA_Parser(str(built))
    found = {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    sources = module_sources()
    assert [n for n, _, _ in sources] == ["xltools", "xlwings", "Dictionary"]
    for name, source, _ in sources:
        assert _code(found[name]) == _code(source), name
    assert found["xltools"].replace("\r\n", "\n").rstrip("\n") == vba_module().rstrip("\n")


def test_the_build_is_deterministic(built: Path, tmp_path: Path) -> None:
    again = build_template(tmp_path)
    assert again.read_bytes() == built.read_bytes()


# The generated module ------------------------------------------------------------------------------------------

_TOKEN = re.compile(r'"((?:[^"]|"")*)"|ChrW\((\d+)\)|(vbLf)|([A-Za-z]\w*)')


def vba_concat(expression: str, variables: dict[str, str]) -> str:
    """The value of a VBA ``a & b & …`` expression of string literals, ChrW(n), vbLf and variables."""
    pieces = []
    for term in expression.split(" & "):
        m = _TOKEN.fullmatch(term.strip())
        assert m, term
        literal, code, lf, variable = m.groups()
        pieces.append(literal.replace('""', '"') if literal is not None else chr(int(code)) if code
                      else "\n" if lf else variables[variable])
    return "".join(pieces)


def text_functions(module: str) -> dict[str, Callable[[dict[str, str]], str]]:
    """Each generated text function of the module, as a Python function of its arguments."""
    found: dict[str, Callable[[dict[str, str]], str]] = {}
    pattern = (r"Private Function (\w+)\(ByVal interpreter As String, ByVal detail As String\) As String\n"
               r"    Dim s As String\n((?:    s = s & .*\n)+)    \1 = s\nEnd Function")
    for name, body in re.findall(pattern, module):
        lines = [ln.removeprefix("    s = s & ") for ln in body.splitlines()]
        found[name] = lambda values, lines=lines: "".join(vba_concat(ln, values) for ln in lines)
    return found


def test_module_is_ascii_within_vba_line_limits() -> None:
    module = vba_module()
    assert module.isascii()
    lines = module.split("\n")
    assert max(map(len, lines)) <= 1023
    continued = 0
    for line in lines:
        continued = continued + 1 if line.endswith(" _") else 0
        assert continued <= 24
    assert all(len(ln) <= VBA_TEXT_WIDTH for ln in lines if ln.startswith("    s = s & "))


def test_chrw_texts_decode_to_the_chinese_messages() -> None:
    functions = text_functions(vba_module())
    assert functions.keys() == PREFLIGHT_TEXTS.keys()
    values = {"interpreter": r"C:\Users\张三\xltools\Scripts\python.exe", "detail": "No module named 'xltools'"}
    for name, text in PREFLIGHT_TEXTS.items():
        assert functions[name](values) == text.format(**values), name
    assert "安装.bat" in PREFLIGHT_TEXTS["XltoolsTextNoPython"]
    assert "{detail}" in PREFLIGHT_TEXTS["XltoolsTextNotInstalled"]
    assert {"360安全卫士", "火绒", "cmd.exe"} <= set(re.findall(r"360安全卫士|火绒|cmd\.exe",
                                                              PREFLIGHT_TEXTS["XltoolsTextBlocked"]))


def test_vba_string_quotes_ascii_and_refuses_what_it_cannot_write() -> None:
    assert vba_string('说 "OK"\n{detail}') == ["ChrW(35828)", '" ""OK"""', "vbLf", "detail"]
    assert vba_concat(" & ".join(vba_string("a\"b 中")), {}) == "a\"b 中"
    with pytest.raises(ValueError):
        vba_string("{path}", TEXT_VARIABLES)
    with pytest.raises(ValueError):
        vba_string("tab\there")
    with pytest.raises(ValueError):
        vba_string("\U0001F600")


def test_every_button_macro_runs_the_pre_flight_first() -> None:
    subs = dict(re.findall(r"Public Sub (\w+)\(\)\n(.*?)End Sub", vba_module(), re.DOTALL))
    assert subs.keys() == {b.macro for b in BUTTONS}
    for b in BUTTONS:
        assert subs[b.macro].splitlines() == [f"    If Not {PREFLIGHT}() Then Exit Sub",
                                              f'    RunPython "import xltools.workbook.handlers as h; h.{b.handler}()"']


def test_pre_flight_finds_and_starts_python_as_runpython_does() -> None:
    """The same settings, in the same order, as RunPython in the xlwings.bas of the installed xlwings; Mac skipped."""
    xlwings_bas = (xlwings_folder() / "xlwings.bas").read_text(encoding="utf-8")
    run_python = xlwings_bas[xlwings_bas.index("Public Function RunPython"):xlwings_bas.index("End Function")]
    windows = run_python[run_python.index("#Else"):]
    module = vba_module()
    preflight = module[module.index(f"Private Function {PREFLIGHT}()"):]
    preflight = preflight[:preflight.index("End Function")]
    for line in ('interpreter = GetConfig("INTERPRETER_WIN", "")', 'GetConfig("INTERPRETER", "python")'):
        assert line in windows and line in preflight, line
    assert preflight.index("INTERPRETER_WIN") < preflight.index('"INTERPRETER", "python"')
    mac = preflight[preflight.index("#If Mac Then"):preflight.index("#Else")]
    assert mac.split() == ["#If", "Mac", "Then", f"{PREFLIGHT}", "=", "True"]
    assert f'-B -c ""{PREFLIGHT_IMPORT}""' in preflight and ", 0, True)" in preflight  # hidden, waits
    assert missing_xlwings_functions(xlwings_bas) == []
    assert missing_xlwings_functions(xlwings_bas.replace("Function ParentFolder(", "Function Parent(")) == [
        "ParentFolder"]


_PROBE = """
Public Sub Probe()
    Dim f As Integer, texts As String
    texts = XltoolsTextNoPython("", "") & vbLf & "--" & vbLf & XltoolsTextNotInstalled("{interpreter}", "{detail}")
    texts = texts & vbLf & "--" & vbLf & XltoolsLastLine("{log}")
    texts = texts & vbLf & "--" & vbLf & "[" & XltoolsLastLine("{log}.none") & "]"
    f = FreeFile
    Open "{result}" For Output As #f
    Print #f, texts
    Close #f
End Sub
"""


@pytest.mark.slow
def test_libreoffice_basic_compiles_the_module_and_runs_its_functions(tmp_path: Path) -> None:
    """LibreOffice's VBA-compatible Basic (the only one here) compiles the whole module and runs the text functions
    and the log reader of the pre-flight, from the user library of a LibreOffice profile made for the test."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is required (apt-get install libreoffice-calc-nogui); .ci/run installs it"
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    subprocess.run([soffice, profile, "--headless", "--norestore", "--terminate_after_init"], check=True,
                   capture_output=True, timeout=180)
    log, result = tmp_path / "preflight.log", tmp_path / "result.txt"
    log.write_bytes(b"Traceback (most recent call last):\r\nModuleNotFoundError: No module named 'xltools'\r\n\r\n")
    values = {"interpreter": "C:\\Python\\python.exe", "detail": "No module named 'xlwings'"}
    probe = _PROBE.format(log=log, result=result, **values)
    code = "\n".join(ln for ln in vba_module().split("\n") if not ln.startswith("Attribute "))
    module = tmp_path / "lo-profile" / "user" / "basic" / "Standard" / "Module1.xba"
    module.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<script:module xmlns:script="http://openoffice.org/2000/'
                      'script" script:name="Module1" script:language="StarBasic">'
                      + escape(f"Option VBASupport 1\n{code}\n{probe}") + "</script:module>", encoding="utf-8")
    try:
        subprocess.run([soffice, profile, "--headless", "--norestore", "macro:///Standard.Module1.Probe"],
                       capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("LibreOffice did not finish: a compile error in the module opens a dialog and waits")
    assert result.is_file(), "LibreOffice did not run the module (a syntax error stops the whole module)"
    texts = result.read_text(encoding="utf-8").rstrip("\r\n").split("\n--\n")
    assert texts == [PREFLIGHT_TEXTS["XltoolsTextNoPython"],
                     PREFLIGHT_TEXTS["XltoolsTextNotInstalled"].format(**values),
                     "ModuleNotFoundError: No module named 'xltools'", "[]"]
