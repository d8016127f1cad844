"""WPS and LibreOffice users hand in files re-saved by their office suite: every value must read back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import EXAMPLE_JSON, check_json, clean_document, findings_of, load_json, run, write_doc

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def resave(book: Path, folder: Path) -> Path:
    """Open and save the workbook as .xlsx with LibreOffice headless."""
    assert SOFFICE, "LibreOffice is required (apt-get install libreoffice-calc-nogui); .ci/run installs it"
    out = folder / "resaved"
    profile = folder / "lo-profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(book)],
                   check=True, capture_output=True, timeout=180)
    return out / book.name


@pytest.mark.slow
def test_libreoffice_resave_reads_back_every_value(tmp_path: Path) -> None:
    book = tmp_path / "example.xlsx"
    assert run("new", "--from", EXAMPLE_JSON, "-o", book).returncode == 0
    again = resave(book, tmp_path)
    dumped = run("dump", again)
    assert dumped.returncode == 0, dumped.stderr
    assert json.loads(dumped.stdout) == load_json(EXAMPLE_JSON)
    code, data = check_json(again)
    assert (code, findings_of(data)) == (1, [("SECTIONS_PRESENT", "正文!A40"), ("S6_FEE_STATEMENT", "正文!A40")])


@pytest.mark.slow
def test_libreoffice_resave_keeps_errors_visible(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T4.review.total"] = 350
    again = resave(write_doc(doc, tmp_path), tmp_path)
    code, data = check_json(again)
    assert (code, findings_of(data)) == (1, [("T4_GROUP_TOTAL", "表四!E5")])
