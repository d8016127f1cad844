"""Speed and memory of `xltools consolidate` on synthetic, realistic department workbooks (1,000 to 100,000),
against the floor measured in the same run: reading every file with python-calamine on all cores, plus writing the
detail sheet (one row per unit, every cell id) with XlsxWriter; and `--annotate-dir` against the same run without
it (100 units, 5 of them with an error). Writes the numbers to benchmarks/RESULTS.md.

    python benchmarks/consolidate_speed.py [--sizes 1000 5000 20000 100000] [--rounds 3] [--data DIR]

The workbooks are generated once into DIR (default: a folder in the system temp directory; 100,000 take about
4 GB and a few minutes) and reused; the smaller sizes are hard links to the first files of the largest.
Targets (issue 14): end to end <= 1.8x the floor at every size, peak memory <= 300 MB at 100,000 and flat in N,
`--annotate-dir` <= 2x the same run without it.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from check_speed import ENV, machine, write_section

from xltools.format.spec import load_spec
from xltools.reading.document import parse_document
from xltools.workbook.writer import write_workbook

SPEC = load_spec()
T3 = SPEC.tables["T3"]


TEMPLATES = 16  # distinct workbooks written by xltools; every other one is a copy of one of them, renamed


def unit_name(i: int) -> str:
    return f"测试市第{i:06d}局"


def unit_code(i: int) -> str:
    return f"11320800MB{i:07d}X"


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
    return {"format": SPEC.id, "unit": unit_name(i), "year": 2024, "values": v,
            "meta": {"date": "2025-01-15", "level": "部门", "code": unit_code(i)},
            "texts": {"S1": "本局认真贯彻落实《中华人民共和国政府信息公开条例》。" * 20,
                      "S5": "存在的问题和改进措施。" * 10, "S6": "本年度未收取信息处理费。"}}


def _write(args: tuple[int, str]) -> None:
    """Workbook ``i``: written by xltools for the first TEMPLATES, else a copy of template ``i % TEMPLATES`` with
    the unit's name and code replaced (same length) in the shared strings and the title, so that every unit is a
    unit of its own (100,000 workbooks in minutes instead of an hour)."""
    i, folder = args
    path = Path(folder) / f"{i:06d}.xlsx"
    if path.exists():
        return
    tmp = path.with_suffix(".tmp")  # an interrupted run leaves no broken workbook
    if i < TEMPLATES:
        spec, doc = parse_document(department(i))
        write_workbook(spec, str(tmp), doc)
    else:
        k = i % TEMPLATES
        swap = ((unit_name(k).encode(), unit_name(i).encode()), (unit_code(k).encode(), unit_code(i).encode()))
        with zipfile.ZipFile(Path(folder) / f"{k:06d}.xlsx") as src, \
                zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for info in src.infolist():
                data = src.read(info)
                if info.filename in ("xl/sharedStrings.xml", "docProps/core.xml"):
                    for old, new in swap:
                        data = data.replace(old, new)
                out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    tmp.rename(path)


def generate(folder: Path, n: int, like: Path | None = None) -> None:
    """``n`` workbooks in ``folder``; the first ones linked from ``like`` (a folder of a larger size) if given."""
    folder.mkdir(parents=True, exist_ok=True)
    if like is not None and len(list(like.glob("*.xlsx"))) >= n:
        for i in range(n):
            target = folder / f"{i:06d}.xlsx"
            if not target.exists():
                os.link(like / target.name, target)
        return
    with ProcessPoolExecutor() as pool:
        list(pool.map(_write, [(i, str(folder)) for i in range(min(n, TEMPLATES))]))
        list(pool.map(_write, [(i, str(folder)) for i in range(TEMPLATES, n)], chunksize=256))


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


def measured(cmd: list[str]) -> tuple[float, float, float]:
    """Wall time (s), CPU time of the process and its worker processes (s) and their peak resident memory,
    summed over the process tree (MB, polled every 50 ms)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    peak = 0
    done = threading.Event()

    def tree_rss() -> int:
        status: dict[int, tuple[int, int]] = {}  # pid -> (parent, rss kB)
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                text = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            status[int(pid)] = (int(fields.get("PPid", "0").strip() or 0),
                                int(fields.get("VmRSS", "0 kB").split()[0]))
        tree, total = {proc.pid}, 0
        for number, (parent, rss) in sorted(status.items()):  # children, grandchildren (pebble's workers) …
            if number in tree or parent in tree:
                tree.add(number)
                total += rss
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, peak / 1024


def error_unit(i: int) -> dict[str, object]:
    """A department report with one wrong row total (sent back: gets an annotated copy)."""
    doc = department(i)
    values = doc["values"]
    assert isinstance(values, dict)
    values["T3.r_total.natural_person"] = int(values["T3.r_total.natural_person"]) + 10
    return doc


