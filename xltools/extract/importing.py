"""``import``: published or submitted reports (Word, web page, PDF, text) -> the official workbook.

Every number placed comes from the source; whatever could not be placed with certainty is reported with its
source text, and its cells are left empty. A published report that is itself inconsistent is imported as
published: ``check`` then finds its errors. The imported workbook is checked, so the result says both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from xltools.atomic import OutputExists
from xltools.checking.check import check_file, expand_inputs
from xltools.errors import XltoolsError
from xltools.extract.parse import parse_report
from xltools.extract.sources import SUFFIXES, read_source
from xltools.extract.tables import Note
from xltools.format.findings import CellRef
from xltools.format.spec import FormatSpec, default_format_id, load_spec
from xltools.reading.document import ReportDocument

JSON_SCHEMA_ID = "xltools.import/1"
STATUS_ZH = {"imported": "已导入", "partial": "部分导入", "failed": "失败"}
INCOMPLETE = ("missing", "ambiguous", "image", "variant", "cut", "unplaced", "ocr")  # notes that make an import partial
SHOWN_EMPTY = 10  # empty cells named in the text report (all of them are in the JSON)


class ImportResult(NamedTuple):
    source: str
    status: str  # imported | partial | failed
    output: Path | None = None
    document: ReportDocument | None = None
    notes: tuple[Note, ...] = ()
    reason: str | None = None  # why it failed
    errors: int = 0  # findings of ``check`` on the imported workbook
    warnings: int = 0

    @property
    def empty_cells(self) -> list[str]:
        doc = self.document
        return [] if doc is None else [k for k, v in doc.values.items() if v is None]

    @property
    def empty_refs(self) -> list[CellRef]:
        """The empty cells as ``check`` names them: sheet, address, row and column labels."""
        spec = self.spec
        return [CellRef.of(spec.cell(i)) for i in self.empty_cells]

    @property
    def spec(self) -> FormatSpec:
        """The format the report was imported into."""
        return load_spec(self.document.format_id if self.document else default_format_id())

    @property
    def sections_found(self) -> list[str]:
        missing = {n.message for n in self.notes if n.kind == "missing" and n.message.startswith("没有找到“")}
        return [s.id for s in self.spec.sections if not any(s.title in m for m in missing)]

    def to_json(self) -> dict[str, Any]:
        doc = self.document
        return {
            "source": self.source, "status": self.status, "output": str(self.output) if self.output else None,
            "reason": self.reason, "unit": doc.unit if doc else None, "year": doc.year if doc else None,
            "cells": {"found": sum(v is not None for v in doc.values.values()) if doc else 0,
                      "total": len(self.spec.number_cells)},
            "sections_found": self.sections_found if doc else [],
            "empty_cells": self.empty_cells,
            "empty_cells_at": [c.to_json() for c in self.empty_refs],
            "notes": [{"kind": n.kind, "cells": list(n.cells), "message": n.message, "source": n.source}
                      for n in self.notes],
            "check": {"errors": self.errors, "warnings": self.warnings} if self.output else None,
        }


def read_report(path: str | Path, *, unit: str | None = None, year: int | None = None,
                level: str | None = None, format_id: str | None = None, ocr: bool = False
                ) -> tuple[ReportDocument, list[Note]]:
    """The report document found in a file, in format ``format_id`` (default: the default format), and the
    notes (``ocr``: a scanned PDF is read by OCR). Raises SourceError or OSError."""
    spec = load_spec(format_id or default_format_id())
    doc, notes = parse_report(spec, read_source(path, ocr), unit, year)
    if level:
        doc = doc._replace(meta={**doc.meta, "level": level})
    return doc, notes


def _status(doc: ReportDocument, notes: list[Note]) -> str:
    found = sum(v is not None for v in doc.values.values())
    if found == 0 and not doc.texts:
        return "failed"
    complete = found == len(load_spec(doc.format_id).number_cells) and not any(
        n.kind in INCOMPLETE for n in notes)
    return "imported" if complete else "partial"


def import_file(path: str | Path, output: str | Path | None = None, *, unit: str | None = None,
                year: int | None = None, level: str | None = None, overwrite: bool = False,
                format_id: str | None = None, ocr: bool = False) -> ImportResult:
    """Import one file into a workbook (default: beside it, same name, .xlsx). Never raises for a bad source:
    the result says why it failed. Raises OutputExists when the workbook exists and ``overwrite`` is off."""
    from xltools.workbook.new import new

    source = str(path)
    try:
        doc, notes = read_report(path, unit=unit, year=year, level=level, format_id=format_id, ocr=ocr)
    except XltoolsError as exc:  # unreadable, damaged, over a limit: the message says what to do
        return ImportResult(source, "failed", reason=exc.zh)
    except FileNotFoundError:
        return ImportResult(source, "failed", reason=f"无法打开文件：找不到“{source}”，请检查文件名和路径")
    except OSError as exc:
        return ImportResult(source, "failed", reason=f"无法打开文件“{source}”：{exc.strerror or exc}")
    except Exception as exc:  # a strange file must not stop a batch; say what happened instead
        return ImportResult(source, "failed", reason=f"读取时出现意外错误（{type(exc).__name__}: {exc}），请报告此问题")
    status = _status(doc, notes)
    if status == "failed":
        return ImportResult(source, status, None, doc, tuple(notes), "没有找到报告的任何部分或表格数字")
    target = Path(output) if output is not None else Path(path).with_suffix(".xlsx")
    try:
        new(target, data=doc.to_json(), overwrite=overwrite)
        report = check_file(target)
    except OutputExists:
        raise
    except XltoolsError as exc:  # the workbook could not be written or read back: this file fails, not the batch
        return ImportResult(source, "failed", None, doc, tuple(notes), exc.zh)
    return ImportResult(source, status, target, doc, tuple(notes), None, report.tally("error"),
                        report.tally("warning"))


def expand_sources(inputs: Iterable[str]) -> Iterator[str]:
    """Files as given; folders become the report files inside them (recursively, sorted)."""
    return expand_inputs(inputs, SUFFIXES)


def import_files(inputs: Iterable[str], out_dir: str | Path | None = None, **options: Any) -> list[ImportResult]:
    """Import many files; with ``out_dir`` every workbook goes there as ``<name>.xlsx``."""
    results = []
    for path in expand_sources(inputs):
        target = Path(out_dir) / (Path(path).stem + ".xlsx") if out_dir is not None else None
        try:
            results.append(import_file(path, target, **options))
        except OutputExists as exc:
            results.append(ImportResult(path, "failed", reason=str(exc)))
    return results


def exit_code(results: list[ImportResult]) -> int:
    """0 every file imported completely · 1 something was left empty or not placed · 2 a file could not be read."""
    if not results or any(r.status == "failed" for r in results):
        return 2
    return 1 if any(r.status == "partial" for r in results) else 0


KIND_ZH = {"missing": "缺少", "ambiguous": "无法确定", "variant": "格式差异", "extra": "多余数字",
           "unplaced": "未导入的文字", "image": "图片", "split": "拆分", "blank": "空白",
           "cut": "截断", "zero": "补零", "ocr": "文字识别"}


def render_text(results: list[ImportResult]) -> str:
    """The import report for people (Chinese)."""
    lines: list[str] = []
    for r in results:
        total, sections = len(r.spec.number_cells), len(r.spec.sections)
        doc = r.document
        head = f"== {r.source}" + (f" → {r.output}" if r.output else "") + f" ==  {STATUS_ZH[r.status]}"
        if doc is not None and (doc.unit or doc.year):
            head += f"  {doc.unit or '（单位不明）'} {doc.year or '?'}年度"
        lines.append(head)
        if r.reason:
            lines.append(f"  {r.reason}")
        if doc is not None:
            found = sum(v is not None for v in doc.values.values())
            summary = f"  数字 {found}/{total}，正文部分 {len(r.sections_found)}/{sections}"
            if r.output:
                summary += f"；导入后校验：{r.errors} 个错误，{r.warnings} 个警告（xltools check 查看）"
            lines.append(summary)
        for n in r.notes:
            lines.append(f"  〔{KIND_ZH.get(n.kind, n.kind)}〕{n.message}")
            if n.source:
                lines.append(f"      原文：{n.source[:120]}")
        empty = r.empty_refs if r.output else []
        if empty:
            more = f"（共 {len(empty)} 个，--format json 列出全部）" if len(empty) > SHOWN_EMPTY else ""
            lines.append(f"  留空的单元格{more}：" + "、".join(_where(c) for c in empty[:SHOWN_EMPTY]))
    if len(results) > 1:
        counts = {s: sum(r.status == s for r in results) for s in STATUS_ZH}
        lines.append("汇总：" + "，".join(f"{STATUS_ZH[s]} {n}" for s, n in counts.items()))
    return "\n".join(lines)


def _where(c: CellRef) -> str:
    """A cell as ``check`` names it: 表三!D25〔（六）其他处理3.其他｜自然人〕."""
    labels = "｜".join(x for x in (c.row_label, c.col_label) if x)
    return f"{c.ref}〔{labels}〕" if labels else c.ref


def to_json(results: list[ImportResult]) -> dict[str, Any]:
    counts = {s: sum(r.status == s for r in results) for s in STATUS_ZH}
    return {"schema": JSON_SCHEMA_ID, "files": [r.to_json() for r in results], "summary": counts}
