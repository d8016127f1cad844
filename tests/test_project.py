"""House rules: docs cannot drift, every command is documented, import fences hold, the check path is light."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from helpers import EXAMPLE_XLSX, REPO, run, xltools_env

COMMANDS = ["check", "new", "dump", "rules", "export", "import", "consolidate", "fill", "clear-flags"]
FENCES = {"click": "cli/", "python_calamine": "reading/reader.py", "xlsxwriter": "workbook/writer.py",
          "docx": "publish/docx_writer.py", "lxml": "publish/docx_writer.py", "jinja2": "publish/pages.py",
          "pdfplumber": "extract/pdf_text.py", "pdfminer": "extract/pdf_text.py",
          "openpyxl": "workbook/openpyxl_", "xlwings": "workbook/xlwings_port.py",  # the port and its parts
          "pyopenvba": "workbook/vba_project.py"}
FORBIDDEN = ("playwright",)


def test_rules_catalogue_is_generated_from_the_spec() -> None:
    result = run("rules")
    assert result.returncode == 0
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == result.stdout, "run: xltools rules > docs/rules.md"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command: str) -> None:
    helptext = run(command, "--help").stdout
    assert "Example:" in helptext
    page = REPO / "docs" / "commands" / f"{command}.md"
    assert page.is_file(), page
    assert f"xltools {command}" in page.read_text(encoding="utf-8")
    assert f"xltools {command}" in (REPO / "README.md").read_text(encoding="utf-8")


def test_import_fences() -> None:
    for path in sorted((REPO / "xltools").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for lib, home in FENCES.items():
            if re.search(rf"^\s*(import|from) {lib}\b", source, re.M):
                rel = path.relative_to(REPO / "xltools").as_posix()
                assert rel == home or (home.endswith(("/", "_")) and rel.startswith(home)), f"{lib} imported in {rel}"
        for lib in FORBIDDEN:
            assert not re.search(rf"^\s*(import|from) {lib}\b", source, re.M), f"{lib} imported in {path.name}"


def test_check_path_loads_no_writer_library() -> None:
    code = ("import sys; from xltools.cli import main; sys.argv=['xltools','check',sys.argv[1]]\n"
            "try: main()\nexcept SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('openpyxl','xlsxwriter','xlwings','docx','jinja2','lxml','pdfplumber')))")
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLE_XLSX)], capture_output=True, text=True,
                         env=xltools_env())
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_modules_stay_small() -> None:
    for path in (REPO / "xltools").rglob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name


def test_library_verbs_stay_functions_after_their_modules_are_imported() -> None:
    code = ("import xltools.checking.check, xltools.publish.export, xltools.workbook.new, xltools.reading.dump\n"
            "import xltools\n"
            "print(all(callable(getattr(xltools, v)) for v in ('check', 'export', 'new', 'dump')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=xltools_env())
    assert out.stdout.strip() == "True"
