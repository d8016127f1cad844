"""Editing workbooks as units send them (issue 12): merged cells, formulas with cached results, text that looks
like a formula or holds control characters, concurrent in-place edits, links, failing writes, a stray cell at the
last row. Every test builds its bad input here and runs this checkout's command (or its API)."""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import clean_document, run, write_doc, xltools_command, xltools_env

from xltools.atomic import FileBusy, FileChanged, atomic_output, edit_lock
from xltools.checking.check import read_and_check
from xltools.format.spec import load_spec
from xltools.workbook import actions
from xltools.workbook.actions import FLAG_COLOURS, RESULTS_SHEET, annotate, fill_totals, total_definitions
from xltools.workbook.headless import edit_file
from xltools.workbook.openpyxl_port import MergedCellError, OpenpyxlPort

SPEC = load_spec()
TOTALS = total_definitions(SPEC)


def where(cell_id: str) -> tuple[str, str]:
    c = SPEC.cell(cell_id)
    return c.sheet, c.address


def edit(book: Path, changes: dict[str, Any], out: Path | None = None, merge: str | None = None,
         sheet: str = "表三") -> Path:
    """Change cells (by cell id or "sheet!A1") with openpyxl, as a clerk's program might."""
    wb = openpyxl.load_workbook(book)
    for key, value in changes.items():
        s, a = key.split("!") if "!" in key else where(key)
        wb[s][a].value = value
    if merge:
        wb[sheet].merge_cells(merge)
    wb.save(out or book)
    return out or book


