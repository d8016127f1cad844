"""Build a VBA project (``vbaProject.bin``) from module source text, with pyOpenVBA (the only module importing
it). Used at template build time only; installed users never need it.

pyOpenVBA writes the project as Excel makes one for a first macro (a document module for the workbook and each
sheet) in the source-only shape MS-OVBA asks of writers; Excel compiles the sources when it opens the file. Its
output is deterministic, which keeps the committed template byte-identical on rebuild.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from pyopenvba import ExcelFile, VBAModuleKind


class Module(NamedTuple):
    name: str
    source: str  # as in a .bas/.cls file; line ends are normalised to CRLF
    is_class: bool = False


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def build_project(seed_workbook: str | Path, modules: Sequence[Module]) -> bytes:
    """The vbaProject.bin for ``seed_workbook`` (an .xlsx with the final sheets) holding ``modules``."""
    with tempfile.TemporaryDirectory(prefix="xltools-vba-") as work:
        seed = Path(work) / "seed.xlsm"
        shutil.copyfile(seed_workbook, seed)
        out = Path(work) / "out.xlsm"
        with ExcelFile(str(seed)) as wb:
            project = wb.add_vba_project()
            for m in modules:
                kind = VBAModuleKind.other if m.is_class else VBAModuleKind.standard
                project.add_module(m.name, crlf(m.source), kind=kind)
            wb.save(str(out))
        with zipfile.ZipFile(out) as zf:
            return zf.read("xl/vbaProject.bin")
