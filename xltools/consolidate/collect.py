"""Reading and checking many workbooks, on all cores, into compact per-unit results (what consolidation and the
office's overview page need, nothing more: 100,000 of them must fit in a few hundred MB). Each file is read in a
worker process within the time limit: one bad file never stops a batch; with ``--annotate-dir`` the same worker
writes the unit's annotated copy while it has the check at hand (one read per file). A report sent as Word, PDF,
web page or text goes through ``import`` in its worker (into a temporary workbook, then checked) and is marked as
imported. The inputs (files, folders, glob patterns) are expanded by ``inputs``."""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, overload

from xltools.checking.check import (
    CheckReport,
    bug_reason,
    check_listed,
    file_problem,
    load_for_workers,
    map_files,
    not_a_workbook,
    read_and_check,
    report_kind,
    without_values,
)
from xltools.errors import XltoolsError, debugging
from xltools.format.findings import CellRef, Finding, Number
from xltools.format.spec import load_spec
from xltools.limits import LimitError, check_file_size

if TYPE_CHECKING:
    from xltools.checking.profiles import Profile

Progress = Callable[[int], None]  # called with how many files were just finished


KEPT_FINDINGS = 50  # the findings a unit keeps (errors first): what the overview page shows; the counts are all


class Note(NamedTuple):
    """A finding as a consolidation keeps it: what the overview page and the 报送情况 reasons show (the full finding,
    with its English text, fix and cells, is used in the worker process and not kept)."""

    rule: str
    severity: str
    where: str  # 表三!D7
    message: str  # in Chinese


class PackedNumbers(Sequence["Number | None"]):
    """A unit's numbers in the order of its format's number cells, held as one compressed pickled byte string
    (about 150 bytes for a department's 200 numbers instead of a tuple of 200 pointers and number objects, 2.5 KB:
    100,000 units are held at once). Read as a sequence; ``unpack()`` gives them all at once (index that tuple when
    reading several)."""

    __slots__ = ("_data", "_len")

    def __init__(self, values: Iterable[Number | None] = ()) -> None:
        numbers = tuple(values)
        self._data = zlib.compress(pickle.dumps(numbers, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self._len = len(numbers)

    def unpack(self) -> tuple[Number | None, ...]:
        numbers: tuple[Number | None, ...] = pickle.loads(zlib.decompress(self._data))  # only bytes written here
        return numbers

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> Number | None: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Number | None, ...]: ...

    def __getitem__(self, index: int | slice) -> Number | tuple[Number | None, ...] | None:
        return self.unpack()[index]

    def __iter__(self) -> Iterator[Number | None]:
        return iter(self.unpack())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedNumbers):
            return self._data == other._data
        return isinstance(other, Sequence) and self.unpack() == tuple(other)

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"PackedNumbers({self.unpack()!r})"

    def __reduce__(self) -> tuple[Callable[[bytes, int], PackedNumbers], tuple[bytes, int]]:
        return _packed, (self._data, self._len)


def _packed(data: bytes, length: int) -> PackedNumbers:
    numbers = PackedNumbers.__new__(PackedNumbers)
    numbers._data, numbers._len = data, length
    return numbers


class UnitResult(NamedTuple):
    """One input file: who it is, its check result and its numbers. The numbers are stored compactly in the order
    of the unit's own format (100,000 units are held at once) and read by cell id only: ``value(cell_id)``, or
    ``numbers()`` for all of them; the findings are kept as notes, at most KEPT_FINDINGS (errors first), while
    ``errors`` and ``warnings`` count them all."""

    file: str
    digest: str = ""  # sha256 of the file: identical copies are recognised
    reason: str | None = None  # why it could not be read
    unit: str | None = None
    code: str = ""
    level: str = ""
    year: int | None = None
    errors: int = 0
    warnings: int = 0
    values: Sequence[Number | None] = ()  # None: blank, placeholder or invalid; PackedNumbers from read_unit
    findings: tuple[Note, ...] = ()  # errors and warnings (the first KEPT_FINDINGS, errors first)
    constituents: tuple[tuple[str, str], ...] = ()  # set when the file is itself a consolidation
    format_id: str = ""
    imported: str = ""  # a report imported from Word, PDF, a web page or text: its kind ("PDF"); "" for a workbook
    left_empty: tuple[str, ...] = ()  # an incomplete import: the cells it left empty, as check names them
    copy: str = ""  # --annotate-dir: the annotated copy the worker wrote into the staging folder
    copy_failure: str = ""  # --annotate-dir: why the worker could not write it
    profile: str = ""  # the province profile it was checked against (its label; "" for the national format)

    def numbers(self) -> tuple[Number | None, ...]:
        """All the unit's numbers, in the order of its format's number cells."""
        v = self.values
        return v.unpack() if isinstance(v, PackedNumbers) else tuple(v)

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

    @property
    def more_findings(self) -> int:
        """How many errors and warnings are counted but not kept as notes."""
        return max(0, self.errors + self.warnings - len(self.findings))


@cache
def number_index(format_id: str) -> dict[str, int]:
    """Cell id -> position in ``UnitResult.values`` for units of ``format_id`` (empty for an unknown format)."""
    try:
        return {c.id: i for i, c in enumerate(load_spec(format_id).number_cells)}
    except KeyError:
        return {}


def notes(findings: Iterable[Finding]) -> tuple[Note, ...]:
    """The errors and warnings as notes, errors first, at most KEPT_FINDINGS; the rule ids and severities are
    shared strings (100,000 units repeat the same few)."""
    kept = sorted((f for f in findings if f.severity in ("error", "warning")), key=lambda f: f.severity != "error")
    return tuple(Note(sys.intern(f.rule), sys.intern(f.severity), f.where, f.message.get("zh", ""))
                 for f in kept[:KEPT_FINDINGS])


