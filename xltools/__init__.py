"""xltools: the annual government information disclosure report (政府信息公开工作年度报告) as a checked workbook.

Library API (the CLI uses the same functions)::

    from xltools import check, export, new, dump
    reports = check(["report.xlsx"])
    result = export("report.xlsx", "report.docx")

The package is laid out along the flow: ``format`` (the format as data) → ``reading`` (files → values by cell id)
→ ``checking`` (rules → findings) → ``workbook`` / ``publish`` / ``extract`` / ``consolidate`` (the verbs and their
adapters) → ``cli``. The verbs are bound lazily, so ``import xltools`` costs nothing at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_VERBS = {
    "check": "xltools.checking.check",
    "dump": "xltools.reading.dump",
    "export": "xltools.publish.export",
    "new": "xltools.workbook.new",
}

if TYPE_CHECKING:
    from xltools.checking.check import check
    from xltools.publish.export import export
    from xltools.reading.dump import dump
    from xltools.workbook.new import new


def __getattr__(name: str) -> Any:
    if name in _VERBS:
        import importlib

        return getattr(importlib.import_module(_VERBS[name]), name)
    raise AttributeError(f"module 'xltools' has no attribute {name!r}")


__all__ = ["__version__", "check", "dump", "export", "new"]
