"""``xltools rules``: the rule catalogue."""

from __future__ import annotations

import click

from xltools.cli.app import cli


@cli.command()
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True)
def rules(lang: str) -> None:
    """输出规则目录（Markdown，由格式规范生成，即 docs/rules.md）。

    Print the rule catalogue (Markdown, generated from the format spec; docs/rules.md).

    \b
    Example:
        xltools rules > docs/rules.md
    """
    from xltools.checking.catalogue import rules_markdown

    click.echo(rules_markdown(lang), nl=False)
