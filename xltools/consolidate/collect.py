"""Reading and checking many workbooks, on all cores, into compact per-unit results (what consolidation and the
office's overview page need, nothing more: 20,000 of them must fit in memory). Each file is read in a worker
process within the time limit: one bad file never stops a batch. A report sent as Word, PDF, web page or text
goes through ``import`` in its worker (into a temporary workbook, then checked) and is marked as imported.
Inputs are files, folders and glob patterns; walking and globbing never follow a link into a folder (no loops),
and a mistyped path is an error."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

from xltools.checking.check import (
    CheckReport,
    expand_inputs,
    file_problem,
    map_files,
    not_a_workbook,
    read_and_check,
    report_kind,
    skipped_in_folders,
)
from xltools.errors import XltoolsError
from xltools.format.findings import CellRef, Finding, Number
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
    imported: str = ""  # a report imported from Word, PDF, a web page or text: its kind ("PDF"); "" for a workbook
    left_empty: tuple[str, ...] = ()  # an incomplete import: the cells it left empty, as check names them

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
    """Read and check one workbook, or import and check one report (Word, PDF, web page, text). Never raises;
    never opens anything but a regular file within the size limit (a pipe named x.xlsx would wait forever)."""
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
    kind = report_kind(path)
    if kind is not None:
        return import_unit(path, kind, digest.hexdigest())
    other = not_a_workbook(path)  # a picture, an archive, an old Word file: what it is, what to do
    if other is not None:
        return UnitResult(path, digest.hexdigest(), other)
    report, raw = read_and_check(path)
    return unit_from_report(report, digest.hexdigest(), raw.constituents if raw is not None else ())


def cell_name(ref: CellRef) -> str:
    """A cell as ``check`` names it: 表三!D25〔（六）其他处理3.其他｜自然人〕."""
    labels = "｜".join(x for x in (ref.row_label, ref.col_label) if x)
    return f"{ref.ref}〔{labels}〕" if labels else ref.ref


def import_unit(path: str, kind: str, digest: str) -> UnitResult:
    """A report file imported into a temporary workbook (never beside the unit's file) and checked; the result is
    marked with its ``kind``. An import that failed is unreadable, with the importer's reason."""
    from xltools.extract.importing import INCOMPLETE, import_file

    with tempfile.TemporaryDirectory(prefix="xltools-import-") as tmp:
        book = Path(tmp) / "report.xlsx"
        try:
            imported = import_file(path, book)
        except XltoolsError as exc:
            return UnitResult(path, digest, f"这是 {kind} 报告，导入失败：{exc.zh}")
        if imported.status == "failed" or imported.output is None:
            return UnitResult(path, digest, f"这是 {kind} 报告，无法导入：{imported.reason or '没有找到报告的内容'}。"
                                            "请该单位报送工作簿（.xlsx）")
        report = read_and_check(book)[0]
    left: tuple[str, ...] = ()
    if imported.status == "partial":  # the cells left empty; else what the importer could not place
        left = (tuple(cell_name(c) for c in imported.empty_refs)
                or tuple(n.message for n in imported.notes if n.kind in INCOMPLETE)[:20] or ("部分内容未能导入",))
    unit = unit_from_report(report._replace(file=path), digest)
    # A published report never states the unit's level (a cover field of the workbook): its absence is not the
    # unit's error here, and the sums do not depend on it.
    level_missing = [f for f in unit.findings if f.rule == "META_REQUIRED" and [c.id for c in f.cells] == [LEVEL]]
    findings = tuple(f for f in unit.findings if f not in level_missing)
    return unit._replace(imported=kind, left_empty=left, findings=findings,
                         errors=unit.errors - sum(f.severity == "error" for f in level_missing))


LEVEL = "meta.level"  # the cell id of the cover's 单位层级


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
            if skipped_in_folders(f):
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


def expand_workbooks(inputs: Iterable[str], leave_out: Iterable[str | os.PathLike[str]] = ()) -> list[str]:
    """Files, folders (recursively) and glob patterns -> the paths of every file they hold (workbooks, and every
    other file, which is then read, imported or listed with its reason), each once, in a stable order; a file
    found in a folder or by a pattern that is one of ``leave_out`` (this run's roster and outputs) is left out.
    Raises InputsError when a path does not exist or a pattern matches nothing (a dangling link or a link loop is
    kept: it is reported as that file's reason)."""
    skip = {os.path.realpath(p) for p in leave_out}
    found: list[str] = []
    for item in inputs:
        if os.path.lexists(item):
            found.extend(p for p in expand_inputs([item]) if p == item or os.path.realpath(p) not in skip)
        elif any(ch in item for ch in "*?["):
            matches = [p for p in _walk_matches(item) if os.path.realpath(p) not in skip]
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
