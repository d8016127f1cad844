"""The macro-enabled workbook (.xlsm): its buttons, the xlwings settings sheet and its VBA project.

The VBA project holds three modules: ``xltools`` (our button macros, xltools/vba/xltools.bas) and xlwings' own
``xlwings`` module and ``Dictionary`` class, read from the installed xlwings at build time, so that the VBA side
and the Python side of xlwings are always the same version (xlwings refuses to run otherwise). The committed
template is built by ``python -m xltools.macro``; ``xltools new --macro`` reuses its VBA project.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

from xltools.spec import DEFAULT_FORMAT, FormatSpec, load_spec

MACRO_SOURCE = Path(__file__).parent / "vba" / "xltools.bas"
XLWINGS_FILES = (("xlwings", "xlwings.bas", False), ("Dictionary", "addin/Dictionary.cls", True))
CONF_SHEET = "xlwings.conf"
BUTTON_SHEETS = ("封面", "表二", "表三", "表四")
_VERSION = re.compile(r'XLWINGS_VERSION As String = "([^"]+)"')


class Button(NamedTuple):
    macro: str  # the Sub in xltools.bas
    caption: str
    handler: str  # the function in xltools.excel it runs
    tip: str


BUTTONS = (
    Button("XltoolsValidate", "校验", "validate", "检查全部勾稽关系，结果写在“校验结果”工作表"),
    Button("XltoolsFillTotals", "填充合计", "fill_totals", "按分项计算并填写所有合计"),
    Button("XltoolsFlag", "标记问题", "flag", "把有问题的单元格标红（错误）或标黄（警告），并加批注"),
    Button("XltoolsClearFlags", "清除标记", "clear_flags", "恢复被标记单元格原来的底色和批注"),
    Button("XltoolsExport", "导出报告", "export_report", "在工作簿所在文件夹生成 Word（和 PDF）报告"),
)

BUTTON_NOTE = ("按钮需在 Microsoft Excel 中启用宏，",
               "并安装 Python 和 xltools 后使用；",
               "WPS、LibreOffice 中请用 xltools 命令。")

# xlwings reads its settings from a sheet named xlwings.conf: keys in column A from A1 down, values in B.
# An empty value means xlwings' default ("python" found on PATH).
CONF_ROWS: tuple[tuple[str, Any], ...] = (
    ("Interpreter_Win", ""),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("Show Console", False),
)
CONF_HELP = (
    "这是 xlwings 的设置（按钮调用 Python 时使用），一般不需要修改。",
    "Interpreter_Win：Python 程序的完整路径，如 %LOCALAPPDATA%\\Programs\\Python\\Python312\\pythonw.exe；"
    "留空则使用系统 PATH 中的 python。",
    "Conda Path / Conda Env：使用 Anaconda 时填写。Show Console：排查问题时可改为 TRUE。",
    "详见 xltools 文档 docs/excel-setup.md。",
)


class MacroParts(NamedTuple):
    vba_project: bytes | None  # None: a seed workbook for building the project itself


class MacroError(RuntimeError):
    """The macro workbook cannot be built here (xlwings or pyOpenVBA missing); message in Chinese."""


def xlwings_folder() -> Path:
    """The installed xlwings package folder, found without importing xlwings."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise MacroError("未安装 xlwings：pip install 'xltools[excel]'（构建宏模板需要与之匹配的 xlwings）")
    return Path(next(iter(spec.submodule_search_locations)))


def xlwings_vba_version(source: str) -> str:
    m = _VERSION.search(source)
    if not m:
        raise MacroError("xlwings.bas 中没有找到版本号")
    return m.group(1)


def module_sources() -> list[tuple[str, str, bool]]:
    """(module name, source text, is a class) of every module in the project, ours first."""
    folder = xlwings_folder()
    found = [("xltools", MACRO_SOURCE.read_text(encoding="ascii"), False)]
    for name, rel, is_class in XLWINGS_FILES:
        found.append((name, (folder / rel).read_text(encoding="utf-8"), is_class))
    return found


def build_vba_project(spec: FormatSpec) -> bytes:
    """The VBA project built from the sources (needs xlwings and pyOpenVBA, i.e. the test extra)."""
    from xltools.template import write_workbook

    try:
        from xltools.vba_project import Module, build_project
    except ImportError:
        raise MacroError("未安装 pyOpenVBA：pip install -e '.[test]'") from None
    modules = [Module(name, source, is_class) for name, source, is_class in module_sources()]
    with tempfile.TemporaryDirectory(prefix="xltools-macro-") as work:
        seed = str(Path(work) / "seed.xlsx")
        write_workbook(spec, seed, macro=MacroParts(None))
        return build_project(seed, modules)


def shipped_vba_project(format_id: str = DEFAULT_FORMAT) -> bytes:
    """The VBA project of the committed macro template (what ``xltools new --macro`` puts in new workbooks)."""
    from xltools.new import template_path

    with zipfile.ZipFile(template_path(format_id, macro=True)) as zf:
        return zf.read("xl/vbaProject.bin")


def build_template(output: str | Path, format_id: str = DEFAULT_FORMAT) -> Path:
    """Build the blank macro template from the sources (the committed file must equal this)."""
    from xltools.atomic import atomic_output
    from xltools.template import write_workbook

    spec = load_spec(format_id)
    project = build_vba_project(spec)
    with atomic_output(output, overwrite=True) as tmp:
        write_workbook(spec, tmp, macro=MacroParts(project))
    return Path(output)


if __name__ == "__main__":  # python -m xltools.macro workbook_templates/gov-disclosure-2021.xlsm
    target = sys.argv[1] if len(sys.argv) > 1 else f"workbook_templates/{DEFAULT_FORMAT}.xlsm"
    print(build_template(target))
