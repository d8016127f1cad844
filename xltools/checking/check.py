"""``check``: read a workbook, parse its values, run the format's rules, return a report. Never raises for a bad
workbook: an unreadable file becomes a report with status "unreadable" and a one-line reason.

A batch (``check`` of many files, and everything built on it) reads each file in a worker process with a wall-time
limit (``limits().seconds``): a file that takes too long, or makes its worker die, becomes that file's reason and
the rest goes on (``map_files``, from ``checking.pool``)."""

import datetime as dt
import errno
import functools
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from xltools.checking.causes import link_causes
from xltools.checking.explanations import apply_explanations
from xltools.checking.pool import bug_reason as bug_reason  # (re-exported: consolidate uses both)
from xltools.checking.pool import map_files as map_files
from xltools.checking.profiles import Profile, profile_for
from xltools.checking.rules import run_rules
from xltools.errors import XltoolsError, debugging
from xltools.format.findings import SEVERITIES, Finding
from xltools.format.spec import load_spec
from xltools.reading.explanations import ExplanationRow
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
    profile: str | None = None  # the label of the province profile checked against (None: the national format)
    explanation_rows: tuple[ExplanationRow, ...] = ()  # the workbook's 情况说明 rows (for findings added later)
    applied_profile: Profile | None = None  # the profile itself (for findings added later)

    @property
    def readable(self) -> bool:
        return self.reason is None

    def tally(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def failed(self, strict: bool = False) -> bool:
        """Errors fail; with ``strict`` also the warnings no 情况说明 explains."""
        return self.tally("error") > 0 or (strict and any(f.severity == "warning" and f.explanation is None
                                                          for f in self.findings))

    def explained(self) -> int:
        """How many findings a 情况说明 explains (已说明)."""
        return sum(1 for f in self.findings if f.explanation is not None)

    @property
    def status(self) -> str:
        if not self.readable:
            return "unreadable"
        return "errors" if self.tally("error") else ("warnings" if self.tally("warning") else "ok")


def check_raw(raw: RawBook, today: dt.date | None = None, profile: Profile | None = None) -> CheckReport:
    """The pure core: raw cells -> findings, ordered by sheet, then severity, then position. ``profile``: a
    province profile (default: the one the workbook names); the workbook's 情况说明 are matched last."""
    profile, profile_findings = profile_for(raw, profile)
    spec = profile.apply(load_spec(raw.format_id)) if profile else load_spec(raw.format_id)
    values, value_findings = parse_values(spec, raw, today)
    findings = [*raw.findings, *value_findings, *run_rules(spec, values)]
    findings = apply_explanations(spec, profile.adjust(findings) if profile else findings, raw.explanations)
    findings += profile_findings
    sheet_order = {s.name: i for i, s in enumerate(spec.sheets)}
    findings.sort(key=lambda f: (sheet_order.get(f.cells[0].sheet if f.cells else f.sheet, 99),
                                 SEVERITY_ORDER[f.severity]))
    findings = link_causes(spec, values, findings)
    unit = values.meta.get("unit")
    year = values.meta.get("year")
    return CheckReport(raw.source, tuple(findings), None, spec.id, unit if isinstance(unit, str) else None,
                       year if isinstance(year, int) else None, values, profile.label if profile else None,
                       raw.explanations, profile)


def check_file(path: str | os.PathLike[str], today: dt.date | None = None,
               profile: Profile | None = None) -> CheckReport:
    """Check one workbook file."""
    return read_and_check(path, today, profile)[0]


def read_and_check(path: str | os.PathLike[str], today: dt.date | None = None,
                   profile: Profile | None = None) -> tuple[CheckReport, RawBook | None]:
    """Check one workbook file; also return what was read (None when it could not be checked). Never raises (but
    with ``xltools --debug`` a bug in xltools comes through with its traceback): a bug becomes a reason that says
    it is one, and the other files of a batch go on."""
    from xltools.reading.reader import read_workbook  # the only reader of files

    problem = file_problem(path)
    if problem is not None:
        return CheckReport(str(path), reason=problem), None
    try:
        raw = read_workbook(path)
    except XltoolsError as exc:  # ReadError, LimitError, a missing component…: the file's reason
        return CheckReport(str(path), reason=str(exc)), None
    except OSError as exc:
        return CheckReport(str(path), reason=f"无法打开文件：{exc.strerror or exc}"), None
    except Exception as exc:  # a bug in xltools must not stop a batch either, but it is not the file's fault
        bug: Exception = exc
    else:
        try:
            return check_raw(raw, today, profile), raw
        except Exception as exc:
            bug = exc
    if debugging():  # xltools --debug: the traceback instead
        raise bug
    return CheckReport(str(path), reason=bug_reason(bug)), None


def file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is not a regular file that can be read (a missing file, a dangling link or a link loop, a
    folder, a pipe, socket or device), or None. Never opens the file: opening a pipe would wait forever."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "符号链接循环（链接最终指向它自己），无法读取：请把链接换成实际的文件"
        if isinstance(exc, FileNotFoundError):
            return "链接指向的文件不存在（链接已失效）" if os.path.islink(path) else "文件不存在"
        return f"无法打开文件：{exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "这是一个文件夹，不是工作簿文件"
    if not stat.S_ISREG(mode):
        return "不是普通文件（管道、套接字或设备），已跳过：请提供工作簿文件本身"
    return None


# Files a unit may send instead of its workbook, by kind: what they are, in the words of their reason.
REPORT_KINDS = {".docx": "Word", ".pdf": "PDF", ".html": "网页", ".htm": "网页", ".txt": "文本"}
_OTHER_KINDS = {
    (".doc", ".wps", ".rtf", ".odt"):
        "这是旧版 Word 或 WPS 文字文件（{suffix}），不是工作簿：请该单位报送工作簿（.xlsx），"
        "或把它另存为 .docx 后用 xltools import 导入",
    (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic"):
        "这是图片（{suffix}），不是工作簿：图片中的数字无法读取，请该单位报送工作簿（.xlsx）",
    (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz"):
        "这是压缩包（{suffix}）：请先解压，把其中的工作簿放进文件夹后再试",
}


def report_kind(path: str | os.PathLike[str]) -> str | None:
    """"Word", "PDF", "网页" or "文本" for a report file ``import`` can read (by its suffix), else None."""
    return REPORT_KINDS.get(os.path.splitext(os.fspath(path))[1].lower())


def not_a_workbook(path: str | os.PathLike[str]) -> str | None:
    """Why a file a unit sent is not a workbook ``check`` can read, when its suffix already says so (a Word or
    PDF report, a picture, an archive), or None. Other suffixes get the reader's reason."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    kind = REPORT_KINDS.get(suffix)
    if kind is not None:
        return (f"这是 {kind} 报告（{suffix}），不是工作簿：请用 xltools import 转为工作簿后再校验，"
                "或在汇总（xltools consolidate）时自动导入")
    for suffixes, reason in _OTHER_KINDS.items():
        if suffix in suffixes:
            return reason.format(suffix=suffix)
    return None


def skipped_in_folders(name: str) -> bool:
    """Files a folder walk leaves out: hidden files and Office lock files (~$…)."""
    return name.startswith(("~$", "."))


def expand_inputs(inputs: Iterable[str], suffixes: tuple[str, ...] | None = None) -> Iterator[str]:
    """Files as given; folders become the files inside them with one of ``suffixes`` (default: every file, so
    that every file a unit sent is accounted for: read, or listed with the reason it cannot be), recursively and
    sorted, leaving out Office lock files (~$…) and hidden files and folders."""
    for item in inputs:
        if os.path.isdir(item):
            found: list[str] = []
            # os.walk never follows a link to a folder: a link to its own folder cannot make it loop
            for root, dirs, files in os.walk(item):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.extend(os.path.join(root, f) for f in files if not skipped_in_folders(f)
                             and (suffixes is None or f.lower().endswith(suffixes)))
            yield from sorted(found)
        else:
            yield item


def check_listed(path: str, today: dt.date | None = None, profile: Profile | None = None,
                 keep_values: bool = True) -> CheckReport:
    """``check`` of one file a user listed or a folder held: a Word/PDF report, a picture or an archive gets the
    reason that says what it is and what to do (``not_a_workbook``); anything else is read and checked.
    ``keep_values`` false: the report without the values (findings only: less to hand back from a worker)."""
    reason = not_a_workbook(path) if file_problem(path) is None else None
    if reason is not None:
        return CheckReport(path, reason=reason)
    report = check_file(path, today, profile)
    return report if keep_values else without_values(report)


def without_values(report: CheckReport) -> CheckReport:
    """The report without its values (less to hand back from a worker), but for the numbers of the cells named
    as likely causes, which its text shows ("它现为 3129，改为 3119")."""
    v = report.values
    causes = {f.cause.id for f in report.findings if f.cause is not None}
    if v is None or not causes:
        return report._replace(values=None)
    kept = Values(v.format_id, {i: v.numbers[i] for i in causes if i in v.numbers}, frozenset(), frozenset(), {}, {},
                  {})
    return report._replace(values=kept)


def load_for_workers() -> None:
    """Load the reader and the default format now, in this process, before a batch forks its workers: each
    worker then starts with them instead of loading them again."""
    from xltools.reading import reader  # noqa: F401

    load_spec()


def check(paths: Iterable[str | os.PathLike[str]], today: dt.date | None = None, jobs: int | None = None,
          progress: Callable[[int], None] | None = None, keep_values: bool = True,
          profile: Profile | None = None) -> list[CheckReport]:
    """Check several files; each gets its own report, unreadable ones included (several files: each in a worker
    process, within the time limit). ``keep_values`` false: reports without their values (the findings are
    all that is shown). ``profile``: a province profile for every file (default: each workbook's)."""
    files = list(expand_inputs(os.fspath(p) for p in paths))
    load_for_workers()
    return map_files(functools.partial(check_listed, today=today, profile=profile, keep_values=keep_values), files,
                     lambda path, reason: CheckReport(path, reason=reason), jobs, progress)
