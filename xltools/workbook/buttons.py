"""The workbook buttons, defined once: their captions, the VBA macro each is bound to, the Python handler it runs,
and the settings sheet xlwings reads. The writer places them, the VBA module is generated from them and the
handlers are looked up by them."""

from __future__ import annotations

from typing import Any, NamedTuple

CONF_SHEET = "xlwings.conf"
BUTTON_SHEETS = ("封面", "表二", "表三", "表四")


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
