"""Field-ready batches (issue 12): one bad file never stops ``check DIR``, ``check --report`` or ``consolidate``;
paths that are not regular files, link loops and mistyped paths; all-or-nothing outputs of ``consolidate``;
outputs that would overwrite inputs or existing files; rosters; Ctrl-C; numbers that cannot be added."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import department, process_alive, xltools_command, xltools_env

from xltools.consolidate.collect import UnitResult
from xltools.consolidate.consolidation import sum_values
from xltools.consolidate.decide import decide
from xltools.consolidate.roster import RosterEntry
from xltools.format.spec import load_spec

YEAR = "2024"


def xltools(*args: str | Path, limits: str = "", env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``run`` with ``XLTOOLS_LIMITS`` set (limits lowered to build bombs small)."""
    full = {**xltools_env(), **(env or {}), **({"XLTOOLS_LIMITS": limits} if limits else {})}
    return subprocess.run(xltools_command(*args), capture_output=True, text=True, env=full, cwd=cwd, timeout=120)


def consolidate(*args: str | Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    return xltools("consolidate", *args, "--unit", "××市", "--year", YEAR, **kw)


def status_rows(book: Path) -> dict[str, tuple[str, str]]:
    """File name -> (状态, 说明) in 报送情况."""
    rows = list(openpyxl.load_workbook(book, read_only=True)["报送情况"].iter_rows(values_only=True))[1:]
    return {Path(str(r[5])).name if r[5] else str(r[0]): (str(r[4]), str(r[6] or "")) for r in rows}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith(".~"))


# ---------------------------------------------------------------- 1. one bad file never stops a batch
# (the pool itself: tests/test_batch_pool.py)


def test_check_dir_reads_in_workers_and_says_the_same_as_in_one_process(tmp_path: Path) -> None:
    department(tmp_path, "市教育局")
    department(tmp_path, "市民政局", error=True)
    pooled = xltools("check", tmp_path, "--jobs", "2")
    one_by_one = [xltools("check", f).stdout for f in sorted(tmp_path.glob("*.xlsx"))]
    assert pooled.returncode == 1, pooled.stderr
    assert pooled.stdout.startswith("".join(one_by_one))
    assert "共检查 2 个文件：1 个通过，1 个未通过" in pooled.stdout


# ---------------------------------------------------------------- 2. paths


@pytest.fixture()
def odd_inbox(tmp_path: Path) -> Path:
    """A good department, a FIFO named like a workbook, a link loop, a dangling link, a link to its own folder."""
    inbox = tmp_path / "inbox"
    department(inbox, "市教育局")
    os.mkfifo(inbox / "管道.xlsx")
    os.symlink("环b.xlsx", inbox / "环a.xlsx")
    os.symlink("环a.xlsx", inbox / "环b.xlsx")
    os.symlink("不存在.xlsx", inbox / "失效.xlsx")
    os.symlink(".", inbox / "自己")
    return inbox


def test_pipes_link_loops_and_dangling_links_are_listed_not_hung_or_crashed_on(tmp_path: Path,
                                                                                odd_inbox: Path) -> None:
    out = tmp_path / "全市.xlsx"
    result = consolidate(odd_inbox, "-o", out)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    rows = status_rows(out)
    assert rows["市教育局.xlsx"][0] == "已汇总"
    assert rows["管道.xlsx"] == ("无法读取", rows["管道.xlsx"][1]) and "不是普通文件" in rows["管道.xlsx"][1]
    assert "符号链接循环" in rows["环a.xlsx"][1] and "符号链接循环" in rows["环b.xlsx"][1]
    assert "链接指向的文件不存在" in rows["失效.xlsx"][1]
    checked = xltools("check", odd_inbox)
    assert checked.returncode == 2 and "不是普通文件" in checked.stdout and "Traceback" not in checked.stderr


def test_a_recursive_glob_through_a_link_to_its_own_folder_ends(tmp_path: Path, odd_inbox: Path) -> None:
    out = tmp_path / "全市.xlsx"
    result = consolidate(str(odd_inbox / "**" / "*.xlsx"), "-o", out)
    assert result.returncode == 1, result.stderr
    assert set(status_rows(out)) == {"市教育局.xlsx", "管道.xlsx", "环a.xlsx", "环b.xlsx", "失效.xlsx"}


