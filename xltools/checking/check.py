"""``check``: read a workbook, parse its values, run the format's rules, return a report. Never raises for a bad
workbook: an unreadable file becomes a report with status "unreadable" and a one-line reason."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from xltools.checking.rules import run_rules
from xltools.errors import REPORT_TO, ReadError, debugging
from xltools.format.findings import SEVERITIES, Finding
from xltools.format.spec import load_spec
from xltools.reading.rawbook import RawBook
from xltools.reading.values import Values, parse_values

SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}


class CheckReport(NamedTuple):
    """The result of checking one file."""

    file: str
    findings: tuple[Finding, ...] = ()
    reason: str | None = None  # set when the file could not be checked
    format_id: str | None = None
    unit: str | None = None
    year: int | None = None
    values: Values | None = None

    @property
    def readable(self) -> bool:
        return self.reason is None

    def tally(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def failed(self, strict: bool = False) -> bool:
        return self.tally("error") > 0 or (strict and self.tally("warning") > 0)

    @property
    def status(self) -> str:
        if not self.readable:
            return "unreadable"
        return "errors" if self.tally("error") else ("warnings" if self.tally("warning") else "ok")


def check_raw(raw: RawBook, today: dt.date | None = None) -> CheckReport:
    """The pure core: raw cells -> findings, ordered by sheet, then severity, then position."""
    spec = load_spec(raw.format_id)
    values, value_findings = parse_values(spec, raw, today)
    findings = [*raw.findings, *value_findings, *run_rules(spec, values)]
    sheet_order = {s.name: i for i, s in enumerate(spec.sheets)}
    findings.sort(key=lambda f: (sheet_order.get(f.cells[0].sheet if f.cells else f.sheet, 99),
                                 SEVERITY_ORDER[f.severity]))
    unit = values.meta.get("unit")
    year = values.meta.get("year")
    return CheckReport(raw.source, tuple(findings), None, spec.id, unit if isinstance(unit, str) else None,
                       year if isinstance(year, int) else None, values)


def check_file(path: str | os.PathLike[str], today: dt.date | None = None) -> CheckReport:
    """Check one workbook file."""
    return read_and_check(path, today)[0]


def read_and_check(path: str | os.PathLike[str], today: dt.date | None = None) -> tuple[CheckReport, RawBook | None]:
    """Check one workbook file; also return what was read (None when it could not be checked). Never raises (but
    with ``xltools --debug`` a bug in xltools comes through with its traceback): a bug becomes a reason that says
    it is one, and the other files of a batch go on."""
    from xltools.reading.reader import read_workbook  # the only reader of files

    try:
        raw = read_workbook(path)
    except ReadError as exc:
        return CheckReport(str(path), reason=str(exc)), None
    except OSError as exc:
        return CheckReport(str(path), reason=f"无法打开文件：{exc.strerror or exc}"), None
    except Exception as exc:  # a bug in xltools must not stop a batch either, but it is not the file's fault
        bug: Exception = exc
    else:
        try:
            return check_raw(raw, today), raw
        except Exception as exc:
            bug = exc
    if debugging():  # xltools --debug: the traceback instead
        raise bug
    from xltools import __version__

    reason = (f"xltools 内部错误，不是文件的问题（{type(bug).__name__}: {bug}）：这是 xltools {__version__} 的缺陷。"
              f"{REPORT_TO}（加 --debug 可看到出错位置）")
    return CheckReport(str(path), reason=reason), None


def expand_inputs(inputs: Iterable[str], suffixes: tuple[str, ...] | None = None) -> Iterator[str]:
    """Files as given; folders become the files inside them with one of ``suffixes`` (default: workbooks),
    recursively and sorted, leaving out Office lock files (~$…) and hidden files."""
    from xltools.reading.reader import SUFFIXES

    wanted = suffixes or SUFFIXES
    for item in inputs:
        if os.path.isdir(item):
            found = [os.path.join(root, f) for root, _, files in os.walk(item) for f in files
                     if f.lower().endswith(wanted) and not f.startswith(("~$", "."))]
            yield from sorted(found)
        else:
            yield item


def check(paths: Iterable[str | os.PathLike[str]], today: dt.date | None = None) -> list[CheckReport]:
    """Check several files; each gets its own report, unreadable ones included."""
    return [check_file(p, today) for p in expand_inputs(os.fspath(p) for p in paths)]
