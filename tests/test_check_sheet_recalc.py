"""The formula verdict equals ``xltools check``, cell for cell: random workbooks (consistent and broken: changed,
blank, negative and fractional cells, every unit level, fees and shares at their limits) are written by
``xltools new``, recalculated by LibreOffice headless (as a LibreOffice or WPS user opens them) and every line of
the 校验 sheet is compared with the check's findings of its rule at its cell: ✘ exactly where the check reports the
rule, ？ exactly where one of the line's cells is unusable for the check, ✔ everywhere else; the verdict agrees.

A second pass edits LibreOffice-saved workbooks (which carry cached results) with ``xltools fill``: the 校验 lines
that read a filled total must be computed anew, not shown from the stale cache. ``XLTOOLS_RECALC_SEED`` and
``XLTOOLS_RECALC_BOOKS`` change the seed and the number of workbooks (default 36)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import check_json, clean_document, run

from xltools.format.spec import load_spec
from xltools.workbook.check_formulas import BAD, CHECK_SHEET, FIRST_LINE, FORMULAS, OK, UNKNOWN, lines

SPEC = load_spec()
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SEED = int(os.environ.get("XLTOOLS_RECALC_SEED", "20261129"))
BOOKS = int(os.environ.get("XLTOOLS_RECALC_BOOKS", "36"))
UNUSABLE = {"VALUE_NEGATIVE", "VALUE_NOT_INTEGER", "VALUE_NOT_A_NUMBER", "VALUE_INVALID_NUMBER"}
NUMBERS = [c.id for c in SPEC.number_cells]
OTHER = [c.id for c in SPEC.number_cells if "（六）其他处理" in c.row and c.id.endswith(".total")]

pytestmark = pytest.mark.slow


def random_document(rng: random.Random, n: int) -> dict[str, Any]:
    """A consistent report (every fifth one left so) or one broken in a few random ways."""
    doc = clean_document()
    values: dict[str, Any] = doc["values"]
    level = rng.choice([*SPEC.levels, None])
    if level is None:
        doc["meta"].pop("level", None)
    else:
        doc["meta"]["level"] = level
    if n % 5 == 0:
        return doc
    for _ in range(rng.randint(1, 4)):
        how = rng.choice(["change", "change", "blank", "unusable", "fee", "regulations", "share", "in_force"])
        cell = rng.choice(NUMBERS)
        if how == "change":
            values[cell] = rng.randint(0, 60)
        elif how == "blank":
            for cell in rng.sample(NUMBERS, rng.randint(1, 6)):
                values.pop(cell, None)
        elif how == "unusable" and SPEC.cell(cell).type == "count":
            values[cell] = rng.choice([-2, 1.5, -0.5])
        elif how == "fee":
            values["T2.administrative_fees.amount"] = rng.choice([0, 0.394, 99999, 100001, 1000001, 60000000])
        elif how == "regulations":
            values["T2.regulations.issued"] = rng.randint(0, 2)
        elif how == "share":
            for cell in rng.sample(OTHER, 2):
                values[cell] = rng.randint(0, 400)
        elif how == "in_force":
            values["T2.regulations.in_force"] = rng.randint(0, 3)
    return doc


def recalculate(books: list[Path], folder: Path) -> dict[str, Path]:
    """Open and save every workbook with LibreOffice headless (one run), as a LibreOffice user would."""
    assert SOFFICE, "LibreOffice is required (apt-get install libreoffice-calc-nogui); .ci/run installs it"
    out = folder / "recalculated"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), *map(str, books)],
                   check=True, capture_output=True, timeout=600)
    return {b.name: out / b.name for b in books}


def formula_results(book: Path) -> tuple[dict[tuple[str, str], str], str]:
    """(rule id, location) -> ✔/✘/？ of every line, and the verdict, as LibreOffice computed them."""
    wb = openpyxl.load_workbook(book, data_only=True)
    ws = wb[CHECK_SHEET]
    found = {(str(r[3]), str(r[4])): str(r[1]) for r in ws.iter_rows(min_row=FIRST_LINE, values_only=True) if r[3]}
    cover = next(sh for sh in SPEC.sheets if sh.verdict)
    assert wb[cover.name][cover.verdict].value == ws["A2"].value, "the cover shows the verdict"
    return found, str(ws["A2"].value)


def expected_results(book: Path) -> tuple[dict[tuple[str, str], str], dict[str, int]]:
    """What the check says of the same workbook, line by line, and its counts of arithmetic findings."""
    _, data = check_json(book)
    findings = data["files"][0]["findings"]
    broken = {(f["rule"], f["location"]) for f in findings if f["rule"] in {r.id for r in SPEC.rules
                                                                              if r.kind in FORMULAS}}
    unusable = {cell for f in findings if f["rule"] in UNUSABLE for cell in f["cell_ids"]}
    out: dict[tuple[str, str], str] = {}
    counts = {"error": 0, "warning": 0, "info": 0, "unknown": 0}
    for line in lines(SPEC):
        key = (line.rule.id, line.cells[0].ref)
        if any(c.id in unusable for c in line.cells):
            out[key] = UNKNOWN
            counts["unknown"] += 1
        elif key in broken:
            out[key] = BAD
            counts[line.rule.severity] += 1
        else:
            out[key] = OK
    assert {k for k, v in out.items() if v == BAD} == broken, "every arithmetic finding is on a line"
    return out, counts


def assert_verdict(verdict: str, counts: dict[str, int]) -> None:
    if counts["error"] + counts["warning"] + counts["unknown"] == 0:
        assert verdict.startswith(f"{OK} 表内勾稽：{len(lines(SPEC))} 条关系全部一致"), verdict
        return
    assert verdict.startswith(f"{BAD} 表内勾稽："), verdict
    for key, words in (("error", "处错误"), ("warning", "处需核对"), ("unknown", "处因文字等无法计算")):
        assert (f"{counts[key]} {words}" in verdict) == (counts[key] > 0), (verdict, counts)


def test_formula_verdict_equals_the_check_on_random_workbooks(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    books, sources = [], tmp_path / "json"
    sources.mkdir()
    for n in range(BOOKS):
        src = sources / f"r{n:03d}.json"
        src.write_text(json.dumps(random_document(rng, n), ensure_ascii=False), encoding="utf-8")
        book = tmp_path / f"r{n:03d}.xlsx"
        result = run("new", "--from", src, "-o", book)
        assert result.returncode == 0, result.stderr
        books.append(book)
    done = recalculate(books, tmp_path)
    seen = {OK: 0, BAD: 0, UNKNOWN: 0}
    for book in books:
        expected, counts = expected_results(book)
        got, verdict = formula_results(done[book.name])
        assert got == expected, (book.name, {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v})
        assert_verdict(verdict, counts)
        for status in got.values():
            seen[status] += 1
    assert min(seen.values()) > 0, f"the random workbooks reach every result: {seen}"
    assert sum(1 for b in books if expected_results(b)[1]["error"] == 0) >= 3, "some are consistent"


def test_fill_on_a_libreoffice_saved_workbook_drops_stale_results(tmp_path: Path) -> None:
    doc = clean_document()
    totals = [line.cells[0].id for line in lines(SPEC) if line.rule.id == "T3_ROW_TOTAL"][:3]
    for cell in totals:
        doc["values"][cell] = doc["values"].get(cell, 0) + 7
    src = tmp_path / "broken.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert run("new", "--from", src, "-o", tmp_path / "broken.xlsx").returncode == 0
    saved = recalculate([tmp_path / "broken.xlsx"], tmp_path / "first")["broken.xlsx"]
    got, verdict = formula_results(saved)
    assert verdict.startswith(BAD) and sum(v == BAD for v in got.values()) >= 3, "LibreOffice cached the ✘ results"
    filled = tmp_path / "filled.xlsx"
    assert run("fill", saved, "-o", filled).returncode == 0
    got, verdict = formula_results(recalculate([filled], tmp_path / "second")["filled.xlsx"])
    expected, counts = expected_results(filled)
    assert got == expected and BAD not in got.values()
    assert_verdict(verdict, counts)
