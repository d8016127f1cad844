"""The macro template (.xlsm): the committed one rebuilt byte for byte from its text sources; a template built here
(tests/test_vba_project.py reads its VBA project back) has the report sheets of the plain workbook, the settings
sheet without empty keys, and its modules and button bindings read back by LibreOffice."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from helpers import EXAMPLE_JSON, REPO, libreoffice_convert, run, xltools_env
from oletools.olevba import VBA_Parser

from xltools.format.spec import load_spec
from xltools.workbook.buttons import BUTTON_NOTE, BUTTON_ROLES, BUTTONS, CONF_HELP, CONF_ROWS, CONF_SHEET, PC_CONF_FILE
from xltools.workbook.macro import xlwings_folder

BUTTON_SHEETS = tuple(s.name for s in load_spec().sheets if s.role in BUTTON_ROLES)

TEMPLATE = REPO / "workbook_templates" / "gov-disclosure-2021.xlsm"
NS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
      "form": "urn:oasis:names:tc:opendocument:xmlns:form:1.0",
      "script": "urn:oasis:names:tc:opendocument:xmlns:script:1.0",
      "xlink": "http://www.w3.org/1999/xlink"}


def _code(text: str) -> list[str]:
    """Module text as VBA keeps it: CRLF lines, without the Attribute header and a .cls file's preamble."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].startswith("VERSION "):
        lines = lines[lines.index("END") + 1:]
    return [ln for ln in lines if not ln.startswith("Attribute VB_")]


def test_new_macro_writes_the_committed_template(tmp_path: Path) -> None:
    out = tmp_path / "blank.xlsm"
    result = run("new", "--macro", "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == TEMPLATE.read_bytes()
    wrong = run("new", "-o", tmp_path / "x.xlsm")
    assert wrong.returncode == 2 and "--macro" in wrong.stderr


def build_template(folder: Path) -> Path:
    """The macro template built from the sources into ``folder``, as the committed one is built."""
    out = folder / "built.xlsm"
    subprocess.run([sys.executable, "-m", "xltools.workbook.macro", str(out)], check=True, capture_output=True,
                   env=xltools_env(), timeout=120)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("macro"))


def test_committed_macro_template_rebuilds_byte_identical(built: Path) -> None:
    assert built.read_bytes() == TEMPLATE.read_bytes(), \
        "rebuild: python -m xltools.workbook.macro (sources or xlwings changed)"


def test_vba_xlwings_version_is_the_pinned_and_installed_one(built: Path) -> None:
    parser = VBA_Parser(str(built))
    code = next(c for _, _, n, c in parser.extract_macros() if n == "xlwings.bas")
    parser.close()
    in_vba = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', code)
    assert in_vba
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in pyproject["project"]["optional-dependencies"]["excel"] if d.startswith("xlwings")]
    assert pins == [f"xlwings=={in_vba.group(1)}"]
    assert importlib.metadata.version("xlwings") == in_vba.group(1)


def test_report_sheets_equal_the_plain_workbook_and_settings_are_hidden(built: Path, tmp_path: Path) -> None:
    assert run("new", "-o", tmp_path / "plain.xlsx").returncode == 0
    macro, plain = openpyxl.load_workbook(built), openpyxl.load_workbook(tmp_path / "plain.xlsx")
    assert macro.sheetnames == [*plain.sheetnames, CONF_SHEET]
    for name in plain.sheetnames:
        a, b = macro[name], plain[name]
        area = b.print_area.split("!")[-1].replace("$", "") if b.print_area else b.dimensions
        assert [[c.value for c in r] for r in a[area]] == [[c.value for c in r] for r in b[area]]
        extra = {c.value for r in a.iter_rows() for c in r if c.value} - {c.value for r in b.iter_rows() for c in r}
        assert extra == (set(BUTTON_NOTE) if name in BUTTON_SHEETS else set()), name
        assert sorted(map(str, a.merged_cells.ranges)) == sorted(map(str, b.merged_cells.ranges))
        assert a.protection.sheet and a.print_area == b.print_area
    assert dict(macro.defined_names.items()).keys() == dict(plain.defined_names.items()).keys()
    assert macro[CONF_SHEET].sheet_state == "hidden"


