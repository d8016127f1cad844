"""The report as one self-contained web page: inline CSS, no scripts, no external requests, semantic tables
(``<thead>``, ``scope``, rowspan/colspan as in the format) that a website CMS can take as they are."""

from __future__ import annotations

from xltools.publish.model import EMPTY_SECTION, ReportContent
from xltools.publish.pages import render_page


def render_html(content: ReportContent, format_id: str) -> str:
    return render_page("report.html.j2", report=content, format_id=format_id, empty_section=EMPTY_SECTION)


def write_html(content: ReportContent, format_id: str, path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(render_html(content, format_id))
