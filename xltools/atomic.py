"""Write outputs safely: into a temporary file beside the target, then an atomic rename; and edit a file in place
only under a lock, refusing when another program changed it meanwhile.

Temporary files and folders are named ``.~<name>.<pid>.<random>`` beside what they become. Every path of a run
removes its own (also Ctrl-C and SIGTERM); a run killed outright (kill -9, a power cut) cannot, so the next run
writing into the same folder removes those whose process is gone (``remove_stale``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from xltools.errors import XltoolsError

LOCK_WAIT_SECONDS = 10.0  # how long an in-place edit waits for another one of the same file before it refuses


class OutputExists(XltoolsError):
    """The output file exists and overwriting was not asked for."""

    def __init__(self, path: str):
        super().__init__(f"{path} 已存在；如需覆盖请加 --overwrite",
                         f"{path} already exists; use --overwrite to replace it")
        self.path = path


class WriteError(XltoolsError):
    """An output could not be written (disk full, no permission…); nothing was left behind, nothing replaced."""

    def __init__(self, path: str | Path, exc: OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        advice_zh, advice_en = _ADVICE.get(exc.errno or 0, _ADVICE[0])
        super().__init__(f"无法写入 {path}（{reason}）：{advice_zh}；原有文件未改动",
                         f"cannot write {path} ({reason}): {advice_en}; nothing was replaced")
        self.path = str(path)


# What to do about a failed write, by errno (0: anything else).
_ADVICE = {
    0: ("请检查磁盘空间和写入权限，或换一个文件夹", "check the free disk space and the permissions"),
    errno.ENOSPC: ("磁盘空间已满：请清理磁盘或换一个磁盘", "the disk is full"),
    errno.EDQUOT: ("磁盘配额已用完：请清理文件或换一个文件夹", "the disk quota is used up"),
    errno.EFBIG: ("文件超过了允许的大小（磁盘已满或有大小限制）：请换一个磁盘", "the file exceeds the allowed size"),
    errno.EACCES: ("没有写入权限：请换一个文件夹，或关闭正在使用这个文件的程序（如 Word、WPS）",
                   "no permission: use another folder, or close the program using the file"),
    errno.EPERM: ("没有写入权限：请换一个文件夹", "no permission: use another folder"),
    errno.EROFS: ("这个磁盘是只读的：请换一个文件夹", "the disk is read-only"),
    errno.ENAMETOOLONG: ("文件名或路径太长：请用 -o 指定一个短一些的文件名",
                         "the name or path is too long: give a shorter -o"),
    errno.ENOTDIR: ("路径中有一部分是文件而不是文件夹", "a part of the path is a file, not a folder"),
    errno.EISDIR: ("这是一个文件夹：请给出文件名", "it is a folder: give a file name"),
}


class FileChanged(XltoolsError):
    """The file edited in place was changed by another program between reading and replacing it."""

    def __init__(self, path: str | Path):
        super().__init__(
            f"{path} 在 xltools 处理期间被其他程序或其他人改动过：为免覆盖对方的修改，没有写入。"
            "请关闭正在编辑它的程序后重新运行",
            f"{path} was changed by another program while xltools worked on it: nothing was written, so that "
            "the other change is kept. Close the other program and run again")


class FileBusy(XltoolsError):
    """Another in-place edit of the same file is running."""

    def __init__(self, path: str | Path):
        super().__init__(
            f"{path} 正在被另一个 xltools 命令修改（等待 {LOCK_WAIT_SECONDS:g} 秒后仍未完成）：请等它结束后再运行",
            f"{path} is being edited by another xltools command (still busy after {LOCK_WAIT_SECONDS:g} s): "
            "run again when it has finished")


def _mode_for(target: Path) -> int:
    """The replaced file's permissions, or what a new file gets under the umask (mkstemp makes 0600)."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# ``temp_prefix`` + the 8 characters tempfile adds (+ the suffix); never LibreOffice's lock files (.~lock.NAME#)
_STALE = re.compile(r"\.~(?!lock\.).*\.([0-9]+)\.[a-z0-9_]{8}(?:\.[A-Za-z0-9]+)?")


def temp_prefix(name: str) -> str:
    """The prefix of this process's temporary files for ``name`` (kept short: the whole name must stay a valid
    file name beside a long one)."""
    return f".~{name[:40]}.{os.getpid()}."


def _gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, run by someone else
        return False
    return False


def remove_stale(folder: str | Path) -> None:
    """Remove the temporary files and folders of xltools runs in ``folder`` whose process no longer exists (left
    by kill -9 or a power cut). Never fails; does nothing on Windows, where a process cannot be probed safely."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            m = _STALE.fullmatch(entry.name)
            if m is None or not _gone(int(m.group(1))):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)


@contextlib.contextmanager
def temp_folder(beside: str | Path) -> Iterator[str]:
    """A temporary folder beside ``beside`` (a file to be written), removed on every path."""
    parent = Path(beside).resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale(parent)
    with tempfile.TemporaryDirectory(prefix=temp_prefix("xltools"), dir=parent) as work:
        yield work


@contextlib.contextmanager
def atomic_output(target: str | Path, overwrite: bool = False,
                  before_replace: Callable[[], None] | None = None) -> Iterator[str]:
    """Yield a temporary path to write; on success it replaces ``target`` in one step. Never leaves a partial
    file behind (also on KeyboardInterrupt) and never overwrites unless asked. ``before_replace`` runs just before
    the rename (it may raise to keep the target as it is)."""
    target = Path(target)
    if target.exists() and not overwrite:
        raise OutputExists(str(target))
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target.parent)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target.stem), suffix=target.suffix, dir=target.parent)
        os.close(fd)
        yield tmp
        os.chmod(tmp, _mode_for(target))
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def atomic_copy(source: str | Path, target: str | Path) -> Path:
    """Copy ``source`` (contents and times) to a new file ``target``, atomically; WriteError when it cannot."""
    try:
        with atomic_output(target) as tmp:
            shutil.copy2(source, tmp)
    except OSError as exc:
        raise WriteError(target, exc) from exc
    return Path(target)


class Stamp(NamedTuple):
    """What a file was when it was read: replacing it is refused when it no longer is."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: str | Path) -> Stamp:
        st = os.stat(path)
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return cls(st.st_size, st.st_mtime_ns, digest.hexdigest())

    def verify(self, path: str | Path) -> None:
        """Raise FileChanged unless ``path`` is still this file."""
        try:
            now = Stamp.of(path)
        except FileNotFoundError:
            raise FileChanged(path) from None
        if now != self:
            raise FileChanged(path)


def lock_path(path: str | Path) -> Path:
    """The lock file of an in-place edit: ``<name>.lock`` beside the (real) file."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def edit_lock(path: str | Path) -> Iterator[None]:
    """Hold the lock for editing ``path`` in place; wait up to LOCK_WAIT_SECONDS for another edit, then raise
    FileBusy. The lock file is removed afterwards."""
    import filelock  # (only in-place edits lock: every other command starts without it)

    lock = filelock.FileLock(lock_path(path), timeout=LOCK_WAIT_SECONDS)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise FileBusy(path) from None
    except OSError as exc:
        raise WriteError(lock_path(path), exc) from exc
    try:
        yield
    finally:
        # removed while still held: a process waiting on it sees the file gone and locks a new one (filelock
        # checks that the file it locked is still linked)
        with contextlib.suppress(OSError):
            os.unlink(lock_path(path))
        lock.release()
