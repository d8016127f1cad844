"""A run killed outright (kill -9, a power cut) cannot remove its temporary files; the next run writing into the same
folder does, and never touches those of a run still going. Its worker processes end with it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from helpers import EXAMPLE_XLSX, process_alive, run, xltools_command, xltools_env


def _dead_pid() -> int:
    """A process id no process has: a child that has finished and been reaped."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_the_next_run_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    dead = _dead_pid()
    left = [tmp_path / f".~city.{dead}.k3j2x9ab.xlsx", tmp_path / f".~city-汇总情况.{dead}.q8w7e6_z.html"]
    for f in left:
        f.write_bytes(b"half")
    folder = tmp_path / f".~xltools.{dead}.a1b2c3d4"
    folder.mkdir()
    (folder / "sheet1.xml").write_text("<x/>")
    running = tmp_path / f".~city.{os.getppid()}.z9y8x7w6.xlsx"  # a run still going (the test runner's parent)
    running.write_bytes(b"busy")
    lock = tmp_path / f".~lock.2021.{dead}.xlsx#"  # LibreOffice's lock file of an open "2021.<n>.xlsx"
    lock.write_text("lock")
    mine = tmp_path / "notes.~txt"
    mine.write_text("the clerk's own file")

    result = run("new", "-o", tmp_path / "new.xlsx")
    assert result.returncode == 0, result.stderr
    assert not any(f.exists() for f in left) and not folder.exists()
    assert running.read_bytes() == b"busy" and mine.read_text() == "the clerk's own file" and lock.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, mine.name, lock.name, "new.xlsx"])


def test_a_killed_batch_takes_its_workers_with_it(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(1500):  # seconds of work: the kill always lands mid-run
        shutil.copy(EXAMPLE_XLSX, inbox / f"u{i:04}.xlsx")
    proc = subprocess.Popen(xltools_command("check", inbox, "--format", "json", "--jobs", "2"), env=xltools_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.05)
            out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
            workers = [int(p) for p in out.split()]
        assert workers, "the workers never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(process_alive(w) for w in workers):
        time.sleep(0.1)
    assert not [w for w in workers if process_alive(w)]

