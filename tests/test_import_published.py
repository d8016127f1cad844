"""``import`` on reports written the way they are really published (issue 16): merged cells, prose inside the
table area, renumbered and extra sections, tables as an appendix, Markdown converted from PDF, blank cells, the
date followed by page furniture. The pages are built here (tests/published_pages.py) with the hand-checked 淮安
2024 numbers; no published prose is copied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import docx
from helpers import run
from published_pages import (
    FEE,
    GROUPS,
    T4_COLUMNS,
    TEXTS,
    markdown_report,
    page,
    standard_sections,
    t2_html,
    t3_html,
    t4_html,
    values,
)

from xltools.extract.cells import TABLE_MARK
from xltools.extract.importing import read_report
from xltools.extract.sources import html_source
from xltools.extract.tables import Note
from xltools.reading.document import ReportDocument

OTHER = ["r_other_no_correction", "r_other_fee_unpaid", "r_other_other"]


def read(folder: Path, name: str, content: str) -> tuple[ReportDocument, list[Note]]:
    path = folder / name
    path.write_text(content, encoding="utf-8")
    return read_report(path)


def wrong(doc: ReportDocument, expected: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (doc.values[k], v) for k, v in expected.items() if doc.values.get(k) is not None and doc.values[k] != v}


def empty(doc: ReportDocument) -> list[str]:
    return [k for k, v in doc.values.items() if v is None]


def test_merged_other_processing_cells_never_shift_the_total(tmp_path: Path) -> None:
    v = values()
    doc, notes = read(tmp_path, "merged.html", page("某某市某某局", 2024, standard_sections(v, merge_other=True)))
    assert wrong(doc, v) == {}
    assert all(doc.values[f"T3.r_total.{c}"] == v[f"T3.r_total.{c}"] for c in t3_columns())
    # a merged cell holding the sum of three sub-rows: those cells are left empty, with the source quoted
    unknown = {f"T3.{r}.{c}" for r in OTHER for c in t3_columns() if sum(v[f"T3.{x}.{c}"] for x in OTHER)}
    assert set(empty(doc)) == unknown
    merged = [n for n in notes if n.kind == "ambiguous" and set(n.cells) & unknown]
    assert len(merged) == 3 and all("合并单元格" in n.message and "其他处理" in n.source for n in merged)
    # a merged 0 over three sub-rows: non-negative counts adding up to 0, each is 0 (and the note says so)
    assert doc.values["T3.r_other_fee_unpaid.research_institution"] == 0
    zeros = {c for n in notes if n.kind == "zero" and "合并" in n.message for c in n.cells}
    assert zeros == {f"T3.{r}.{c}" for r in OTHER for c in t3_columns() if f"T3.{r}.{c}" not in unknown}


def t3_columns() -> list[str]:
    return ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
            "legal_service_org", "other_org", "total"]


def test_prose_between_heading_and_table_is_no_table_row(tmp_path: Path) -> None:
    v = values()
    sections = standard_sections(v)
    sections[1] = (sections[1][0], "<p>本年度主动公开政府信息，涵盖政策及规范性文件类5条。</p>" + sections[1][1])
    sections[2] = (sections[2][0], "<p>本年度共收到政府信息公开申请3条。</p>" + sections[2][1])
    html = page("某某县某某局", 2024, sections)
    doc, _ = read(tmp_path, "prose.html", html)
    assert (wrong(doc, v), empty(doc)) == ({}, [])
    # the same page as a crawler's text (no cells): the sentence's numbers are not taken for a row either
    text = html_source(html).text.replace(TABLE_MARK, "")
    doc, _ = read(tmp_path, "prose.txt", text)
    assert (wrong(doc, v), empty(doc)) == ({}, [])


def test_web_page_table_four_is_read_by_its_cells(tmp_path: Path) -> None:
    """Zero cells merged across columns and totals that do not add up: the flattened text has 13 numbers for 15
    cells and no split fits the totals; the <td> cells say plainly what was published."""
    v = values()
    row: list[object] = [3, 2, 4, 1, 9, 13, 2, 4, 0, 15]  # 复议后起诉: 13+2+4+0 printed as 15
    published = [*row, 0, 0, 0, 0, 0]
    html = t4_html(v, row=row).replace("</tr></table>", '<td colspan="4">0</td><td>0</td></tr></table>')
    sections = standard_sections(v)
    sections[3] = (sections[3][0], html)
    doc, notes = read(tmp_path, "t4.html", page("某某县某某局", 2024, sections))
    assert [doc.values[f"T4.{g}.{c}"] for g in GROUPS for c in T4_COLUMNS] == published
    assert not [n for n in notes if n.kind == "ambiguous"]


def test_renumbered_seven_sections_the_fee_section_and_the_date_before_attachments(tmp_path: Path) -> None:
    v = values()
    s = standard_sections(v)
    seven = [*s[:4], ("五、信息处理费收取情况", f"<p>{FEE}</p>"), ("六、存在的主要问题及改进情况", s[4][1]),
             ("七、其他需说明事项", s[5][1])]
    after = "<p>附件下载：</p><p>抄送：县政务公开办</p><p>（此件主动公开）</p>"
    doc, notes = read(tmp_path, "seven.html", page("某某县某某局", 2024, seven, after_date=after))
    assert (wrong(doc, v), empty(doc)) == ({}, [])
    assert doc.texts["S5.text"] == TEXTS["S5"]
    assert doc.texts["S6.text"].split("\n") == ["五、信息处理费收取情况", FEE, TEXTS["S6"]]
    assert any(n.kind == "variant" and n.cells == ("S6.text",) and "信息处理费收取情况" in n.message for n in notes)
    assert doc.meta["date"] == "2025-01-20"
    assert not [n for n in notes if n.kind == "missing"]


def test_renamed_heading_and_label_variant(tmp_path: Path) -> None:
    v = values()
    s = standard_sections(v, label=lambda row: "1.申请人无正当理由逾期不补正、行政机关不再受理其政府信息公开申请"
                          if row == "r_other_no_correction" else _official(row))
    s[5] = ("六、其他需报告的事项", s[5][1])
    doc, _ = read(tmp_path, "variant.html", page("某某县某某局", 2024, s))
    assert (wrong(doc, v), empty(doc)) == ({}, [])
    assert doc.texts["S6.text"] == TEXTS["S6"]


def _official(row: str) -> str:
    from published_pages import SPEC

    return str(SPEC.cell(f"T3.{row}.natural_person").row[-1])


def test_tables_as_an_appendix_restarting_the_numbering_and_a_title_over_two_lines(tmp_path: Path) -> None:
    v = values()
    s = standard_sections(v)
    sections = [s[0], ("二、存在的主要问题及改进情况", s[4][1]), ("三、其他需要报告的事项", s[5][1]), ("附件", ""),
                ("一、主动公开政府信息情况", s[1][1]), ("二、收到和处理政府信息公开申请情况", s[2][1]),
                ("三、政府信息公开行政复议、行政诉讼情况", s[3][1])]
    html = page("某某县某某局", 2024, sections).replace("<h1>某某县某某局", "<h1>某某县<br>某某局")
    doc, notes = read(tmp_path, "appendix.html", html)
    assert (wrong(doc, v), empty(doc)) == ({}, [])
    assert doc.unit == "某某县某某局"
    assert [doc.texts[k] for k in ("S1.text", "S5.text", "S6.text")] == [TEXTS["S1"], TEXTS["S5"], TEXTS["S6"]]
    assert not [n for n in notes if n.kind == "missing"]
    # the same as text (no cells): the tables are found after the text sections all the same
    doc, notes = read(tmp_path, "appendix.txt", html_source(html).text.replace(TABLE_MARK, ""))
    assert (wrong(doc, v), empty(doc)) == ({}, [])
    assert doc.texts["S6.text"] == TEXTS["S6"]


def test_six_text_sections_then_the_tables_again_as_an_appendix(tmp_path: Path) -> None:
    """All six headings in the text (二–四 with a sentence each), the tables after them numbered 一/二/三 again:
    the tables come from the appendix, section 六 ends where it begins, the sentences are named in notes."""
    v = values()
    s = standard_sections(v)
    sections = [s[0], (s[1][0], "<p>本年度主动公开各类信息。</p>"), (s[2][0], "<p>本年度依申请公开工作规范有序。</p>"),
                (s[3][0], "<p>未发生行政复议和行政诉讼。</p>"), s[4], s[5], ("附件：", ""),
                ("一、主动公开政府信息情况", s[1][1]), ("二、收到和处理政府信息公开申请情况", s[2][1]),
                ("三、政府信息公开行政复议、行政诉讼情况", s[3][1])]
    html = page("某某县某某局", 2024, sections)
    for name, content in (("a.html", html), ("a.txt", html_source(html).text.replace(TABLE_MARK, ""))):
        doc, notes = read(tmp_path, name, content)
        assert (wrong(doc, v), empty(doc)) == ({}, []), name
        assert doc.texts["S6.text"] == TEXTS["S6"]
        assert sorted(n.source for n in notes if n.kind == "variant" and "附件" in n.message) == sorted(
            ["本年度主动公开各类信息。", "本年度依申请公开工作规范有序。", "未发生行政复议和行政诉讼。"])


def test_markdown_report_with_split_tables_and_detached_labels(tmp_path: Path) -> None:
    v = values()
    path = tmp_path / "converted.md"
    path.write_text(markdown_report(v), encoding="utf-8")
    out = tmp_path / "out" / "converted.xlsx"
    out.parent.mkdir()
    result = run("import", path, "-o", out, "--format", "json")
    report = json.loads(result.stdout)["files"][0]
    assert (result.returncode, report["status"], report["unit"], report["cells"]["found"]) == (
        0, "imported", "某某县某某局", 200), result.stdout
    doc, _ = read_report(path)
    assert (wrong(doc, v), empty(doc)) == ({}, [])
    assert doc.meta["date"] == "2025-01-20"
    # the same tables in a .txt (a converter's output saved as text) are read as tables too
    doc, _ = read(tmp_path, "converted.txt", markdown_report(v))
    assert (wrong(doc, v), empty(doc)) == ({}, [])


def test_blank_cells_are_zero_only_where_the_printed_totals_prove_it(tmp_path: Path) -> None:
    v = values()
    v["T3.carried_forward.other_org"] = 0  # printed blank, but the row's total says 1 is missing somewhere
    v["T3.carried_forward.total"] = v["T3.carried_forward.total"] + 1
    doc, notes = read(tmp_path, "blank.html", page("某某县某某局", 2024, standard_sections(v, blank_zero_orgs=True)))
    assert wrong(doc, v) == {}
    blanks_in_row = [f"T3.carried_forward.{c}" for c in t3_columns() if v[f"T3.carried_forward.{c}"] == 0]
    assert set(empty(doc)) == set(blanks_in_row)
    proved = {c for n in notes if n.kind == "zero" for c in n.cells}
    assert len(proved) > 50 and all(doc.values[c] == 0 for c in proved)
    assert any(n.kind == "blank" and set(n.cells) == set(blanks_in_row) for n in notes)


def test_2019_layout_table_three_keeps_its_single_other_processing_row(tmp_path: Path) -> None:
    v = values()
    html = t3_html(v)
    # 2019: （六）其他处理 is one row of its own, without sub-rows
    start = html.rfind("<tr>", 0, html.index("（六）其他处理"))
    end = html.index("（七）总计")
    end = html.rfind("<tr>", 0, end)
    merged = [sum(v[f"T3.{r}.{c}"] for r in OTHER) for c in t3_columns()]
    row = "<tr><td colspan='2'>（六）其他处理</td>" + "".join(f"<td>{n}</td>" for n in merged) + "</tr>"
    html = html[:start] + row + html[end:]
    html = html.replace('rowspan="22"', 'rowspan="20"')
    s = standard_sections(v)
    s[2] = (s[2][0], html)
    doc, notes = read(tmp_path, "2019.html", page("某某县某某局", 2020, s))
    assert [doc.values[f"T3.r_other_other.{c}"] for c in t3_columns()] == merged
    assert all(doc.values[f"T3.{r}.{c}"] is None for r in OTHER[:2] for c in t3_columns())
    assert any(n.kind == "variant" and "2019" in n.message for n in notes)
    assert wrong(doc, {k: x for k, x in v.items() if not k.startswith("T3.r_other")}) == {}


def test_word_table_with_merged_cells_is_read_by_its_cells(tmp_path: Path) -> None:
    v = values()
    d = docx.Document()
    d.add_paragraph("某某县某某局2024年政府信息公开工作年度报告")
    d.add_paragraph("一、总体情况")
    d.add_paragraph(TEXTS["S1"])
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    d.add_paragraph("本年度共收到政府信息公开申请3条。")
    table = d.add_table(rows=2 + 25, cols=10)
    corner = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    table.cell(0, 0).merge(table.cell(1, 2)).text = corner
    for c, label in enumerate(["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]):
        table.cell(1, 3 + c).text = label
    table.cell(0, 3).merge(table.cell(0, 9)).text = "申请人情况"
    from published_pages import ROWS, SPEC

    for i, row in enumerate(ROWS):
        path = SPEC.cell(f"T3.{row}.natural_person").row
        r = 2 + i
        if len(path) == 1:
            table.cell(r, 0).merge(table.cell(r, 2)).text = path[0]
        elif len(path) == 2:
            table.cell(r, 0).text = path[0]
            table.cell(r, 1).merge(table.cell(r, 2)).text = path[1]
        else:
            for c, part in enumerate(path):
                table.cell(r, c).text = part
        for c, col in enumerate(t3_columns()):
            if row in OTHER[1:]:
                continue
            value = sum(v[f"T3.{x}.{col}"] for x in OTHER) if row == OTHER[0] else v[f"T3.{row}.{col}"]
            table.cell(r, 3 + c).text = str(value)
    first = 2 + ROWS.index(OTHER[0])
    for c in range(7):
        table.cell(first, 3 + c).merge(table.cell(first + 2, 3 + c))
    d.add_paragraph("五、存在的主要问题及改进情况")
    d.add_paragraph(TEXTS["S5"])
    path = tmp_path / "merged.docx"
    d.save(str(path))
    doc, _ = read_report(path)
    assert wrong(doc, v) == {}
    assert all(doc.values[f"T3.r_total.{c}"] == v[f"T3.r_total.{c}"] for c in t3_columns())
    assert {k for k in empty(doc) if k.startswith("T3.")} == {
        f"T3.{r}.{c}" for r in OTHER for c in t3_columns() if sum(v[f"T3.{x}.{c}"] for x in OTHER)}


def test_md_files_are_accepted_and_listed_in_folders(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text(markdown_report(values()), encoding="utf-8")
    result = run("import", tmp_path / "in", "--out-dir", tmp_path / "out", "--format", "json")
    assert [f["status"] for f in json.loads(result.stdout)["files"]] == ["imported"]


def test_table_two_in_cells_with_single_value_rows_spanning_columns(tmp_path: Path) -> None:
    v = values()
    fee = v["T2.administrative_fees.amount"]
    html = t2_html(v).replace(f">{fee}<", f">{fee}万元<")  # a unit written in the cell
    doc, _ = read(tmp_path, "t2.html", "<p>二、主动公开政府信息情况</p>" + html)
    assert {k: doc.values[k] for k in v if k.startswith("T2.")} == {k: x for k, x in v.items() if k.startswith("T2.")}


def scanned_pdf(path: Path, v: dict[str, Any]) -> None:
    """A scan: the report's 表三 and 表四 drawn as a picture (Pillow, a CJK font) wrapped into an image-only PDF."""
    from PIL import Image, ImageDraw, ImageFont
    from published_pages import COLUMNS, ROWS, SPEC

    font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 30)
    img = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(img)
    lines: list[tuple[str, list[int]]] = [("某某县某某局2024年政府信息公开工作年度报告", []), ("一、总体情况", []),
                                         (TEXTS["S1"][:30], []), ("三、收到和处理政府信息公开申请情况", [])]
    lines += [(SPEC.cell(f"T3.{r}.natural_person").row[-1][:22], [v[f"T3.{r}.{c}"] for c in COLUMNS]) for r in ROWS]
    lines += [("四、政府信息公开行政复议、行政诉讼情况", []),
              ("", [v[f"T4.{g}.{c}"] for g in GROUPS for c in T4_COLUMNS]),
              ("五、存在的主要问题及改进情况", []), (TEXTS["S5"][:30], [])]
    for i, (label, numbers) in enumerate(lines):
        y = 150 + 60 * i
        draw.text((150, y), label, font=font, fill=0)
        for j, n in enumerate(numbers):
            draw.text((1000 + 120 * j if len(numbers) <= 7 else 150 + 150 * j, y), str(n), font=font, fill=0)
    img.save(path, resolution=300)


