"""xltools: the annual government information disclosure report (政府信息公开工作年度报告) as a checked workbook.

Library API (the CLI uses the same functions)::

    from xltools import check, new, dump
    reports = check(["report.xlsx"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "check", "dump", "new"]

if TYPE_CHECKING:
    from xltools.check import check
    from xltools.dump import dump
    from xltools.new import new


def __getattr__(name: str) -> Any:
    """Import verbs lazily so that ``xltools check`` does not load the workbook writer."""
    import importlib

    if name in ("check", "dump", "new"):
        return getattr(importlib.import_module(f"xltools.{name}"), name)
    raise AttributeError(name)
