"""Which format a consolidation is written in, and each unit's numbers in that format, by cell id.

Units of one format version are summed cell id by cell id. Units of different versions are refused, unless the
target format declares how to read the other one (``[import.from_formats."<format id>"]`` in its spec source:
``by_id = true`` takes every cell with the same id, ``cells = {target_id = [source ids…]}`` sums others into a
cell). Numbers are never matched by position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xltools.consolidate.collect import UnitResult, number_index
from xltools.errors import XltoolsError
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec, default_format_id, load_spec

MAX_FILES_SHOWN = 3


class FormatMismatch(XltoolsError):
    """The inputs use format versions that cannot be added up."""


def _mapping(target: FormatSpec, source_id: str) -> dict[str, Any] | None:
    found = target.importing.get("from_formats", {}).get(source_id)
    return found if isinstance(found, dict) else None


def target_format(units: Sequence[UnitResult]) -> FormatSpec:
    """The format to write: the one all units use, or the one that declares how to read every other one.
    Raises FormatMismatch naming the versions and their files."""
    by_format: dict[str, list[UnitResult]] = {}
    for u in units:
        by_format.setdefault(u.format_id, []).append(u)
    if not by_format:
        return load_spec(default_format_id())
    if len(by_format) == 1:
        return load_spec(next(iter(by_format)))
    for candidate in sorted(by_format, key=lambda f: -len(by_format[f])):
        spec = load_spec(candidate)
        if all(f == candidate or _mapping(spec, f) is not None for f in by_format):
            return spec
    parts = []
    for format_id, members in by_format.items():
        files = "、".join(u.file for u in members[:MAX_FILES_SHOWN]) + ("等" if len(members) > MAX_FILES_SHOWN else "")
        parts.append(f"{format_id}（{len(members)} 个：{files}）")
    raise FormatMismatch(
        "这些工作簿使用了不同版本的报告格式，各单元格的含义不同，不能直接相加：" + "；".join(parts)
        + "。请让这些单位用同一版本的官方工作簿（xltools new）重新填报；如两个版本之间有明确的对应关系，"
        "可在新版本的格式规范中声明（见 docs/format.md）。",
        "the workbooks use different report format versions, whose cells cannot be added up: " + "; ".join(parts)
        + ". Have the units refill the same version (xltools new), or declare the mapping in the newer format's spec "
        "(docs/format.md).")


def values_in(unit: UnitResult, spec: FormatSpec) -> Sequence[Number | None]:
    """The unit's numbers for the cells of ``spec``, in the order of ``spec.number_cells`` (None: blank or invalid
    in the unit, or not in its format). A unit of ``spec`` itself is read by cell id through its own format, which
    is ``spec``, so its stored numbers are returned as they are (no copy: 100,000 units are summed this way).
    Raises FormatMismatch when the unit is of another format that ``spec`` does not declare how to read."""
    if unit.format_id == spec.id:
        return unit.values
    mapping = _mapping(spec, unit.format_id)
    if mapping is None:
        raise FormatMismatch(f"{unit.file} 使用报告格式 {unit.format_id}，不能按 {spec.id} 汇总",
                             f"{unit.file} uses format {unit.format_id}, which cannot be added up as {spec.id}")
    explicit: dict[str, list[str]] = mapping.get("cells", {})
    index, numbers = number_index(unit.format_id), unit.numbers()
    out: list[Number | None] = []
    for cell in spec.number_cells:
        sources = explicit.get(cell.id) or ([cell.id] if mapping.get("by_id") else [])
        known = [v for s in sources if (i := index.get(s)) is not None and i < len(numbers)
                 and (v := numbers[i]) is not None]
        out.append(sum(known) if known else None)
    return out
