"""The wheel ships the templates: build it, install it into a fresh venv, run new and check outside the tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import EXAMPLE_XLSX, REPO


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_source_tree(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("xltools-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True,
                   timeout=600)
    work = tmp_path / "elsewhere"
    work.mkdir()
    exe = str(venv / "bin" / "xltools")
    made = subprocess.run([exe, "new", "-o", "blank.xlsx"], cwd=work, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    shipped = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "from xltools.workbook.shipped import template_path; print(template_path())"],
                             cwd=work, capture_output=True, text=True, check=True).stdout.strip()
    assert "site-packages" in shipped
    assert Path(shipped).read_bytes() == (work / "blank.xlsx").read_bytes()
    checked = subprocess.run([exe, "check", str(EXAMPLE_XLSX)], cwd=work, capture_output=True, text=True)
    assert checked.returncode == 1 and "S6_FEE_STATEMENT" in checked.stdout
    # export's page template and font fallbacks are package data too
    for out in ("r.html", "r.docx"):
        exported = subprocess.run([exe, "export", str(EXAMPLE_XLSX), "--force", "-o", out], cwd=work,
                                  capture_output=True, text=True)
        assert exported.returncode == 1 and (work / out).stat().st_size > 10_000, exported.stderr
    conf = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "from xltools.publish.pdf import FONTS_CONF; print(FONTS_CONF.is_file())"],
                          cwd=work, capture_output=True, text=True, check=True).stdout.strip()
    assert conf == "True"
    # the macro template ships too, and new --macro works without xlwings or pyOpenVBA installed
    macro = subprocess.run([exe, "new", "--macro", "-o", "blank.xlsm"], cwd=work, capture_output=True, text=True)
    assert macro.returncode == 0, macro.stderr
    assert (work / "blank.xlsm").read_bytes() == (REPO / "workbook_templates" / "gov-disclosure-2021.xlsm").read_bytes()
    filled = subprocess.run([exe, "fill", "blank.xlsm"], cwd=work, capture_output=True, text=True)
    assert filled.returncode == 1 and (work / "blank-已填合计.xlsm").is_file(), filled.stderr
