"""Measure `xltools check` against its floors, side by side (interleaved runs, medians), and write the numbers with
the machine to benchmarks/RESULTS.md:

- one file: `xltools check` of the example against starting Python, importing click and python-calamine and
  reading every sheet of the same workbook (target, issue 14: <= 1.6x);
- a folder of N workbooks (default 1,000, written once by `xltools new` into a temporary folder): `xltools check
  DIR` and `xltools check DIR --report page.html` against python-calamine reading every sheet of every file on all
  cores (a process pool, 64 files per task) (targets: <= 1.5x and <= 1.6x).

    python benchmarks/check_speed.py [--runs 40] [--dir-runs 7] [--files 1000] [--baseline OTHER_CHECKOUT]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hegang-kejiju-2021.xlsx"
RESULTS = REPO / "benchmarks" / "RESULTS.md"
FLOOR = ("import sys, click, python_calamine\n"
         "wb = python_calamine.CalamineWorkbook.from_path(sys.argv[1])\n"
         "[wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names]")


# As on a user's machine: bytecode caches are written once and reused (pip compiles them at install time; some
# sandboxes set PYTHONDONTWRITEBYTECODE, which would make every run recompile the package from source).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of a whole process (another checkout's runs in that checkout: `python -m` puts the working
    folder first on sys.path)."""
    env = env or ENV
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env,
                   cwd=env.get("PYTHONPATH"))
    return time.perf_counter() - start


def xltools_in(checkout: Path) -> tuple[list[str], dict[str, str]]:
    """``python -m xltools`` of another checkout (``--baseline``) and the environment that makes it so."""
    return [sys.executable, "-m", "xltools"], {**ENV, "PYTHONPATH": str(checkout)}


def machine(packages: tuple[str, ...] = ("click", "python-calamine")) -> str:
    """The machine, Python and the versions of ``packages``, for the RESULTS.md sections of every benchmark."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and (m := re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())):
        cpu = m.group(1).strip()
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, " + ", ".join(f"{p} {version(p)}" for p in packages))


def write_section(title: str, body: str) -> None:
    """Replace (or append) one '## title' section of RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    section = f"## {title}\n{body}\n"
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


DIR_FLOOR = """
import sys, os, glob, python_calamine
from concurrent.futures import ProcessPoolExecutor
def read(path):
    wb = python_calamine.CalamineWorkbook.from_path(path)
    return len([wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names])
if __name__ == "__main__":
    paths = sorted(glob.glob(os.path.join(sys.argv[1], "*.xlsx")))
    with ProcessPoolExecutor() as pool:
        list(pool.map(read, paths, chunksize=64))
"""


