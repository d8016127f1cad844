"""``xltools export``: the publish-ready report (Word, PDF, web page)."""

from __future__ import annotations

import sys

import click

from xltools.cli.app import _set_lang, cli, say


@cli.command()
@click.argument("file", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="输出文件（默认：工作簿旁的 <填报单位><年度>年政府信息公开工作年度报告.docx）/ output file")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "html"]),
              help="输出格式（默认取自 -o 的扩展名，否则 docx）/ output format (default: from -o, else docx)")
@click.option("--force", is_flag=True, help="有错误也导出（错误会列出，退出码仍为 1）/ export despite errors")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 / replace an existing file")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="校验结果的语言 / language of the findings")
def export(file: str, output: str | None, fmt: str | None, force: bool, overwrite: bool, lang: str) -> None:
    """导出可发布的年度报告：Word（.docx）、PDF 或网页（.html）。先校验工作簿：有错误时不导出并列出错误
    （除非加 --force），警告照常列出、不影响导出。

    Export the publish-ready report (Word, PDF or web page). The workbook is checked first: errors stop the
    export (unless --force), warnings are listed and do not.

    \b
    Example:
        xltools export 鹤岗市科学技术局2021.xlsx
        xltools export 2021年报.xlsx -o 2021年报.pdf
        xltools export 2021年报.xlsx --format html --overwrite
    """
    from xltools.checking.render import render_report
    from xltools.publish.export import export as run_export
    from xltools.publish.pdf import RUNNING

    def notice(line: str) -> None:  # the progress line is a note (-q hides it); a font warning always shows
        if line == RUNNING:
            say(line)
        else:
            click.echo(line, err=True)

    _set_lang(lang)
    result = run_export(file, output, fmt=fmt, force=force, overwrite=overwrite, notice=notice)
    errors = result.report.tally("error")
    if result.report.findings:
        click.echo(render_report(result.report, lang), err=True)
    if result.output is None:
        click.echo(f"未导出：{file} 有 {errors} 个错误（见上）。请在工作簿中修正后重新导出；"
                   "确需先导出草稿时加 --force。"
                   f" / not exported: {errors} errors (see above); fix them, or use --force.", err=True)
        sys.exit(1)
    if errors:
        say(f"已导出（含 {errors} 个错误，--force）/ exported despite {errors} errors:")
    else:
        say("已导出 / exported:")
    click.echo(str(result.output))
    sys.exit(1 if errors else 0)
