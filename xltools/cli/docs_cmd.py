"""``xltools docs``: the documentation that ships with xltools, readable without the repository or the internet
(the wheel carries docs/ as ``xltools/docs``; a checkout reads its own docs/)."""

from __future__ import annotations

from pathlib import Path

import click

from xltools.cli.app import _fail, cli

PACKAGE = Path(__file__).resolve().parent.parent
DOC_DIRS = (PACKAGE / "docs", PACKAGE.parent / "docs")  # the wheel, the source tree


def docs_folder() -> Path | None:
    return next((d for d in DOC_DIRS if (d / "limits.md").is_file()), None)


def topics(folder: Path) -> dict[str, Path]:
    """Topic name -> Markdown file: every command's page by the command's name, then the other pages."""
    found = {p.stem: p for p in sorted(folder.glob("*.md"))}
    found.update({p.stem: p for p in sorted((folder / "commands").glob("*.md"))})
    return dict(sorted(found.items()))


@cli.command()
@click.argument("topic", required=False)
@click.option("--path", "show_path", is_flag=True, help="只显示文件位置 / print where the page is, not the page")
def docs(topic: str | None, show_path: bool) -> None:
    """显示随 xltools 安装的说明文档（不需要网络）；不给主题时列出所有主题。

    Show the documentation installed with xltools (no internet needed); without TOPIC, list the topics.

    \b
    Example:
        xltools docs
        xltools docs consolidate
        xltools docs limits --path
    """
    folder = docs_folder()
    if folder is None:
        _fail("找不到随 xltools 安装的说明文档：请重新安装 xltools",
              "the documentation is not installed: reinstall xltools")
    pages = topics(folder)
    if topic is None:
        click.echo("可用的主题 / topics:  " + "  ".join(pages))
        click.echo("用法 / usage: xltools docs <主题 topic>")
        return
    page = pages.get(topic.lower().removesuffix(".md"))
    if page is None:
        _fail(f"没有“{topic}”这个主题。可用的主题：{'、'.join(pages)}",
              f"no topic “{topic}”; the topics are: {', '.join(pages)}")
    click.echo(str(page) if show_path else page.read_text(encoding="utf-8"))
