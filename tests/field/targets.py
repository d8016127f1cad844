"""What the fuzzers call, in-process, and the one promise each keeps whatever the bytes: ``check_file`` never
raises and never calls the file an xltools bug; the JSON document reader and the import reader raise nothing but
XltoolsError. Each target writes the bytes to a file in ``folder`` and raises AssertionError on a broken promise."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from xltools.errors import XltoolsError

GENUINE_BUG = "内部错误"


def _strict(constant: str) -> None:
    raise ValueError(constant)


def check_workbook(data: bytes, folder: Path, suffix: str = ".xlsx") -> None:
    """``check_file`` returns a report (findings or a reason), its JSON is strict and its text renders."""
    from xltools.checking.check import check_file
    from xltools.checking.render import render_report, to_json

    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    report = check_file(path)
    assert report.reason is None or GENUINE_BUG not in report.reason, report.reason
    json.loads(json.dumps(to_json([report]), ensure_ascii=False), parse_constant=_strict)
    render_report(report)


def read_workbook(data: bytes, folder: Path) -> None:
    """The workbook reader raises only XltoolsError (ReadError, LimitError)."""
    from xltools.reading.reader import read_workbook as read

    path = folder / "fuzz.xlsx"
    path.write_bytes(data)
    with contextlib.suppress(XltoolsError):
        read(path)


def read_document(data: bytes, folder: Path) -> None:
    """The JSON report document reader (``new --from``) raises only XltoolsError."""
    from xltools.reading.document import read_document as read

    path = folder / "fuzz.json"
    path.write_bytes(data)
    with contextlib.suppress(XltoolsError):
        read(path)


def read_import(source: tuple[str, bytes], folder: Path) -> None:
    """The import reader raises only XltoolsError, and what it finds is a valid report document."""
    from xltools.extract.importing import read_report

    suffix, data = source
    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    with contextlib.suppress(XltoolsError):
        read_report(path)
