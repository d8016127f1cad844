"""The pool every batch runs on (``checking.pool.map_files``): a file that hangs, kills its worker or raises is only
its own reason, the rest goes on in the order given, and a slow file never holds up the other workers."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from xltools.checking.check import map_files


def _slow_or_crash(path: str) -> str:
    if path == "slow":
        time.sleep(30)
    if path == "crash":
        os.abort()
    if path == "raise":
        raise RuntimeError("boom")
    return "ok:" + path


def test_a_file_that_hangs_or_kills_its_worker_is_that_files_reason_and_the_rest_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import faulthandler

    monkeypatch.setenv("XLTOOLS_LIMITS", "seconds=1")
    started = time.monotonic()
    enabled = faulthandler.is_enabled()
    faulthandler.disable()  # the aborting worker would print pytest's fault handler's stacks
    try:
        out = map_files(_slow_or_crash, ["a", "slow", "b", "crash", "raise", "c"],
                        lambda path, reason: f"failed:{path}:{reason}", jobs=2)
    finally:
        if enabled:
            faulthandler.enable()
    assert time.monotonic() - started < 20
    assert out[0] == "ok:a" and out[2] == "ok:b" and out[5] == "ok:c"
    assert out[1].startswith("failed:slow:读取超过 1 秒，已跳过")
    assert out[3].startswith("failed:crash:读取时进程意外退出")
    assert out[4].startswith("failed:raise:xltools 内部错误") and "RuntimeError: boom" in out[4]


def test_in_a_large_batch_a_file_that_hangs_or_crashes_is_only_its_own_reason_and_the_order_holds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14: 120 files through a window of tasks on 2 workers, bad files in the middle: each bad file gets
    its reason, every other file its result, in the order given, and progress counts every file once."""
    import faulthandler

    monkeypatch.setenv("XLTOOLS_LIMITS", "seconds=1")
    names = [f"f{i}" for i in range(120)]
    names[37], names[38], names[90] = "slow", "crash", "raise"
    seen: list[int] = []
    enabled = faulthandler.is_enabled()
    faulthandler.disable()
    try:
        out = map_files(_slow_or_crash, names, lambda path, reason: f"failed:{path}:{reason}", jobs=2,
                        progress=seen.append)
    finally:
        if enabled:
            faulthandler.enable()
    assert len(out) == len(names) and sum(seen) == len(names)
    assert [o for o in out if o.startswith("ok:")] == [f"ok:{n}" for n in names if n.startswith("f")]
    assert out[37].startswith("failed:slow:读取超过 1 秒，已跳过")
    assert out[38].startswith("failed:crash:读取时进程意外退出")
    assert out[90].startswith("failed:raise:xltools 内部错误") and "RuntimeError: boom" in out[90]


def _waits_for_the_others(task: str) -> str:
    """"slow|<flag>" waits until the flag file exists (at most 20 s); "last|<flag>" makes it; others return."""
    kind, _, flag = task.partition("|")
    if kind == "slow":
        deadline = time.monotonic() + 20
        while not os.path.exists(flag) and time.monotonic() < deadline:
            time.sleep(0.02)
        return "ok:slow" if os.path.exists(flag) else "gave up"
    if kind == "last":
        Path(flag).touch()
    return "ok:" + kind


def test_a_slow_file_never_holds_up_the_other_workers(tmp_path: Path) -> None:
    """The first file runs until every other one is done: the other worker must take them all meanwhile, not only
    the few handed out with it (a slow annotated copy, a file that hangs until its time limit)."""
    flag = str(tmp_path / "done")
    tasks = [f"slow|{flag}", *(f"f{i}|{flag}" for i in range(60)), f"last|{flag}"]
    out = map_files(_waits_for_the_others, tasks, lambda path, reason: f"failed:{path}:{reason}", jobs=2)
    assert out == ["ok:slow", *(f"ok:f{i}" for i in range(60)), "ok:last"]
