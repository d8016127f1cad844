"""Test helpers: the facts copied into tests/data, the real reports (one setting, see docs/development.md), this
checkout's command, and workbooks built through it."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
EXAMPLE_JSON = REPO / "examples" / "hegang-kejiju-2021.json"
EXAMPLE_XLSX = REPO / "examples" / "hegang-kejiju-2021.xlsx"

# The real published reports are not part of the repository (docs/development.md, "Tests"): tests that need them
# take the ``real_reports`` fixture (conftest.py), which skips them, or fails them under XLTOOLS_REQUIRE_REAL_REPORTS=1.
REAL_REPORTS_ENV = "XLTOOLS_REAL_REPORTS"
REAL_REPORTS_DEFAULT = "../shared/real-reports"
REQUIRE_REAL_REPORTS_ENV = "XLTOOLS_REQUIRE_REAL_REPORTS"


def real_reports_dir() -> Path:
    """The real-reports folder: $XLTOOLS_REAL_REPORTS, default ../shared/real-reports; relative to the repository."""
    return (REPO / (os.environ.get(REAL_REPORTS_ENV) or REAL_REPORTS_DEFAULT)).resolve()


def xltools_env() -> dict[str, str]:
    """The environment for a subprocess that must run this checkout's code: the repository first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def xltools_command(*args: str | Path) -> list[str]:
    """``python -m xltools ARGS…`` with the interpreter running the tests (run it with ``env=xltools_env()``)."""
    return [sys.executable, "-m", "xltools", *map(str, args)]


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``xltools ARGS…`` from this checkout (not whatever ``xltools`` script is installed)."""
    return subprocess.run(xltools_command(*args), capture_output=True, text=True, cwd=cwd, env=xltools_env(),
                          timeout=120)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_data(name: str) -> Any:
    """A fact file copied into tests/data, without its ``_source`` note (tests/data/README.md)."""
    data = load_json(DATA / name)
    data.pop("_source", None)
    return data


def official_format() -> dict[str, Any]:
    """The official labels of the 2021 format, as far as the tests compare them (tests/data/format-2021.json)."""
    return dict(load_data("format-2021.json"))


def hand_checked(slug: str) -> dict[str, Any]:
    """A real report's hand-checked numbers (unit, year, values) as copied into tests/data."""
    return dict(load_data(f"{slug}.values.json"))


# Synthetic text sections for the 淮安 2024 numbers, written for the tests (not the published text): S1 under
# 1000 characters, S6 states the 信息处理费, each one paragraph; the figures they quote are the tables' own.
HUAIAN_TEXTS = {
    "S1": "2024年，淮安市坚持以公开为常态、不公开为例外，围绕市委市政府中心工作推进政务公开，各项工作有序开展。"
          "主动公开方面，市政府门户网站和各县区、各部门的政府信息公开专栏及时发布政策文件、规划计划、财政预决算、"
          "重大项目和民生事项信息，全年新制发市政府规章1件、行政规范性文件8件，对现行有效的规章和行政规范性文件逐件"
          "核对目录并动态更新。依申请公开方面，全市新收政府信息公开申请3119件，上年结转34件，办结3050件，103件结转"
          "下年度继续办理；办理中严格执行登记、审核、答复各环节要求，答复文书统一规范。政府信息管理方面，落实公开前"
          "保密审查和发布审核制度，定期清理过时信息。平台建设方面，优化政府网站栏目设置，推进政务新媒体规范运营，"
          "提升检索和无障碍服务能力，方便群众查找和使用政府信息。监督保障方面，将政务公开纳入年度综合考核，开展业务"
          "培训和专项检查，对发现的问题及时督促整改。",
    "S5": "对照公众期待，我市政务公开工作仍有不足：一是部分单位政策解读形式较为单一，图表、视频等方式运用不多；二是"
          "个别县区依申请公开答复文书说理不够充分；三是基层政务公开专区使用率不高。下一步，我市将丰富政策解读形式，"
          "推动解读材料与政策文件同步发布；组织依申请公开案例研讨，提高答复质量；加强基层公开专区建设和宣传，更好"
          "发挥便民服务作用。",
    "S6": "本年度，全市各级行政机关依据《政府信息公开信息处理费管理办法》收取信息处理费共计3940元。无其他需要报告的"
          "事项。",
}


