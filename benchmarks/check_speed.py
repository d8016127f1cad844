"""Measure `xltools check` on the example against the floor: starting Python, importing click and python-calamine
and reading every sheet of the same workbook. Writes the numbers with the machine to benchmarks/RESULTS.md.

    python benchmarks/check_speed.py [--runs 40]

Target (issue "core"): median of `xltools check` <= 2x the median of the floor.
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


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - start


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    exe = shutil.which("xltools") or str(Path(sys.executable).parent / "xltools")
    floor_cmd = [sys.executable, "-c", FLOOR, str(EXAMPLE)]
    check_cmd = [exe, "check", str(EXAMPLE)]
    for cmd in (floor_cmd, check_cmd):  # warm the file cache
        timed(cmd)
    floor, check = [], []
    for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
        floor.append(timed(floor_cmd))
        check.append(timed(check_cmd))
    f, c = statistics.median(floor), statistics.median(check)
    body = (f"\nMachine: {machine()}. {time.strftime('%Y-%m-%d')}, {args.runs} interleaved runs each, wall time.\n\n"
            "| command | median | min | max |\n|---|---|---|---|\n"
            f"| floor: `python -c \"import click, python_calamine; <read all sheets>\"` | {f * 1000:.0f} ms | "
            f"{min(floor) * 1000:.0f} ms | {max(floor) * 1000:.0f} ms |\n"
            f"| `xltools check examples/hegang-kejiju-2021.xlsx` | {c * 1000:.0f} ms | {min(check) * 1000:.0f} ms | "
            f"{max(check) * 1000:.0f} ms |\n\n"
            f"Ratio check / floor (medians): **{c / f:.2f}×** (target ≤ 2×). Bytecode caches enabled, as after "
            "`pip install`.\n")
    write_section("check speed (benchmarks/check_speed.py)", body)
    print(body)


if __name__ == "__main__":
    main()
