"""``xltools rules``: the rule catalogue."""

from __future__ import annotations

import click

from xltools.cli.app import cli


@cli.command()
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True,
              help="目录的语言：zh 中文，en 英文，both 两种 / language of the catalogue: zh, en or both")
@click.option("--profile", "profile_name", metavar="NAME|FILE",
              help="按地方规则配置列出 / the catalogue as a province profile has it")
def rules(lang: str, profile_name: str | None) -> None:
    """输出规则目录：每条规则的编号、级别、说明和依据，以及每个单元格的编号和位置（Markdown，由格式规范生成）。

    Print the rule catalogue: every rule with its id, severity, text and source, and every cell id with its place
    (Markdown, generated from the format spec).

    \b
    Example:
        xltools rules > 规则目录.md
        xltools rules --lang en
        xltools rules --profile example
    """
    from xltools.checking.catalogue import rules_markdown
    from xltools.cli.app import chosen_profile

    click.echo(rules_markdown(lang, chosen_profile(profile_name)), nl=False)
