"""Test helpers: real documents from ../shared, the installed command, and workbooks built through it."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("XLTOOLS_SHARED", REPO.parent / "shared"))
REAL = SHARED / "real-reports"
EXAMPLE_JSON = REPO / "examples" / "hegang-kejiju-2021.json"
EXAMPLE_XLSX = REPO / "examples" / "hegang-kejiju-2021.xlsx"


def xltools_exe() -> str:
    """The installed console script (next to the interpreter running the tests)."""
    exe = Path(sys.executable).parent / "xltools"
    found = str(exe) if exe.exists() else shutil.which("xltools")
    assert found, "the xltools console script is not installed; run: pip install -e '.[test]'"
    return found


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``xltools`` command."""
    return subprocess.run([xltools_exe(), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _section(raw: str, start: str, end: str | None) -> str:
    body = raw.split(start, 1)[1]
    if end:
        body = body.split(end, 1)[0]
    lines = [ln.strip() for ln in body.splitlines() if ln.strip() and not re.fullmatch(r"-\s*\d+\s*-", ln.strip())]
    return re.sub(r"(?<=\S) (?=\S)", "", "".join(lines))


def huaian_document() -> dict[str, Any]:
    """淮安市 2024 (全市汇总): hand-checked values plus its real text sections 一, 五, 六 and metadata."""
    doc = load_json(REAL / "expected" / "jiangsu-huaian-shi-2024.values.json")
    raw = (REAL / "raw" / "jiangsu-huaian-shi-2024.pypdf.txt").read_text(encoding="utf-8")
    doc["meta"] = {"date": "2025-01-20", "level": "汇总", "code": "320800"}
    doc["texts"] = {
        "S1": _section(raw, "一、总体情况", "二、主动公开政府信息情况"),
        "S5": _section(raw, "五、存在的主要问题及改进情况", "六、其他需要报告的事项"),
        "S6": _section(raw, "六、其他需要报告的事项", None),
    }
    return doc


def clean_document() -> dict[str, Any]:
    """A document that breaks no rule: 淮安 2024's numbers with a short 总体情况."""
    doc = huaian_document()
    doc["texts"]["S1"] = doc["texts"]["S1"][:600]
    return copy.deepcopy(doc)


def write_doc(doc: dict[str, Any], folder: Path, name: str = "report", macro: bool = False) -> Path:
    """Build a workbook from a document with ``xltools new --from`` (``--macro``: the .xlsm) and return its path."""
    src = folder / f"{name}.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = folder / (f"{name}.xlsm" if macro else f"{name}.xlsx")
    result = run("new", "--from", src, "-o", out, "--overwrite", *(["--macro"] if macro else []))
    assert result.returncode == 0, result.stderr
    return out


def check_json(*paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, dict[str, Any]]:
    result = run("check", "--format", "json", *extra, *paths)
    assert result.stderr == "", result.stderr
    return result.returncode, json.loads(result.stdout)


def findings_of(data: dict[str, Any], index: int = 0) -> list[tuple[str, str]]:
    """Compact (rule, location) pairs of one file's findings."""
    return [(f["rule"], f["location"]) for f in data["files"][index]["findings"]]


def export(book: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``xltools export BOOK ARGS…``"""
    return run("export", book, *args)


def docx_grid(table: Any) -> list[tuple[int, int, int, int, str]]:
    """A python-docx table as (row, col, rowspan, colspan, text) per merged cell, read from the XML itself
    (gridSpan and vMerge), so that the merge structure is what Word sees."""
    from docx.oxml.ns import qn

    cells: list[list[Any]] = []
    open_by_col: dict[int, list[Any]] = {}
    for r, tr in enumerate(table._tbl.tr_lst):
        c = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            text = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))
            if tc.vMerge == "continue":
                open_by_col[c][2] += 1
            else:
                cell = [r, c, 1, span, text.strip()]
                cells.append(cell)
                open_by_col[c] = cell
            c += span
    return sorted((int(a), int(b), int(h), int(w), str(t)) for a, b, h, w, t in cells)


def workbook_grid(book: Path, sheet: str, first_row: int = 2) -> list[tuple[int, int, int, int, str]]:
    """A workbook sheet's print area from ``first_row`` on, read with openpyxl, in the shape of docx_grid;
    numbers written as a clerk reads them (12, 96171.6)."""
    import openpyxl
    from openpyxl.utils import range_boundaries

    ws = openpyxl.load_workbook(book)[sheet]
    min_col, _, max_col, max_row = range_boundaries(str(ws.print_area).split("!")[-1].replace("$", ""))
    covered: set[tuple[int, int]] = set()
    cells = []
    for rng in ws.merged_cells.ranges:
        if rng.min_row < first_row:
            continue
        cells.append((rng.min_row, rng.min_col, rng.max_row - rng.min_row + 1, rng.max_col - rng.min_col + 1))
        covered |= {(r, c) for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col, rng.max_col + 1)}
    for r in range(first_row, max_row + 1):
        for c in range(min_col, max_col + 1):
            if (r, c) not in covered:
                cells.append((r, c, 1, 1))

    def text(r: int, c: int) -> str:
        v = ws.cell(r, c).value
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return "" if v is None else str(v).strip()

    return sorted((r - first_row, c - min_col, h, w, text(r, c)) for r, c, h, w in cells)


def exported_with_texts(folder: Path, suffix: str, **texts: str) -> Path:
    """Export a clean report whose text sections are replaced by ``texts``; returns the output path."""
    doc = clean_document()
    doc["texts"].update(texts)
    out = folder / f"r.{suffix}"
    result = export(write_doc(doc, folder), "-o", out)
    assert result.returncode == 0, result.stderr
    return out


def libreoffice_convert(book: Path, folder: Path, target: str) -> Path:
    """Open ``book`` in LibreOffice headless and save it as ``target`` ("ods", "pdf", "xlsx:Calc MS Excel 2007
    XML"…) in ``folder``, the way a LibreOffice user does."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is required (apt-get install libreoffice-calc-nogui); .ci/run installs it"
    out = folder / "lo-out"
    subprocess.run([soffice, f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless", "--convert-to",
                    target, "--outdir", str(out), str(book)], check=True, capture_output=True, timeout=180)
    return out / f"{book.stem}.{target.split(':')[0]}"
