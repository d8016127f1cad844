"""The annotated copies a city office sends back to its units (``consolidate --annotate-dir``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xltools.atomic import OutputExists
from xltools.checking.check import CheckReport
from xltools.consolidate.collect import UnitResult
from xltools.workbook.actions import RESULTS_SHEET, annotate
from xltools.workbook.openpyxl_port import OpenpyxlPort


def annotate_all(units: Sequence[UnitResult], folder: str | Path, overwrite: bool = False) -> list[Path]:
    """For each unit, ``<folder>/<file name>-校验结果.xlsx`` (or .xlsm) to send back: the 校验结果 sheet and the
    flagged cells, as the 标记问题 button leaves them."""
    folder = Path(folder)
    written = []
    for u in units:
        src = Path(u.file)
        target = folder / f"{src.stem}-{RESULTS_SHEET}{src.suffix.lower()}"
        if target.exists() and not overwrite:
            raise OutputExists(str(target))
        title = (f"{u.unit or src.name}：{u.errors} 个错误，{u.warnings} 个警告"
                 + ("，请修改后重新报送" if u.errors else ""))
        port = OpenpyxlPort(src)
        annotate(port, CheckReport(str(src), tuple(u.findings)), title)
        written.append(port.save(target, overwrite))
    return written
