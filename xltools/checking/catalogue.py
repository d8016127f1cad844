"""The rule catalogue (docs/rules.md), generated from the format specs and the declared rule kinds so that the docs
cannot drift."""

from __future__ import annotations

from xltools.format.findings import SEVERITY_ZH
from xltools.format.profile import PROFILE_PROPERTY, Profile, load_profile, shipped_profiles
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


PROFILE_DOC = [
    "## Province profiles / 地方规则配置", "",
    "A profile is a TOML file over a national format (`xltools check --profile NAME|FILE`, `xltools new --profile`, "
    "the portal's round setting). It can / 配置可以：",
    "",
    "| key | what it changes | 作用 |",
    "|---|---|---|",
    "| `name`, `title`, `format` | the name (= the file name), the title named in every output, the format it "
    "refines (default: the default format) | 名称（与文件名相同）、各输出中显示的标题、所依据的全国格式 |",
    "| `[severity]` `RULE = \"error\"｜\"warning\"｜\"info\"` | a rule's severity "
    "| 改变某条规则的严重程度 |",
    "| `off = [\"RULE\", …]` | rules switched off | 关闭某些规则 |",
    "| `[[required_items]]` `id`, `title`, `keywords`, `severity`, `source` | an item section 六 must report: "
    "one of the keywords must appear (a `text_contains` rule on `S6.text`) "
    "| 第六部分须报告的事项：正文须出现其中一个关键词 |",
    "| `[[rules]]` | a soft rule of an existing kind (keys as in the format's rules; `params` and `for_each` "
    "written out as cell ids) | 增加现有种类的规则（参数写明单元格编号） |",
    "",
    "Everything is checked before anything runs: an unknown key, rule id, severity, kind, parameter or cell stops "
    "with one error and \"did you mean\" (exit code 2). Shipped profiles are in `xltools/format/profiles/`; more are "
    "found by name in the folders of `XLTOOLS_PROFILE_PATH`. A workbook made with `new --profile` names its profile "
    f"in the document property `{PROFILE_PROPERTY}`, and `check` uses it unless `--profile` says otherwise. "
    "`xltools rules --profile NAME` prints the catalogue as the profile has it. `check`, `new`, `fill` and `rules` "
    "take `--profile`; everything else that checks a workbook (`export`, `consolidate`, the buttons) uses the profile "
    "the workbook records, and the portal the round's. The active profile is named in every output: the text "
    "header (`规则配置：…`), the JSON (`profile`), the 校验结果 sheet, the overview page.",
    "校验前先检查整个配置：未知的键、规则编号、严重程度、规则种类、参数或单元格都会报错并提示“是否应为”（退出码 2）。",
    "",
]


def _profile_md(profile: Profile) -> list[str]:
    """What one profile changes."""
    out = [f"### Profile `{profile.name}` — {profile.title}", ""]
    if profile.description:
        out += [profile.description, ""]
    out += [f"- format / 格式：`{profile.format_id}`"]
    out += [f"- severity / 严重程度：`{rid}` → {sev}（{SEVERITY_ZH[sev]}）" for rid, sev in profile.severity.items()]
    out += [f"- off / 关闭：`{rid}`" for rid in profile.off]
    out += [f"- added / 增加：`{r.id}`（{r.severity}）{r.summary['zh']}" for r in profile.added]
    return [*out, ""]


def rules_markdown(lang: str = "both", profile: Profile | None = None) -> str:
    """The whole catalogue as Markdown (with ``profile``: its format as the profile has it)."""
    out = ["# Rule catalogue / 规则目录", "",
           "Generated from the format spec by `xltools rules`; do not edit by hand (a test fails on drift).",
           "由格式规范自动生成（`xltools rules`），请勿手工修改。", ""]
    if profile is not None:
        out += [f"Profile / 地方规则配置：{profile.label}", ""]
        return "\n".join(out + _format_md(profile.apply(load_spec(profile.format_id)), lang) + _profile_md(profile))
    for format_id in available_formats():
        out += _format_md(load_spec(format_id), lang)
    out += PROFILE_DOC
    for name in shipped_profiles():
        out += _profile_md(load_profile(name))
    return "\n".join(out)
