"""Where `xltools check`'s time goes beyond its floors, set against what issue 14's targets leave for it, so that
the targets can be weighed (benchmarks/RESULTS.md, "check budget"):

- one file: whole processes, interleaved, medians. The floor of check_speed.py (Python, click and python-calamine
  reading the example); the floor plus importing zipfile (the standard library's zip reader, with what it imports:
  python-calamine reads no part within a size limit, so xltools reads the package itself); the floor plus the
  libraries a check parses with (zipfile, ElementTree and defusedxml the package, json the format spec); the
  floor plus importing the modules `xltools check` runs (the command, the reader, the checking core, the
  terminal renderer); the same plus loading the format spec; `xltools check` itself. Each in milliseconds beyond
  the floor, against the 0.6 × floor that "≤ 1.6×" leaves.
- a folder: per file, in this process, over the same distinct department workbooks as check_speed.py's folder, each
  stage timed over all of them (best of ``--rounds``): the folder floor's own work (python-calamine reading every
  sheet of the file), then what `check DIR` does with a file, stage by stage: listing it (is it a workbook at
  all), opening the package within the limits and decompressing the parts the format needs, bounding the
  sheets, the bounded copy read by python-calamine, the whole read, the check. Against the CPU per file that
  "≤ 1.5× the floor" leaves (the floor's CPU per file times 1.5), before any hand-over to workers;
- handing a folder's files to the workers: the same checks through xltools' pool (a task per file, each within its
  time limit, as `check DIR` runs them), through the standard library's pool in chunks of 16 (as the floor), and in
  one process: wall time, the main process's and the workers' CPU.

    python benchmarks/check_budget.py [--runs 25] [--files 400] [--rounds 5] [--folder-files 1000]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from check_speed import ENV, EXAMPLE, FLOOR, machine, timed, write_section

IMPORTS = "import xltools.cli.check, xltools.checking.check, xltools.checking.render, xltools.reading.reader"
PROCESSES = {
    "floor": ("the floor: Python, click, python-calamine reading every sheet", FLOOR),
    "zipfile": ("the floor + `import zipfile`", FLOOR + "\nimport zipfile"),
    "stdlib": ("the floor + the libraries a check parses with: zipfile, ElementTree, defusedxml (the package), "
               "json (the spec)", FLOOR + "\nimport zipfile, xml.etree.ElementTree, defusedxml.ElementTree, json"),
    "modules": ("the floor + importing what `xltools check` runs", FLOOR + "\n" + IMPORTS),
    "spec": ("the same + loading the format spec",
             FLOOR + "\n" + IMPORTS + "\nfrom xltools.format.spec import load_spec\nload_spec()"),
}


def one_file(runs: int) -> tuple[str, dict[str, float]]:
    """The processes of PROCESSES and `xltools check` of the example, interleaved; their medians."""
    exe = str(Path(sys.executable).parent / "xltools")
    cmds = {key: [sys.executable, "-c", code, str(EXAMPLE)] for key, (_, code) in PROCESSES.items()}
    cmds["check"] = [exe, "check", str(EXAMPLE)]
    for cmd in cmds.values():  # bytecode written, file cache warm
        timed(cmd, ENV)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for key, cmd in cmds.items():
            times[key].append(timed(cmd, ENV))
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    budget = 0.6 * med["floor"]
    labels = {**{k: label for k, (label, _) in PROCESSES.items()}, "check": "`xltools check` of the example"}
    out = ["| process | median | beyond the floor | share of the budget |", "|---|---|---|---|"]
    for key, label in labels.items():
        extra = med[key] - med["floor"]
        share = "—" if key == "floor" else f"{extra / budget:.0%}"
        out.append(f"| {label} | {med[key]:.1f} ms | {extra:+.1f} ms | {share} |")
    libraries = med["stdlib"] - med["floor"]
    out.append(f"\nBudget at ≤ 1.6×: 0.6 × {med['floor']:.1f} ms = **{budget:.1f} ms** beyond the floor; "
               f"`xltools check` takes {med['check'] - med['floor']:.1f} ms beyond it "
               f"({med['check'] / med['floor']:.2f}×). The libraries a check parses with take {libraries:.1f} ms "
               f"of the budget, which leaves {budget - libraries:.1f} ms for xltools' own code (its modules, the "
               f"format spec, reading and checking the file); that takes {med['check'] - med['stdlib']:.1f} ms now.")
    return "\n".join(out), med


def _stages(paths: list[str]) -> dict[str, Callable[[str], Any]]:
    """Each stage as a function of a path: it redoes the stages before it, so the differences are what it adds."""
    import datetime as dt

    import python_calamine

    from xltools.checking.check import check_listed, check_raw, file_problem, not_a_workbook
    from xltools.reading import reader
    from xltools.reading.locate import sheet_bounds, spec_of
    from xltools.reading.package import WorkbookPackage
    from xltools.reading.reader import read_workbook
    from xltools.reading.sheetxml import trim_sheet

    today = dt.date.today()
    with WorkbookPackage(paths[0]) as pkg:  # the sheets the format bounds, as the reader finds them
        bounds = {name: b for name, b in sheet_bounds(spec_of(pkg.properties)[0]).items() if name in pkg.sheet_parts}

    def floor(path: str) -> Any:
        wb = python_calamine.CalamineWorkbook.from_path(path)
        return [wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names]

    def listed(path: str) -> Any:
        return file_problem(path) is None and not_a_workbook(path)

    def package(path: str) -> Any:
        listed(path)
        with WorkbookPackage(path) as pkg:
            return [pkg.sheet_xml(name) for name in bounds]

    def bounded(path: str) -> Any:
        listed(path)
        with WorkbookPackage(path) as pkg:
            return [trim_sheet(pkg.sheet_xml(name) or b"", rows, cols) for name, (rows, cols) in bounds.items()]

    def copy_read(path: str) -> Any:
        listed(path)
        with WorkbookPackage(path) as pkg:
            sheets = {name: trim_sheet(pkg.sheet_xml(name) or b"", rows, cols)[0]
                      for name, (rows, cols) in bounds.items()}
            book = reader._load(pkg, sheets)
            return [book.get_sheet_by_name(name).to_python() for name in sheets]

    def read(path: str) -> Any:
        listed(path)
        return read_workbook(path)

    def check(path: str) -> Any:
        return check_raw(read(path), today)

    def whole(path: str) -> Any:
        return check_listed(path, today, keep_values=False)

    return {"floor": floor, "listed": listed, "package": package, "bounded": bounded, "copy": copy_read,
            "read": read, "check": check, "whole": whole}


STAGE_LABELS = {
    "floor": "the folder floor's work: python-calamine reads every sheet of the file",
    "listed": "listing it: a workbook at all? (size, signature)",
    "package": "+ opening the package within the limits, decompressing the format's sheets",
    "bounded": "+ bounding the sheets (cells beyond the format's rows and columns cut)",
    "copy": "+ the bounded copy, read by python-calamine",
    "read": "the whole read: + defined names, labels verified, values, formulas, error cells",
    "check": "+ the check: values parsed, rules, findings ordered and linked",
    "whole": "`check DIR`'s work for one file (`check_listed`, findings only)",
}


def per_file(files: int, rounds: int) -> tuple[str, dict[str, float]]:
    """Each stage's CPU per file (best of ``rounds``, each round over all files), against the folder budget."""
    from consolidate_speed import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        generate(folder, files)
        paths = sorted(str(p) for p in folder.glob("*.xlsx"))
        stages = _stages(paths)
        for fn in stages.values():  # warm: caches of this process, the file cache
            for path in paths[:20]:
                fn(path)
        best = {k: float("inf") for k in stages}
        for _ in range(rounds):
            for key, fn in stages.items():
                start = time.process_time()
                for path in paths:
                    fn(path)
                best[key] = min(best[key], (time.process_time() - start) / len(paths) * 1000)
    budget = 1.5 * best["floor"]
    out = ["| stage | CPU per file | share of the budget |", "|---|---|---|"]
    for key, label in STAGE_LABELS.items():
        share = "—" if key == "floor" else f"{best[key] / budget:.0%}"
        cost = f"{best[key]:.2f} ms" if best[key] >= 0.005 else "< 0.01 ms"  # (listing: a stat and 8 bytes read)
        out.append(f"| {label} | {cost} | {share} |")
    out.append(f"\nBudget at ≤ 1.5×, per file of CPU before any hand-over: 1.5 × {best['floor']:.2f} ms = "
               f"**{budget:.2f} ms**. The reading within the limits and bounds alone (up to the bounded copy read) "
               f"takes {best['copy']:.2f} ms; the whole of a file's check {best['whole']:.2f} ms.")
    return "\n".join(out), best


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its ended children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _checked(paths: list[str]) -> list[Any]:
    from xltools.checking.check import check_listed

    return [check_listed(path, keep_values=False) for path in paths]


