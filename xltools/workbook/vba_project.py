"""Build a VBA project (``vbaProject.bin``) from module source text, with pyOpenVBA (the only module importing
it). Used at template build time only; installed users never need it.

The project has the shape [MS-OVBA] asks of a writer, so that every Office version compiles it from source:

- the ``_VBA_PROJECT`` stream is the 7-byte header ``CC 61 FF FF 00 01 00`` (version 0xFFFF, no performance
  cache; 2.3.4.1 and the example in 3.1.1);
- every module stream holds only its compressed source (MODULEOFFSET 0, no compiled code);
- there are no ``__SRP_*`` streams;
- the dir stream ends with its Terminator and Reserved field (2.3.4.2), as Excel writes it.

pyOpenVBA makes the project as Excel makes one for a first macro (a document module for the workbook and each
sheet) from an Excel-saved template, whose ``_VBA_PROJECT`` declares Excel's own version and whose ``ThisWorkbook``
and ``Sheet1`` streams start with compiled code. So the document modules it keeps from the template are written
again from their source (which rewrites their streams at offset 0 and the dir stream with them), and the
``_VBA_PROJECT`` stream is replaced by the header when the compound file is written again (pyOpenVBA's CFB writer
lays the file out anew, so a stream can shrink); the dir stream loses the 4 zero bytes pyOpenVBA's dir writer adds
after the Reserved field. The output is deterministic, which keeps the committed template byte-identical on
rebuild.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from pyopenvba import ExcelFile, VBAModuleKind
from pyopenvba.cfb import CFB
from pyopenvba.vba import compress, decompress

SOURCE_ONLY_HEADER = bytes.fromhex("CC61FFFF000100")  # Reserved1 0x61CC, Version 0xFFFF, Reserved2 0, Reserved3 1
PROJECT_ENTRY = "xl/vbaProject.bin"
DIR_TERMINATOR, PROJECT_VERSION = 0x0010, 0x0009  # record ids; PROJECTVERSION's Size field is not its length


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
            compiled = [m.name for m in project.modules if m.text_offset]
            for m in modules:
                kind = VBAModuleKind.other if m.is_class else VBAModuleKind.standard
                project.add_module(m.name, crlf(m.source), kind=kind)
            for name in compiled:  # the same source, written again: the stream then holds only the source
                wb.set_module(name, wb.get_module(name))
            wb.save(str(out))
        with zipfile.ZipFile(out) as zf:
            return source_only(zf.read(PROJECT_ENTRY))


def source_only(project: bytes) -> bytes:
    """``project`` with the source-only ``_VBA_PROJECT`` stream, the dir stream ending at its end and without
    ``__SRP_*`` streams."""
    cfb = CFB.from_bytes(project)
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", SOURCE_ONLY_HEADER)
    raw = decompress(cfb.get_stream_in_storage("VBA", "dir"))
    cfb.write_stream_in_storage("VBA", "dir", compress(raw[:dir_stream_end(raw)]))
    cfb.drop_streams_in_storage("VBA", lambda name: name.startswith("__SRP_"))
    return bytes(cfb.to_bytes())


def dir_stream_end(raw: bytes) -> int:
    """Where a decompressed dir stream ends: after the Terminator record (Id 0x0010, then a reserved 0 in the place
    of a Size), [MS-OVBA] 2.3.4.2."""
    at = 0
    while at + 6 <= len(raw):
        rid, size = struct.unpack_from("<HI", raw, at)
        if rid == DIR_TERMINATOR:
            return at + 6
        at += 6 + (6 if rid == PROJECT_VERSION else size)
    raise ValueError("dir stream without its Terminator")
