"""How long writing one report workbook takes (``xltools new``, ``import`` and ``consolidate`` all write one), and
how much of it is the 校验 sheet (its formulas), measured two ways and written to benchmarks/RESULTS.md:

- in-process: medians of ``writer.write_workbook`` (blank and the example filled in), start-up not counted; each
  checkout is timed in a process of its own, the rounds interleaved in chunks;
- end to end: ``xltools new --from examples/hegang-kejiju-2021.json`` as a whole process, interleaved with the
  floor (starting Python, importing click and XlsxWriter and writing a one-sheet workbook in memory).

    python benchmarks/write_speed.py [--rounds 30] [--runs 15] [--baseline OTHER_CHECKOUT]

Target (issue 14): the in-process write at most 50 ms. ``--baseline`` times another checkout of xltools (e.g. the
commit before a change, extracted with ``git archive``) the same way.
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
from typing import Any

from check_speed import machine, write_section
from export_speed import env_for, ms, timed

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hegang-kejiju-2021.json"
SECTION = "write speed (benchmarks/write_speed.py)"
CHUNK = 5  # in-process rounds per child process
FLOOR = ("import sys, click, xlsxwriter\n"
         "wb = xlsxwriter.Workbook(sys.argv[1], {'in_memory': True})\n"
         "wb.add_worksheet().write(0, 0, 1)\n"
         "wb.close()")


def inner(rounds: int) -> None:
    """Time ``write_workbook`` of the xltools on sys.path; print the times (seconds) as JSON."""
    from xltools.format.spec import load_spec
    from xltools.reading.document import read_document
    from xltools.workbook import writer

    spec = load_spec()
    _, doc = read_document(EXAMPLE)
    times: dict[str, list[float]] = {"blank": [], "example": [], "check sheet": []}
    real = writer.write_check_sheet

    def check_sheet(*a: Any, **k: Any) -> None:
        start = time.perf_counter()
        real(*a, **k)
        times["check sheet"].append(time.perf_counter() - start)

    setattr(writer, "write_check_sheet", check_sheet)  # noqa: B010 (the writer's own reference is the one to time)
    with tempfile.TemporaryDirectory() as work:
        writer.write_workbook(spec, str(Path(work) / "warm.xlsx"), doc)
        times["check sheet"].clear()
        for n in range(rounds):
            for name, source in (("blank", None), ("example", doc)):
                start = time.perf_counter()
                writer.write_workbook(spec, str(Path(work) / f"{name}{n}.xlsx"), source)
                times[name].append(time.perf_counter() - start)
    print(json.dumps(times))


def in_process(checkouts: dict[str, Path], rounds: int) -> dict[str, dict[str, list[float]]]:
    found: dict[str, dict[str, list[float]]] = {name: {} for name in checkouts}
    for _ in range(max(1, rounds // CHUNK)):
        for name, checkout in checkouts.items():
            out = subprocess.run([sys.executable, __file__, "--inner", str(CHUNK)], env=env_for(checkout),
                                 cwd=checkout, capture_output=True, text=True, check=True).stdout
            for key, values in json.loads(out).items():
                found[name].setdefault(key, []).extend(values)
    return found


def end_to_end(checkouts: dict[str, Path], runs: int, tmp: str) -> dict[str, list[float]]:
    commands = {"floor": ([sys.executable, "-c", FLOOR, str(Path(tmp, "floor.xlsx"))], env_for(REPO))}
    for name, checkout in checkouts.items():
        commands[name] = ([sys.executable, "-m", "xltools", "new", "--from", str(EXAMPLE), "-o",
                           str(Path(tmp, f"{name}.xlsx")), "--overwrite"], env_for(checkout))
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd, env in commands.values():  # warm the file and bytecode caches
        timed(cmd, env)
    for _ in range(runs):
        for name, (cmd, env) in commands.items():
            times[name].append(timed(cmd, env))
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30, help="in-process rounds per checkout")
    parser.add_argument("--runs", type=int, default=15, help="whole-process runs of each command")
    parser.add_argument("--baseline", type=Path, help="another xltools checkout to time the same way")
    parser.add_argument("--inner", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.inner)
        return
    load = os.getloadavg()[0]  # other sessions share the machine: say how busy it was
    checkouts = {"now": REPO, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    inside = in_process(checkouts, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        whole = end_to_end(checkouts, args.runs, tmp)

    def med(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f} ms"

    names = list(checkouts)
    header = " | ".join(f"{n}: whole write | of which the 校验 sheet" for n in names)
    rows = [f"| {label} | " + " | ".join(f"{med(inside[n][key])} | {med(inside[n]['check sheet'])}" for n in names)
            + " |" for label, key in (("blank template", "blank"), ("the example, filled", "example"))]
    floor = "floor: `python -c \"import click, xlsxwriter; <one-sheet workbook in memory>\"`"
    e2e = [f"| {floor} | {ms(whole['floor'])} |"]
    e2e += [f"| `xltools new --from examples/hegang-kejiju-2021.json -o x.xlsx` ({n}) | {ms(whole[n])} |"
            for n in names]
    rounds = len(inside["now"]["blank"])
    body = (f"\nMachine: {machine(('XlsxWriter',))}. {time.strftime('%Y-%m-%d')}, load average {load:.1f} at "
            "the start.\n\n"
            f"In-process medians of {rounds} rounds of `writer.write_workbook` per checkout (what `new`, `import` "
            f"and `consolidate` call to write one report workbook; start-up not counted), each checkout in "
            f"processes of its own, interleaved in chunks of {CHUNK}"
            + (" (baseline: `--baseline`)" if args.baseline else "") + ":\n\n"
            f"| workbook | {header} |\n|---|" + "---|---|" * len(names) + "\n" + "\n".join(rows) + "\n\n"
            f"Whole processes, {args.runs} interleaved runs each, wall time:\n\n"
            "| command | median | min | max |\n|---|---|---|---|\n" + "\n".join(e2e) + "\n\n"
            f"In-process write of the example **{med(inside['now']['example'])}** (target ≤ 50 ms); `new` end to end "
            f"{statistics.median(whole['now']) / statistics.median(whole['floor']):.2f}× its floor.\n")
    write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()
