"""``dump``: the JSON document of a filled workbook (what ``new --from`` reads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xltools.format.spec import load_spec
from xltools.reading.document import document_from_values
from xltools.reading.values import parse_values


def dump(path: str | Path) -> dict[str, Any]:
    """Read a workbook and return its report document. Raises ReadError when it is not a report workbook.
    Blank and invalid cells are left out (``check`` reports them)."""
    from xltools.reading.reader import read_workbook

    raw = read_workbook(path)
    spec = load_spec(raw.format_id)
    values, _ = parse_values(spec, raw)
    return document_from_values(spec, values)._replace(explanations=raw.explanations).to_json()
