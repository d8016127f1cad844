"""The buttons' headless twins on files: ``fill``, ``check --annotate`` and ``clear-flags``.

The input is never modified unless asked (``in_place``); then it is copied to a backup first and replaced in one
step. Outputs keep the input's kind (.xlsm stays .xlsm, with its macros and buttons).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from xltools.checking.check import CheckReport, read_and_check
from xltools.errors import ReadError
from xltools.workbook.actions import Outcome
from xltools.workbook.port import WorkbookPort


class Edited(NamedTuple):
    outcome: Outcome
    output: Path
    backup: Path | None  # the copy of the original, when edited in place
    report: CheckReport  # the check of the workbook as written


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
    if target.resolve() == source.resolve():
        raise ReadError("输出文件就是原文件：如确要直接修改原文件，请用 --in-place（会先备份）")
    return target


def edit_file(source: str | os.PathLike[str], action: Callable[[WorkbookPort, CheckReport], Outcome], label: str,
              *, output: str | Path | None = None, in_place: bool = False, overwrite: bool = False,
              changes_values: bool = False, today: dt.date | None = None) -> Edited:
    """Check ``source``, run a button action on it (given that check), write the result. The check of what was
    written is the same one unless the action ``changes_values``. Raises ReadError (could not run), OutputExists
    and OSError."""
    from xltools.workbook.openpyxl_port import OpenpyxlPort, save_in_place

    src = Path(source)
    first, raw = read_and_check(src, today)
    if raw is None:
        raise ReadError(f"{src}：{first.reason}")
    target = _target(src, output, in_place, label)
    port = OpenpyxlPort(src)
    outcome = action(port, first)
    backup = None
    if in_place:
        backup = save_in_place(port)
    else:
        port.save(target, overwrite)
    report = read_and_check(target, today)[0] if changes_values else first._replace(file=str(target))
    return Edited(outcome, target, backup, report)
