"""The one error hierarchy: every way xltools can fail to run is an ``XltoolsError`` carrying its exit code and a
message in Chinese (and English). The CLI (``xltools.cli.app``) and the workbook buttons
(``xltools.workbook.handlers``) map it in one place each; anything else that escapes is a bug in xltools and is
reported as one.

Findings about a workbook are never errors: ``check`` returns them as data.

Optional parts of xltools are installed as extras of the distribution ``xltools-zfxxgk``; ``require`` turns a
missing one into an error that says what to install.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

DISTRIBUTION = "xltools-zfxxgk"  # the name on PyPI and of the wheel; the import package and the command are xltools
OFFLINE_FOLDER = "离线安装包"  # the folder of wheels IT copies to PCs without internet (docs/install.md)
REPORT_TO = "请把这条信息和所用文件发给 xltools 维护者 / report this to the xltools maintainers"
# What each extra is for, in the words of the error that asks for it.
EXTRAS = {
    "export": ("导出 Word/PDF 报告", "exporting Word/PDF reports"),
    "import": ("导入 PDF 报告", "importing PDF reports"),
    "excel": ("Excel 按钮", "the Excel buttons"),
    "portal": ("报送平台", "the submission portal"),
}
# pip's name where it is not the module's
PACKAGES = {"docx": "python-docx", "pdfminer": "pdfminer.six", "django": "Django"}


class XltoolsError(Exception):
    """xltools could not do what was asked (exit code 2). ``str(exc)`` is the Chinese message."""

    exit_code = 2

    def __init__(self, zh: str, en: str = ""):
        super().__init__(zh)
        self.zh = zh
        self.en = en or zh

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def __reduce__(self) -> tuple[Any, ...]:
        # subclasses take other arguments than (zh, en): rebuild from the state, so errors cross process pools
        return _rebuild, (type(self), self.zh, dict(self.__dict__))


def _rebuild(cls: type[XltoolsError], zh: str, state: dict[str, Any]) -> XltoolsError:
    error = cls.__new__(cls)
    Exception.__init__(error, zh)
    error.__dict__.update(state)
    return error


class ReadError(XltoolsError):
    """A file could not be read as a report workbook at all. The message is one line."""


class MissingComponent(XltoolsError):
    """An optional library is not installed: the message names the extra that brings it."""

    def __init__(self, module: str, extra: str):
        task_zh, task_en = EXTRAS.get(extra, (extra, extra))
        install = install_command(extra)
        package = PACKAGES.get(module, module)
        super().__init__(
            f"缺少 Python 组件 {package}：{task_zh}需要安装 xltools 的 {extra} 部分：{install}"
            f"（没有网络的电脑用离线安装包：{install_command(extra, offline=True)}，见 docs/install.md）",
            f"the Python package {package} is missing: {task_en} needs the {extra} extra: {install} "
            f"(offline: {install_command(extra, offline=True)}; see docs/install.md)")
        self.module = module
        self.extra = extra


def install_command(extra: str | None = None, offline: bool = False) -> str:
    """The pip command that installs xltools (with ``extra``), from the registry or from the offline folder."""
    target = f'"{DISTRIBUTION}[{extra}]"' if extra else DISTRIBUTION
    return f"pip install --no-index --find-links {OFFLINE_FOLDER} {target}" if offline else f"pip install {target}"


def require(module: str, extra: str, error: type[XltoolsError] | None = None) -> None:
    """Import ``module`` (an optional library) or raise ``MissingComponent`` saying which extra to install; with
    ``error``, an error of that type with the same message (for callers that report it per file)."""
    try:
        importlib.import_module(module)
    except ImportError:
        missing = MissingComponent(module, extra)
        if error is None:
            raise missing from None
        raise error(missing.zh, missing.en) from None


def debugging() -> bool:
    """``xltools --debug`` (or ``XLTOOLS_DEBUG=1``): let unexpected exceptions through with their traceback."""
    return os.environ.get("XLTOOLS_DEBUG", "").strip().lower() not in ("", "0", "false", "no", "off")