def no_crash(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "请报告" not in result.stderr and "内部错误" not in result.stderr, \
        result.stderr


# --- 1. merged cells ------------------------------------------------------------------------------------------


def test_merged_total_is_not_filled_and_flags_go_to_the_merge(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T3.r_granted.total"] += 7  # a wrong total, then hidden under a merge with the cell left of it
    book = write_doc(doc, tmp_path)
    sheet, total = where("T3.r_granted.total")
    left = SPEC.cell("T3.r_granted.other_org").address
    edit(book, {}, merge=f"{left}:{total}")

    filled = run("fill", book, "-o", tmp_path / "filled.xlsx")
    no_crash(filled)
    assert filled.returncode in (0, 1) and f"{sheet}!{total} 被合并，未填写" in filled.stdout
    assert run("fill", book, "--in-place").returncode in (0, 1)

    flagged = tmp_path / "flagged.xlsx"
    result = run("check", book, "--annotate", flagged)
    no_crash(result)
    assert result.returncode == 1 and flagged.exists()
    wb = openpyxl.load_workbook(flagged)
    anchor = wb[sheet][left]
    assert anchor.fill.fgColor.rgb.endswith(FLAG_COLOURS["error"]) and "【xltools】" in anchor.comment.text
    cleared = run("clear-flags", flagged, "-o", tmp_path / "cleared.xlsx")
    no_crash(cleared)
    assert openpyxl.load_workbook(tmp_path / "cleared.xlsx")[sheet][left].comment is None


def test_the_port_refuses_a_value_under_a_merge(tmp_path: Path) -> None:
    book = edit(write_doc(clean_document(), tmp_path), {}, merge="D7:E7")
    port = OpenpyxlPort(book)
    with pytest.raises(MergedCellError, match="合并"):
        port.set_value("表三", "E7", 1)
    port.set_note("表三", "E7", "x")
    assert port.note("表三", "D7") == "x"


# --- 2. formulas keep their cached results ----------------------------------------------------------------------


def libreoffice_resave(books: list[Path], folder: Path) -> list[Path]:
    """Open the books in LibreOffice and save them as .xlsx: formulas with their calculated results, as Excel does."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is required"
    out = folder / "lo"
    subprocess.run([soffice, f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), *map(str, books)], check=True,
                   capture_output=True, timeout=180)
    return [out / b.name for b in books]


def cached(book: Path, cell_id: str) -> Any:
    s, a = where(cell_id)
    return openpyxl.load_workbook(book, data_only=True)[s][a].value


def formula(book: Path, cell_id: str) -> Any:
    s, a = where(cell_id)
    return openpyxl.load_workbook(book)[s][a].value


def test_formulas_keep_their_results_through_every_edit(tmp_path: Path) -> None:
    doc = clean_document()
    parts = [SPEC.cell(p).address for p in TOTALS["T3.r_granted.total"]]
    clean = write_doc(doc, tmp_path, "clean")
    edit(clean, {"T3.r_granted.total": f"=SUM({parts[0]}:{parts[-1]})"})
    blank = write_doc(doc, tmp_path, "blank")
    edit(blank, {"T3.r_granted.total": f"=SUM({parts[0]}:{parts[-1]})", "T3.r_total.total": None,
                 "T4.review.total": "=A5+B5"})  # a blank total and a wrong formula total
    clean, blank = libreoffice_resave([clean, blank], tmp_path)
    expected = doc["values"]["T3.r_granted.total"]
    assert cached(clean, "T3.r_granted.total") == expected
    assert run("check", clean).returncode == 0

    outputs = []
    for name, args in [("annotated", ("check", clean, "--annotate")), ("filled", ("fill", clean, "-o"))]:
        out = tmp_path / f"{name}.xlsx"
        result = run(*args, out)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(out)
    cleared = tmp_path / "cleared.xlsx"
    assert run("clear-flags", outputs[0], "-o", cleared).returncode == 0
    outputs.append(cleared)
    in_place = shutil.copy(clean, tmp_path / "inplace.xlsx")
    assert run("fill", in_place, "--in-place").returncode == 0
    assert run("check", in_place, "--in-place").returncode == 0
    assert run("clear-flags", in_place, "--in-place").returncode == 0
    outputs.append(Path(in_place))
    for out in outputs:
        check = run("check", out)
        assert check.returncode == 0, f"{out.name}: {check.stdout}"
        assert "VALUE_FORMULA_NO_CACHE" not in check.stdout
        assert str(formula(out, "T3.r_granted.total")).startswith("=SUM("), out.name
        assert cached(out, "T3.r_granted.total") == expected, out.name

    result = run("fill", blank, "-o", tmp_path / "blank-filled.xlsx")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"表四!{where('T4.review.total')[1]}" in result.stdout and "已改为数值" in result.stdout
    filled = tmp_path / "blank-filled.xlsx"
    assert cached(filled, "T3.r_total.total") == doc["values"]["T3.r_total.total"]
    assert formula(filled, "T4.review.total") == doc["values"]["T4.review.total"], "the wrong formula is replaced"
    assert str(formula(filled, "T3.r_granted.total")).startswith("=SUM(")
    assert cached(filled, "T3.r_granted.total") == expected


# --- 3. text is written as text ---------------------------------------------------------------------------------


def test_annotate_writes_formula_like_and_control_character_text_inertly(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path)
    wb = openpyxl.load_workbook(book)
    s, a = where("T4.review.upheld")
    wb[s][a].value = '=HYPERLINK("http://example.invalid","点我")'
    wb[s][a].data_type = "s"  # typed as text (a text-formatted cell, or a leading apostrophe)
    s2, a2 = where("T4.review.corrected")
    wb[s2][a2].value = "若干_x0007__x000B_项"  # Excel's escapes: the reader sees U+0007 and U+000B
    wb.save(book)
    out = tmp_path / "annotated.xlsx"
    result = run("check", book, "--annotate", out)
    no_crash(result)
    assert result.returncode == 1 and out.exists()
    with zipfile.ZipFile(out) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any(re.search(r"<f>[^<]*example\.invalid", x) for x in sheets), "no live formula is written"
    assert any("example.invalid" in x for x in sheets), "the clerk's text is kept (as text)"
    wb = openpyxl.load_workbook(out)
    texts = [c.value for row in wb[RESULTS_SHEET].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("=HYPERLINK") for t in texts)
    assert all(c.data_type != "f" for row in wb[RESULTS_SHEET].iter_rows() for c in row)
    assert not any("\x07" in t or "\x0b" in t for t in texts)

    port = OpenpyxlPort(book)  # consolidation's annotated copies: a title from the unit name
    report, _ = read_and_check(book)
    annotate(port, report, title='=HYPERLINK("http://example.invalid")\x01单位')
    port.set_note(s, a, "备注\x0c=1+1")
    port.save(tmp_path / "copy.xlsx")
    copy = openpyxl.load_workbook(tmp_path / "copy.xlsx")
    title = copy[RESULTS_SHEET]["A1"]
    assert title.data_type == "s" and title.value == '=HYPERLINK("http://example.invalid")单位'


# --- 4. in-place edits: lock, change detection, links ------------------------------------------------------------


def test_concurrent_in_place_edits_lose_nothing(tmp_path: Path) -> None:
    doc = clean_document()
    total = doc["values"].pop("T3.r_total.total")
    doc["values"]["T4.review.upheld"] += 1  # an error, so the annotation has something to flag
    book = write_doc(doc, tmp_path)
    env = xltools_env()
    procs = [subprocess.Popen(xltools_command(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for args in (("fill", book, "--in-place"), ("check", book, "--in-place"))]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, _, err in results:
        assert code in (0, 1) or (code == 2 and "正在被另一个 xltools 命令修改" in err), err
        assert "Traceback" not in err
    wb = openpyxl.load_workbook(book)
    fill_ok, check_ok = (r[0] != 2 for r in results)
    if fill_ok:
        s, a = where("T3.r_total.total")
        assert wb[s][a].value == total
    if check_ok:
        assert RESULTS_SHEET in wb.sheetnames
    assert not list(tmp_path.glob("*.lock")) and not list(tmp_path.glob(".~*"))


def test_a_busy_file_is_refused_and_a_changed_file_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = write_doc(clean_document(), tmp_path)
    monkeypatch.setattr("xltools.atomic.LOCK_WAIT_SECONDS", 0.2)
    with edit_lock(book), pytest.raises(FileBusy, match="正在被另一个"):
        edit_file(book, lambda port, _: fill_totals(port), "x", in_place=True)

    other = b"another program saved this"

    def meanwhile(port: OpenpyxlPort, _: Any) -> actions.Outcome:
        outcome = fill_totals(port)
        book.write_bytes(other)  # e.g. Excel saves the file while xltools works on it
        return outcome

    with pytest.raises(FileChanged, match="被其他程序"):
        edit_file(book, meanwhile, "x", in_place=True)
    assert book.read_bytes() == other
    assert not list(tmp_path.glob("*.lock")) and not list(tmp_path.glob(".~*"))


def test_in_place_through_a_link_replaces_the_target(tmp_path: Path) -> None:
    doc = clean_document()
    total = doc["values"].pop("T3.r_total.total")
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    book = write_doc(doc, real_dir)
    before = book.read_bytes()
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    result = run("fill", link, "--in-place")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and link.resolve() == book.resolve()
    assert formula(book, "T3.r_total.total") == total
    backups = list(real_dir.glob("report-备份-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert not list(tmp_path.glob("*备份*"))


# --- 5. outputs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["hard", "symbolic"])
def test_the_output_is_never_the_input(tmp_path: Path, kind: str) -> None:
    book = write_doc(clean_document(), tmp_path)
    before = book.read_bytes()
    other = tmp_path / "other.xlsx"
    if kind == "hard":
        os.link(book, other)
    else:
        other.symlink_to(book)
    for cmd in (("fill", book, "-o", other, "--overwrite"), ("check", book, "--annotate", other, "--overwrite")):
        result = run(*cmd)
        assert result.returncode == 2 and "就是原文件" in result.stderr, result.stderr
    assert book.read_bytes() == before


def _small_files(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.parametrize("in_place", [False, True])
def test_a_failing_write_leaves_nothing_and_names_the_file(tmp_path: Path, in_place: bool) -> None:
    doc = clean_document()
    doc["values"].pop("T3.r_total.total")
    book = write_doc(doc, tmp_path)
    before = book.read_bytes()
    out = tmp_path / "out.xlsx"
    args = ("fill", book, "--in-place") if in_place else ("fill", book, "-o", out)
    result = subprocess.run(xltools_command(*args), env=xltools_env(), capture_output=True, text=True, timeout=120,
                            preexec_fn=lambda: _small_files(4096))  # "disk full": writes fail with EFBIG
    assert result.returncode == 2, result.stderr
    assert "无法写入" in result.stderr and ("备份" in result.stderr if in_place else str(out) in result.stderr)
    assert "Exception ignored" not in result.stderr and "Traceback" not in result.stderr
    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.xlsx"]


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as tmp:
        Path(tmp).write_bytes(b"partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


# --- 6. a stray cell at the last row ----------------------------------------------------------------------------


def test_fill_of_a_sheet_with_a_million_rows_is_quick(tmp_path: Path) -> None:
    doc = clean_document()
    total = doc["values"].pop("T3.r_total.total")
    book = edit(write_doc(doc, tmp_path), {"表三!A1048576": "x"})
    start = time.monotonic()
    result = run("fill", book, "-o", tmp_path / "out.xlsx")
    no_crash(result)
    assert result.returncode in (0, 1) and time.monotonic() - start < 20
    s, a = where("T3.r_total.total")
    assert openpyxl.load_workbook(tmp_path / "out.xlsx")[s][a].value == total


# --- 7. messages ----------------------------------------------------------------------------------------------


def test_fill_says_why_a_part_is_unusable_in_the_words_of_its_caller(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T4.review.upheld"] = -1
    book = write_doc(doc, tmp_path)
    result = run("fill", book, "-o", tmp_path / "out.xlsx")
    no_crash(result)
    s, a = where("T4.review.upheld")
    assert f"分项 {s}!{a} 是负数 -1" in result.stdout and "不是数字：" not in result.stdout
    assert "运行 xltools check" in result.stdout and "点“校验”" not in result.stdout
    button = fill_totals(OpenpyxlPort(book)).message  # the button keeps its own wording
    assert "点“校验”" in button and "xltools check" not in button


def test_a_workbook_storing_too_many_cells_is_refused_before_loading(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from xltools.limits import LimitError

    book = write_doc(clean_document(), tmp_path)
    monkeypatch.setenv("XLTOOLS_LIMITS", "edit_cells=100")
    with pytest.raises(LimitError, match="超过 100 个"):
        OpenpyxlPort(book)
    result = run("fill", book, "-o", tmp_path / "out.xlsx")  # the subprocess inherits XLTOOLS_LIMITS
    assert result.returncode == 2 and "edit_cells" in result.stderr and not (tmp_path / "out.xlsx").exists()


def test_a_workbook_over_the_file_size_limit_is_refused_before_it_is_read(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from xltools.limits import LimitError

    book = write_doc(clean_document(), tmp_path)
    monkeypatch.setenv("XLTOOLS_LIMITS", "file_mb=0.001")
    with pytest.raises(LimitError, match="file_mb"):
        OpenpyxlPort(book)


def test_a_part_the_check_never_reads_is_still_bounded_before_openpyxl_loads_it(tmp_path: Path) -> None:
    """openpyxl reads every part (the check reads only the sheets it needs): a picture compressed like a zip bomb
    is refused by the editing commands before loading, and the check is untouched by it."""
    import zipfile

    book = write_doc(clean_document(), tmp_path)
    bombed = tmp_path / "bombed.xlsx"
    with zipfile.ZipFile(book) as z, zipfile.ZipFile(bombed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            out.writestr(info, z.read(info))
        out.writestr("xl/media/image1.png", b"\0" * 3_000_000)  # about 1000× compressed
    assert run("check", book).returncode == run("check", bombed).returncode
    for command in (["fill", bombed, "-o", tmp_path / "f.xlsx"], ["clear-flags", bombed, "-o", tmp_path / "c.xlsx"],
                    ["check", bombed, "--annotate", tmp_path / "a.xlsx"]):
        result = run(*command)
        assert result.returncode == 2 and "xl/media/image1.png" in result.stderr and "ratio" in result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bombed.xlsx", "report.json", "report.xlsx"]
