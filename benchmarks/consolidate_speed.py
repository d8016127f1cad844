"""Speed and memory of `xltools consolidate` on synthetic, realistic department workbooks (1,000 and 20,000), against
the floor measured in the same run: reading every file with python-calamine on all cores, plus writing the detail
sheet (one row per unit, every cell id) with XlsxWriter. Writes the numbers to benchmarks/RESULTS.md.

    python benchmarks/consolidate_speed.py [--sizes 1000 20000] [--data DIR]

The workbooks are generated once into DIR (default: a folder in the system temp directory) and reused.
Targets (issue "consolidate"): end to end <= 2.5x the floor, peak memory <= 1 GB, time linear in the files.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from check_speed import ENV, machine, write_section

from xltools.format.spec import load_spec
from xltools.reading.document import parse_document
from xltools.workbook.writer import write_workbook

SPEC = load_spec()
T3 = SPEC.tables["T3"]


def department(i: int) -> dict[str, object]:
    """A consistent department report: small counts, a few applications, the odd review case."""
    rnd = random.Random(i)
    v: dict[str, object] = {}
    cols = T3["columns"][:-1]
    for row in T3["result_rows"]:
        for c in cols:
            v[f"T3.{row}.{c}"] = rnd.choice((0, 0, 0, 0, 1, 2, 5)) if c in ("natural_person", "other_org") else 0
    for c in cols:
        done = sum(int(v[f"T3.{r}.{c}"]) for r in T3["result_rows"])  # type: ignore[call-overload]
        forward, carried = rnd.choice((0, 0, 1)), rnd.choice((0, 0, 1))
        v[f"T3.r_total.{c}"], v[f"T3.carried_forward.{c}"] = done, forward
        v[f"T3.carried_over.{c}"] = min(carried, done + forward)
        v[f"T3.new_received.{c}"] = done + forward - int(v[f"T3.carried_over.{c}"])  # type: ignore[call-overload]
    for row in T3["rows"]:
        v[f"T3.{row}.total"] = sum(int(v[f"T3.{row}.{c}"]) for c in cols)  # type: ignore[call-overload]
    for g in SPEC.tables["T4"]["groups"]:
        parts = [rnd.choice((0, 0, 0, 1)) for _ in range(4)]
        v.update(zip((f"T4.{g}.{k}" for k in ("upheld", "corrected", "other", "pending", "total")),
                     [*parts, sum(parts)], strict=True))
    for cell in SPEC.number_cells:
        if cell.id.startswith("T2."):
            v[cell.id] = round(rnd.uniform(0, 500), 2) if cell.type == "amount" else rnd.randint(0, 300)
    v["T2.regulations.issued"] = v["T2.regulations.repealed"] = v["T2.regulations.in_force"] = 0
    return {"format": SPEC.id, "unit": f"测试市第{i:05d}局", "year": 2024, "values": v,
            "meta": {"date": "2025-01-15", "level": "部门", "code": f"11320800MB{i:07d}X"},
            "texts": {"S1": "本局认真贯彻落实《中华人民共和国政府信息公开条例》。" * 20,
                      "S5": "存在的问题和改进措施。" * 10, "S6": "本年度未收取信息处理费。"}}


def _write(args: tuple[int, str]) -> None:
    i, folder = args
    path = Path(folder) / f"{i:05d}.xlsx"
    if not path.exists():  # written under a temporary name: an interrupted run leaves no broken workbook
        spec, doc = parse_document(department(i))
        tmp = path.with_suffix(".tmp")
        write_workbook(spec, str(tmp), doc)
        tmp.rename(path)


def generate(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor() as pool:
        list(pool.map(_write, [(i, str(folder)) for i in range(n)], chunksize=64))


FLOOR = """
import sys, os, glob, xlsxwriter, python_calamine
from concurrent.futures import ProcessPoolExecutor
def read(path):
    wb = python_calamine.CalamineWorkbook.from_path(path)
    return [wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names][4][4]
paths = sorted(glob.glob(os.path.join(sys.argv[1], '*.xlsx')))
with ProcessPoolExecutor() as pool:
    rows = list(pool.map(read, paths, chunksize=64))
wb = xlsxwriter.Workbook(sys.argv[2], {'constant_memory': True})
ws = wb.add_worksheet('detail')
for r, row in enumerate(rows):
    ws.write_string(r, 0, paths[r])
    for c in range(207):
        ws.write_number(r, c + 1, float(c))
wb.close()
"""


def measured(cmd: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak resident memory of the process and all its children (MB), polled every 50 ms."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    peak = 0
    done = threading.Event()

    def tree_rss() -> int:
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(pid) == proc.pid or fields.get("PPid", "").strip() == str(proc.pid):
                total += int(fields.get("VmRSS", "0 kB").split()[0])
        return total

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss())
            time.sleep(0.05)

    watcher = threading.Thread(target=poll, daemon=True)
    start = time.perf_counter()
    watcher.start()
    proc.wait()
    elapsed = time.perf_counter() - start
    done.set()
    watcher.join()
    return elapsed, peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "xltools-consolidate-bench")
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "xltools")
    lines = []
    for n in args.sizes:
        folder = args.data / str(n)
        t = time.perf_counter()
        generate(folder, n)
        print(f"{n} workbooks ready in {time.perf_counter() - t:.0f} s", flush=True)
        out = args.data / f"out-{n}"
        out.mkdir(exist_ok=True)
        floor_t, floor_m = measured([sys.executable, "-c", FLOOR, str(folder), str(out / "floor.xlsx")])
        ours_t, ours_m = measured([exe, "consolidate", str(folder), "-o", str(out / "city.xlsx"), "--unit", "测试市",
                                   "--year", "2024", "--overwrite"])
        lines.append(f"| {n:,} | {floor_t:.1f} s | {floor_m:.0f} MB | {ours_t:.1f} s | {ours_m:.0f} MB | "
                     f"**{ours_t / floor_t:.2f}×** | {ours_t / n * 1000:.2f} ms |")
        print(lines[-1], flush=True)
    body = (f"\nMachine: {machine()}. {time.strftime('%Y-%m-%d')}. Synthetic consistent department workbooks "
            "(written by `xltools new`), one run each, wall time; memory is the peak resident size of the process "
            "and its worker processes, polled every 50 ms. Floor: python-calamine reads every file on all cores, "
            "then XlsxWriter writes a 207-column detail sheet with a row per file.\n\n"
            "| workbooks | floor | floor memory | `xltools consolidate` | memory | ratio | per workbook |\n"
            "|---|---|---|---|---|---|---|\n" + "\n".join(lines) + "\n\n"
            "Targets: ratio ≤ 2.5×, memory ≤ 1 GB, time per workbook about constant (linear).\n")
    write_section("consolidate speed (benchmarks/consolidate_speed.py)", body)
    print(body)


if __name__ == "__main__":
    main()
