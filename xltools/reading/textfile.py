"""Text files as offices write them: UTF-8 (with or without the BOM Excel and Notepad add), else GBK/GB18030,
which Chinese Windows still uses for "save as CSV" and plain text."""

from __future__ import annotations

ENCODINGS = ("utf-8-sig", "gb18030")


def decode_text(raw: bytes) -> str | None:
    """The text of ``raw``, or None when it is neither UTF-8 nor GB18030."""
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
