"""Measure `xltools export` of the example to Word against the floor: starting Python, importing python-docx and
writing the same three tables (same rows, columns and texts, no merges, no styles) with python-docx's own API.
Writes the numbers with the machine to benchmarks/RESULTS.md.

    python benchmarks/export_speed.py [--runs 15] [--baseline OTHER_CHECKOUT]

Targets: the .docx export of the example under 1 s (issue 15) and at most 2× the floor (issue 14). ``--baseline``
also times the export of another checkout of xltools (e.g. the commit before a change), interleaved with the
others.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from check_speed import machine, write_section

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hegang-kejiju-2021.xlsx"
SECTION = "export speed (benchmarks/export_speed.py)"
FLOOR = """
import json, sys
from docx import Document
from docx.table import _Cell
doc = Document()
for grid in json.load(open(sys.argv[1], encoding="utf-8")):
    table = doc.add_table(rows=grid["rows"], cols=grid["cols"])
    trs = table._tbl.tr_lst
    for r, c, text in grid["cells"]:
        _Cell(trs[r].tc_lst[c], table).text = text
doc.save(sys.argv[2])
"""


def env_for(checkout: Path) -> dict[str, str]:
    # As on a user's machine: bytecode caches written once and reused (see check_speed.py).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(checkout)
    return env


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()  # run in the checkout: `python -m` puts the working directory first on sys.path
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env,
                   cwd=env["PYTHONPATH"])
    return time.perf_counter() - start


def the_tables(path: Path) -> None:
    """The example's three tables as the export lays them out, for the floor."""
    sys.path.insert(0, str(REPO))
    from xltools.checking.check import check_file
    from xltools.format.spec import load_spec
    from xltools.publish.model import report_content
    from xltools.reading.document import document_from_values

    values = check_file(EXAMPLE).values
    assert values is not None
    spec = load_spec(values.format_id)
    content = report_content(spec, document_from_values(spec, values))
    grids = [{"rows": b.table.n_rows, "cols": b.table.n_cols,
              "cells": [(c.row, c.col, c.text) for c in b.table.cells()]}
             for b in content.blocks if b.table is not None]
    path.write_text(json.dumps(grids, ensure_ascii=False), encoding="utf-8")


def ms(values: list[float]) -> str:
    return (f"{statistics.median(values) * 1000:.0f} ms | {min(values) * 1000:.0f} ms | "
            f"{max(values) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="another xltools checkout to time the same way")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other sessions share the machine: say how busy it was
    with tempfile.TemporaryDirectory() as tmp:
        grids = Path(tmp, "tables.json")
        the_tables(grids)
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "floor": ([sys.executable, "-c", FLOOR, str(grids), str(Path(tmp, "floor.docx"))], env_for(REPO)),
            "export": ([sys.executable, "-m", "xltools", "export", str(EXAMPLE), "-o", str(Path(tmp, "x.docx")),
                        "--force", "--overwrite"], env_for(REPO)),
        }
        if args.baseline:
            commands["baseline"] = ([sys.executable, "-m", "xltools", "export", str(EXAMPLE), "-o",
                                     str(Path(tmp, "b.docx")), "--force", "--overwrite"], env_for(args.baseline))
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd, env in commands.values():  # warm the file and bytecode caches
            timed(cmd, env)
        for _ in range(args.runs):  # interleaved, so load on the machine hits all alike
            for name, (cmd, env) in commands.items():
                times[name].append(timed(cmd, env))
    f, e = statistics.median(times["floor"]), statistics.median(times["export"])
    floor = "floor: `python -c \"import docx; <the 3 tables, same texts, no merges>; save\"`"
    rows = [f"| {floor} | {ms(times['floor'])} |",
            f"| `xltools export examples/hegang-kejiju-2021.xlsx -o x.docx --force` | {ms(times['export'])} |"]
    if args.baseline:
        rows.append(f"| the same export, baseline checkout (`--baseline`) | {ms(times['baseline'])} |")
    host = machine(("python-docx", "lxml"))
    body = (f"\nMachine: {host}. {time.strftime('%Y-%m-%d')}, {args.runs} interleaved runs each, wall time "
            f"of whole processes (check included: export checks the workbook first); load average {load:.1f} at "
            "the start.\n\n"
            "| command | median | min | max |\n|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
            f"Export median **{e:.2f} s** (target < 1 s); ratio export / floor (medians): **{e / f:.2f}×** "
            "(target ≤ 2×)"
            + (f"; the baseline {statistics.median(times['baseline']) / f:.2f}×" if args.baseline else "") + ".\n")
    write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()
