"""Running this checkout's command on one field case as a user does — ``python -m xltools`` in a subprocess with
a timeout, a memory cap and a private TMPDIR — and checking every promise that holds whatever the input: the
exit code, no traceback, no abort, no hang, strict JSON, the input unchanged, no temp files left, no output for a
refused run, the file named in the message."""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
import os
import resource
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.helpers import xltools_command, xltools_env

TIMEOUT = 30.0
MEMORY = 3 * 1024 ** 3
TEMP_PATTERNS = (".~*", "~$*", "*.lock", "xltools-*", "*.tmp", ".*.tmp")
GENUINE_BUG = "内部错误"


@dataclasses.dataclass
class Outcome:
    args: list[str]
    rc: int | None  # None: killed after TIMEOUT
    stdout: str
    stderr: str
    seconds: float

    def last_line(self) -> str:
        lines = [ln for ln in self.stderr.strip().splitlines() if ln.strip()]
        return lines[-1][:300] if lines else "(no stderr)"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(args: Iterable[str | Path], *, env: dict[str, str] | None = None, tmpdir: Path, cwd: Path | None = None,
        memory_cap: bool = True, timeout: float = TIMEOUT) -> Outcome:
    """``xltools ARGS`` in its own session (so that a hang is killed with all its children)."""
    argv = [str(a) for a in args]
    full_env = {**xltools_env(), **(env or {}), "TMPDIR": str(tmpdir), "TEMP": str(tmpdir), "TMP": str(tmpdir)}
    full_env.pop("XLTOOLS_DEBUG", None)
    tmpdir.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    proc = subprocess.Popen(xltools_command(*argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=full_env, cwd=cwd, start_new_session=True,
                            preexec_fn=_limit_memory if memory_cap else None)
    try:
        out, err = proc.communicate(timeout=timeout)
        rc: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        rc = None
    return Outcome(argv, rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                   time.monotonic() - start)


def _strict(constant: str) -> Any:
    raise ValueError(f"non-standard JSON constant {constant}")


def strict_json(text: str) -> Any:
    """Parse as a strict JSON parser does: NaN, Infinity and -Infinity are errors."""
    return json.loads(text, parse_constant=_strict)


def digest(path: Path) -> str | None:
    """What the input is now: its bytes' hash, or what kind of thing it is when it is no regular file."""
    if path.is_symlink():
        return "symlink->" + os.readlink(path)
    if not path.exists():
        return None
    if path.is_dir():
        return "dir:" + ",".join(sorted(p.name for p in path.iterdir()))
    if not path.is_file():
        return "special"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temp_files(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for p in folder.rglob("*"):
            if any(fnmatch.fnmatch(p.name, pat) for pat in TEMP_PATTERNS):
                found.append(str(p))
    return found


def _text_of(path: Path) -> str:
    """A file's text as far as a search for a string goes: every part of a zip package, else the bytes."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return path.read_bytes().decode("utf-8", "replace")


def problems(outcome: Outcome, expected: Iterable[int], *, file_name: str | None = None,
             json_out: bool = False, outputs: Iterable[Path] = (), output_on: Iterable[int] = (0, 1),
             leak: str | None = None, max_stdout: int = 5_000_000) -> list[str]:
    """Every broken promise of one run, as readable lines (empty: all kept)."""
    expected = set(expected)
    found = []
    if outcome.rc is None:
        return [f"hang: killed after {TIMEOUT:g} s"]
    if outcome.rc < 0 or outcome.rc == 134:
        found.append(f"abort: returncode {outcome.rc}")
    if outcome.rc not in expected:
        found.append(f"exit code {outcome.rc}, expected {'/'.join(map(str, sorted(expected)))}")
    if "Traceback" in outcome.stderr or "Traceback" in outcome.stdout:
        found.append("Python traceback")
    if "panicked at" in outcome.stderr or "RUST_BACKTRACE" in outcome.stderr:
        found.append("a Rust panic message on stderr")
    bug_lines = [ln for ln in (outcome.stderr + "\n" + outcome.stdout).splitlines() if GENUINE_BUG in ln]
    if bug_lines:
        found.append(f"reported as an xltools bug: {bug_lines[0].strip()[:240]}")
    if outcome.rc == 2 and file_name and file_name not in outcome.stderr and file_name not in outcome.stdout:
        found.append(f"message does not name the file {file_name}")
    if outcome.rc == 2 and not outcome.stderr.strip() and not outcome.stdout.strip():
        found.append("exit code 2 without a message")
    if json_out and outcome.rc in (0, 1, 2) and (outcome.stdout.strip() or outcome.rc != 2):
        try:
            strict_json(outcome.stdout)
        except ValueError as exc:
            found.append(f"stdout is not strict JSON: {str(exc)[:120]}")
    if len(outcome.stdout) > max_stdout:
        found.append(f"stdout of {len(outcome.stdout)} characters")
    for out in outputs:
        exists = out.exists()
        if outcome.rc in output_on and not exists:
            found.append(f"no output {out.name}")
        if outcome.rc not in output_on and exists:
            found.append(f"refused run (rc {outcome.rc}) left output {out.name}")
    if leak:
        texts = [outcome.stdout, outcome.stderr]
        texts += [_text_of(o) for o in outputs if o.is_file()]
        if any(leak in t for t in texts):
            found.append("the content of a local file reached the output (external entity)")
    return found