def unit_from_report(report: CheckReport, digest: str = "",
                     constituents: tuple[tuple[str, str], ...] = ()) -> UnitResult:
    if not report.readable or report.values is None:
        return UnitResult(report.file, digest, report.reason)
    spec = load_spec(report.values.format_id)
    v = report.values
    get = v.numbers.get  # (None: blank; an invalid cell is never among the numbers, but say so where there is one)
    numbers = PackedNumbers([get(c.id) for c in spec.number_cells] if not v.invalid else
                            [None if c.id in v.invalid else get(c.id) for c in spec.number_cells])
    meta = v.meta
    return UnitResult(
        report.file, digest, None, report.unit, str(meta.get("code") or ""), sys.intern(str(meta.get("level") or "")),
        report.year, report.tally("error"), report.tally("warning"), numbers, notes(report.findings), constituents,
        spec.id, profile=sys.intern(report.profile or ""))


def checked_unit(path: str, profile: Profile | None = None) -> tuple[CheckReport, UnitResult]:
    """``check --report`` of one file: its report (without the values) and its unit for the overview page, both
    made in the worker process (the values never travel to the main process)."""
    report = check_listed(path, profile=profile)
    return without_values(report), unit_from_report(report)


def check_units(paths: Sequence[str], jobs: int | None = None, progress: Progress | None = None,
                profile: Profile | None = None) -> list[tuple[CheckReport, UnitResult]]:
    """``checked_unit`` of every path, in order, on all cores (each within the time limit)."""
    load_for_workers()
    return map_files(functools.partial(checked_unit, profile=profile), paths,
                     lambda path, reason: (CheckReport(path, reason=reason), UnitResult(path, "", reason)), jobs,
                     progress)


def read_unit(path: str, copies: str | None = None) -> UnitResult:
    """Read and check one workbook, or import and check one report (Word, PDF, web page, text). Never raises;
    never opens anything but a regular file within the size limit (a pipe named x.xlsx would wait forever).
    ``copies`` (--annotate-dir): a staging folder; a workbook with errors gets its annotated copy written there,
    named by ``staged_copy`` (the caller puts in place those of the units sent back)."""
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
    unit = unit_from_report(report, digest.hexdigest(), raw.constituents if raw is not None else ())
    if copies is not None and unit.readable and unit.errors:
        target = staged_copy(copies, path)
        failure = stage_copy(report, target)
        unit = unit._replace(copy_failure=failure) if failure else unit._replace(copy=target)
    return unit


def stage_copy(report: CheckReport, target: str) -> str:
    """Write the checked workbook with the 校验结果 sheet and the flagged cells, as the 标记问题 button leaves them,
    to ``target``; "" when written, else why not (openpyxl cannot open or write every workbook the reader can
    read). Never raises for a bad workbook."""
    from xltools.workbook.actions import annotate
    from xltools.workbook.openpyxl_port import OpenpyxlPort

    report = report._replace(findings=tuple(f for f in report.findings if f.severity in ("error", "warning")))
    errors, warnings = report.tally("error"), report.tally("warning")
    title = (f"{report.unit or Path(report.file).name}：{errors} 个错误，{warnings} 个警告"
             + ("，请修改后重新报送" if errors else ""))
    try:
        port = OpenpyxlPort(report.file)
        try:
            annotate(port, report, title)
            port.save(target, overwrite=True)
        finally:
            port.close()
    except (XltoolsError, OSError) as exc:
        return f"无法生成退回文件：{getattr(exc, 'strerror', None) or exc}"
    except Exception as exc:  # openpyxl fails in many ways on a workbook the reader could read
        if debugging():
            raise
        return f"无法生成退回文件：{bug_reason(exc)}"
    return ""


def staged_copy(folder: str, path: str) -> str:
    """Where the worker writes the annotated copy of ``path`` in the staging folder (a name of its own per input
    path, so that no list of names has to be sent to the workers)."""
    name = hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest()  # a name, not security
    return os.path.join(folder, name + Path(path).suffix.lower())


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
    # A published report never states the unit's level (a cover field of the workbook): its absence is not the
    # unit's error here, and the sums do not depend on it.
    report = report._replace(file=path, findings=tuple(
        f for f in report.findings if not (f.rule == "META_REQUIRED" and [c.id for c in f.cells] == [LEVEL])))
    left: tuple[str, ...] = ()
    if imported.status == "partial":  # the cells left empty; else what the importer could not place
        left = (tuple(cell_name(c) for c in imported.empty_refs)
                or tuple(n.message for n in imported.notes if n.kind in INCOMPLETE)[:20] or ("部分内容未能导入",))
    return unit_from_report(report, digest)._replace(imported=kind, left_empty=left)


LEVEL = "meta.level"  # the cell id of the cover's 单位层级


def unreadable(path: str, reason: str) -> UnitResult:
    return UnitResult(path, "", reason)


def read_units(paths: Sequence[str], jobs: int | None = None, progress: Progress | None = None,
               copies: str | None = None) -> list[UnitResult]:
    """Read every file, in worker processes within the time limit when there are several; results in the order
    of ``paths``. ``copies``: the staging folder of the annotated copies (see ``read_unit``)."""
    read = read_unit if copies is None else functools.partial(read_unit, copies=copies)
    load_for_workers()  # (the consolidated report is read with the reader afterwards anyway)
    results = map_files(read, paths, unreadable, jobs, progress)
    years: dict[int, int] = {}
    for i, u in enumerate(results):  # each result arrives with strings of its own: share the repeated ones
        if u.readable:
            year = years.setdefault(u.year, u.year) if u.year is not None else None
            results[i] = u._replace(level=sys.intern(u.level), format_id=sys.intern(u.format_id), year=year)
    return results
