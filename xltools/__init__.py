"""xltools: the annual government information disclosure report (政府信息公开工作年度报告) as a checked workbook.

Library API (the CLI uses the same functions)::

    from xltools import check, new, dump
    reports = check(["report.xlsx"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["check", "dump", "new", "__version__"]

if TYPE_CHECKING:
    from xltools.check import check
    from xltools.dump import dump
    from xltools.new import new


def __getattr__(name: str) -> Any:
    """Import verbs lazily so that ``xltools check`` does not load the workbook writer."""
    if name == "check":
        from xltools.check import check as fn
    elif name == "dump":
        from xltools.dump import dump as fn
    elif name == "new":
        from xltools.new import new as fn
    else:
        raise AttributeError(name)
    return fn
