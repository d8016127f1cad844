"""The worker processes of the portal: the check, the import and the annotated/filled copies of an upload, each
in a process of its own within the reader's time limit (``run_limited``). Free of Django, so that a fork server
can preload it and fork clean, single-threaded workers in milliseconds (never a fork of the threaded web server)."""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def check_in_worker(path: str, shown: str) -> dict[str, Any]:
    return entry_of(read_and_check(path)[0], shown)


def import_in_worker(path: str, workbook: str, shown: str) -> tuple[dict[str, Any], str | None]:
    """A report imported into ``workbook`` and checked: (its check entry, None) or (an unreadable entry, the
    import's reason)."""
    from xltools.extract.importing import import_file

    result = import_file(path, workbook)
    if result.output is None:
        reason = f"无法从这份报告导入数据：{result.reason or '原因不明'}。请上传年度报告工作簿（.xlsx）"
        return entry_of(CheckReport(shown, reason=reason), shown), reason
    return entry_of(read_and_check(workbook)[0], shown), None


def edited_bytes(path: str, kind: str) -> bytes | str:
    """The annotated (``check --annotate``) or filled (``fill``) copy of a workbook, as bytes, or the reason."""
    from xltools.errors import XltoolsError
    from xltools.workbook.actions import annotate, fill_totals
    from xltools.workbook.headless import edit_file

    with tempfile.TemporaryDirectory(prefix="xltools-portal-") as folder:
        output = Path(folder) / ("copy" + Path(path).suffix)
        try:
            if kind == "annotated":
                edited = edit_file(path, annotate, "校验结果", output=output)
            else:
                edited = edit_file(path, lambda port, _: fill_totals(port, check_hint="下载“校验结果”可看到是哪几格"),
                                   "已填合计", output=output, changes_values=True)
        except XltoolsError as exc:
            return exc.zh
        return Path(edited.output).read_bytes()