def test_settings_sheet_holds_no_empty_key_and_points_to_the_per_pc_file(built: Path) -> None:
    """xlwings takes a key of the sheet even when its value is empty, before the per-PC file the installer writes:
    the sheet holds only keys with a value (none by default), and its help names the per-PC file."""
    conf = openpyxl.load_workbook(built)[CONF_SHEET]
    keys = [(conf.cell(row, 1).value, conf.cell(row, 2).value) for row in range(1, conf.max_row + 1)]
    written = [(k, v) for k, v in keys if k is not None]
    assert written == [(k, v) for k, v in CONF_ROWS] and all(v not in (None, "") for _, v in written)
    assert conf.cell(len(CONF_ROWS) + 1, 1).value is None  # xlwings reads column A down to the first blank
    assert "Interpreter_Win" not in {k for k, _ in written}
    help_text = [conf.cell(row, 4).value for row in range(1, len(CONF_HELP) + 1)]
    assert help_text == list(CONF_HELP) and any(PC_CONF_FILE in line and "安装.bat" in line for line in help_text)


def test_xlwings_reads_the_sheet_before_the_per_pc_file_where_the_installer_writes_it() -> None:
    """What the settings sheet and its help rely on, in the xlwings.bas of the installed xlwings."""
    bas = (xlwings_folder() / "xlwings.bas").read_text(encoding="utf-8")
    assert 'GetConfigFilePath = Environ("USERPROFILE") & "\\." & PROJECT_NAME & "\\" & PROJECT_NAME & ".conf"' in bas
    assert PC_CONF_FILE == "%USERPROFILE%\\.xlwings\\xlwings.conf" and 'PROJECT_NAME As String = "xlwings"' in bas
    get_config = bas[bas.index("Function GetConfig("):]
    get_config = get_config[:get_config.index("End Function")]
    sheet = get_config.index("GetConfigFromSheet(ThisWorkbook).Exists(configKey) = True Then")
    assert sheet < get_config.index("GetConfigFromFile(GetConfigFilePath(), configKey, configValue)")
    assert "GetConfig = GetConfigFromSheet(ThisWorkbook).Item(configKey)" in get_config[sheet:sheet + 200]


def test_buttons_sit_right_of_the_print_area_and_call_the_macros(built: Path) -> None:
    with zipfile.ZipFile(built) as zf:
        vml = [zf.read(n).decode() for n in sorted(zf.namelist()) if n.startswith("xl/drawings/vmlDrawing")]
    assert len(vml) == len(BUTTON_SHEETS)
    for drawing in vml:
        assert re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", drawing) == [b.macro for b in BUTTONS]
        assert drawing.count("<x:PrintObject>False</x:PrintObject>") == len(BUTTONS)


def test_filled_macro_workbook_checks_like_the_plain_one(tmp_path: Path) -> None:
    plain, macro = tmp_path / "a.xlsx", tmp_path / "a.xlsm"
    assert run("new", "--from", EXAMPLE_JSON, "-o", plain).returncode == 0
    assert run("new", "--macro", "--from", EXAMPLE_JSON, "-o", macro).returncode == 0
    a = run("check", "--format", "json", plain)
    b = run("check", "--format", "json", macro)
    assert a.returncode == b.returncode
    assert a.stdout.replace("a.xlsx", "a.xlsm") == b.stdout


def libreoffice_buttons(book: Path, folder: Path) -> tuple[set[str], dict[str, list[tuple[str, str]]]]:
    """What LibreOffice loads from a workbook: its Basic modules, and per sheet (caption, bound macro) of every
    button."""
    ods = libreoffice_convert(book, folder, "ods")
    with zipfile.ZipFile(ods) as zf:
        modules = {Path(n).stem for n in zf.namelist() if n.startswith("Basic/VBAProject/") and
                   not n.endswith("script-lb.xml")}
        content = ET.fromstring(zf.read("content.xml"))
    buttons: dict[str, list[tuple[str, str]]] = {}
    for table in content.iter(f"{{{NS['table']}}}table"):
        name = table.get(f"{{{NS['table']}}}name", "")
        for button in table.iter(f"{{{NS['form']}}}button"):
            listener = button.find(".//script:event-listener", NS)
            href = listener.get(f"{{{NS['xlink']}}}href", "") if listener is not None else ""
            assert button.get(f"{{{NS['form']}}}printable") == "false"
            buttons.setdefault(name, []).append((button.get(f"{{{NS['form']}}}label", ""), href))
    return modules, buttons


def expected_buttons() -> dict[str, list[tuple[str, str]]]:
    bound = [(b.caption, f"vnd.sun.star.script:VBAProject.xltools.{b.macro}?language=Basic&location=document")
             for b in BUTTONS]
    return {sheet: bound for sheet in BUTTON_SHEETS}


@pytest.mark.slow
def test_libreoffice_loads_the_modules_and_the_button_bindings(built: Path, tmp_path: Path) -> None:
    modules, buttons = libreoffice_buttons(built, tmp_path)
    assert {"xltools", "xlwings", "Dictionary", "ThisWorkbook"} <= modules
    assert buttons == expected_buttons()
