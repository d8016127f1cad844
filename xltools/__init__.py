"""xltools: the annual government information disclosure report (政府信息公开工作年度报告) as a checked workbook.

Library API (the CLI uses the same functions)::

    from xltools import check, export, new, dump
    reports = check(["report.xlsx"])
    result = export("report.xlsx", "report.docx")

The verbs are bound here, after their modules, so that ``xltools.check`` stays the function even once the module
``xltools.check`` has been imported. None of these modules imports a third-party library at import time.
"""

from __future__ import annotations

__version__ = "0.1.0"

from xltools.check import check
from xltools.dump import dump
from xltools.export import export
from xltools.new import new

__all__ = ["__version__", "check", "dump", "export", "new"]
