"""Accuracy of `xltools import` on every real report of the corpus (raw texts, HTML fragments, PDFs): per file the
cells right out of the cells hand-checked, cells wrong, and cells left empty (and why). Writes the table to
benchmarks/RESULTS.md.

    python benchmarks/import_accuracy.py      # the corpus: $XLTOOLS_REAL_REPORTS, default ../shared/real-reports

The corpus is found through the same setting as the tests (docs/development.md, "Tests").
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

from check_speed import REPO, write_section

from xltools.extract.importing import read_report

# As tests/helpers.py real_reports_dir(): a relative value is taken relative to the repository.
REAL = (REPO / (os.environ.get("XLTOOLS_REAL_REPORTS") or "../shared/real-reports")).resolve()


def expected_for(name: str) -> dict[str, object] | None:
    for path in (REAL / "expected").glob("*.values.json"):
        if name.startswith(path.name.removesuffix(".values.json")):
            return dict(json.loads(path.read_text(encoding="utf-8"))["values"])
    return None


def main() -> None:
    if not (REAL / "expected").is_dir():
        sys.exit(f"real reports not found at {REAL}: set XLTOOLS_REAL_REPORTS to the real-reports folder "
                 "(default ../shared/real-reports, relative to the repository)")
    rows = []
    for source in sorted([*(REAL / "raw").iterdir(), *(REAL / "pdf").iterdir()]):
        start = time.perf_counter()
        doc, notes = read_report(source)
        seconds = time.perf_counter() - start
        found = {k: v for k, v in doc.values.items() if v is not None}
        empty = [k for k, v in doc.values.items() if v is None]
        noted = {c for n in notes for c in n.cells}
        why = Counter(n.kind for n in notes for c in n.cells if c in empty)
        why["table not in the source"] = sum(1 for c in empty if c not in noted)
        reasons = ", ".join(f"{k} {n}" for k, n in sorted(why.items()) if n) or "—"
        expected = expected_for(source.name)
        if expected is None:
            right, wrong = "no hand-checked values", "—"
        else:
            ok = sum(1 for k, v in expected.items() if found.get(k) == v)
            bad = sum(1 for k, v in found.items() if k in expected and v != expected[k])
            right, wrong = f"**{ok} / {len(expected)}**", str(bad)
        sections = 6 - sum(1 for n in notes if n.kind == "missing" and not n.cells and "部分" in n.message)
        rows.append(f"| {source.parent.name}/{source.name} | {right} | {wrong} | {len(found)} | {len(empty)} "
                    f"({reasons}) | {sections}/6 | {seconds * 1000:.0f} ms |")
    body = ("\n" + time.strftime("%Y-%m-%d") + ". Cells of 表二/表三/表四 (200 in all). *Right* counts cells equal to "
            "the hand-checked values in shared/real-reports/expected; *wrong* counts cells filled with another number; "
            "*empty* cells were left empty, with the notes that explain them (ambiguous: digits that several splits "
            "fit; variant: 2019 layout; missing: the source has no such row or section).\n\n"
            "| file | right / expected | wrong | filled | empty (why) | sections found | time |\n"
            "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    write_section("import accuracy (benchmarks/import_accuracy.py)", body)
    print(body)


if __name__ == "__main__":
    main()
