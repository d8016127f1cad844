"""HTML pages from Jinja2 templates shipped in ``xltools/templates`` (the only module importing jinja2).

Autoescaping is always on: clerks' text goes into these pages and must never become markup; and every value
printed passes through ``xltools.textsafe.clean_text`` (the environment's ``finalize``), so that no control
character reaches a page.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import jinja2

from xltools import __version__
from xltools.textsafe import clean_text


def _finalize(value: Any) -> Any:
    """What ``{{ … }}`` prints: text without control characters (before escaping; markup stays markup)."""
    return type(value)(clean_text(value)) if isinstance(value, str) else value


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("xltools.publish", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )


def render_page(template: str, **context: Any) -> str:
    """Render ``xltools/templates/<template>`` with ``context`` (plus ``version``)."""
    return _environment().get_template(template).render(version=__version__, **context)


def stream_page(template: str, path: str | os.PathLike[str], **context: Any) -> None:
    """Render ``xltools/templates/<template>`` into the file ``path`` (UTF-8) as it is made, a piece at a time:
    a page of thousands of rows is never held in memory. ``context`` may hold generators, consumed once."""
    pieces = _environment().get_template(template).generate(version=__version__, **context)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        buffer: list[str] = []
        size = 0
        for piece in pieces:
            buffer.append(piece)
            size += len(piece)
            if size > 1 << 16:  # a few large writes, not one per piece
                fh.write("".join(buffer))
                buffer.clear()
                size = 0
        fh.write("".join(buffer))