def folder_rows(runs: int, files: int, baseline: Path | None = None) -> str:
    """`check DIR` and `check DIR --report` against the all-cores calamine floor, interleaved (and the same
    commands of a ``baseline`` checkout)."""
    from consolidate_speed import generate

    exe = shutil.which("xltools") or str(Path(sys.executable).parent / "xltools")
    with tempfile.TemporaryDirectory() as tmp:
        folder, page = Path(tmp) / "in", Path(tmp) / "page.html"
        generate(folder, files)
        cmds: dict[str, tuple[list[str], dict[str, str]]] = {
            "floor": ([sys.executable, "-c", DIR_FLOOR, str(folder)], ENV),
            "check": ([exe, "check", str(folder)], ENV),
            "report": ([exe, "check", str(folder), "--report", str(page), "--overwrite"], ENV)}
        if baseline:
            base, env = xltools_in(baseline)
            cmds["check (baseline)"] = ([*base, "check", str(folder)], env)
            cmds["report (baseline)"] = ([*base, "check", str(folder), "--report", str(page), "--overwrite"], env)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for cmd, env in cmds.values():
            timed(cmd, env)
        for _ in range(runs):
            for name, (cmd, env) in cmds.items():
                times[name].append(timed(cmd, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = [("floor: python-calamine reads every sheet of every file, process pool on all cores", "floor", "—"),
            (f"`xltools check DIR` ({files:,} files)", "check", "≤ 1.5×"),
            (f"`xltools check DIR --report page.html` ({files:,} files)", "report", "≤ 1.6×")]
    if baseline:
        rows += [("`check DIR`, baseline checkout", "check (baseline)", ""),
                 ("`check DIR --report`, baseline checkout", "report (baseline)", "")]
    out = ["| command | median | per file | ratio to floor | target |", "|---|---|---|---|---|"]
    for label, key, target in rows:
        ratio = "—" if key == "floor" else f"**{med[key] / med['floor']:.2f}×**"
        out.append(f"| {label} | {med[key]:.2f} s | {med[key] / files * 1000:.2f} ms | {ratio} | {target} |")
    return "\n".join(out)


STRAY = {"AZ1048576": '<row r="1048576"><c r="AZ1048576"><v>7</v></c></row>',
         "XFD1048576": '<row r="1048576"><c r="XFD1048576"><v>7</v></c></row>'}
PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def stray_rows(rounds: int = 300) -> str:
    """The example against copies with one stray value at the sheet's far corner (表三): in-process time per
    check (min and median of ``rounds``, interleaved) and the peak memory of a whole `xltools check` process."""
    import zipfile

    from xltools.checking.check import check_file
    from xltools.reading.package import WorkbookPackage

    part = WorkbookPackage(str(EXAMPLE)).sheet_parts["表三"]
    exe = shutil.which("xltools") or str(Path(sys.executable).parent / "xltools")
    with tempfile.TemporaryDirectory() as tmp:
        files = {"the example": EXAMPLE}
        for ref, row in STRAY.items():
            path = files[f"the example + a value at 表三!{ref}"] = Path(tmp) / f"{ref}.xlsx"
            with zipfile.ZipFile(EXAMPLE) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
                for info in zin.infolist():
                    data = zin.read(info.filename)
                    if info.filename == part:
                        data = data.replace(b"</sheetData>", row.encode() + b"</sheetData>", 1)
                    zout.writestr(info.filename, data)
        times: dict[str, list[float]] = {k: [] for k in files}
        for _ in range(rounds):
            for name, path in files.items():
                start = time.perf_counter()
                check_file(path)
                times[name].append(time.perf_counter() - start)
        peak = {name: int(subprocess.run([sys.executable, "-c", PEAK, exe, "check", str(path)], capture_output=True,
                                         text=True, env=ENV).stdout.split()[-1]) / 1024 for name, path in files.items()}
    out = ["| workbook | check (in-process, min / median) | peak memory of `xltools check` |", "|---|---|---|"]
    for name in files:
        out.append(f"| {name} | {min(times[name]) * 1000:.2f} / {statistics.median(times[name]) * 1000:.2f} ms | "
                   f"{peak[name]:.0f} MB |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--dir-runs", type=int, default=7)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--baseline", type=Path, help="another xltools checkout (e.g. `git archive` of an older "
                        "commit) timed the same way")
    args = parser.parse_args()
    exe = shutil.which("xltools") or str(Path(sys.executable).parent / "xltools")
    cmds: dict[str, tuple[list[str], dict[str, str]]] = {
        "floor": ([sys.executable, "-c", FLOOR, str(EXAMPLE)], ENV), "check": ([exe, "check", str(EXAMPLE)], ENV)}
    if args.baseline:
        base, env = xltools_in(args.baseline)
        cmds["baseline"] = ([*base, "check", str(EXAMPLE)], env)
    for cmd, env in cmds.values():  # warm the file cache
        timed(cmd, env)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(args.runs):  # interleaved, so load on the machine hits all alike
        for name, (cmd, env) in cmds.items():
            times[name].append(timed(cmd, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    labels = {"floor": "floor: `python -c \"import click, python_calamine; <read all sheets>\"`",
              "check": "`xltools check examples/hegang-kejiju-2021.xlsx`",
              "baseline": "the same check, baseline checkout (`--baseline`)"}
    rows = "".join(f"| {labels[k]} | {med[k] * 1000:.0f} ms | {min(v) * 1000:.0f} ms | {max(v) * 1000:.0f} ms |\n"
                   for k, v in times.items())
    body = (f"\nMachine: {machine()}. {time.strftime('%Y-%m-%d')}, {args.runs} interleaved runs each, wall time.\n\n"
            "| command | median | min | max |\n|---|---|---|---|\n" + rows + "\n"
            f"Ratio check / floor (medians): **{med['check'] / med['floor']:.2f}×** (target ≤ 1.6×)"
            + (f"; the baseline {med['baseline'] / med['floor']:.2f}×" if args.baseline else "")
            + ". Bytecode caches enabled, as after `pip install`.\n\n"
            f"A folder, {args.dir_runs} interleaved runs each, wall time:\n\n"
            + folder_rows(args.dir_runs, args.files, args.baseline) + "\n\n"
            "A stray value at the far corner of a sheet (issue 14: as fast as a normal file):\n\n"
            + stray_rows() + "\n")
    write_section("check speed (benchmarks/check_speed.py)", body)
    print(body)


if __name__ == "__main__":
    main()
