"""Run a function over many files on all cores, each file within the time limit (the only module importing pebble).

Each file is a task of its own, handed out as soon as a worker is free, whatever file is still running elsewhere
(results come back in the order of the paths): a slow file never holds up the other workers. (Handing files over
in chunks saves about 0.1 ms per file of hand-over, but measured on a loaded 2-core machine it made batches 1.3–2.5
times slower: a worker that never waits between files loses the CPU to other busy processes. benchmarks/RESULTS.md,
"check speed".) When pebble gives up on every task because a worker died before its task was marked as taken, the
pool is restarted and the tasks still out are handed to the new one, so a batch never stops on it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from xltools.errors import REPORT_TO, XltoolsError, debugging
from xltools.limits import ENV, limits

T = TypeVar("T")
WINDOW = 4  # tasks in flight per worker: memory does not grow with the batch


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


BREAKS = 2  # a file whose task broke the pool this many times is that file's fault


class _Batch:
    """One ``map_files`` run: a bounded window of tasks in flight, a new one handed out as soon as any finishes
    (a slow file — an annotated copy, a file that hangs until its time limit — never holds up the others: the
    other workers go on), results put back in the order of the paths."""

    def __init__(self, fn: Callable[[str], Any], failed: Callable[[str, str], Any], workers: int,
                 progress: Callable[[int], None] | None):
        from pebble import ProcessPool

        self.fn, self.failed, self.workers, self.progress = fn, failed, workers, progress
        self.seconds = limits().seconds
        self.pool = ProcessPool(max_workers=workers)
        self.pending: dict[Any, tuple[int, str, int]] = {}  # future -> (index, path, times it broke the pool)
        self.results: list[Any] = []

    def run(self, paths: Sequence[str]) -> list[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        self.results = [None] * len(paths)
        todo = iter(enumerate(paths))
        try:
            for i, path in itertools.islice(todo, self.workers * WINDOW):
                self.pending[self.submit(path)] = (i, path, 0)
            while self.pending:
                done, _ = wait(list(self.pending), return_when=FIRST_COMPLETED)
                for future in done:
                    if future not in self.pending:  # a task of a pool restarted meanwhile: handed out again
                        continue
                    i, path, breaks = self.pending.pop(future)
                    if not self.settle(i, path, future):  # the pool broke down: a new one, this file again on it
                        self.restart()
                        if breaks + 1 < BREAKS:
                            self.pending[self.submit(path)] = (i, path, breaks + 1)
                            continue
                        self.collect(i, path, (False, _died("?")))
                    nxt = next(todo, None)
                    if nxt is not None:
                        self.pending[self.submit(nxt[1])] = (nxt[0], nxt[1], 0)
        except BaseException:
            self.pool.stop()  # type: ignore[no-untyped-call]
            self.pool.join()
            raise
        self.pool.close()  # type: ignore[no-untyped-call]
        self.pool.join()
        return self.results

    def submit(self, path: str) -> Any:
        return self.pool.schedule(_outcome, args=(self.fn, path), timeout=self.seconds)

    def restart(self) -> None:
        """A new pool, and every task still out submitted to it again (the broken pool aborted them all)."""
        from pebble import ProcessPool

        self.pool.stop()  # type: ignore[no-untyped-call]
        self.pool.join()
        self.pool = ProcessPool(max_workers=self.workers)
        self.pending = {self.submit(path): (i, path, breaks) for i, path, breaks in self.pending.values()}

    def settle(self, index: int, path: str, future: Any) -> bool:
        """Collect a file's result (a time-out or a dead worker: its reason). False when the pool itself broke
        down (pebble gives up on every task when a worker dies before its task is marked as taken)."""
        from concurrent.futures.process import BrokenProcessPool

        from pebble import ProcessExpired

        try:
            outcome = future.result()
        except BrokenProcessPool:
            return False
        except TimeoutError:
            outcome = (False, _timed_out(self.seconds))
        except ProcessExpired as exc:
            outcome = (False, _died(exc.exitcode))
        self.collect(index, path, outcome)
        return True

    def collect(self, index: int, path: str, outcome: tuple[bool, Any]) -> None:
        ok, value = outcome
        self.results[index] = value if ok else self.failed(path, value)
        if self.progress:
            self.progress(1)
