"""The limits every reader works within, so that no input — careless or hostile — can take unbounded memory or
time: a file that breaks one is refused with a message that names the limit (exit code 2, or 无法读取 with the
reason inside a batch), and the rest of a batch goes on.

Defaults suit every real report (the largest real workbook is well under 1 MB); a server admin can change any of
them with the environment variable ``XLTOOLS_LIMITS``, e.g. ``XLTOOLS_LIMITS="file_mb=100,seconds=120"``
(docs/limits.md lists them all).
"""

import os
from functools import cache
from typing import NamedTuple

from xltools.errors import ReadError, XltoolsError

ENV = "XLTOOLS_LIMITS"


class Limits(NamedTuple):
    """Each limit with its unit in the name; see docs/limits.md for what each one guards against."""

    file_mb: float = 50  # any input file (workbook, roster, import source, JSON document)
    part_mb: float = 64  # one uncompressed part of a workbook or .docx that is read (sheet XML, shared strings…)
    total_mb: float = 256  # all uncompressed parts read from one workbook or .docx together
    ratio: float = 200  # uncompressed / compressed size of one part (a normal sheet compresses 5–30×)
    margin_rows: int = 60  # rows read below the last row the format uses (to see shifted tables)
    margin_cols: int = 20  # columns read right of the last column the format uses
    merged_cells: int = 100_000  # cells covered by all merged ranges of one sheet
    table_span: int = 200  # rowspan/colspan of one HTML or .docx table cell
    table_cells: int = 200_000  # cells of all tables of one imported document
    text_chars: int = 200_000  # characters of one text section (正文) or imported text
    json_depth: int = 64  # nesting of a JSON report document
    number_digits: int = 30  # digits of a number typed as text
    seconds: float = 60  # wall time for one file in a batch (check DIR, consolidate)
    edit_cells: int = 300_000  # cells stored in a workbook that fill, check --annotate or clear-flags may open

    @property
    def file_bytes(self) -> int:
        return int(self.file_mb * 1024 * 1024)

    @property
    def part_bytes(self) -> int:
        return int(self.part_mb * 1024 * 1024)

    @property
    def total_bytes(self) -> int:
        return int(self.total_mb * 1024 * 1024)


class LimitError(ReadError):
    """An input breaks a limit: it cannot be read (exit code 2; inside a batch, 无法读取 with this reason)."""


class LimitsSettingError(XltoolsError):
    """``XLTOOLS_LIMITS`` itself is malformed (exit code 2)."""


def parse_limits(text: str) -> Limits:
    """``"file_mb=100, seconds=120"`` -> Limits (unnamed limits keep their defaults). Raises LimitsSettingError."""
    fields = Limits.__annotations__
    values: dict[str, float | int] = {}
    for item in filter(None, (part.strip() for part in text.replace(";", ",").split(","))):
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or name not in fields:
            known = "、".join(fields)
            raise LimitsSettingError(f"{ENV} 中的“{item}”无法识别：应为 名称=数值，名称是 {known} 之一",
                             f"{ENV}: cannot use “{item}”: expected name=value with a name out of {known}")
        try:
            number: float | int = int(raw) if fields[name] is int else float(raw)
        except ValueError:
            number = -1
        if not number > 0 or number != number or number == float("inf"):
            raise LimitsSettingError(f"{ENV} 中 {name} 的值“{raw.strip()}”不是正数",
                             f"{ENV}: the value of {name} “{raw.strip()}” is not a positive number")
        values[name] = number
    return Limits(**values)  # type: ignore[arg-type]


@cache
def _from_env(text: str) -> Limits:
    return parse_limits(text)


def limits() -> Limits:
    """The limits in force: the defaults changed by ``XLTOOLS_LIMITS``. Raises LimitsSettingError if malformed."""
    return _from_env(os.environ.get(ENV, ""))


def check_file_size(path: str | os.PathLike[str], what: str = "文件") -> int:
    """The size of a regular file within ``file_mb``; raises LimitError otherwise (OSError when it cannot be
    read)."""
    size = os.stat(path).st_size
    limit = limits()
    if size > limit.file_bytes:
        raise LimitError(
            f"{what}太大（{size / 1048576:.1f} MB，上限 {limit.file_mb:g} MB）：年度报告的文件通常小于 1 MB，"
            f"请确认文件是否正确（上限可由 {ENV}=file_mb=… 调整）",
            f"the file is too large ({size / 1048576:.1f} MB, limit {limit.file_mb:g} MB; see {ENV})")
    return size
