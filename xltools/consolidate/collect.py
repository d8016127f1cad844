"""Reading and checking many workbooks, on all cores, into compact per-unit results (what consolidation and the
office's overview page need, nothing more: 20,000 of them must fit in memory). Each file is read in a worker
process within the time limit: one bad file never stops a batch. Inputs are files, folders and glob patterns;
walking and globbing never follow a link into a folder (no loops), and a mistyped path is an error."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from typing import NamedTuple

from xltools.checking.check import CheckReport, expand_inputs, file_problem, map_files, read_and_check
from xltools.errors import XltoolsError
from xltools.format.findings import Finding, Number
from xltools.format.spec import load_spec
from xltools.limits import LimitError, check_file_size

Progress = Callable[[int], None]  # called with how many files were just finished


class InputsError(XltoolsError):
    """An input path or pattern names nothing (a mistyped path): nothing is read or written."""


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
    """Read and check one workbook. Never raises; never opens anything but a regular file within the size
    limit (a pipe named x.xlsx would wait forever)."""
    problem = file_problem(path)
    if problem is not None:
        return UnitResult(path, "", problem)
    digest = hashlib.sha256()
    try:
        check_file_size(path)
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
    except LimitError as exc:
        return UnitResult(path, "", str(exc))
    except OSError:
        digest = hashlib.sha256(b"")  # read_and_check says why the file cannot be opened
    report, raw = read_and_check(path)
    return unit_from_report(report, digest.hexdigest(), raw.constituents if raw is not None else ())


def unreadable(path: str, reason: str) -> UnitResult:
    return UnitResult(path, "", reason)


def read_units(paths: Sequence[str], jobs: int | None = None, progress: Progress | None = None) -> list[UnitResult]:
    """Read every file, in worker processes within the time limit when there are several; results in the order
    of ``paths``."""
    return map_files(read_unit, paths, unreadable, jobs, progress)


def _walk_matches(pattern: str) -> Iterator[str]:
    """The files a glob pattern (``*``, ``?``, ``[…]``, ``**`` for any folders) matches, walking from its fixed
    part down without following links into folders (a link to its own folder cannot make it loop), and only as
    deep as the pattern reaches unless it has ``**``. Hidden files and Office lock files are left out."""
    parts = pattern.replace(os.sep, "/").split("/")
    fixed: list[str] = []
    while parts and not any(ch in parts[0] for ch in "*?["):
        fixed.append(parts.pop(0))
    base = "/".join(fixed) or "."
    if not parts or not os.path.isdir(base):
        return
    deep = "**" in parts
    found = []
    for root, dirs, files in os.walk(base):
        rel = os.path.relpath(root, base)
        depth = 0 if rel == "." else rel.count(os.sep) + 1
        if not deep and depth >= len(parts) - 1:
            dirs[:] = []
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            if f.startswith(("~$", ".")):
                continue
            names = ([] if rel == "." else rel.split(os.sep)) + [f]
            if _match(names, parts):
                found.append(os.path.join(base, *names) if fixed else os.path.join(*names))
    yield from sorted(found)


def _match(names: list[str], parts: list[str]) -> bool:
    """Path components against pattern components, ``**`` standing for any number of folders."""
    if not parts:
        return not names
    if parts[0] == "**":
        return any(_match(names[i:], parts[1:]) for i in range(len(names) + 1))
    return bool(names) and fnmatch.fnmatch(names[0], parts[0]) and _match(names[1:], parts[1:])


def expand_workbooks(inputs: Iterable[str]) -> list[str]:
    """Files, folders (recursively) and glob patterns -> workbook paths, each once, in a stable order. Raises
    InputsError when a path does not exist or a pattern matches nothing (a dangling link or a link loop is kept:
    it is reported as that file's reason)."""
    found: list[str] = []
    for item in inputs:
        if os.path.lexists(item):
            found.extend(expand_inputs([item]))
        elif any(ch in item for ch in "*?["):
            matches = list(_walk_matches(item))
            if not matches:
                raise InputsError(f"没有与“{item}”匹配的文件：请检查路径和通配符",
                                  f"nothing matches “{item}”: check the path and the pattern")
            found.extend(matches)
        else:
            raise InputsError(f"找不到“{item}”：文件或文件夹不存在，请检查路径（没有读取或写入任何文件）",
                              f"“{item}” does not exist: check the path (nothing was read or written)")
    seen: set[str] = set()
    unique = []
    for p in found:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique
