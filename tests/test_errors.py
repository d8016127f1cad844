"""The one error hierarchy and its two mappings: every command turns an XltoolsError into one line and exit code 2,
a bug into a bug report (never a bare traceback unless --debug), and the workbook buttons into a Chinese message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NoReturn

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLE_JSON, EXAMPLE_XLSX, REPO

from xltools import __version__
from xltools.atomic import OutputExists
from xltools.cli import cli
from xltools.consolidate.consolidation import ConsolidateError
from xltools.consolidate.roster import RosterError
from xltools.errors import MissingComponent, ReadError, XltoolsError, require
from xltools.extract.lines import SourceError
from xltools.publish.export import ExportError
from xltools.publish.pdf import PdfError
from xltools.reading.document import DocumentError
from xltools.workbook import handlers
from xltools.workbook.macro import MacroError


def _checkout_env() -> dict[str, str]:
    """A subprocess that runs this checkout's code (the repository first on PYTHONPATH)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


def _invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def _raiser(exc: BaseException) -> Any:
    def fail(*_: object, **__: object) -> NoReturn:
        raise exc

    return fail


# Each command with the library function it calls first (replaced by one that raises).
COMMANDS: list[tuple[tuple[str, ...], str, str]] = [
    (("check", str(EXAMPLE_XLSX)), "xltools.checking.check", "check"),
    (("check", str(EXAMPLE_XLSX), "--annotate", "{tmp}/a.xlsx"), "xltools.workbook.headless", "edit_file"),
    (("new", "-o", "{tmp}/n.xlsx"), "xltools.workbook.new", "new"),
    (("dump", str(EXAMPLE_XLSX)), "xltools.reading.dump", "dump"),
    (("rules",), "xltools.checking.catalogue", "rules_markdown"),
    (("export", str(EXAMPLE_XLSX), "-o", "{tmp}/r.docx"), "xltools.publish.export", "export"),
    (("import", str(EXAMPLE_JSON)), "xltools.extract.importing", "expand_sources"),
    (("consolidate", "{tmp}", "-o", "{tmp}/c.xlsx", "--unit", "某市", "--year", "2024"),
     "xltools.consolidate.consolidation", "consolidate"),
    (("fill", str(EXAMPLE_XLSX), "-o", "{tmp}/f.xlsx"), "xltools.workbook.headless", "edit_file"),
    (("clear-flags", str(EXAMPLE_XLSX), "-o", "{tmp}/c.xlsx"), "xltools.workbook.headless", "edit_file"),
]
IDS = [" ".join(args[:3]) for args, _, _ in COMMANDS]


def _args(args: tuple[str, ...], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in args]


def test_every_could_not_run_error_is_an_xltools_error() -> None:
    for kind in (ReadError, DocumentError, ExportError, PdfError, ConsolidateError, RosterError, SourceError,
                 MacroError, OutputExists, MissingComponent):
        assert issubclass(kind, XltoolsError), kind
    exists = OutputExists("报告.xlsx")
    assert str(exists) == "报告.xlsx 已存在；如需覆盖请加 --overwrite"
    assert exists.message("en") == "报告.xlsx already exists; use --overwrite to replace it"


