"""The per-PC set-up step of the offline bundle (``scripts/bundle/安装.bat`` and its twins run it with the Python
they installed): point the Excel buttons at that Python, then check that what the buttons need imports.

    python -m xltools.workbook.pc_setup [--conf PATH] [--interpreter PATH]

The buttons run Python through xlwings' ``RunPython``, which takes the interpreter from the workbook's
``xlwings.conf`` sheet, else from the workbook's folder, else from the per-user file this step writes (the layers of
``GetConfig`` in ``xlwings.bas``). The per-user file is where xlwings itself puts it (``GetConfigFilePath`` in
``xlwings.bas``, ``xlwings.USER_CONFIG_FILE`` on the Python side):

- Windows: ``%USERPROFILE%\\.xlwings\\xlwings.conf``, key ``INTERPRETER_WIN`` = the venv's ``pythonw.exe`` (no console
  window);
- macOS: ``~/Library/Containers/com.microsoft.Excel/Data/xlwings.conf`` (Excel's sandbox; xlwings reads no other
  per-user file there), key ``INTERPRETER_MAC`` = the venv's ``python``;
- elsewhere (Linux): ``~/.xlwings/xlwings.conf``, key ``INTERPRETER`` = the venv's ``python``. No Excel runs there;
  ``INTERPRETER`` is xlwings' platform-neutral key, the one ``xlwings.bas`` falls back to when the platform's own
  key is empty, so the file means the same thing wherever it is read.

The format is what VBA's ``Write #`` writes and ``Input #`` reads back in ``GetConfigFromFile`` (and what
``xlwings.utils.read_user_config`` reads): one ``"KEY","VALUE"`` line per setting, keys compared without case, in
the ANSI code page on Windows (both readers open the file with the system's default encoding, cp936 on a Chinese
Windows), CRLF line ends there. Every other line already in the file is kept as it is; blank lines are dropped
(``Input #`` would read across them, and xlwings' own writer drops them too). A value cannot hold a ``"``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import io
import locale
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from xltools import __version__
from xltools.atomic import atomic_output
from xltools.errors import DISTRIBUTION

# What the buttons import: xlwings itself (on Windows it loads pywin32 too) and python-docx for 导出报告.
BUTTON_MODULES = ("xlwings", "docx")
_FIRST_FIELD = re.compile(r'^\s*"([^"]*)"')
_PIN = re.compile(r"^xlwings\s*==\s*([0-9][^\s;,]*)", re.I)


class SetupFailed(Exception):
    """The set-up could not be completed; the message (Chinese) says why and what to do."""


def interpreter_key(platform: str = sys.platform) -> str:
    if platform == "win32":
        return "INTERPRETER_WIN"
    if platform == "darwin":
        return "INTERPRETER_MAC"
    return "INTERPRETER"


def conf_path(platform: str = sys.platform, env: Mapping[str, str] = os.environ) -> Path:
    """Where xlwings reads the per-user settings on this platform."""
    if platform == "win32":
        profile = env.get("USERPROFILE") or str(Path.home())  # xlwings.bas: Environ("USERPROFILE")
        return Path(profile) / ".xlwings" / "xlwings.conf"
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    return home / ".xlwings" / "xlwings.conf"


def default_interpreter(platform: str = sys.platform, executable: str = sys.executable) -> Path:
    """The Python the buttons should run: this one, as ``pythonw.exe`` on Windows when it is there."""
    python = Path(executable).absolute()
    if platform == "win32" and (windowless := python.with_name("pythonw.exe")).is_file():
        return windowless
    return python


def conf_encoding(platform: str = sys.platform) -> str:
    """The encoding both readers use: VBA reads ANSI, Python's ``open()`` the locale's encoding (also ANSI)."""
    return locale.getpreferredencoding(False) if platform == "win32" else "utf-8"


def conf_value(interpreter: Path, platform: str = sys.platform, env: Mapping[str, str] = os.environ) -> str:
    """The interpreter as written: its path, or on Windows, when the path cannot be written in the ANSI code page
    (a user name in another script), with ``%LOCALAPPDATA%``/``%USERPROFILE%`` in place of its start; both readers
    expand environment variables (WScript's ExpandEnvironmentStrings, ``os.path.expandvars``)."""
    value = str(interpreter)
    encoding = conf_encoding(platform)
    if platform == "win32" and not _encodable(value, encoding):
        for var in ("LOCALAPPDATA", "USERPROFILE"):
            base = env.get(var, "").rstrip("\\/")
            if base and value.lower().startswith(base.lower() + "\\"):
                value = f"%{var}%" + value[len(base):]
                break
    if '"' in value or not _encodable(value, encoding):
        raise SetupFailed(f"Python 的路径 {interpreter} 不能写进 xlwings 设置文件（含有引号或本机编码 {encoding} "
                          "不能表示的字符）：请把安装位置换到只含英文字母和数字的文件夹（安装程序的 /prefix 参数）")
    return value


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def updated_conf(text: str, key: str, value: str, newline: str) -> str:
    """The file's text with ``key`` set to ``value``: every other non-blank line kept as it is, the key's own lines
    (any case) replaced by one line at the end."""
    kept = [line for line in text.splitlines()
            if line.strip() and not ((m := _FIRST_FIELD.match(line)) and m.group(1).lower() == key.lower())]
    return "".join(line + newline for line in [*kept, f'"{key}","{value}"'])


def write_conf(conf: Path, key: str, value: str, platform: str = sys.platform) -> None:
    """Set ``key`` in the per-user file, atomically; bytes the encoding cannot decode are kept as they were."""
    encoding = conf_encoding(platform)
    try:
        old = conf.read_bytes().decode(encoding, "surrogateescape") if conf.is_file() else ""
        text = updated_conf(old, key, value, "\r\n" if platform == "win32" else "\n")
        with atomic_output(conf, overwrite=True) as tmp:
            Path(tmp).write_bytes(text.encode(encoding, "surrogateescape"))
    except OSError as exc:
        raise SetupFailed(f"无法写入 xlwings 设置文件 {conf}（{exc.strerror or exc}）：请检查这个文件夹的写入权限，"
                          "或关闭正在使用这个文件的程序后重新运行安装程序") from exc


def pinned_xlwings() -> str | None:
    """The xlwings version the installed xltools requires (its ``excel`` extra), or None when not installed."""
    try:
        requires = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return next((m.group(1) for r in requires if (m := _PIN.match(r))), None)


def check_button_modules() -> str:
    """Import what the buttons need; the xlwings version, or SetupFailed saying what is wrong."""
    versions: dict[str, str] = {}
    for name in BUTTON_MODULES:
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # an import can fail in many ways (a missing DLL of pywin32, a broken wheel)
            raise SetupFailed(f"Excel 按钮需要的组件 {name} 无法加载（{type(exc).__name__}: {exc}）："
                              "请重新运行安装程序；仍然失败时把安装日志发给技术支持") from exc
        versions[name] = str(getattr(module, "__version__", "?"))
    version = versions["xlwings"]
    pinned = pinned_xlwings()
    if pinned is not None and version != pinned:
        raise SetupFailed(f"xlwings 的版本是 {version}，但工作簿中的宏需要 {pinned}：请用离线安装包重新安装，"
                          "不要单独升级 xlwings")
    return version


def setup(conf: Path, interpreter: Path, platform: str = sys.platform) -> str:
    """Write the setting and check the installation; the success line."""
    if not interpreter.is_file():
        raise SetupFailed(f"找不到 Python：{interpreter}")
    key = interpreter_key(platform)
    write_conf(conf, key, conf_value(interpreter, platform), platform)
    print(f"已设置 Excel 按钮使用的 Python：{interpreter}（{conf} 中的 {key}）")
    version = check_button_modules()
    return f"安装成功，版本 {__version__}（xlwings {version}）"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xltools.workbook.pc_setup",
        description="为这台电脑的 Excel 按钮设置 Python（写入本用户的 xlwings.conf），并检查安装是否完整。")
    parser.add_argument("--conf", type=Path, default=None,
                        help=f"xlwings 设置文件（默认 {conf_path()}）")
    parser.add_argument("--interpreter", type=Path, default=None,
                        help=f"按钮使用的 Python（默认 {default_interpreter()}）")
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):  # a deployment tool's pipe in the ANSI code page: never a crash
        sys.stdout.reconfigure(errors="replace")
    conf = args.conf or conf_path()
    interpreter = (args.interpreter.absolute() if args.interpreter else default_interpreter())
    try:
        print(setup(conf, interpreter))
    except SetupFailed as exc:
        print(f"安装未完成：{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
