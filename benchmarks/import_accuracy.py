"""Accuracy of `xltools import` on every real report of the corpus (raw texts, HTML fragments, PDFs): per file the
cells right out of the cells hand-checked, cells wrong, and cells left empty (and why); then per source kind; then
on the publisher-style pages the tests build (tests/published_pages.py: merged cells, prose, renumbered sections,
appendix tables, Markdown, blank cells), whose every number is known. Writes the tables to benchmarks/RESULTS.md.

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


def source_kind(name: str) -> str:
    if name.endswith(".pdf"):
        return "PDF"
    if name.endswith((".html", ".htm")):
        return "web page (HTML)"
    return "text (crawler / PDF text)"


def constructed_pages() -> str:
    """Right / wrong / left empty on the publisher-style pages of the tests, each layout once."""
    sys.path.insert(0, str(REPO / "tests"))
    import tempfile
    from pathlib import Path

    from published_pages import FEE, markdown_report, page, standard_sections, values  # type: ignore[import-not-found]

    from xltools.extract.cells import TABLE_MARK
    from xltools.extract.sources import html_source

    v = values()
    s = standard_sections(v)
    prose = [s[0], (s[1][0], "<p>涵盖政策及规范性文件类5条。</p>" + s[1][1]),
             (s[2][0], "<p>共收到政府信息公开申请3条。</p>" + s[2][1]), *s[3:]]
    seven = [*s[:4], ("五、信息处理费收取情况", f"<p>{FEE}</p>"), ("六、存在的主要问题及改进情况", s[4][1]),
             ("七、其他需说明事项", s[5][1])]
    appendix = [s[0], ("二、存在的主要问题及改进情况", s[4][1]), ("三、其他需要报告的事项", s[5][1]),
                ("一、主动公开政府信息情况", s[1][1]), ("二、收到和处理政府信息公开申请情况", s[2][1]),
                ("三、政府信息公开行政复议、行政诉讼情况", s[3][1])]
    unit = "某某县某某局"
    cases = {
        "web page: merged （六）其他处理 cells": (".html", page(unit, 2024, standard_sections(v, merge_other=True))),
        "web page: organisation columns' zeros blank": (".html", page(unit, 2024, standard_sections(
            v, blank_zero_orgs=True))),
        "web page: prose between heading and table": (".html", page(unit, 2024, prose)),
        "text of the prose page (no cells)": (".txt", html_source(page(unit, 2024, prose)).text.replace(
            TABLE_MARK, "")),
        "web page: seven sections, date before 附件下载/抄送": (".html", page(
            unit, 2024, seven, after_date="<p>附件下载：</p><p>抄送：某某</p>")),
        "web page: tables as an appendix (一/二/三 again)": (".html", page(unit, 2024, appendix)),
        "text of the appendix page (no cells)": (".txt", html_source(page(unit, 2024, appendix)).text.replace(
            TABLE_MARK, "")),
        "Markdown: split tables, detached labels": (".md", markdown_report(v)),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, (suffix, content)) in enumerate(cases.items()):
            path = Path(tmp) / f"case{i}{suffix}"
            path.write_text(content, encoding="utf-8")
            doc, notes = read_report(path)
            ok = sum(1 for k, x in v.items() if doc.values.get(k) == x)
            bad = sum(1 for k, x in v.items() if doc.values.get(k) is not None and doc.values[k] != x)
            empty = [k for k in v if doc.values.get(k) is None]
            why = Counter(n.kind for n in notes for c in n.cells if c in empty)
            texts = sum(doc.texts.get(k) is not None for k in ("S1.text", "S5.text", "S6.text"))
            rows.append(f"| {name} | {ok} / {len(v)} | **{bad}** | {len(empty)} "
                        f"({', '.join(f'{k} {n}' for k, n in sorted(why.items())) or '—'}) | {texts}/3 |")
    return ("\nPublisher-style pages built by the tests (tests/published_pages.py, the hand-checked 淮安 2024 numbers; "
            "every number is known). Cells left empty under merged cells are numbers the page does not state.\n\n"
            "| page | right | wrong | left empty (why) | text sections |\n|---|---|---|---|---|\n"
            + "\n".join(rows) + "\n")


def main() -> None:
    if not (REAL / "expected").is_dir():
        sys.exit(f"real reports not found at {REAL}: set XLTOOLS_REAL_REPORTS to the real-reports folder "
                 "(default ../shared/real-reports, relative to the repository)")
    rows = []
    kinds: dict[str, Counter[str]] = {}
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
        kind = kinds.setdefault(source_kind(source.name), Counter())
        kind.update(files=1, filled=len(found), empty=len(empty))
        if expected is None:
            right, wrong = "no hand-checked values", "—"
        else:
            ok = sum(1 for k, v in expected.items() if found.get(k) == v)
            bad = sum(1 for k, v in found.items() if k in expected and v != expected[k])
            right, wrong = f"**{ok} / {len(expected)}**", str(bad)
            kind.update(checked=len(expected), right=ok, wrong=bad,
                        checked_empty=sum(1 for k in expected if found.get(k) is None))
        sections = 6 - sum(1 for n in notes if n.kind == "missing" and not n.cells and "部分" in n.message)
        rows.append(f"| {source.parent.name}/{source.name} | {right} | {wrong} | {len(found)} | {len(empty)} "
                    f"({reasons}) | {sections}/6 | {seconds * 1000:.0f} ms |")
    body = ("\n" + time.strftime("%Y-%m-%d") + ". Cells of 表二/表三/表四 (200 in all). *Right* counts cells equal to "
            "the hand-checked values in shared/real-reports/expected; *wrong* counts cells filled with another number; "
            "*empty* cells were left empty, with the notes that explain them (ambiguous: digits that several splits "
            "fit; variant: 2019 layout; missing: the source has no such row or section).\n\n"
            "| file | right / expected | wrong | filled | empty (why) | sections found | time |\n"
            "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    body += ("\nPer source kind (the corpus): hand-checked cells right / wrong / left empty, and all cells filled / "
             "left empty.\n\n| source kind | files | hand-checked: right | wrong | left empty | filled | left empty |\n"
             "|---|---|---|---|---|---|---|\n" + "\n".join(
                 f"| {k} | {c['files']} | {c['right']} / {c['checked']} | **{c['wrong']}** | {c['checked_empty']} | "
                 f"{c['filled']} | {c['empty']} |" for k, c in sorted(kinds.items())) + "\n")
    body += constructed_pages()
    body += ("\nStill left empty, and why: 表二 in the two crawler texts (zhyq 2024, zrz 2023): one row's digits "
             "run together (\"6233440\", \"2135\") and 表二 has no totals to tell the splits apart; 表二 in the "
             "pdfminer text of 淮安 2024: pdfminer wrote the six numbers of two rows as one block with the labels "
             "elsewhere, row by row and column by column read equally well (the PDF itself reads 200/200); 洪泽 2024: "
             "14 cells of rows the 2019 layout does not have; the HTML fragments hold one table each. On the "
             "constructed pages: the 12 cells under merged （六）其他处理 cells, whose numbers the page does not "
             "state.\n")
    write_section("import accuracy (benchmarks/import_accuracy.py)", body)
    print(body)


if __name__ == "__main__":
    main()