@pytest.mark.parametrize(("args", "module", "name"), COMMANDS, ids=IDS)
def test_every_command_maps_an_xltools_error_to_one_line_and_exit_2(
        args: tuple[str, ...], module: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{module}.{name}", _raiser(XltoolsError("做不到：原因", "cannot: the reason")))
    result = _invoke(*_args(args, tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stderr == "xltools: 做不到：原因\n"


@pytest.mark.parametrize(("args", "module", "name"), COMMANDS, ids=IDS)
def test_every_command_reports_a_bug_as_a_bug(args: tuple[str, ...], module: str, name: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{module}.{name}", _raiser(RuntimeError("boom")))
    result = _invoke(*_args(args, tmp_path))
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    err = result.stderr
    assert err.startswith("xltools: 内部错误：这是 xltools 的缺陷") and "this is a bug in xltools" in err
    assert "RuntimeError: boom" in err and f"xltools {__version__}" in err
    assert "发给 xltools 维护者" in err and "report this to the xltools maintainers" in err and "--debug" in err
    assert "Traceback" not in result.output + err


def test_os_errors_are_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("xltools.workbook.headless.edit_file",
                        _raiser(PermissionError(13, "Permission denied", "报告.xlsx")))
    result = _invoke("fill", EXAMPLE_XLSX, "-o", tmp_path / "f.xlsx")
    assert result.exit_code == 2
    assert result.stderr == "xltools: 无法读写文件 报告.xlsx：Permission denied / cannot read or write a file\n"


def test_errors_follow_lang_en(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("xltools.publish.export.export", _raiser(XltoolsError("做不到", "cannot")))
    assert _invoke("export", EXAMPLE_XLSX, "--lang", "en").stderr == "xltools: cannot\n"
    (tmp_path / "out.xlsx").write_bytes(b"")
    result = _invoke("check", EXAMPLE_XLSX, "--lang", "en", "--annotate", tmp_path / "out.xlsx")
    assert result.exit_code == 2 and result.stderr == f"xltools: {tmp_path / 'out.xlsx'} already exists; use " \
                                                      "--overwrite to replace it\n"
    result = _invoke("check", EXAMPLE_XLSX, "--annotate", tmp_path / "out.xlsx")
    assert result.stderr == f"xltools: {tmp_path / 'out.xlsx'} 已存在；如需覆盖请加 --overwrite\n"


def test_debug_lets_the_traceback_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLTOOLS_DEBUG", raising=False)
    monkeypatch.setattr("xltools.reading.dump.dump", _raiser(RuntimeError("boom")))
    result = _invoke("--debug", "dump", EXAMPLE_XLSX)
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "boom"
    assert "XLTOOLS_DEBUG" not in os.environ  # put back after the command
    # as a user sees it: the full traceback on stderr
    code = ("import sys, xltools.reading.dump as d\n"
            "def boom(*a, **k): raise RuntimeError('boom')\n"
            "d.dump = boom\n"
            "from xltools.cli import main\n"
            "sys.argv = ['xltools', *sys.argv[1:]]\n"
            "main()\n")
    plain = subprocess.run([sys.executable, "-c", code, "dump", str(EXAMPLE_XLSX)], capture_output=True, text=True,
                           env=_checkout_env(), timeout=60)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr and "RuntimeError: boom" in plain.stderr
    debug = subprocess.run([sys.executable, "-c", code, "--debug", "dump", str(EXAMPLE_XLSX)], capture_output=True,
                           text=True, env=_checkout_env(), timeout=60)
    assert debug.returncode != 0 and "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().endswith("RuntimeError: boom") and "内部错误" not in debug.stderr


def test_a_bug_while_checking_is_not_called_a_damaged_file_and_the_batch_goes_on(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XLTOOLS_DEBUG", raising=False)
    monkeypatch.setattr("xltools.checking.check.check_raw", _raiser(RuntimeError("boom")))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    result = _invoke("check", EXAMPLE_XLSX, bad)
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    bug = next(line for line in lines if line.startswith(str(EXAMPLE_XLSX)))
    assert "xltools 内部错误，不是文件的问题（RuntimeError: boom）" in bug and "缺陷" in bug and "维护者" in bug
    assert "损坏" not in bug
    assert any(line.startswith(str(bad)) and "不是 Excel 工作簿" in line for line in lines)  # the batch went on
    monkeypatch.setattr("xltools.reading.reader.read_workbook", _raiser(KeyError("oops")))
    assert "xltools 内部错误，不是文件的问题（KeyError: 'oops'）" in _invoke("check", EXAMPLE_XLSX).stdout
    debug = _invoke("--debug", "check", EXAMPLE_XLSX)
    assert isinstance(debug.exception, KeyError)


def test_a_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(MissingComponent) as caught:
        require("xltools_no_such_module", "export")
    assert 'pip install "xltools-zfxxgk[export]"' in str(caught.value)
    assert 'pip install --no-index --find-links 离线安装包 "xltools-zfxxgk[export]"' in str(caught.value)
    with pytest.raises(SourceError, match=r"xltools-zfxxgk\[import\]"):
        require("xltools_no_such_module", "import", SourceError)
    monkeypatch.setitem(sys.modules, "docx", None)  # python-docx not installed
    result = _invoke("export", EXAMPLE_XLSX, "--force", "-o", tmp_path / "r.docx")
    assert result.exit_code == 2 and not (tmp_path / "r.docx").exists()
    assert result.stderr.startswith("xltools: 缺少 Python 组件 python-docx：导出 Word/PDF 报告需要安装")
    assert 'pip install "xltools-zfxxgk[export]"' in result.stderr and result.stderr.count("\n") == 1
    english = _invoke("export", EXAMPLE_XLSX, "--force", "-o", tmp_path / "r.docx", "--lang", "en").stderr
    assert english.startswith("xltools: the Python package python-docx is missing: exporting Word/PDF reports")


def test_a_pdf_without_the_import_extra_is_one_failed_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pdfplumber", None)
    pdf = tmp_path / "报告.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    result = _invoke("import", pdf)
    assert result.exit_code == 2
    assert 'pip install "xltools-zfxxgk[import]"' in result.stdout and "意外错误" not in result.stdout


def test_the_buttons_show_the_chinese_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XLTOOLS_LOG_DIR", str(tmp_path / "logs"))
    shown: list[str] = []
    port = SimpleNamespace(alert=shown.append, source="x.xlsm")
    for exc, expected in [
        (ReadError("这不是政府信息公开年度报告工作簿", "not a report workbook"), "这不是政府信息公开年度报告工作簿"),
        (PdfError("未找到 LibreOffice，无法生成 PDF"), "未找到 LibreOffice，无法生成 PDF"),
        (MissingComponent("docx", "export"), 'pip install "xltools-zfxxgk[export]"'),
    ]:
        message = handlers.run("export_report", _raiser(exc), lambda: port)
        assert expected in message and shown[-1] == message
        assert "意外错误" not in message and "Traceback" not in message
    missing = handlers.run("validate", _raiser(ModuleNotFoundError("No module named 'xlwings'", name="xlwings")),
                           lambda: port)
    assert "缺少 Python 组件（xlwings）" in missing and 'pip install "xltools-zfxxgk[excel]"' in missing
    bug = handlers.run("validate", _raiser(RuntimeError("boom")), lambda: port)
    assert "意外错误（RuntimeError）" in bug and "excel.log" in bug
