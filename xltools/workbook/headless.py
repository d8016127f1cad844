"""The buttons' headless twins on files: ``fill``, ``check --annotate`` and ``clear-flags``.

The input is never modified unless asked (``in_place``); then it is copied to a backup first and replaced in one
step, under a lock (a second in-place edit of the same file waits, then refuses), and only if no other program
changed it since it was read. A symbolic link is edited through (its target is replaced, the link stays). Outputs
keep the input's kind (.xlsm stays .xlsm, with its macros and buttons) and are never the input itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from xltools.atomic import Stamp, atomic_copy, edit_lock
from xltools.checking.check import CheckReport, file_problem, read_and_check
from xltools.checking.profiles import Profile
from xltools.errors import ReadError, XltoolsError
from xltools.workbook.actions import Outcome
from xltools.workbook.port import WorkbookPort

if TYPE_CHECKING:
    from xltools.workbook.openpyxl_port import OpenpyxlPort


class Edited(NamedTuple):
    outcome: Outcome
    output: Path
    backup: Path | None  # the copy of the original, when edited in place
    report: CheckReport  # the check of the workbook as written
    written: bool = True  # False: the action had nothing to do, nothing was written (``output`` is the source)


def default_output(source: str | Path, label: str) -> Path:
    source = Path(source)
    return source.with_name(f"{source.stem}-{label}{source.suffix}")


def _target(source: Path, output: str | Path | None, in_place: bool, label: str) -> Path:
    if in_place and output is not None:
        raise ReadError("--in-place 与 -o/--output 只能选一个")
    if in_place:
        return source
    target = Path(output) if output is not None else default_output(source, label)
    if target.suffix.lower() != source.suffix.lower():
        raise ReadError(f"输出文件必须与原文件同为 {source.suffix.lower()}：{target.name}"
                        + ("（.xlsm 另存为 .xlsx 会丢失宏和按钮）" if source.suffix.lower() == ".xlsm" else ""))
    if _same_file(source, target):
        raise XltoolsError(f"输出文件 {target} 就是原文件 {source}（同一文件或其链接）：如确要直接修改原文件，"
                           "请用 --in-place（会先备份）",
                           f"the output {target} is the input {source} (the same file or a link to it): use "
                           "--in-place to edit the input (a backup is kept)")
    return target


def _same_file(a: Path, b: Path) -> bool:
    """The same file, also through a symbolic or hard link."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # the output does not exist yet
        return False


@contextlib.contextmanager
def _locked(path: Path, in_place: bool) -> Iterator[None]:
    if not in_place:
        yield
        return
    with edit_lock(os.path.realpath(path)):
        yield


def edit_file(source: str | os.PathLike[str], action: Callable[[WorkbookPort, CheckReport], Outcome], label: str,
              *, output: str | Path | None = None, in_place: bool = False, overwrite: bool = False,
              changes_values: bool = False, today: dt.date | None = None, profile: Profile | None = None) -> Edited:
    """Check ``source``, run a button action on it (given that check), write the result — nothing at all when
    the action had nothing to do (``Outcome.nothing_to_do``). The check of what was written is the same one
    unless the action ``changes_values``. Raises ReadError (could not run), OutputExists
    and OSError."""
    from xltools.workbook.openpyxl_port import OpenpyxlPort

    src = Path(source)
    problem = file_problem(src)  # a missing file, a link loop, a pipe: said before any path is resolved
    if problem is not None:
        raise ReadError(f"{src}：{problem}", f"{src}: cannot be read")
    target = _target(src, output, in_place, label)
    with _locked(src, in_place):
        stamp = Stamp.of(src) if in_place and src.is_file() else None
        first, raw = read_and_check(src, today, profile)
        if raw is None:
            raise ReadError(f"{src}：{first.reason}")
        port = OpenpyxlPort(src)
        try:
            outcome = action(port, first)
            if outcome.nothing_to_do:
                return Edited(outcome, src, None, first, written=False)
            backup = None
            if in_place:
                backup = save_in_place(port, stamp)
            else:
                port.save(target, overwrite)
        finally:
            port.close()
    report = read_and_check(target, today, profile)[0] if changes_values else first._replace(file=str(target))
    return Edited(outcome, target, backup, report)


def backup_path(path: str | os.PathLike[str], now: dt.datetime | None = None) -> Path:
    """``<name>-备份-<YYYYmmdd-HHMMSS><suffix>`` beside the file, never an existing one."""
    path = Path(path)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}-备份-{stamp}{path.suffix}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-备份-{stamp}-{n}{path.suffix}")
    return candidate


def save_in_place(port: OpenpyxlPort, stamp: Stamp | None = None) -> Path:
    """Replace the opened file atomically after copying it to a backup; returns the backup's path. A symbolic
    link is edited through: its target is replaced (the backup goes beside the target). With ``stamp`` (the file
    as it was read), a file changed meanwhile by another program is not replaced (FileChanged)."""
    real = Path(os.path.realpath(port.path))
    if stamp is not None:
        stamp.verify(real)
    backup = atomic_copy(real, backup_path(real))
    port.save(real, overwrite=True, before_replace=None if stamp is None else lambda: stamp.verify(real))
    return backup
