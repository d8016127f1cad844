"""Run a function over many files on all cores, each file within the time limit (the only module importing pebble).

Files go to the worker processes in chunks (a few dozen at a time for a large batch), so that a batch pays the
cost of handing a task to a worker once per chunk, not once per file. A chunk that runs out of time or makes its
worker die is run again file by file, each with the full time limit: the file that caused it gets its reason and
the others their results, exactly as if every file had been a task of its own.
"""

from __future__ import annotations

import collections
import itertools
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from xltools.errors import REPORT_TO, XltoolsError, debugging
from xltools.limits import ENV, limits

T = TypeVar("T")
CHUNK_MAX = 32  # files per task at most (a chunk's results travel back together)
WINDOW = 4  # tasks in flight per worker: memory does not grow with the batch


def chunk_size(files: int, workers: int) -> int:
    """Files per task: one for small batches (every file its own task), growing with the batch so that each worker
    gets about ``WINDOW`` * 4 tasks, at most ``CHUNK_MAX``."""
    return max(1, min(CHUNK_MAX, files // (workers * WINDOW * 4)))


def _outcome(fn: Callable[[str], T], path: str) -> tuple[bool, T | str]:
    """(True, fn(path)), or (False, the file's reason) when ``fn`` raised."""
    try:
        return True, fn(path)
    except XltoolsError as exc:
        return False, str(exc)
    except Exception as exc:
        if debugging():
            raise
        return False, bug_reason(exc)


def bug_reason(bug: BaseException) -> str:
    """A file's reason when a bug in xltools (not the file) stopped its check."""
    from xltools import __version__

    return (f"xltools 内部错误，不是文件的问题（{type(bug).__name__}: {bug}）：这是 xltools {__version__} 的缺陷。"
            f"{REPORT_TO}（加 --debug 可看到出错位置）")


def _run_chunk(fn: Callable[[str], T], paths: Sequence[str]) -> list[tuple[bool, T | str]]:
    return [_outcome(fn, path) for path in paths]


def _timed_out(seconds: float) -> str:
    return (f"读取超过 {seconds:g} 秒，已跳过：文件可能已损坏或过于复杂，请用 Excel/WPS 打开后另存，再试一次"
            f"（上限可由 {ENV}=seconds=… 调整）")


def _died(exitcode: object) -> str:
    return f"读取时进程意外退出（退出码 {exitcode}），已跳过：文件可能已损坏，请用 Excel/WPS 打开后另存，再试一次"


def map_files(fn: Callable[[str], T], paths: Sequence[str], failed: Callable[[str, str], T],
              jobs: int | None = None, progress: Callable[[int], None] | None = None) -> list[T]:
    """``fn(path)`` for every path, in the order of ``paths``. One file runs in this process; several run in
    worker processes (``jobs``, default: the CPU count), each file within ``limits().seconds``: a file that takes
    longer, kills its worker or raises becomes ``failed(path, reason)`` and the rest goes on. Workers are stopped
    whatever happens (an error, Ctrl-C). ``fn`` must be picklable and should never raise."""
    if len(paths) <= 1:
        out = [fn(p) for p in paths]
        if progress and out:
            progress(len(out))
        return out
    workers = max(1, min(jobs or os.cpu_count() or 1, len(paths)))
    return _Batch(fn, failed, workers, progress).run(paths)


Outcomes = list[tuple[bool, Any]]
BREAKS = 2  # a file whose task broke the pool this many times running alone is that file's fault


class _Batch:
    """One ``map_files`` run: chunks in flight in a bounded window, results collected in order."""

    def __init__(self, fn: Callable[[str], Any], failed: Callable[[str, str], Any], workers: int,
                 progress: Callable[[int], None] | None):
        from pebble import ProcessPool

        self.fn, self.failed, self.workers, self.progress = fn, failed, workers, progress
        self.seconds = limits().seconds
        self.pool = ProcessPool(max_workers=workers)
        self.pending: collections.deque[tuple[Sequence[str], Any]] = collections.deque()
        self.results: list[Any] = []

    def run(self, paths: Sequence[str]) -> list[Any]:
        size = chunk_size(len(paths), self.workers)
        todo = iter([paths[i:i + size] for i in range(0, len(paths), size)])
        try:
            for chunk in itertools.islice(todo, self.workers * WINDOW):
                self.pending.append((chunk, self.submit(chunk)))
            while self.pending:
                chunk, future = self.pending.popleft()
                if not self.settle(chunk, future):  # the pool broke down: nothing of this chunk was collected
                    self.restart()
                    self.rerun(chunk)
                nxt = next(todo, None)
                if nxt is not None:
                    self.pending.append((nxt, self.submit(nxt)))
        except BaseException:
            self.pool.stop()  # type: ignore[no-untyped-call]
            self.pool.join()
            raise
        self.pool.close()  # type: ignore[no-untyped-call]
        self.pool.join()
        return self.results

    def submit(self, chunk: Sequence[str]) -> Any:
        return self.pool.schedule(_run_chunk, args=(self.fn, chunk), timeout=self.seconds)

    def restart(self) -> None:
        """A new pool, and every chunk still out submitted to it again (the broken pool aborted them all)."""
        from pebble import ProcessPool

        self.pool.stop()  # type: ignore[no-untyped-call]
        self.pool.join()
        self.pool = ProcessPool(max_workers=self.workers)
        self.pending = collections.deque((chunk, self.submit(chunk)) for chunk, _ in self.pending)

    def settle(self, chunk: Sequence[str], future: Any) -> bool:
        """Collect a chunk's results (a chunk that ran out of time or lost its worker: each file again on its own).
        False when the pool itself broke down (pebble gives up on every task when a worker dies before its task is
        marked as taken): nothing was collected."""
        from concurrent.futures.process import BrokenProcessPool

        from pebble import ProcessExpired

        outcomes: Outcomes
        try:
            outcomes = future.result()
        except BrokenProcessPool:
            return False
        except TimeoutError:
            if len(chunk) > 1:  # which file? each again on its own
                self.rerun(chunk)
                return True
            outcomes = [(False, _timed_out(self.seconds))]
        except ProcessExpired as exc:
            if len(chunk) > 1:
                self.rerun(chunk)
                return True
            outcomes = [(False, _died(exc.exitcode))]
        for path, (ok, value) in zip(chunk, outcomes, strict=True):
            self.results.append(value if ok else self.failed(path, value))
        if self.progress:
            self.progress(len(chunk))
        return True

    def rerun(self, chunk: Sequence[str]) -> None:
        """Each file of a chunk as a task of its own, with the full time limit."""
        for path in chunk:
            for _ in range(BREAKS):
                if self.settle([path], self.submit([path])):
                    break
                self.restart()
            else:
                self.results.append(self.failed(path, _died("?")))
                if self.progress:
                    self.progress(1)