def huaian_document() -> dict[str, Any]:
    """淮安市 2024 (全市汇总): the hand-checked numbers, its cover data and synthetic text sections 一, 五, 六."""
    doc = hand_checked("jiangsu-huaian-shi-2024")
    doc["meta"] = {"date": "2025-01-20", "level": "汇总", "code": "320800"}
    doc["texts"] = dict(HUAIAN_TEXTS)
    return doc


def _section(raw: str, start: str, end: str | None) -> str:
    body = raw.split(start, 1)[1]
    if end:
        body = body.split(end, 1)[0]
    lines = [ln.strip() for ln in body.splitlines() if ln.strip() and not re.fullmatch(r"-\s*\d+\s*-", ln.strip())]
    return re.sub(r"(?<=\S) (?=\S)", "", "".join(lines))


def huaian_published_document(real_reports: Path) -> dict[str, Any]:
    """淮安市 2024 as published: the hand-checked numbers with the real text sections, cut from the real PDF's text
    in the corpus (only for tests that take the ``real_reports`` fixture)."""
    doc = huaian_document()
    raw = (real_reports / "raw" / "jiangsu-huaian-shi-2024.pypdf.txt").read_text(encoding="utf-8")
    doc["texts"] = {
        "S1": _section(raw, "一、总体情况", "二、主动公开政府信息情况"),
        "S5": _section(raw, "五、存在的主要问题及改进情况", "六、其他需要报告的事项"),
        "S6": _section(raw, "六、其他需要报告的事项", None),
    }
    return doc


def clean_document() -> dict[str, Any]:
    """A document that breaks no rule: 淮安 2024's numbers with the synthetic texts (总体情况 under 1000 characters)."""
    return copy.deepcopy(huaian_document())


def write_doc(doc: dict[str, Any], folder: Path, name: str = "report", macro: bool = False) -> Path:
    """Build a workbook from a document with ``xltools new --from`` (``--macro``: the .xlsm) and return its path."""
    src = folder / f"{name}.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = folder / (f"{name}.xlsm" if macro else f"{name}.xlsx")
    result = run("new", "--from", src, "-o", out, "--overwrite", *(["--macro"] if macro else []))
    assert result.returncode == 0, result.stderr
    return out


def check_json(*paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, dict[str, Any]]:
    result = run("check", "--format", "json", *extra, *paths)
    assert result.stderr == "", result.stderr
    return result.returncode, json.loads(result.stdout)


def findings_of(data: dict[str, Any], index: int = 0) -> list[tuple[str, str]]:
    """Compact (rule, location) pairs of one file's findings."""
    return [(f["rule"], f["location"]) for f in data["files"][index]["findings"]]


