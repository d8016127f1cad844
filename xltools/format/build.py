"""Build a format spec (the JSON the loader reads) from its compact source (TOML in ``xltools/format/sources``).

The source names things, never places: the sections, the cover fields, per table its rows × columns × labels,
totals and groups, the rules, instructions and texts. ``layout`` turns that into addresses, merged label boxes,
widths, heights and print areas, and the rules' lists of keys are written as selectors, so one more row in a
table shifts everything below it and joins the rules that select its rows. Selectors (in ``for_each`` values and
in a parameter written as ``{ cells = "T3.{row}.{col}", row = "<selector>" }``): ``T3.rows``, ``T3.columns``,
``T4.groups`` (a table's keys), ``T3.result_rows`` (a list the table names in ``lists``), ``text_sections``;
``/label/...`` keeps the keys under those labels, ``:parts`` drops totals, ``:totals`` keeps only totals.

    python -m xltools.format.build                      # rebuild every shipped spec from its source
    python -m xltools.format.build SOURCE.toml -o OUT.json
    python -m xltools.format.build --check              # exit 1 if a shipped spec differs from its source
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from xltools.format.errors import FormatError
from xltools.format.layout import LAYOUTS, Entry, Laid, SourceProblem, body, cover
from xltools.format.rulekinds import did_you_mean
from xltools.format.validate import fail, validate

FORMATS_DIR = Path(__file__).parent
SOURCES_DIR = FORMATS_DIR / "sources"
HEAD = ("id", "template_version", "title", "issued_by", "doc_no", "date", "first_year", "levels")
RULE_TEXTS = ("summary", "message", "fix", "source")


def select(selector: str, lists: dict[str, list[Entry]], where: str) -> list[str]:
    """The keys a selector names (see the module docstring)."""
    name, _, modifier = selector.partition(":")
    base, *labels = name.split("/")
    if base not in lists:
        zh, en = did_you_mean(base, lists)
        raise SourceProblem(where, f"未知的列表“{base}”{zh}", f"unknown list {base!r}{en}")
    entries = [e for e in lists[base] if e.path[: len(labels)] == tuple(labels)]
    if modifier not in ("", "parts", "totals"):
        raise SourceProblem(where, f"未知的筛选“:{modifier}”", f"unknown filter ':{modifier}' (parts, totals)")
    if modifier:
        entries = [e for e in entries if e.total == (modifier == "totals")]
    if not entries:
        raise SourceProblem(where, f"“{selector}”没有选中任何键", f"{selector!r} selects nothing")
    return [e.key for e in entries]


def _param(value: Any, lists: dict[str, list[Entry]], where: str) -> Any:
    """A parameter value: literal, or ``{ cells = template, var = selector, ... }`` -> the list of cell ids."""
    if not isinstance(value, dict) or "cells" not in value:
        return value
    names = [k for k in value if k != "cells"]
    out = []
    for combo in itertools.product(*(select(value[n], lists, f"{where}.{n}") for n in names)):
        cell = value["cells"]
        for n, key in zip(names, combo, strict=True):
            cell = cell.replace("{" + n + "}", key)
        out.append(cell)
    return out


def _rule(r: dict[str, Any], lists: dict[str, list[Entry]]) -> dict[str, Any]:
    where = f"rules.{r.get('id', '?')}"
    out: dict[str, Any] = {k: r[k] for k in ("id", "severity", "kind") if k in r}
    out.update({k: r[k] for k in RULE_TEXTS if k in r})
    if "params" in r:
        out["params"] = {k: _param(v, lists, f"{where}.params.{k}") for k, v in r["params"].items()}
    if "for_each" in r:
        out["for_each"] = {k: v if isinstance(v, list) else select(v, lists, f"{where}.for_each.{k}")
                           for k, v in r["for_each"].items()}
    unknown = set(r) - {*out, "params", "for_each"}
    if unknown:
        raise SourceProblem(where, f"未知的键 {sorted(unknown)}", f"unknown keys {sorted(unknown)}")
    return out


def _sections(src: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for s in src["sections"]:
        section: dict[str, Any] = {"id": s["id"], "title": f"{s['numeral']}、{s['title']}"}
        if "text" in s:
            section.update(kind="text", cell=s["text"][0]["id"])
            if "hint" in s:
                section["hint"] = s["hint"]
        else:
            section.update(kind="table", table=s["table"])
        section["numeral"] = s["numeral"]
        if "text" in s:
            section["cells"] = [t["id"] for t in s["text"]]
        section["keywords"] = list(s.get("keywords", []))
        out.append(section)
    return out


def build(src: dict[str, Any], source: str = "<source>") -> dict[str, Any]:
    """The JSON spec of a TOML source (already parsed), validated. Raises FormatError naming ``source``."""
    try:
        return _build(src, source)
    except SourceProblem as p:
        raise fail(source, p.where, p.where, p.zh, p.en) from None
    except (KeyError, TypeError, IndexError, ValueError, AttributeError) as exc:
        raise fail(source, "源文件", "source", f"结构有误（{type(exc).__name__}: {exc}）",
                   f"malformed ({type(exc).__name__}: {exc})") from None


def _build(src: dict[str, Any], source: str) -> dict[str, Any]:
    data: dict[str, Any] = {k: src[k] for k in HEAD if k in src}
    sections = _sections(src)
    data["sections"] = sections
    sheets_of = {tid: t["sheet"] for tid, t in src["tables"].items()}
    laid: list[Laid] = [cover("cover", src["cover"]),
                        body("body", src["body"], [{**s, "_text": t.get("text", [])}
                                                   for s, t in zip(sections, src["sections"], strict=True)], sheets_of)]
    lists: dict[str, list[Entry]] = {"text_sections": [Entry(s["id"], (s["title"],)) for s in sections
                                                       if s["kind"] == "text"]}
    tables: dict[str, dict[str, Any]] = {}
    for s in sections:
        if s["kind"] != "table":
            continue
        tid, t = s["table"], src["tables"][s["table"]]
        layout = LAYOUTS.get(t.get("layout", ""))
        if layout is None:
            zh, en = did_you_mean(str(t.get("layout")), LAYOUTS)
            raise SourceProblem(f"tables.{tid}.layout", f"未知的版式“{t.get('layout')}”{zh}",
                                f"unknown layout {t.get('layout')!r}{en}")
        table = layout(f"tables.{tid}", tid, t, s["title"])
        laid.append(table)
        lists.update({f"{tid}.{name}": entries for name, entries in table.lists.items()})
        tables[tid] = {"title": s["title"], "sheet": t["sheet"], **table.table}
        for name, selector in t.get("lists", {}).items():
            keys = select(selector, lists, f"tables.{tid}.lists.{name}")
            lists[f"{tid}.{name}"] = [e for e in lists[selector.partition(":")[0].split("/")[0]] if e.key in keys]
            tables[tid][name] = keys
    data["tables"] = tables
    data["sheets"] = [x.sheet for x in laid]
    data["cells"] = [c for x in laid for c in x.cells]
    data["rules"] = [_rule(r, lists) for r in src.get("rules", [])]
    data["instructions"] = [dict(i) for i in src.get("instructions", [])]
    data["default"] = src.get("default", False) is True
    if "summary_level" in src:
        data["summary_level"] = src["summary_level"]
    data["key_figures"] = [{"label": f["label"], "cells": list(f["cells"])} for f in src.get("key_figures", [])]
    data["import"] = dict(src.get("import", {}))
    if "overview" in src:
        data["overview"] = dict(src["overview"])
    validate(data, source)
    return data


def build_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and build one TOML source."""
    try:
        with open(path, "rb") as fh:
            src = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise fail(str(path), "源文件", "source", f"不是有效的 TOML（{exc}）", f"not valid TOML ({exc})") from None
    return build(src, str(path))


