"""How long `import` takes to read a published report, against reading the file itself (issue 14: at most 3x),
in-process, start-up not counted, interleaved rounds, minimum and median; written to benchmarks/RESULTS.md.

- the floor for a text file: reading its bytes and decoding them; for a web page: that and running the standard
  library's HTML parser over it (the parser `import` reads pages with; what any reader of a page does first);
- `import`: ``read_report`` (the file to the report document and its notes; writing the workbook is the row
  "new / import writing the workbook" of benchmarks/write_speed.py).

and as whole processes (wall time, medians of interleaved runs): `xltools import FILE -o out.xlsx` against starting
Python, importing click, lxml and XlsxWriter, reading (for a page: parsing) the file and writing its 200 numbers into
a workbook in memory.

Inputs: the example exported as a web page by `xltools export`, its text as a crawler saves it, and (when the corpus
is there: XLTOOLS_REAL_REPORTS, default ../shared/real-reports) every real .txt/.html file of the corpus.

    python benchmarks/import_speed.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from check_speed import machine, write_section

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hegang-kejiju-2021.xlsx"
SECTION = "import speed (benchmarks/import_speed.py)"


def corpus() -> Path:
    folder = Path(os.environ.get("XLTOOLS_REAL_REPORTS", "../shared/real-reports"))
    return folder if folder.is_absolute() else REPO / folder


def inputs(tmp: Path) -> dict[str, Path]:
    """The example's page and text, and the corpus's .txt/.html files."""
    import lxml.html

    page = tmp / "example.html"
    subprocess.run([sys.executable, "-m", "xltools", "-q", "export", str(EXAMPLE), "-o", str(page), "--force"],
                   stdout=subprocess.DEVNULL, check=False)  # (exit 1: the example lacks the fee statement)
    if not page.exists():
        sys.exit("xltools export wrote no page")
    text = tmp / "example.txt"
    text.write_text(lxml.html.fromstring(page.read_bytes()).text_content(), encoding="utf-8")
    found = {"the example, exported as a web page": page, "the example's page as text": text}
    raw = corpus() / "raw"
    if raw.is_dir():
        found.update({f"corpus: {p.name}": p for p in sorted(raw.iterdir()) if p.suffix in (".txt", ".html")})
    return found


def floor(path: Path) -> Callable[[], object]:
    from html.parser import HTMLParser

    def page() -> object:
        parser = HTMLParser()
        parser.feed(path.read_bytes().decode("utf-8", "replace"))
        parser.close()
        return parser

    return page if path.suffix == ".html" else lambda: path.read_bytes().decode("utf-8", "replace")


PROCESS_FLOOR = """
import sys, click, lxml.html, xlsxwriter
raw = open(sys.argv[1], 'rb').read().decode('utf-8', 'replace')
tree = lxml.html.fromstring(raw) if sys.argv[1].endswith('.html') else raw
wb = xlsxwriter.Workbook(sys.argv[2], {'in_memory': True})
ws = wb.add_worksheet()
for i in range(200):
    ws.write_number(i // 10, i % 10, i)
wb.close()
"""


def process_rows(files: dict[str, Path], runs: int, tmp: Path) -> list[str]:
    from check_speed import ENV

    rows = []
    for name, path in files.items():
        out = tmp / "out.xlsx"
        cmds = {"floor": [sys.executable, "-c", PROCESS_FLOOR, str(path), str(out)],
                "import": [sys.executable, "-m", "xltools", "-q", "import", str(path), "-o", str(out),
                           "--overwrite"]}
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(runs):
            for key, cmd in cmds.items():
                start = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=False)
                times[key].append(time.perf_counter() - start)
        f, i = (statistics.median(times[k]) for k in ("floor", "import"))
        rows.append(f"| {name} | {f * 1000:.0f} ms | {i * 1000:.0f} ms | **{i / f:.1f}×** |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    from xltools.extract.importing import read_report

    rows = ["| input | size | floor (min / median) | import (min / median) | ratio (medians) |",
            "|---|---|---|---|---|"]
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        files = inputs(Path(tmp))
        whole = process_rows({k: v for k, v in files.items() if k.startswith("the example")}, args.runs, Path(tmp))
        for name, path in files.items():
            fns = {"floor": floor(path), "import": lambda p=path: read_report(p)}
            times: dict[str, list[float]] = {k: [] for k in fns}
            for fn in fns.values():
                fn()
            for _ in range(args.rounds):
                for key, fn in fns.items():
                    start = time.perf_counter()
                    fn()
                    times[key].append(time.perf_counter() - start)
            f, i = (statistics.median(times[k]) for k in ("floor", "import"))
            ratios.append(i / f)
            rows.append(f"| {name} | {path.stat().st_size / 1024:.0f} KB | {min(times['floor']) * 1000:.2f} / "
                        f"{f * 1000:.2f} ms | {min(times['import']) * 1000:.2f} / {i * 1000:.2f} ms | "
                        f"**{i / f:.1f}×** |")
    body = (f"\nMachine: {machine(('pdfplumber',))}. {time.strftime('%Y-%m-%d')}, {args.rounds} interleaved "
            "rounds, in-process.\n\n" + "\n".join(rows) + f"\n\nLargest ratio in-process: **{max(ratios):.1f}×**.\n\n"
            f"Whole processes, {args.runs} interleaved runs, wall time:\n\n"
            "| input | floor | `xltools import FILE -o out.xlsx` | ratio |\n|---|---|---|---|\n"
            + "\n".join(whole) + "\n")
    write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()
