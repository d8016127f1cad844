"""The handlers behind the workbook buttons (called by xlwings ``RunPython`` from the VBA module of buttons.py).

Each handler is one line: take the workbook whose button was pressed, run one action of
``xltools.workbook.actions``, show its message. A clerk never sees a Python traceback: an ``XltoolsError`` shows
its Chinese message, any other failure (a bug) a short Chinese message naming the log file; the details go to that
log (``%LOCALAPPDATA%\\xltools\\logs\\excel.log`` on Windows; the folder can be set with ``XLTOOLS_LOG_DIR``).

A handler never fails silently: when it cannot show its message box (Excel not reachable, the alert fails) it
writes the message to standard error and exits with code 1. xlwings' RunPython redirects standard error to a file
and, when the exit code is not 0, shows that file in its own message box (xlwings.bas: ExecuteWindows); on a Mac
it shows any standard error.
"""

from __future__ import annotations

import contextlib
import locale
import logging
import logging.handlers
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from xltools.errors import XltoolsError, install_command
from xltools.workbook import actions
from xltools.workbook.buttons import BUTTONS, Button

if TYPE_CHECKING:
    from xltools.workbook.port import WorkbookPort
    from xltools.workbook.xlwings_port import XlwingsPort

Action = Callable[["WorkbookPort"], actions.Outcome]
_EXCEL_INSTALL = ("请信息中心用 xltools 离线安装包中的“安装.bat”重新安装"
                  f"（或在命令窗口运行 {install_command('excel', offline=True)}；"
                  f"能上网的电脑：{install_command('excel')}），见 xltools 文档 excel-setup.md")


def clerk_message(exc: Exception) -> str | None:
    """What a clerk can act on, in Chinese; None for a bug in xltools. The one place the buttons map errors."""
    if isinstance(exc, XltoolsError):
        return exc.message("zh")
    if isinstance(exc, PermissionError):
        return f"文件被占用或没有写入权限（{exc}）：如果报告正在 Word 中打开，请先关闭再试。"
    if type(exc).__name__ == "XlwingsError":  # xlwings' own (version mismatch, no workbook…)
        return f"xlwings：{exc}。版本不一致时{_EXCEL_INSTALL}。"
    if isinstance(exc, ModuleNotFoundError):
        return f"缺少 Python 组件（{exc.name or exc}）：{_EXCEL_INSTALL}。"
    return None


def log_dir() -> Path:
    if os.environ.get("XLTOOLS_LOG_DIR"):
        return Path(os.environ["XLTOOLS_LOG_DIR"])
    if sys.platform.startswith("win"):
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "xltools" / "logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / "xltools"
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "xltools"


def _logger() -> logging.Logger:
    """The log file handler for the current log folder (a rotating file, 3 × 1 MB at most)."""
    log = logging.getLogger("xltools.workbook.handlers")
    path = log_dir() / "excel.log"
    current = [h for h in log.handlers if isinstance(h, logging.FileHandler)]
    if current and current[0].baseFilename == str(path.absolute()):
        return log
    for h in current:
        log.removeHandler(h)
        h.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return log


def run(name: str, action: Action, port_factory: Callable[[], XlwingsPort | WorkbookPort]) -> str:
    """Run one button: never raises. Returns the message for the clerk, shown in a message box when the port can
    show one, else written to standard error."""
    return _run(name, action, port_factory)[0]


def press(name: str, action: Action, port_factory: Callable[[], XlwingsPort | WorkbookPort]) -> None:
    """A button pressed in Excel (what the handlers RunPython calls do): ``run``, then, when the message could not be
    shown in a message box, exit with code 1 so that xlwings shows standard error (the message) instead."""
    if not _run(name, action, port_factory)[1]:
        raise SystemExit(1)


def _run(name: str, action: Action, port_factory: Callable[[], XlwingsPort | WorkbookPort]) -> tuple[str, bool]:
    """The message for the clerk, and whether a message box showed it."""
    port = None
    try:
        port = port_factory()
        message = action(port).message
    except Exception as exc:
        try:
            _logger().exception("%s failed", name)
            where = str(log_dir() / "excel.log")
        except OSError:
            where = "（日志无法写入）"
        message = clerk_message(exc) or (
            f"操作未完成：xltools 出现意外错误（{type(exc).__name__}）。工作簿没有被改坏。"
            f"请把日志文件 {where} 发给技术支持。")
    else:
        with contextlib.suppress(OSError):
            _logger().info("%s %s: %s", name, port.source, message)
    shown = _show(port, message)
    if not shown:
        _to_stderr(message)
    return message, shown


def _show(port: object, message: str) -> bool:
    """Show ``message`` in a message box: of the workbook, or of the running Excel when the workbook was not
    reached. False when there is no box to show it in, or showing it failed."""
    alert = getattr(port, "alert", None)
    try:
        if callable(alert):
            alert(message)
            return True
        if port is None and "xlwings" in sys.modules:
            from xltools.workbook.xlwings_port import alert_active

            alert_active(message)
            return True
    except Exception:
        with contextlib.suppress(OSError):
            _logger().exception("could not show the message")
    return False


def _to_stderr(message: str) -> None:
    """Standard error, in the encoding its reader expects. On Windows xlwings reads the redirected standard error
    with VBA's Line Input, that is in the ANSI code page (cp936 on Chinese Windows), also when Python runs in UTF-8
    mode; a console gets its own encoding."""
    stream = sys.stderr
    if stream is None:  # pythonw without a redirection
        return
    with contextlib.suppress(OSError, ValueError):  # nowhere left to say it; the exit code still tells xlwings
        if sys.platform.startswith("win") and not stream.isatty() and hasattr(stream, "buffer"):
            stream.flush()
            stream.buffer.write((message + "\r\n").encode(locale.getencoding(), errors="replace"))
            stream.buffer.flush()
        else:
            print(message, file=stream, flush=True)


def _caller() -> XlwingsPort:
    from xltools.workbook.xlwings_port import caller

    return caller()


def _handler(button: Button) -> Callable[[], None]:
    action: Action = getattr(actions, button.action)

    def handler() -> None:
        press(button.handler, action, _caller)

    handler.__name__ = handler.__qualname__ = button.handler
    handler.__doc__ = button.caption
    return handler


HANDLERS = {b.handler: _handler(b) for b in BUTTONS}


def __getattr__(name: str) -> Callable[[], None]:
    """``h.validate()`` and the other handlers the VBA module calls, one per button of ``BUTTONS``."""
    if name in HANDLERS:
        return HANDLERS[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