def render(data: dict[str, Any]) -> str:
    """The JSON text as committed (one-space indent, UTF-8 characters kept)."""
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def shipped_sources() -> list[tuple[Path, Path]]:
    """(TOML source, JSON spec) of every shipped format."""
    return [(p, FORMATS_DIR / (p.stem + ".json")) for p in sorted(SOURCES_DIR.glob("*.toml"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xltools.format.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", help="a TOML source (default: every shipped source)")
    parser.add_argument("-o", "--output", help="the JSON to write (default: next to the source, or the shipped "
                        "spec for a shipped source)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if an output differs")
    args = parser.parse_args(argv)
    if args.source:
        src = Path(args.source)
        shipped = src.resolve().parent == SOURCES_DIR.resolve()
        out = Path(args.output) if args.output else (FORMATS_DIR if shipped else src.parent) / (src.stem + ".json")
        jobs = [(src, out)]
    elif args.output:
        parser.error("-o needs a SOURCE")
    else:
        jobs = shipped_sources()
    stale = []
    for src, out in jobs:
        try:
            text = render(build_file(src))
        except FormatError as exc:
            print(f"error: {exc.en}", file=sys.stderr)
            return 2
        if out.exists() and out.read_text(encoding="utf-8") == text:
            continue
        stale.append(out)
        if not args.check:
            out.write_text(text, encoding="utf-8")
    for out in stale:
        print(f"{'differs' if args.check else 'wrote'}: {out}", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
