"""Write outputs safely: into a temporary file beside the target, then an atomic rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from xltools.errors import XltoolsError


class OutputExists(XltoolsError):
    """The output file exists and overwriting was not asked for."""

    def __init__(self, path: str):
        super().__init__(f"{path} 已存在；如需覆盖请加 --overwrite",
                         f"{path} already exists; use --overwrite to replace it")
        self.path = path


def _mode_for(target: Path) -> int:
    """The replaced file's permissions, or what a new file gets under the umask (mkstemp makes 0600)."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(target: str | Path, overwrite: bool = False) -> Iterator[str]:
    """Yield a temporary path to write; on success it replaces ``target`` in one step. Never leaves a partial
    file behind and never overwrites unless asked."""
    target = Path(target)
    if target.exists() and not overwrite:
        raise OutputExists(str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~" + target.stem, suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
