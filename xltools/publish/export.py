"""``export``: the publish-ready report (Word, PDF or web page) from a checked workbook.

The workbook is checked first; what was checked is exactly what is published. Error findings block the export
(the result lists them) unless ``force``; warnings never block. Third-party writers are imported only when used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from xltools.atomic import OutputExists, WriteError, atomic_output, temp_folder
from xltools.checking.check import CheckReport, check_file
from xltools.errors import XltoolsError, require
from xltools.format.spec import load_spec
from xltools.limits import ENV, limits
from xltools.reading.document import ReportDocument, document_from_values
from xltools.textsafe import clean_text

if TYPE_CHECKING:
    from xltools.publish.model import ReportContent

FORMATS = ("docx", "pdf", "html")
SUFFIXES = {".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
NAME_BYTES = 200  # the longest default file name (UTF-8 bytes; file systems allow 255, temporary names add some)


class ExportError(XltoolsError):
    """The export could not run (unreadable workbook, bad output name, no LibreOffice…); message in Chinese."""


def check_text_sizes(doc: ReportDocument) -> None:
    """Refuse a document whose text sections are longer than ``limits().text_chars`` (ExportError naming the
    section and the limit): no real report comes near it, and the PDF of a longer one takes minutes."""
    limit = limits().text_chars
    spec = load_spec(doc.format_id)
    titles = {c: s.title for s in spec.text_sections for c in s.cells}
    texts = [(titles.get(k, k), v) for k, v in doc.texts.items()]
    texts += [("填报单位", doc.unit or ""), *((f"封面 {k}", v) for k, v in doc.meta.items())]
    for where, text in texts:
        if len(text) > limit:
            raise ExportError(
                f"“{where}”的文字太长（{len(text)} 个字符，上限 {limit} 个字符），无法导出：请检查是否误粘贴了"
                f"其他内容（上限可由 {ENV}=text_chars=… 调整）",
                f"the text of “{where}” is too long to export ({len(text)} characters, limit {limit}; see {ENV})")


class ExportResult(NamedTuple):
    report: CheckReport  # the check of the workbook, findings included
    format: str
    output: Path | None  # None when the export was blocked by error findings

    @property
    def blocked(self) -> bool:
        return self.output is None


def output_format(output: str | Path | None, fmt: str | None) -> str:
    """The format asked for: ``fmt``, else the output's suffix, else docx. Raises ExportError on a mismatch."""
    if fmt is not None and fmt not in FORMATS:
        raise ExportError(f"不支持的导出格式“{fmt}”（可选：{'、'.join(FORMATS)}）")
    if output is None:
        return fmt or "docx"
    suffix = Path(output).suffix.lower()
    by_suffix = SUFFIXES.get(suffix)
    if by_suffix is None:
        raise ExportError(f"输出文件的扩展名必须是 .docx、.pdf 或 .html：{Path(output).name}")
    if fmt is not None and fmt != by_suffix:
        raise ExportError(f"--format {fmt} 与输出文件 {Path(output).name} 的扩展名不一致")
    return by_suffix


def _fit(name: str, rest: str) -> str:
    """``name`` + ``rest`` within NAME_BYTES: a long ``name`` is cut and marked with a digest of the whole, so that
    two long names that start alike still get different files."""
    if len((name + rest).encode("utf-8")) <= NAME_BYTES:
        return name + rest
    mark = "…" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    room = NAME_BYTES - len((mark + rest).encode("utf-8"))
    cut = name.encode("utf-8")[:max(room, 0)].decode("utf-8", "ignore").rstrip(" ._")
    return cut + mark + rest


def default_output(source: str | Path, doc: ReportDocument, fmt: str) -> Path:
    """``<填报单位><年度>年政府信息公开工作年度报告.<fmt>`` beside the workbook (a long unit name is shortened, see
    ``_fit``)."""
    from xltools.publish.model import report_title

    source = Path(source)
    unit = _UNSAFE.sub("_", clean_text(doc.unit or "")).strip(" ._")
    if unit:
        return source.with_name(_fit(unit, f"{report_title(None, doc.year)}.{fmt}"))
    return source.with_name(_fit(f"{source.stem}-", f"{report_title(None, doc.year)}.{fmt}"))


Notice = Callable[[str], None]  # one line for the user while a long step runs, or a warning (the CLI: stderr)


def write_report(doc: ReportDocument, output: str | Path, fmt: str | None = None, *, overwrite: bool = False,
                 created: dt.datetime | None = None, draft_errors: int = 0, notice: Notice | None = None) -> Path:
    """Write a report document as .docx, .pdf or .html (atomically). Used by ``export`` and the Excel button.

    ``draft_errors`` > 0 marks every page as a draft with that many errors (``export --force``); ``notice`` gets
    the lines the PDF conversion has for the user (LibreOffice is running; which fonts were substituted)."""
    from xltools.publish.model import report_content

    output = Path(output)
    fmt = output_format(output, fmt)
    if output.exists() and not overwrite:
        raise OutputExists(str(output))
    check_text_sizes(doc)
    content = report_content(load_spec(doc.format_id), doc, draft_errors)
    try:
        _write(content, doc.format_id, output, fmt, overwrite=overwrite, created=created, notice=notice)
    except OSError as exc:
        raise WriteError(output, exc) from None
    return output


def _write(content: ReportContent, format_id: str, output: Path, fmt: str, *, overwrite: bool,
           created: dt.datetime | None, notice: Notice | None) -> None:
    if fmt == "html":
        from xltools.publish.html_page import write_html

        with atomic_output(output, overwrite) as tmp:
            write_html(content, format_id, tmp)
        return
    require("docx", "export")  # python-docx (with its lxml): the export extra
    from xltools.publish.docx_writer import OFFICIAL_FONTS, write_docx

    if fmt == "docx":
        with atomic_output(output, overwrite) as tmp:
            write_docx(content, tmp, created=created)
        return
    from xltools.publish.pdf import docx_to_pdf

    with temp_folder(output) as work:  # beside the output: a killed run's folder is removed by the next one
        docx = os.path.join(work, "report.docx")
        write_docx(content, docx, created=created, for_libreoffice=True)
        pdf = os.path.join(work, "report.pdf")
        docx_to_pdf(docx, pdf, notice, OFFICIAL_FONTS)
        with atomic_output(output, overwrite) as tmp:
            shutil.copyfile(pdf, tmp)


def export(source: str | Path, output: str | Path | None = None, *, fmt: str | None = None, force: bool = False,
           overwrite: bool = False, today: dt.date | None = None, notice: Notice | None = None) -> ExportResult:
    """Check the workbook ``source`` and, unless it has errors (or ``force``), write the report. A report written
    despite errors (``force``) is marked as a draft on every page; ``notice`` as in ``write_report``.

    Raises ExportError when the export cannot run, OutputExists when the output exists and ``overwrite`` is off,
    and PdfError (from xltools.publish.pdf) when LibreOffice is missing or fails.
    """
    fmt = output_format(output, fmt)
    report = check_file(source, today)
    if not report.readable or report.values is None:
        raise ExportError(f"{source}：{report.reason}")
    if report.tally("error") and not force:
        return ExportResult(report, fmt, None)
    doc = document_from_values(load_spec(report.values.format_id), report.values)
    target = Path(output) if output is not None else default_output(source, doc, fmt)
    written = write_report(doc, target, fmt, overwrite=overwrite, draft_errors=report.tally("error"), notice=notice)
    return ExportResult(report, fmt, written)
