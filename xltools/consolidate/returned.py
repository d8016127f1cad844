"""The annotated copies a city office sends back to its units (``consolidate --annotate-dir``): one per unit that
must fix its workbook (sent back, or counted with errors), each under a name of its own (two units' ``报告.xlsx``
in different folders do not collide). The worker process that read and checked a workbook with errors writes its
copy into a staging folder right away (``collect.read_unit``: one read per file, on all cores); the caller puts in
place, with the other outputs, the copies of the units that are sent back, and drops the others with the staging
folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from xltools.consolidate.collect import UnitResult
from xltools.workbook.actions import RESULTS_SHEET


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
