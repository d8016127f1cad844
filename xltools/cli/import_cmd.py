"""``xltools import``: published reports → the official workbook."""

from __future__ import annotations

import sys
from typing import Any

import click

from xltools.cli.app import _fail, _print_json, cli


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="输出的 .xlsx（只导入一个文件时）/ output workbook (one file only)")
@click.option("--out-dir", type=click.Path(file_okay=False), help="输出文件夹（批量导入）/ output folder")
@click.option("--unit", help="填报单位（原文中找不到时）/ reporting unit")
@click.option("--year", type=int, help="年度（原文中找不到时）/ report year")
@click.option("--level", help="单位层级（报告格式中的层级之一，如 部门、县级政府、汇总）/ unit level")
@click.option("--format-version", "format_id", metavar="FORMAT_ID",
              help="导入为哪个版本的报告格式（默认：当前格式；xltools rules 列出各版本）/ report format version")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="导入报告的格式 / format of the import report (json: schema xltools.import/1)")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 / replace existing workbooks")
@click.option("--ocr", is_flag=True,
              help="扫描件 PDF 用文字识别（Tesseract）导入；识别的数字只有通过表格合计核对才填入，并标为 OCR / "
                   "read scanned PDFs by OCR; numbers placed only where the table's totals hold")
def import_(files: tuple[str, ...], output: str | None, out_dir: str | None, unit: str | None, year: int | None,
            level: str | None, format_id: str | None, fmt: str, overwrite: bool, ocr: bool) -> None:
    """把已发布或报送的年度报告（Word、网页、PDF、文本、Markdown）导入为官方工作簿，并报告无法确定、留空的内容。

    Import published or submitted reports (.docx, .html, .pdf, .txt, .md) into the official workbook; everything
    that could not be placed is reported with its source text, and its cells are left empty.

    \b
    Example:
        xltools import 2023年报.pdf -o 2023年报.xlsx
        xltools import 收到的报告/ --out-dir 工作簿/ --format json > 导入结果.json
        xltools import 扫描件.pdf --ocr -o 扫描件.xlsx
    """
    from xltools.extract.importing import exit_code, expand_sources, import_file, import_files, render_text, to_json
    from xltools.format.spec import available_formats, default_format_id, load_spec

    if format_id is not None and format_id not in available_formats():
        _fail(f"未知的报告格式“{format_id}”（可用：{'、'.join(available_formats())}）")
    levels = load_spec(format_id or default_format_id()).levels
    if level is not None and level not in levels:
        _fail(f"--level 必须是 {'、'.join(levels)} 之一，实际是“{level}”")
    sources = list(expand_sources(files))
    if not sources:
        _fail("没有找到可导入的文件（.docx .html .htm .pdf .txt .md）/ nothing to import in " + " ".join(files))
    if output is not None and (len(sources) > 1 or out_dir is not None):
        _fail("-o 只能用于导入单个文件；批量导入请用 --out-dir / -o takes one file; use --out-dir")
    if output is not None and not output.lower().endswith(".xlsx"):
        _fail(f"输出文件必须以 .xlsx 结尾：{output}")
    options: dict[str, Any] = {"unit": unit, "year": year, "level": level, "overwrite": overwrite,
                               "format_id": format_id, "ocr": ocr}
    results = [import_file(sources[0], output, **options)] if output else import_files(sources, out_dir, **options)
    if fmt == "json":
        _print_json(to_json(results))
    else:
        click.echo(render_text(results))
    sys.exit(exit_code(results))
