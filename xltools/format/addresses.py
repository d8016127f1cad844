"""A1 addresses and sheet references: 'D7' <-> (row, column), '表三'!$D$5 -> (sheet, address). Pure."""

from __future__ import annotations

import re
from functools import lru_cache


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


@lru_cache(maxsize=4096)
def col_letters(index: int) -> str:
    s = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        s = chr(65 + rem) + s
    return s


_ADDR = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


@lru_cache(maxsize=8192)
def parse_address(address: str) -> tuple[int, int]:
    """'D7' -> (6, 3), zero-based (row, column)."""
    m = _ADDR.match(address.upper())
    if not m:
        raise ValueError(address)
    return int(m.group(2)) - 1, col_index(m.group(1))


@lru_cache(maxsize=16384)
def to_address(row: int, col: int) -> str:
    return f"{col_letters(col)}{row + 1}"


def absolute(address: str) -> str:
    """'D7' -> '$D$7'."""
    row, col = parse_address(address)
    return f"${col_letters(col)}${row + 1}"


@lru_cache(maxsize=8192)
def split_ref(text: str) -> tuple[str, str] | None:
    """``'表三'!$D$5`` -> ('表三', 'D5'); None for ranges, #REF! and anything else."""
    if "!" not in text:
        return None
    sheet, _, addr = text.strip().lstrip("=").rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    addr = addr.replace("$", "")
    try:
        parse_address(addr)
    except ValueError:
        return None
    return sheet, addr
