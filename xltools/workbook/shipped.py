"""The blank workbooks shipped with xltools (inside the wheel, or in the source tree) and the VBA project of the
committed macro template."""

from __future__ import annotations

import zipfile
from pathlib import Path

from xltools.format.spec import DEFAULT_FORMAT

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = (PACKAGE / "workbook_templates", PACKAGE.parent / "workbook_templates")  # the wheel, the source tree


def template_path(format_id: str = DEFAULT_FORMAT, macro: bool = False) -> Path:
    """The shipped blank workbook of a format (inside the wheel, or in the source tree); the .xlsm with ``macro``."""
    name = f"{format_id}.xlsm" if macro else f"{format_id}.xlsx"
    for folder in TEMPLATE_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)



def shipped_vba_project(format_id: str = DEFAULT_FORMAT) -> bytes:
    """The VBA project of the committed macro template (what ``xltools new --macro`` puts in new workbooks)."""
    with zipfile.ZipFile(template_path(format_id, macro=True)) as zf:
        return zf.read("xl/vbaProject.bin")


