"""``new``: write the official report workbook, blank or filled from a JSON document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xltools.atomic import WriteError, atomic_output
from xltools.format.profile import PROFILE_PROPERTY, Profile
from xltools.format.spec import DEFAULT_FORMAT, load_spec
from xltools.reading.document import DocumentError, ReportDocument, parse_document, read_document


def new(output: str | Path, *, unit: str | None = None, year: int | None = None,
        data: str | Path | dict[str, Any] | None = None, overwrite: bool = False,
        format_id: str = DEFAULT_FORMAT, macro: bool = False, profile: Profile | None = None) -> Path:
    """Write a new official workbook to ``output`` (.xlsx; .xlsm with buttons when ``macro``). ``data`` is a JSON
    document (path or dict) to fill it from; ``unit``/``year`` override the document's. Returns the path
    written. ``profile``: the province profile the workbook is made for (recorded in the document property
    ``xltools.profile``; check uses it by default).
    Raises ReadError or DocumentError for the document, OutputExists, and WriteError (naming the output)
    when it cannot be written."""
    from xltools.workbook.shipped import shipped_vba_project
    from xltools.workbook.writer import MacroParts, write_workbook

    output = Path(output)
    suffix = ".xlsm" if macro else ".xlsx"
    if output.suffix.lower() != suffix:
        raise DocumentError([f"输出文件必须以 {suffix} 结尾：{output.name}"
                             + ("（带按钮的工作簿请加 --macro）" if output.suffix.lower() == ".xlsm" else "")])
    doc: ReportDocument | None = None
    if data is not None:
        spec, doc = read_document(data) if not isinstance(data, dict) else parse_document(data)
    else:
        spec = load_spec(format_id)
    if unit is not None or year is not None:
        base = doc or ReportDocument(spec.id)
        doc = ReportDocument(spec.id, unit if unit is not None else base.unit,
                             year if year is not None else base.year, base.meta, base.values, base.texts)
    parts = MacroParts(shipped_vba_project(spec.id)) if macro else None
    if profile is not None and profile.format_id != spec.id:
        raise DocumentError([f"地方规则配置 {profile.name} 适用于格式 {profile.format_id}，不适用于 {spec.id}"])
    properties = {PROFILE_PROPERTY: profile.name} if profile is not None else None
    try:
        with atomic_output(output, overwrite) as tmp:
            write_workbook(spec, tmp, doc, properties=properties, macro=parts)
    except OSError as exc:
        raise WriteError(output, exc) from None
    return output
