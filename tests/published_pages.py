"""Report pages written the way publishers write them (for tests/test_import_published.py): web pages whose tables
use rowspan/colspan, prose between a heading and its table, renumbered sections, tables in an appendix, Markdown
converted from PDF. The numbers are the hand-checked 淮安 2024 ones (tests/data); every sentence is written for the
tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpers import hand_checked

from xltools.format.spec import load_spec

SPEC = load_spec()
COLUMNS = list(SPEC.tables["T3"]["columns"])
ROWS = list(SPEC.tables["T3"]["rows"])
GROUPS = list(SPEC.tables["T4"]["groups"])
T4_COLUMNS = ["upheld", "corrected", "other", "pending", "total"]
T2_ROWS = [("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"],
            [("规章", "regulations"), ("行政规范性文件", "normative_documents")]),
           ("第二十条第（五）项", ["本年处理决定数量"], [("行政许可", "administrative_licensing")]),
           ("第二十条第（六）项", ["本年处理决定数量"], [("行政处罚", "administrative_punishment"),
                                                 ("行政强制", "administrative_coercion")]),
           ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("行政事业性收费", "administrative_fees")])]
TEXTS = {
    "S1": "本年度，本机关坚持以公开为常态，围绕中心工作推进政务公开，各项工作有序开展。",
    "S5": "存在的问题是公开内容还不够全面。下一步将加强培训，提升公开质量。",
    "S6": "本年度未收取信息处理费。",
}
FEE = "本年度未收取信息处理费，也未发出收费通知。"


def values() -> dict[str, Any]:
    return dict(hand_checked("jiangsu-huaian-shi-2024")["values"])


def _td(text: object = "", rowspan: int = 1, colspan: int = 1) -> str:
    spans = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    return f'<td{spans} style="border:1px solid #000"><p style="text-align:center">{text}</p></td>'


def _tr(*cells: str) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def t2_html(v: dict[str, Any]) -> str:
    rows = []
    for caption, heads, block in T2_ROWS:
        rows.append(_tr(_td(caption, colspan=4)))
        rows.append(_tr(_td("信息内容"), *(_td(h, colspan=4 - len(heads) if len(heads) == 1 else 1) for h in heads)))
        for label, key in block:
            ids = [c.id for c in SPEC.number_cells if c.id.startswith(f"T2.{key}.")]
            rows.append(_tr(_td(label), *(_td(v[i], colspan=3 if len(ids) == 1 else 1) for i in ids)))
    return "<table>" + "".join(rows) + "</table>"


def t3_label_cells(row: str, placed: set[str]) -> list[str]:
    """The label cells of a 表三 row as publishers merge them: the group labels span their rows."""
    path = SPEC.cell(f"T3.{row}.natural_person").row
    if len(path) == 1:
        return [_td(path[0], colspan=3)]
    cells = []
    for depth, part in enumerate(path[:-1]):
        key = "/".join(path[:depth + 1])
        if key not in placed:
            placed.add(key)
            span = sum(1 for r in ROWS if SPEC.cell(f"T3.{r}.natural_person").row[:depth + 1] == path[:depth + 1])
            cells.append(_td(part, rowspan=span))
    cells.append(_td(path[-1], colspan=3 - len(path) + 1 if len(path) < 3 else 1))
    return cells


def t3_html(v: dict[str, Any], *, merge_other: bool = False, blank_zero_orgs: bool = False,
            label: Callable[[str], str] | None = None) -> str:
    """表三 with the headers and merged group labels of a CMS page. ``merge_other``: （六）其他处理's three
    sub-rows shown as one merged cell per column holding their sum; ``blank_zero_orgs``: the organisation
    columns' zeros printed as empty cells."""
    head = [_tr(_td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
                _td("申请人情况", colspan=7)),
            _tr(_td("自然人", rowspan=2), _td("法人或其他组织", colspan=5), _td("总计", rowspan=2)),
            _tr(*(_td(x) for x in ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]))]
    body = []
    placed: set[str] = set()
    other = ["r_other_no_correction", "r_other_fee_unpaid", "r_other_other"]
    for row in ROWS:
        cells = t3_label_cells(row, placed)
        if label is not None:
            cells = [c.replace(SPEC.cell(f"T3.{row}.natural_person").row[-1], label(row)) for c in cells]
        for col in COLUMNS:
            value = v[f"T3.{row}.{col}"]
            shown = "" if blank_zero_orgs and value == 0 and col not in ("natural_person", "total") else value
            if merge_other and row in other:
                if row == other[0]:
                    cells.append(_td(sum(v[f"T3.{r}.{col}"] for r in other), rowspan=3))
                continue
            cells.append(_td(shown))
        body.append(_tr(*cells))
    return "<table>" + "".join(head + body) + "</table>"