def test_scanned_pdf_is_detected_and_read_by_ocr_only_where_the_totals_hold(tmp_path: Path) -> None:
    v = values()
    scan = tmp_path / "scan.pdf"
    scanned_pdf(scan, v)
    result = run("import", scan, "-o", tmp_path / "plain.xlsx", "--format", "json")
    report = json.loads(result.stdout)["files"][0]
    assert result.returncode == 2 and "扫描件" in report["reason"] and "--ocr" in report["reason"]
    doc, notes = read_report(scan, ocr=True)
    assert wrong(doc, v) == {}
    placed = {k for k, x in doc.values.items() if x is not None}
    marked = {c for n in notes if n.kind == "ocr" and "通过" in n.message and "未填入" not in n.message
              for c in n.cells}
    assert placed == marked and len(placed) >= 60  # every number placed is marked as OCR
    assert all(k.startswith(("T3.", "T4.")) for k in placed)  # 表二 has no totals to check OCR with
    result = run("import", scan, "--ocr", "-o", tmp_path / "ocr.xlsx", "--format", "json")
    report = json.loads(result.stdout)["files"][0]
    assert (result.returncode, report["status"], report["cells"]["found"]) == (1, "partial", len(placed))


def test_pdf_with_merged_cells_is_read_by_its_ruling_and_both_readings_must_agree(tmp_path: Path) -> None:
    """The merged page printed to PDF by LibreOffice: pdfplumber's cells show the merged （六） cells; the
    flattened text would put the （七）总计 numbers into a sub-row. Where the two readings differ, the cell is left
    empty with both in the note."""
    from helpers import libreoffice_convert

    v = values()
    html = tmp_path / "merged.html"
    html.write_text(page("某某市某某局", 2024, standard_sections(v, merge_other=True)).replace(
        "<table>", '<table border="1" cellspacing="0">'), encoding="utf-8")
    pdf = libreoffice_convert(html, tmp_path, "pdf:writer_web_pdf_Export")
    doc, notes = read_report(pdf)
    assert wrong(doc, v) == {}
    assert all(doc.values[f"T3.r_total.{c}"] == v[f"T3.r_total.{c}"] for c in t3_columns())
    unknown = {f"T3.{r}.{c}" for r in OTHER for c in t3_columns() if sum(v[f"T3.{x}.{c}"] for x in OTHER)}
    assert unknown <= set(empty(doc))
    assert len(empty(doc)) <= len(unknown) + 3  # only where the cells say "merged" or the two readings differ
    assert all("读出" in n.message for n in notes if n.kind == "ambiguous" and len(n.cells) == 1)
