"""Write outputs safely: into a temporary file beside the target, then an atomic rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class OutputExists(FileExistsError):
    pass


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
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