def annotate_folder(folder: Path, like: Path, n: int = 100, errors: int = 5) -> None:
    """``n`` workbooks, ``errors`` of them with an error, spread among the others (a round where most units pass,
    as in the field)."""
    folder.mkdir(parents=True, exist_ok=True)
    step = n // errors
    for i in range(n):
        target = folder / f"{i:06d}.xlsx"
        if target.exists():
            continue
        if i % step == step // 2:
            spec, doc = parse_document(error_unit(900000 + i))
            write_workbook(spec, str(target), doc)
        else:
            os.link(like / target.name, target)


def _median_rounds(cmds: list[list[str]], rounds: int) -> list[tuple[float, float, float]]:
    """Each command ``rounds`` times, interleaved; per command the medians of wall time, CPU time and memory."""
    runs: list[list[tuple[float, float, float]]] = [[] for _ in cmds]
    for _ in range(rounds):
        for i, cmd in enumerate(cmds):
            runs[i].append(measured(cmd))
    return [tuple(statistics.median(r[k] for r in rs) for k in range(3)) for rs in runs]  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 100000])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds below 20,000 workbooks (else 1)")
    parser.add_argument("--annotate-rounds", type=int, default=5, help="rounds of the --annotate-dir comparison")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "xltools-consolidate-bench")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md as it is")
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "xltools")
    largest = max(args.sizes)
    big = args.data / str(largest)
    t = time.perf_counter()
    generate(big, largest)
    print(f"{largest} workbooks ready in {time.perf_counter() - t:.0f} s", flush=True)
    folder = args.data / "annotate-100"
    annotate_folder(folder, big)
    out = args.data / "out-annotate"
    common = [exe, "consolidate", str(folder), "--unit", "测试市", "--year", "2024", "--overwrite"]
    plain = [*common, "-o", str(out / "city.xlsx")]
    marked = [*common, "-o", str(out / "city-annotated.xlsx"), "--annotate-dir", str(out / "back")]
    (plain_t, plain_c, _), (marked_t, marked_c, _) = _median_rounds([plain, marked], args.annotate_rounds)
    annotate_line = (f"| 100 (5 with errors) | {plain_t:.2f} s / {plain_c:.2f} s | {marked_t:.2f} s / {marked_c:.2f} s "
                     f"| **{marked_t / plain_t:.2f}×** | {marked_c / plain_c:.2f}× | "
                     f"{len(list((out / 'back').glob('*.xlsx')))} |")
    print(annotate_line, flush=True)
    lines: dict[int, str] = {}
    for n in args.sizes:  # in the order given: the largest first, if it matters most
        folder = args.data / str(n)
        generate(folder, n, like=big)
        out = args.data / f"out-{n}"
        out.mkdir(exist_ok=True)
        floor_cmd = [sys.executable, "-c", FLOOR, str(folder), str(out / "floor.xlsx")]
        ours_cmd = [exe, "consolidate", str(folder), "-o", str(out / "city.xlsx"), "--unit", "测试市", "--year", "2024",
                    "--overwrite"]
        (floor_t, floor_c, floor_m), (ours_t, ours_c, ours_m) = _median_rounds(
            [floor_cmd, ours_cmd], args.rounds if n < 20000 else 1)
        lines[n] = (f"| {n:,} | {floor_t:.1f} s / {floor_c:.1f} s | {floor_m:.0f} MB "
                    f"| {ours_t:.1f} s / {ours_c:.1f} s | {ours_m:.0f} MB | **{ours_t / floor_t:.2f}×** "
                    f"| {ours_c / floor_c:.2f}× | {ours_t / n * 1000:.2f} ms |")
        print(lines[n], flush=True)
    body = (f"\nMachine: {machine()}. {time.strftime('%Y-%m-%d')}. Synthetic consistent department workbooks: "
            f"{TEMPLATES} written by xltools, every other one a copy of one of them with its own unit name and code "
            "(see `generate`). Wall time / CPU time (the process and its workers); floor and xltools one after the "
            + (f"other, medians of {args.rounds} interleaved rounds below 20,000 workbooks, one run from 20,000 on"
               if args.rounds > 1 else "other, one run at each size") + "; memory is the peak "
            "resident size of the process tree (the command and its worker processes), polled every 50 ms. Floor: "
            "python-calamine reads every sheet of every file on all cores, then XlsxWriter writes a 207-column "
            "detail sheet with a row per file.\n\n"
            "| workbooks | floor wall / CPU | floor memory | `xltools consolidate` wall / CPU | memory | ratio (wall) "
            "| ratio (CPU) | per workbook |\n|---|---|---|---|---|---|---|---|\n"
            + "\n".join(lines[n] for n in sorted(lines)) + "\n\n"
            "Targets (issue 14): ratio ≤ 1.8× at every size, peak memory ≤ 300 MB at 100,000 and flat in N.\n\n"
            f"`--annotate-dir`: the same consolidation with and without it, medians of {args.annotate_rounds} "
            "interleaved rounds.\n\n"
            "| workbooks | without | with `--annotate-dir` | ratio (wall) | ratio (CPU) | copies written |\n"
            "|---|---|---|---|---|---|\n" + annotate_line + "\n\nTarget: ≤ 2×.\n")
    if not args.no_write:
        write_section("consolidate speed (benchmarks/consolidate_speed.py)", body)
    print(body)


if __name__ == "__main__":
    main()
