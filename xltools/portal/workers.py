"""The worker processes of the portal: the check, the import and the annotated/filled copies of an upload, each
in a process of its own within the reader's time limit (``run_limited``). Free of Django, so that a fork server
can preload it and fork clean, single-threaded workers in milliseconds (never a fork of the threaded web server)."""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from xltools.checking.check import CheckReport, read_and_check
from xltools.checking.render import to_json
from xltools.limits import limits


def run_limited(fn: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """``fn(*args)`` in a worker process of its own within the reader's time limit: (result, None), or (None, the
    reason in Chinese) when it took too long or its process died (it is killed). ``fn``, ``args`` and the result
    must be picklable (module-level functions). One process per call, not a pool: a hostile file can only ever
    take its own worker down, and the stdlib suffices (pebble's pool, as ``map_files`` uses it, would be
    imported in a second module)."""
    seconds = limits().seconds
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_worker, args=(sender, fn, args), daemon=True)
    worker.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            return None, (f"读取超过 {seconds:g} 秒，已停止：文件可能已损坏或过于复杂，请用 Excel/WPS 打开后另存，"
                          "再上传")
        try:
            return receiver.recv(), None
        except EOFError:
            worker.join(5)
            return None, (f"读取时进程意外退出（退出码 {worker.exitcode}）：文件可能已损坏，请用 Excel/WPS 打开后"
                          "另存，再上传")
    finally:
        receiver.close()
        if worker.is_alive():
            worker.kill()
        worker.join(5)


def _context() -> Any:
    """Where workers come from: a fork server (Linux, macOS) that imported the engine once and forks a clean,
    single-threaded copy in milliseconds — never a fork of the threaded web server itself; spawn on Windows."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["xltools.portal.workers", "xltools.workbook.headless", "xltools.extract.importing"])
    return context


def _worker(sender: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    sender.send(fn(*args))
    sender.close()


def entry_of(report: CheckReport, shown: str) -> dict[str, Any]:
    """The file's entry of ``xltools check --format json``, with the file named as the unit named it."""
    entry: dict[str, Any] = to_json([report._replace(file=shown)])["files"][0]
    return entry


class CheckSettings(NamedTuple):
    """How the round checks its uploads: its province profile (a name, "" for the national format) and last
    year's upload of the same unit (the stored workbook's path and how to name it; "" for none)."""

    profile: str = ""
    previous: str = ""
    previous_name: str = ""


def checked(path: str, settings: CheckSettings) -> tuple[CheckReport, str | None]:
    """``read_and_check`` with the round's profile, then compared with last year's upload when there is one and
    it can be read (a broken last year never stops this year's check): (the report, the name of last year's
    upload it was compared with, or None). A profile that cannot be loaded any more (removed since the round was
    set up) is the file's reason: checking without it would mislead."""
    from xltools.errors import XltoolsError
    from xltools.format.profile import load_profile

    profile = None
    if settings.profile:
        try:
            profile = load_profile(settings.profile)
        except XltoolsError as exc:
            return CheckReport(path, reason=f"本轮的地方规则配置无法使用，请联系政务公开办：{exc.zh}"), None
    report = read_and_check(path, profile=profile)[0]
    if not settings.previous or report.values is None:
        return report, None
    from xltools.checking.previous import with_previous
    from xltools.consolidate.previous import read_last_year

    try:
        last = read_last_year(settings.previous)
    except XltoolsError:
        return report, None
    name = settings.previous_name or last.source
    return with_previous(report, last._replace(source=name)), name


def _entry(path: str, shown: str, settings: CheckSettings | None) -> dict[str, Any]:
    """The check entry of a workbook, naming last year's upload it was compared with (``previous``, or None)."""
    report, previous = checked(path, settings or CheckSettings())
    entry = entry_of(report, shown)
    entry["previous"] = previous
    return entry


def check_in_worker(path: str, shown: str, settings: CheckSettings | None = None) -> dict[str, Any]:
    return _entry(path, shown, settings)


def import_in_worker(path: str, workbook: str, shown: str, settings: CheckSettings | None = None
                     ) -> tuple[dict[str, Any], str | None]:
    """A report imported into ``workbook`` and checked: (its check entry, None) or (an unreadable entry, the
    import's reason)."""
    from xltools.extract.importing import import_file

    result = import_file(path, workbook)
    if result.output is None:
        reason = f"无法从这份报告导入数据：{result.reason or '原因不明'}。请上传年度报告工作簿（.xlsx）"
        return entry_of(CheckReport(shown, reason=reason), shown), reason
    return _entry(workbook, shown, settings), None


def edited_bytes(path: str, kind: str, profile_name: str = "") -> bytes | str:
    """The annotated (``check --annotate``) or filled (``fill``) copy of a workbook, as bytes, or the reason
    (``profile_name``: the round's province profile)."""
    from xltools.errors import XltoolsError
    from xltools.format.profile import load_profile
    from xltools.workbook.actions import annotate, fill_totals
    from xltools.workbook.headless import edit_file

    try:
        profile = load_profile(profile_name) if profile_name else None
    except XltoolsError as exc:
        return exc.zh

    with tempfile.TemporaryDirectory(prefix="xltools-portal-") as folder:
        output = Path(folder) / ("copy" + Path(path).suffix)
        try:
            if kind == "annotated":
                edited = edit_file(path, annotate, "校验结果", output=output, profile=profile)
            else:
                edited = edit_file(path, lambda port, _: fill_totals(port, check_hint="下载“校验结果”可看到是哪几格"),
                                   "已填合计", output=output, changes_values=True, profile=profile)
        except XltoolsError as exc:
            return exc.zh
        return Path(edited.output).read_bytes()
