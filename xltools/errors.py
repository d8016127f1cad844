"""The one error hierarchy: every way xltools can fail to run is an ``XltoolsError`` carrying its exit code and a
message in Chinese (and English). The CLI and the workbook buttons map it in one place each; anything else that
escapes is a bug in xltools and is reported as one.

Findings about a workbook are never errors: ``check`` returns them as data.
"""

from __future__ import annotations


class XltoolsError(Exception):
    """xltools could not do what was asked (exit code 2). ``str(exc)`` is the Chinese message."""

    exit_code = 2

    def __init__(self, zh: str, en: str = ""):
        super().__init__(zh)
        self.zh = zh
        self.en = en or zh

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


class ReadError(XltoolsError):
    """A file could not be read as a report workbook at all. The message is one line."""