def export(book: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``xltools export BOOK ARGS…``"""
    return run("export", book, *args)


def docx_grid(table: Any) -> list[tuple[int, int, int, int, str]]:
    """A python-docx table as (row, col, rowspan, colspan, text) per merged cell, read from the XML itself
    (gridSpan and vMerge), so that the merge structure is what Word sees."""
    from docx.oxml.ns import qn

    cells: list[list[Any]] = []
    open_by_col: dict[int, list[Any]] = {}
    for r, tr in enumerate(table._tbl.tr_lst):
        c = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            text = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))
            if tc.vMerge == "continue":
                open_by_col[c][2] += 1
            else:
                cell = [r, c, 1, span, text.strip()]
                cells.append(cell)
                open_by_col[c] = cell
            c += span
    return sorted((int(a), int(b), int(h), int(w), str(t)) for a, b, h, w, t in cells)


def workbook_grid(book: Path, sheet: str, first_row: int = 2) -> list[tuple[int, int, int, int, str]]:
    """A workbook sheet's print area from ``first_row`` on, read with openpyxl, in the shape of docx_grid;
    numbers written as a clerk reads them (12, 96171.6)."""
    import openpyxl
    from openpyxl.utils import range_boundaries

    ws = openpyxl.load_workbook(book)[sheet]
    min_col, _, max_col, max_row = range_boundaries(str(ws.print_area).split("!")[-1].replace("$", ""))
    covered: set[tuple[int, int]] = set()
    cells = []
    for rng in ws.merged_cells.ranges:
        if rng.min_row < first_row:
            continue
        cells.append((rng.min_row, rng.min_col, rng.max_row - rng.min_row + 1, rng.max_col - rng.min_col + 1))
        covered |= {(r, c) for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col, rng.max_col + 1)}
    for r in range(first_row, max_row + 1):
        for c in range(min_col, max_col + 1):
            if (r, c) not in covered:
                cells.append((r, c, 1, 1))

    def text(r: int, c: int) -> str:
        v = ws.cell(r, c).value
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return "" if v is None else str(v).strip()

    return sorted((r - first_row, c - min_col, h, w, text(r, c)) for r, c, h, w in cells)


def exported_with_texts(folder: Path, suffix: str, **texts: str) -> Path:
    """Export a clean report whose text sections are replaced by ``texts``; returns the output path."""
    doc = clean_document()
    doc["texts"].update(texts)
    out = folder / f"r.{suffix}"
    result = export(write_doc(doc, folder), "-o", out)
    assert result.returncode == 0, result.stderr
    return out


def libreoffice_convert(book: Path, folder: Path, target: str) -> Path:
    """Open ``book`` in LibreOffice headless and save it as ``target`` ("ods", "pdf", "xlsx:Calc MS Excel 2007
    XML"…) in ``folder``, the way a LibreOffice user does."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is required (apt-get install libreoffice-calc-nogui); .ci/run installs it"
    out = folder / "lo-out"
    subprocess.run([soffice, f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless", "--convert-to",
                    target, "--outdir", str(out), str(book)], check=True, capture_output=True, timeout=180)
    return out / f"{book.stem}.{target.split(':')[0]}"


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` is running (Linux: a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


BUMPED = ("T3.new_received.natural_person", "T3.new_received.total", "T3.r_granted.natural_person",
          "T3.r_granted.total", "T3.r_total.natural_person", "T3.r_total.total")


def department(folder: Path, unit: str, *, code: str = "", year: int = 2024, name: str | None = None,
               bump: int = 0, error: bool = False) -> Path:
    """A clean department workbook ``<name or unit>.xlsx`` in ``folder``, built in this process (fast), nothing
    else left there (every file of a folder is an input). ``bump`` adds to one cell and its totals (still
    consistent); ``error`` adds 7 to one cell only (an arithmetic error)."""
    from xltools.workbook.new import new

    doc = clean_document()
    doc.update(unit=unit, year=year)
    doc["meta"] = {"date": f"{year + 1}-01-20", "level": "部门", **({"code": code} if code else {})}
    for cell in BUMPED:
        doc["values"][cell] += bump
    if bump:  # the text quotes the tables: it says the bumped figures too
        doc["texts"]["S1"] = doc["texts"]["S1"].replace("申请3119件", f"申请{3119 + bump}件").replace(
            "办结3050件", f"办结{3050 + bump}件")
    if error:
        doc["values"]["T3.new_received.natural_person"] += 7
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f".{name or unit}.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = folder / f"{name or unit}.xlsx"
    new(out, data=source, overwrite=True)
    source.unlink()
    return out


def previous_year_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Last year's report that fits ``doc`` (a consecutive-year pair built from hand-checked values): year − 1, its
    结转下年度 = this year's 上年结转 on every column, its 表二 in force = this year's in force − issued + repealed, and
    its 本年新收 set so that its own column balance holds (its other numbers are this year's)."""
    last = copy.deepcopy(doc)
    year = int(doc["year"]) - 1
    last["year"] = year
    last["meta"] = {**doc.get("meta", {}), "date": f"{year + 1}-01-20"}
    v = last["values"]
    for col in ("natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
                "legal_service_org", "other_org", "total"):
        v[f"T3.carried_forward.{col}"] = doc["values"][f"T3.carried_over.{col}"]
        v[f"T3.new_received.{col}"] = (v[f"T3.r_total.{col}"] + v[f"T3.carried_forward.{col}"]
                                       - v[f"T3.carried_over.{col}"])
        assert v[f"T3.new_received.{col}"] >= 0, col
    for row in ("regulations", "normative_documents"):
        now = doc["values"]
        v[f"T2.{row}.in_force"] = now[f"T2.{row}.in_force"] - now[f"T2.{row}.issued"] + now[f"T2.{row}.repealed"]
    last.pop("texts", None)
    return last

