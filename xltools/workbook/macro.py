"""The macro-enabled workbook (.xlsm): its buttons, the xlwings settings sheet and its VBA project.

The VBA project holds three modules: ``xltools`` (our button macros and their pre-flight, generated from the
button definitions in ``xltools.workbook.buttons``) and xlwings' own ``xlwings`` module and ``Dictionary`` class,
read from the installed xlwings at build time, so that the VBA side and the Python side of xlwings are always the
same version (xlwings refuses to run otherwise). The project is source-only ([MS-OVBA]: version 0xFFFF, no
compiled code; see ``xltools.workbook.vba_project``), so Excel compiles it on open. The committed template is
built by ``python -m xltools.workbook.macro``; ``xltools new --macro`` reuses its VBA project.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
from pathlib import Path

from xltools.errors import XltoolsError
from xltools.format.spec import DEFAULT_FORMAT, FormatSpec, load_spec
from xltools.workbook.buttons import VBA_MODULE, XLWINGS_FUNCTIONS, vba_module
from xltools.workbook.writer import MacroParts, write_workbook

XLWINGS_FILES = (("xlwings", "xlwings.bas", False), ("Dictionary", "addin/Dictionary.cls", True))
_VERSION = re.compile(r'XLWINGS_VERSION As String = "([^"]+)"')


class MacroError(XltoolsError):
    """The macro workbook cannot be built here (xlwings or pyOpenVBA missing); message in Chinese."""


def xlwings_folder() -> Path:
    """The installed xlwings package folder, found without importing xlwings."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise MacroError("未安装 xlwings：pip install 'xltools-zfxxgk[excel]'（构建宏模板需要与之匹配的 xlwings）")
    return Path(next(iter(spec.submodule_search_locations)))


def xlwings_vba_version(source: str) -> str:
    m = _VERSION.search(source)
    if not m:
        raise MacroError("xlwings.bas 中没有找到版本号")
    return m.group(1)


def module_sources() -> list[tuple[str, str, bool]]:
    """(module name, source text, is a class) of every module in the project, ours first."""
    folder = xlwings_folder()
    found = [(VBA_MODULE, vba_module(), False)]
    for name, rel, is_class in XLWINGS_FILES:
        found.append((name, (folder / rel).read_text(encoding="utf-8"), is_class))
    missing = missing_xlwings_functions(found[1][1])
    if missing:
        raise MacroError(f"xlwings.bas 中没有按钮预检要调用的函数：{', '.join(missing)}"
                         "（xlwings 升级后需要改 buttons.py）")
    return found


def missing_xlwings_functions(xlwings_bas: str) -> list[str]:
    """The functions of xlwings.bas our module calls (``XLWINGS_FUNCTIONS``) that ``xlwings_bas`` does not define
    as public: VBA would find the gap only when Excel compiles the project."""
    defined = set(re.findall(r"^(?:Public )?Function (\w+)\(", xlwings_bas, re.MULTILINE))
    return [f for f in XLWINGS_FUNCTIONS if f not in defined]


def build_vba_project(spec: FormatSpec) -> bytes:
    """The VBA project built from the sources (needs xlwings and pyOpenVBA, i.e. the test extra)."""
    try:
        from xltools.workbook.vba_project import Module, build_project
    except ImportError:
        raise MacroError("未安装 pyOpenVBA：pip install -e '.[dev]'") from None
    modules = [Module(name, source, is_class) for name, source, is_class in module_sources()]
    with tempfile.TemporaryDirectory(prefix="xltools-macro-") as work:
        seed = str(Path(work) / "seed.xlsx")
        write_workbook(spec, seed, macro=MacroParts(None))
        return build_project(seed, modules)


def build_template(output: str | Path, format_id: str = DEFAULT_FORMAT) -> Path:
    """Build the blank macro template from the sources (the committed file must equal this)."""
    from xltools.atomic import atomic_output
    spec = load_spec(format_id)
    project = build_vba_project(spec)
    with atomic_output(output, overwrite=True) as tmp:
        write_workbook(spec, tmp, macro=MacroParts(project))
    return Path(output)


if __name__ == "__main__":  # python -m xltools.workbook.macro workbook_templates/gov-disclosure-2021.xlsm
    target = sys.argv[1] if len(sys.argv) > 1 else f"workbook_templates/{DEFAULT_FORMAT}.xlsm"
    print(build_template(target))
