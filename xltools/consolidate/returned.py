"""The annotated copies a city office sends back to its units (``consolidate --annotate-dir``): one per unit that
must fix its workbook (sent back, or counted with errors), each under a name of its own (two units' ``报告.xlsx``
in different folders do not collide), written to a temporary file that the caller renames into place
with the other outputs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from xltools.checking.check import CheckReport
from xltools.consolidate.collect import UnitResult
from xltools.workbook.actions import RESULTS_SHEET, annotate
from xltools.workbook.openpyxl_port import OpenpyxlPort


def copy_targets(paths: Sequence[str], folder: str | Path) -> dict[str, Path]:
    """Input path -> ``<folder>/<file name>-校验结果.xlsx`` (or .xlsm), distinct for every input: names that
    would collide (letter case ignored, as on Windows) get their folder's name in front, then a number."""
    folder = Path(folder)

    def name(path: str, prefix: str = "") -> str:
        src = Path(path)
        return f"{prefix}{src.stem}-{RESULTS_SHEET}{src.suffix.lower()}"

    plain = [name(p) for p in paths]
    counts: dict[str, int] = {}
    for n in plain:
        counts[n.casefold()] = counts.get(n.casefold(), 0) + 1
    taken: set[str] = set()
    out: dict[str, Path] = {}
    for path, n in zip(paths, plain, strict=True):
        if counts[n.casefold()] > 1:
            parent = os.path.basename(os.path.dirname(os.path.abspath(path))) or "根目录"
            n = name(path, f"{parent}-")
        candidate, i = n, 1
        while candidate.casefold() in taken:
            i += 1
            candidate = f"{Path(n).stem}-{i}{Path(n).suffix}"
        taken.add(candidate.casefold())
        out[path] = folder / candidate
    return out


SENT_BACK = ("rejected", "included_invalid")  # the units that must fix their workbook


def needs_copy(status: str, unit: UnitResult) -> bool:
    """A unit gets a copy to send back when it must fix its workbook: sent back (退回) or counted with errors
    (--include-invalid); never a unit that passed, a duplicate, or a report imported from Word/PDF (there is no
    workbook of the unit's to mark)."""
    return status in SENT_BACK and unit.readable and not unit.imported and bool(unit.errors or unit.warnings)


def write_copy(unit: UnitResult, tmp: str | Path) -> None:
    """The unit's workbook with the 校验结果 sheet and the flagged cells, as the 标记问题 button leaves them,
    written to ``tmp``. Raises XltoolsError or OSError when openpyxl cannot open or write it."""
    src = Path(unit.file)
    title = (f"{unit.unit or src.name}：{unit.errors} 个错误，{unit.warnings} 个警告"
             + ("，请修改后重新报送" if unit.errors else ""))
    port = OpenpyxlPort(src)
    annotate(port, CheckReport(str(src), tuple(unit.findings)), title)
    port.save(tmp, overwrite=True)
