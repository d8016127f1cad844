"""Reading and checking many workbooks, on all cores, into compact per-unit results (what consolidation and the
office's overview page need, nothing more: 20,000 of them must fit in memory)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from typing import NamedTuple

from xltools.checking.check import CheckReport, read_and_check
from xltools.format.findings import Finding, Number
from xltools.format.spec import load_spec

Progress = Callable[[int], None]  # called with how many files were just finished


class UnitResult(NamedTuple):
    """One input file: who it is, its check result and its numbers. The numbers are stored compactly in the order
    of the unit's own format (20,000 units must fit in memory) and read by cell id only: ``value(cell_id)``."""

    file: str
    digest: str = ""  # sha256 of the file: identical copies are recognised
    reason: str | None = None  # why it could not be read
    unit: str | None = None
    code: str = ""
    level: str = ""
    year: int | None = None
    errors: int = 0
    warnings: int = 0
    values: tuple[Number | None, ...] = ()  # None: blank, placeholder or invalid
    findings: tuple[Finding, ...] = ()  # errors and warnings
    constituents: tuple[tuple[str, str], ...] = ()  # set when the file is itself a consolidation
    format_id: str = ""

    def value(self, cell_id: str) -> Number | None:
        """The unit's number in cell ``cell_id`` (None: blank, invalid, or no such cell in its format)."""
        i = number_index(self.format_id).get(cell_id)
        return self.values[i] if i is not None and i < len(self.values) else None

    @property
    def readable(self) -> bool:
        return self.reason is None

    @property
    def status(self) -> str:
        if not self.readable:
            return "unreadable"
        return "errors" if self.errors else ("warnings" if self.warnings else "ok")

    @property
    def is_summary(self) -> bool:
        return bool(self.constituents)


@cache
def number_index(format_id: str) -> dict[str, int]:
    """Cell id -> position in ``UnitResult.values`` for units of ``format_id`` (empty for an unknown format)."""
    try:
        return {c.id: i for i, c in enumerate(load_spec(format_id).number_cells)}
    except KeyError:
        return {}


def unit_from_report(report: CheckReport, digest: str = "",
                     constituents: tuple[tuple[str, str], ...] = ()) -> UnitResult:
    if not report.readable or report.values is None:
        return UnitResult(report.file, digest, report.reason)
    spec = load_spec(report.values.format_id)
    v = report.values
    numbers = tuple(None if (c.id in v.invalid or c.id not in v.numbers) else v.numbers[c.id]
                    for c in spec.number_cells)
    meta = v.meta
    return UnitResult(
        report.file, digest, None, report.unit, str(meta.get("code") or ""), str(meta.get("level") or ""),
        report.year, report.tally("error"), report.tally("warning"), numbers,
        tuple(f for f in report.findings if f.severity in ("error", "warning")), constituents, spec.id)


def read_unit(path: str) -> UnitResult:
    """Read and check one workbook. Never raises."""
    try:
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        digest = ""  # read_and_check says why the file cannot be opened
    report, raw = read_and_check(path)
    return unit_from_report(report, digest, raw.constituents if raw is not None else ())


def read_units(paths: Sequence[str], jobs: int | None = None, progress: Progress | None = None) -> list[UnitResult]:
    """Read every file, in parallel processes when there are many; results in the order of ``paths``."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(paths) < 8:
        results = []
        for p in paths:
            results.append(read_unit(p))
            if progress:
                progress(1)
        return results
    chunk = max(1, min(64, len(paths) // (jobs * 8)))
    out: list[UnitResult] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(read_unit, paths, chunksize=chunk):
            out.append(result)
            if progress:
                progress(1)
    return out


def expand_workbooks(inputs: Iterable[str]) -> list[str]:
    """Files, folders (recursively) and glob patterns -> workbook paths, each once, in a stable order."""
    import glob

    from xltools.checking.check import expand_inputs

    found: list[str] = []
    for item in inputs:
        if any(ch in item for ch in "*?[") and not os.path.exists(item):
            found.extend(sorted(glob.glob(item, recursive=True)))
        else:
            found.extend(expand_inputs([item]))
    seen: set[str] = set()
    unique = []
    for p in found:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique
