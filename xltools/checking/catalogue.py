"""The rule catalogue (docs/rules.md), generated from the format specs and the declared rule kinds so that the docs
cannot drift."""

from __future__ import annotations

from xltools.format.findings import SEVERITY_ZH
from xltools.format.rulekinds import BUILTIN, BUILTIN_TEXT, KINDS
from xltools.format.spec import FormatSpec, available_formats, load_spec

SEVERITY_EN = {"error": "error", "warning": "warning", "info": "info"}
KIND_TEXT = {**{k.name: k.text for k in KINDS.values()}, BUILTIN: BUILTIN_TEXT}


def _format_md(spec: FormatSpec, lang: str) -> list[str]:
    out = [f"## {spec.id} — {spec.title}（{spec.doc_no}）", ""]
    out += [f"{len(spec.rules)} rules; severities: error (exit code 1), warning (fails only with `--strict`), info.",
            "", "| id | severity | kind | rule | source |", "|---|---|---|---|---|"]
    for r in spec.rules:
        sev = SEVERITY_EN[r.severity] + ("（" + SEVERITY_ZH[r.severity] + "）" if lang != "en" else "")
        text = {"zh": r.summary["zh"], "en": r.summary["en"]}.get(lang, f"{r.summary['zh']}<br>{r.summary['en']}")
        scope = ""
        if r.for_each:
            scope = " (for each " + ", ".join(f"{k}: {len(v)}" for k, v in r.for_each.items()) + ")"
        out.append(f"| `{r.id}` | {sev} | {KIND_TEXT.get(r.kind, r.kind)}{scope} | {text} | {r.source} |")
    out += ["", "### Instructions that cannot be checked by machine / 无法机器校验的填报要求", ""]
    for i in spec.instructions:
        line = {"zh": i["zh"], "en": i["en"]}.get(lang, f"{i['zh']} — {i['en']}")
        out.append(f"- `{i['id']}`: {line} ({i['source']})")
    out += ["", "### Messages / 提示文字", ""]
    for r in spec.rules:
        text = f"{r.message['zh']} → {r.fix['zh']}" if lang != "en" else f"{r.message['en']} → {r.fix['en']}"
        out.append(f"- `{r.id}`: {text}")
    out += ["", f"### Cells / 单元格（{len(spec.cells)}）", "",
            "Cell id = JSON key = finding `cell_ids`; "
            "the defined name in the workbook is the id with dots → underscores.",
            "", "| cell id | defined name | where | row | column | type |", "|---|---|---|---|---|---|"]
    for c in spec.cells:
        kind = "total" if c.total else (c.kind or c.type)
        out.append(f"| `{c.id}` | `{c.name}` | {c.ref} | {c.row_label} | {c.col_label} | {kind} |")
    return [*out, ""]


def rules_markdown(lang: str = "both") -> str:
    """The whole catalogue as Markdown."""
    out = ["# Rule catalogue / 规则目录", "",
           "Generated from the format spec by `xltools rules`; do not edit by hand (a test fails on drift).",
           "由格式规范自动生成（`xltools rules`），请勿手工修改。", ""]
    for format_id in available_formats():
        out += _format_md(load_spec(format_id), lang)
    return "\n".join(out)
