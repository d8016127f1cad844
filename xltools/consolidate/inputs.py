"""The inputs of a batch (``check`` with ``--report``, ``consolidate``): files, folders and glob patterns expanded into
the files they hold, each once, in a stable order. Walking and globbing never follow a link into a folder (no
loops), and a mistyped path is an error."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator

from xltools.checking.check import expand_inputs, skipped_in_folders
from xltools.errors import XltoolsError


class InputsError(XltoolsError):
    """An input path or pattern names nothing (a mistyped path): nothing is read or written."""


def _walk_matches(pattern: str) -> Iterator[str]:
    """The files a glob pattern (``*``, ``?``, ``[…]``, ``**`` for any folders) matches, walking from its fixed
    part down without following links into folders (a link to its own folder cannot make it loop), and only as
    deep as the pattern reaches unless it has ``**``. Hidden files and Office lock files are left out."""
    parts = pattern.replace(os.sep, "/").split("/")
    fixed: list[str] = []
    while parts and not any(ch in parts[0] for ch in "*?["):
        fixed.append(parts.pop(0))
    base = "/".join(fixed) or "."
    if not parts or not os.path.isdir(base):
        return
    deep = "**" in parts
    found = []
    for root, dirs, files in os.walk(base):
        rel = os.path.relpath(root, base)
        depth = 0 if rel == "." else rel.count(os.sep) + 1
        if not deep and depth >= len(parts) - 1:
            dirs[:] = []
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            if skipped_in_folders(f):
                continue
            names = ([] if rel == "." else rel.split(os.sep)) + [f]
            if _match(names, parts):
                found.append(os.path.join(base, *names) if fixed else os.path.join(*names))
    yield from sorted(found)


def _match(names: list[str], parts: list[str]) -> bool:
    """Path components against pattern components, ``**`` standing for any number of folders."""
    if not parts:
        return not names
    if parts[0] == "**":
        return any(_match(names[i:], parts[1:]) for i in range(len(names) + 1))
    return bool(names) and fnmatch.fnmatch(names[0], parts[0]) and _match(names[1:], parts[1:])


def real_paths(paths: Iterable[str]) -> Iterator[str]:
    """``os.path.realpath`` of each path, each folder resolved once (a round lists hundreds of files in a few
    folders; realpath looks at every folder of every path): a path that is itself a link is resolved whole."""
    folders: dict[str, str] = {}
    for path in paths:
        if os.path.islink(path):
            yield os.path.realpath(path)
            continue
        head, tail = os.path.split(os.path.abspath(path))
        real = folders.get(head)
        if real is None:
            real = folders[head] = os.path.realpath(head)
        yield os.path.join(real, tail)


def expand_workbooks(inputs: Iterable[str], leave_out: Iterable[str | os.PathLike[str]] = ()) -> list[str]:
    """Files, folders (recursively) and glob patterns -> the paths of every file they hold (workbooks, and every
    other file, which is then read, imported or listed with its reason), each once, in a stable order; a file
    found in a folder or by a pattern that is one of ``leave_out`` (this run's roster and outputs) is left out.
    Raises InputsError when a path does not exist or a pattern matches nothing (a dangling link or a link loop is
    kept: it is reported as that file's reason)."""
    skip = {os.path.realpath(p) for p in leave_out}

    def kept(paths: list[str], item: str | None = None) -> list[str]:
        if not skip:
            return paths
        return [p for p, real in zip(paths, real_paths(paths), strict=True) if p == item or real not in skip]

    found: list[str] = []
    for item in inputs:
        if os.path.lexists(item):
            found.extend(kept(list(expand_inputs([item])), item))
        elif any(ch in item for ch in "*?["):
            matches = kept(list(_walk_matches(item)))
            if not matches:
                raise InputsError(f"没有与“{item}”匹配的文件：请检查路径和通配符",
                                  f"nothing matches “{item}”: check the path and the pattern")
            found.extend(matches)
        else:
            raise InputsError(f"找不到“{item}”：文件或文件夹不存在，请检查路径（没有读取或写入任何文件）",
                              f"“{item}” does not exist: check the path (nothing was read or written)")
    seen: set[str] = set()
    unique = []
    for p in found:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique
