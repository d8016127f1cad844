"""Text as every output can hold it. Clerks paste from Word: its manual line break (U+000B), page break (U+000C)
and other control characters are invisible in Excel but not allowed in Word (.docx) or XML at all, and a PDF prints
them as boxes. Readers count them (``control_chars``: the check warns at the cell); every writer passes text
through ``clean_text`` so that they never reach a file.
"""

from __future__ import annotations

import re

# C0 controls except tab and line feed, DEL, C1 controls, lone surrogates and the two non-characters XML forbids
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # line and paragraph breaks of other programs
NAMES = {"\x0b": "手动换行符 U+000B", "\x0c": "分页符 U+000C", "\x00": "空字符 U+0000"}


def control_chars(text: str) -> list[str]:
    """The control characters in ``text`` a clerk should remove (tab, line feed and carriage return are fine)."""
    return [ch for ch in _CONTROL.findall(text) if ch != "\r"]


def describe(ch: str) -> str:
    """A control character as a clerk can be told about it: "手动换行符 U+000B"."""
    return NAMES.get(ch, f"控制字符 U+{ord(ch):04X}")


def clean_text(text: str) -> str:
    """Line and paragraph breaks of other programs become "\\n"; other control characters are dropped."""
    return _CONTROL.sub("", _BREAKS.sub("\n", text))