@pytest.mark.parametrize("missing", ["不存在的文件夹", "报送/*.xlsx"])
def test_a_mistyped_path_is_an_error_and_nothing_is_written(tmp_path: Path, missing: str) -> None:
    department(tmp_path / "inbox", "市教育局")
    result = consolidate(tmp_path / "inbox", missing, "-o", "全市.xlsx", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert missing.split("/")[0] in result.stderr
    assert not (tmp_path / "全市.xlsx").exists() and not (tmp_path / "全市-汇总情况.html").exists()
    page = xltools("check", tmp_path / "inbox", missing, "--report", "page.html", cwd=tmp_path)
    assert page.returncode == 2 and not (tmp_path / "page.html").exists()


# ---------------------------------------------------------------- 3. --annotate-dir: all or nothing


def test_copies_only_for_units_to_fix_with_distinct_names_and_a_unit_openpyxl_refuses_is_listed(
        tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    department(inbox / "教育", "市教育局", name="报告", error=True)
    department(inbox / "民政", "市民政局", name="报告", error=True)
    department(inbox, "市财政局")  # passes: nothing to send back
    styles = department(inbox, "市交通局", error=True)  # styles openpyxl cannot read; the reader does not care
    _rewrite_part(styles, "xl/styles.xml", lambda d: d.replace(b'numFmtId="', b'numFmtId="x', 1))
    back = tmp_path / "退回"
    out = tmp_path / "全市.xlsx"
    result = consolidate(inbox, "-o", out, "--annotate-dir", back)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert sorted(p.name for p in back.iterdir()) == ["教育-报告-校验结果.xlsx", "民政-报告-校验结果.xlsx"]
    assert "未生成退回文件" in result.stdout and "市交通局.xlsx" in result.stdout
    assert out.exists() and leftovers(tmp_path) == []
    again = consolidate(inbox, "-o", out, "--annotate-dir", back)  # refused before anything is read or written
    assert again.returncode == 2 and "已存在" in again.stderr and "--overwrite" in again.stderr
    assert consolidate(inbox, "-o", out, "--annotate-dir", back, "--overwrite").returncode == 1


def test_a_copy_target_in_the_way_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    department(inbox, "市教育局", error=True)
    back = tmp_path / "退回"
    back.mkdir()
    (back / "市教育局-校验结果.xlsx").write_bytes(b"an older copy")
    out = tmp_path / "全市.xlsx"
    result = consolidate(inbox, "-o", out, "--annotate-dir", back)
    assert result.returncode == 2 and "市教育局-校验结果.xlsx 已存在" in result.stderr
    assert not out.exists() and not (tmp_path / "全市-汇总情况.html").exists()


def test_when_one_output_cannot_be_put_in_place_the_others_are_not_either(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    department(inbox, "市教育局")
    (tmp_path / "全市-汇总情况.html").mkdir()  # the page cannot replace a folder
    out = tmp_path / "全市.xlsx"
    result = consolidate(inbox, "-o", out, "--overwrite")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def _rewrite_part(book: Path, part: str, change: Any) -> None:
    import zipfile

    data = {i.filename: (i, zipfile.ZipFile(book).read(i.filename)) for i in zipfile.ZipFile(book).infolist()}
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for name, (info, content) in data.items():
            z.writestr(info, change(content) if name == part else content)


# ---------------------------------------------------------------- 4. outputs


def test_check_report_does_not_replace_a_page_unless_asked(tmp_path: Path) -> None:
    department(tmp_path / "inbox", "市教育局")
    page = tmp_path / "page.html"
    page.write_text("mine", encoding="utf-8")
    refused = xltools("check", tmp_path / "inbox", "--report", page)
    assert refused.returncode == 2 and "已存在" in refused.stderr and page.read_text(encoding="utf-8") == "mine"
    replaced = xltools("check", tmp_path / "inbox", "--report", page, "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert "市教育局" in page.read_text(encoding="utf-8")


def test_the_output_can_never_be_one_of_the_inputs(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    own = department(inbox, "市教育局")
    department(inbox, "市民政局")
    before = own.read_bytes()
    result = consolidate(inbox, "-o", own, "--overwrite")
    assert result.returncode == 2 and "就是输入文件" in result.stderr
    assert own.read_bytes() == before
    page = xltools("check", inbox, "--report", inbox / "x.html")
    assert page.returncode == 0  # a new file beside the inputs is fine


@pytest.mark.parametrize("way", ["through a linked folder", "a hard link under another name"])
def test_the_output_is_known_as_an_input_whatever_path_names_it(tmp_path: Path, way: str) -> None:
    inbox = tmp_path / "inbox"
    own = department(inbox, "市教育局")
    department(inbox, "市民政局")
    before = own.read_bytes()
    if way == "through a linked folder":
        (tmp_path / "link").symlink_to(inbox, target_is_directory=True)
        output = tmp_path / "link" / own.name
    else:
        output = tmp_path / "city.xlsx"
        os.link(own, output)
    result = consolidate(inbox, "-o", output, "--overwrite")
    assert result.returncode == 2 and "就是输入文件" in result.stderr, result.stderr
    assert own.read_bytes() == before


# ---------------------------------------------------------------- 5. rosters


def _roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "名单.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_code_listed_twice_is_refused(tmp_path: Path) -> None:
    department(tmp_path / "inbox", "市教育局")
    roster = _roster(tmp_path, "单位名称,代码\n市教育局,113208000000000001\n市民政局,113208000000000001\n")
    result = consolidate(tmp_path / "inbox", "-o", tmp_path / "全市.xlsx", "--roster", roster)
    assert result.returncode == 2 and "代码 113208000000000001 与第 2 行重复" in result.stderr
    assert not (tmp_path / "全市.xlsx").exists()


def test_a_huge_csv_field_or_file_is_a_clear_message(tmp_path: Path) -> None:
    department(tmp_path / "inbox", "市教育局")
    roster = _roster(tmp_path, "单位名称,代码\n市教育局," + "9" * 200_000 + "\n")
    result = consolidate(tmp_path / "inbox", "-o", tmp_path / "全市.xlsx", "--roster", roster)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "名单 名单.csv 第 2 行无法读取" in result.stderr
    small = _roster(tmp_path, "单位名称,代码\n市教育局,1\n")
    too_big = consolidate(tmp_path / "inbox", "-o", tmp_path / "全市.xlsx", "--roster", small,
                          limits="file_mb=0.00001")
    assert too_big.returncode == 2 and "名单文件太大" in too_big.stderr


def _unit(file: str, unit: str, code: str = "") -> UnitResult:
    return UnitResult(file, file, None, unit, code, "部门", int(YEAR))


def test_roster_matching_by_code_or_name_never_shows_a_counted_unit_as_missing() -> None:
    roster = [RosterEntry("市教育局（本级）", "11320800000000000X"), RosterEntry("市民政局", "410100"),
              RosterEntry("市财政局", "113208000000000003")]
    units = [_unit("a", "市教育局", "11320800000000000x"),  # name differs slightly, code matches (letter case)
             _unit("b", "市民政局", "410100.0"),  # code as Excel stores a number
             _unit("c", "市财政局", "113208000000000099")]  # name matches, code mistyped
    entries = decide(units, int(YEAR), roster=roster)
    assert [e.status for e in entries] == ["included", "included", "included"]
    assert [e.roster.unit for e in entries if e.roster] == ["市教育局（本级）", "市民政局", "市财政局"]


def test_a_code_of_another_roster_unit_is_not_counted_as_that_unit() -> None:
    roster = [RosterEntry("市教育局", "C1"), RosterEntry("市民政局", "C2")]
    entries = decide([_unit("a", "市教育局", "C2")], int(YEAR), roster=roster)
    by_status = {e.status: e for e in entries}
    assert by_status["not_on_roster"].result is not None and "市民政局" in by_status["not_on_roster"].reason
    assert [e.roster.unit for e in entries if e.status == "missing" and e.roster] == ["市民政局"]


# ---------------------------------------------------------------- 6. Ctrl-C and SIGTERM


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found



@pytest.mark.parametrize(("sig", "code", "said"), [(signal.SIGINT, 130, "已中断"), (signal.SIGTERM, 143, "已终止")])
def test_an_interrupted_consolidation_exits_130_and_leaves_nothing_behind(tmp_path: Path, sig: int, code: int,
                                                                          said: str) -> None:
    import shutil

    inbox = tmp_path / "inbox"
    first = department(inbox, "市教育局")
    for i in range(1500):  # long enough (seconds) that the signal always lands mid-run, even on a fast machine
        shutil.copy(first, inbox / f"副本{i:04}.xlsx")
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / "out" / "全市.xlsx"
    env = {**xltools_env(), "TMPDIR": str(temp)}
    proc = subprocess.Popen(xltools_command("consolidate", inbox, "-o", out, "--unit", "××市", "--year", YEAR,
                                            "--jobs", "2"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.05)
            workers = _children(proc.pid)
        assert workers, "the workers never started"
        time.sleep(0.1)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == code, stdout + stderr
    assert said in stderr and "Traceback" not in stderr
    time.sleep(0.5)
    assert not [w for w in workers if process_alive(w)]
    assert not out.exists() and list(temp.iterdir()) == [] and leftovers(tmp_path) == []


# ---------------------------------------------------------------- 7. numbers that cannot be added


def test_sums_skip_nan_infinities_and_numbers_beyond_a_float() -> None:
    spec = load_spec()
    n = len(spec.number_cells)
    fee = next(i for i, c in enumerate(spec.number_cells) if c.type == "amount")
    count = next(i for i, c in enumerate(spec.number_cells) if c.type != "amount")

    def unit(value: Any) -> UnitResult:
        values = [None] * n
        values[fee] = value
        values[count] = value
        return UnitResult("f", "", None, "u", "", "部门", 2024, values=tuple(values), format_id=spec.id)

    sums = sum_values([unit(math.nan), unit(math.inf), unit(-math.inf), unit(10 ** 400), unit(1e308), unit(1e308),
                       unit(True), unit(2)], spec)
    assert sums[spec.number_cells[count].id] is None  # beyond what a workbook can hold: left blank
    assert sums[spec.number_cells[fee].id] is None  # 2e308 is beyond a float: left blank, not inf
    plain = sum_values([unit(math.nan), unit(3), unit(math.inf)], spec)
    assert plain[spec.number_cells[count].id] == 3 and plain[spec.number_cells[fee].id] == 3