def t4_html(v: dict[str, Any], row: list[object] | None = None) -> str:
    heads = [_tr(_td("行政复议", colspan=5), _td("行政诉讼", colspan=10)),
             _tr(*(_td(x, rowspan=2) for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]),
                 _td("未经复议直接起诉", colspan=5), _td("复议后起诉", colspan=5)),
             _tr(*(_td(x) for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2))]
    numbers = row if row is not None else [v[f"T4.{g}.{c}"] for g in GROUPS for c in T4_COLUMNS]
    return "<table>" + "".join(heads) + _tr(*(_td(n) for n in numbers)) + "</table>"


def page(unit: str, year: int, sections: list[tuple[str, str]], *, date: str = "2025年1月20日",
         after_date: str = "") -> str:
    """A CMS article: a title, the sections (heading, body HTML), the signature and whatever follows it."""
    parts = [f"<html><head><meta charset='utf-8'><title>{unit}</title></head><body><div class='article'>",
             f"<h1>{unit}{year}年政府信息公开工作年度报告</h1>"]
    for heading, body in sections:
        parts.append(f"<p><strong>{heading}</strong></p>{body}")
    parts.append(f"<p style='text-align:right'>{unit}</p><p style='text-align:right'>{date}</p>{after_date}")
    parts.append("</div><div class='footer'>版权所有：示例网站 网站标识码0000000000</div></body></html>")
    return "".join(parts)


def standard_sections(v: dict[str, Any], **t3: Any) -> list[tuple[str, str]]:
    return [("一、总体情况", f"<p>{TEXTS['S1']}</p>"),
            ("二、主动公开政府信息情况", t2_html(v)),
            ("三、收到和处理政府信息公开申请情况", t3_html(v, **t3)),
            ("四、政府信息公开行政复议、行政诉讼情况", t4_html(v)),
            ("五、存在的主要问题及改进情况", f"<p>{TEXTS['S5']}</p>"),
            ("六、其他需要报告的事项", f"<p>{TEXTS['S6']}</p>")]


def pipe(cells: list[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def t3_markdown(v: dict[str, Any], *, split: bool = True, detach: tuple[str, ...] = ()) -> str:
    """表三 as a PDF-to-Markdown converter writes it: one pipe table per group of rows (``split``), each with a
    separator row, the header only over the first; rows in ``detach`` have their label on a line of its own."""
    lines = [pipe(["申请人情况", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]),
             pipe(["---"] * 8)]
    group = None
    for row in ROWS:
        path = SPEC.cell(f"T3.{row}.natural_person").row
        if split and len(path) > 1 and path[1] != group:
            group = path[1]
            lines += ["", pipe([path[1], "", "", "", "", "", "", ""]), pipe(["---"] * 8)]
        numbers = [v[f"T3.{row}.{c}"] for c in COLUMNS]
        if row in detach:
            lines += [pipe([path[-1], *[""] * 7]), pipe(["", *numbers])]
        else:
            lines.append(pipe([path[-1], *numbers]))
    return "\n".join(lines)


def markdown_report(v: dict[str, Any]) -> str:
    t2 = "\n".join([
        pipe(["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]), pipe(["---"] * 4),
        pipe(["规章", *(v[f"T2.regulations.{c}"] for c in ("issued", "repealed", "in_force"))]),
        pipe(["行政规范性文件", *(v[f"T2.normative_documents.{c}"] for c in ("issued", "repealed", "in_force"))]),
        "", pipe(["信息内容", "本年处理决定数量"]), pipe(["---"] * 2),
        pipe(["行政许可", v["T2.administrative_licensing.decisions"]]),
        pipe(["行政处罚", v["T2.administrative_punishment.decisions"]]),
        pipe(["行政强制", v["T2.administrative_coercion.decisions"]]),
        "", pipe(["信息内容", "本年收费金额（单位：万元）"]), pipe(["---"] * 2),
        pipe(["行政事业性收费", v["T2.administrative_fees.amount"]])])
    t4 = pipe([v[f"T4.{g}.{c}"] for g in GROUPS for c in T4_COLUMNS])  # a clean line of 15 numbers
    return (f"# 某某县某某局2024年政府信息公开工作年度报告\n\n## 一、总体情况\n\n{TEXTS['S1']}\n\n"
            f"## 二、主动公开政府信息情况\n\n{t2}\n\n## 三、收到和处理政府信息公开申请情况\n\n"
            f"{t3_markdown(v, detach=('r_denied_state_secret', 'r_total'))}\n\n"
            f"## 四、政府信息公开行政复议、行政诉讼情况\n\n{t4}\n\n## 五、存在的主要问题及改进情况\n\n{TEXTS['S5']}\n\n"
            f"## 六、其他需要报告的事项\n\n{TEXTS['S6']}\n\n**某某县某某局**\n\n2025年1月20日\n")
