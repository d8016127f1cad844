"""Writing into users' workbooks with openpyxl (the only module importing it): a copy of the workbook with a
校验结果 (results) sheet listing the findings, to send back to a department. The original file is never touched;
macros (.xlsm) are kept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill

from xltools.atomic import OutputExists, atomic_output
from xltools.collect import UnitResult
from xltools.findings import SEVERITY_ZH, Finding, fmt_number

RESULTS_SHEET = "校验结果"
HEADER = ["严重程度", "规则", "位置", "行｜列", "问题", "应为", "实际", "怎么改"]
FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}


def write_results_sheet(source: str | Path, target: str | Path, findings: Sequence[Finding], summary: str,
                        overwrite: bool = False) -> Path:
    """Copy ``source`` to ``target`` with a results sheet (replacing an older one) listing ``findings``."""
    source, target = Path(source), Path(target)
    if target.exists() and not overwrite:
        raise OutputExists(str(target))
    keep_vba = source.suffix.lower() == ".xlsm"
    wb = openpyxl.load_workbook(source, keep_vba=keep_vba)
    if RESULTS_SHEET in wb.sheetnames:
        del wb[RESULTS_SHEET]
    ws = wb.create_sheet(RESULTS_SHEET)
    ws.append([summary])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(HEADER)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
    for f in findings:
        c = f.cells[0] if f.cells else None
        labels = "｜".join(x for x in (c.row_label, c.col_label) if x) if c else ""
        ws.append([SEVERITY_ZH[f.severity], f.rule, f.where, labels, f.message["zh"], fmt_number(f.expected),
                   fmt_number(f.actual), f.fix["zh"]])
        ws.cell(ws.max_row, 1).fill = PatternFill("solid", fgColor=FILLS.get(f.severity, "FFFFFF"))
    if not findings:
        ws.append(["", "", "", "", "未发现问题"])
    for col, width in zip("ABCDEFGH", (10, 26, 14, 36, 60, 12, 12, 60), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    with atomic_output(target, overwrite) as tmp:
        wb.save(tmp)
    return target


def annotate_all(units: Sequence[UnitResult], folder: str | Path, overwrite: bool = False) -> list[Path]:
    """For each unit, ``<folder>/<file name>-校验结果.xlsx`` (or .xlsm) to send back."""
    folder = Path(folder)
    written = []
    for u in units:
        src = Path(u.file)
        target = folder / f"{src.stem}-{RESULTS_SHEET}{src.suffix.lower()}"
        summary = (f"{u.unit or src.name}：{u.errors} 个错误，{u.warnings} 个警告"
                   + ("，请修改后重新报送" if u.errors else ""))
        written.append(write_results_sheet(src, target, u.findings, summary, overwrite))
    return written