def _one(path: str) -> Any:
    from xltools.checking.check import check_listed

    return check_listed(path, keep_values=False)


def hand_over(files: int) -> str:
    """The same checks of a folder handed to the workers three ways, each in a fresh process (so its children's
    CPU is its own): a task per file in xltools' pool (each within its time limit), chunks of 16 files in the
    standard library's pool as the folder floor hands them, and no pool at all."""
    from consolidate_speed import generate

    rows = ["| how | wall | main process CPU | workers' CPU | per file, workers |", "|---|---|---|---|---|"]
    labels = {"pool": "xltools' pool: a task per file, each within its time limit (`check DIR`)",
              "chunks": "the standard library's pool, 16 files a task (as the floor), no time limit",
              "none": "no pool: one process"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        generate(folder, files)
        for how, label in labels.items():
            out = subprocess.run([sys.executable, __file__, "--hand-over", how, str(folder)], capture_output=True,
                                 text=True, env=ENV, check=True).stdout.split()
            wall, main_cpu, workers = map(float, out[-3:])
            per = f"{workers / files * 1000:.2f} ms" if workers else "—"
            rows.append(f"| {label} | {wall:.2f} s | {main_cpu:.2f} s | {workers:.2f} s | {per} |")
    return "\n".join(rows)


def _hand_over_run(how: str, folder: str) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from xltools.checking.check import load_for_workers
    from xltools.checking.pool import map_files

    paths = sorted(str(p) for p in Path(folder).glob("*.xlsx"))
    load_for_workers()
    _checked(paths[:20])
    own, children = _cpu()
    start = time.perf_counter()
    if how == "pool":
        map_files(_one, paths, lambda path, reason: reason)
    elif how == "chunks":
        with ProcessPoolExecutor() as pool:
            list(pool.map(_one, paths, chunksize=16))
    else:
        _checked(paths)
    wall = time.perf_counter() - start
    own2, children2 = _cpu()
    print(f"{wall:.3f} {own2 - own:.3f} {children2 - children:.3f}")


def main() -> None:
    if sys.argv[1:2] == ["--hand-over"]:
        return _hand_over_run(sys.argv[2], sys.argv[3])
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--folder-files", type=int, default=1000, help="workbooks handed over to the workers")
    args = parser.parse_args()
    one, _ = one_file(args.runs)
    folder, _ = per_file(args.files, args.rounds)
    pools = hand_over(args.folder_files)
    body = (f"\nMachine: {machine()}. {time.strftime('%Y-%m-%d')}; one file: {args.runs} interleaved runs each, "
            f"wall time, medians; a folder: {args.files:,} distinct workbooks, CPU time in this process, best of "
            f"{args.rounds} rounds.\n\nOne file:\n\n{one}\n\nA folder, per file:\n\n{folder}\n\n"
            f"Handing {args.folder_files:,} files to the workers (2 cores; wall and CPU of the checks alone, after "
            f"start-up):\n\n{pools}\n")
    write_section("check budget (benchmarks/check_budget.py)", body)
    print(body)


if __name__ == "__main__":
    main()
