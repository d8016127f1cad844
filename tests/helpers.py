"""Test helpers: real documents from ../shared, the installed command, and workbooks built through it."""

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
SHARED = Path(os.environ.get("XLTOOLS_SHARED", REPO.parent / "shared"))
REAL = SHARED / "real-reports"
EXAMPLE_JSON = REPO / "examples" / "hegang-kejiju-2021.json"
EXAMPLE_XLSX = REPO / "examples" / "hegang-kejiju-2021.xlsx"


def xltools_exe() -> str:
    """The installed console script (next to the interpreter running the tests)."""
    exe = Path(sys.executable).parent / "xltools"
    found = str(exe) if exe.exists() else shutil.which("xltools")
    assert found, "the xltools console script is not installed; run: pip install -e '.[test]'"
    return found


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``xltools`` command."""
    return subprocess.run([xltools_exe(), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _section(raw: str, start: str, end: str | None) -> str:
    body = raw.split(start, 1)[1]
    if end:
        body = body.split(end, 1)[0]
    lines = [ln.strip() for ln in body.splitlines() if ln.strip() and not re.fullmatch(r"-\s*\d+\s*-", ln.strip())]
    return re.sub(r"(?<=\S) (?=\S)", "", "".join(lines))


def huaian_document() -> dict[str, Any]:
    """淮安市 2024 (全市汇总): hand-checked values plus its real text sections 一, 五, 六 and metadata."""
    doc = load_json(REAL / "expected" / "jiangsu-huaian-shi-2024.values.json")
    raw = (REAL / "raw" / "jiangsu-huaian-shi-2024.pypdf.txt").read_text(encoding="utf-8")
    doc["meta"] = {"date": "2025-01-20", "level": "汇总", "code": "320800"}
    doc["texts"] = {
        "S1": _section(raw, "一、总体情况", "二、主动公开政府信息情况"),
        "S5": _section(raw, "五、存在的主要问题及改进情况", "六、其他需要报告的事项"),
        "S6": _section(raw, "六、其他需要报告的事项", None),
    }
    return doc


def clean_document() -> dict[str, Any]:
    """A document that breaks no rule: 淮安 2024's numbers with a short 总体情况."""
    doc = huaian_document()
    doc["texts"]["S1"] = doc["texts"]["S1"][:600]
    return copy.deepcopy(doc)


def write_doc(doc: dict[str, Any], folder: Path, name: str = "report") -> Path:
    """Build a workbook from a document with ``xltools new --from`` and return its path."""
    src = folder / f"{name}.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = folder / f"{name}.xlsx"
    result = run("new", "--from", src, "-o", out, "--overwrite")
    assert result.returncode == 0, result.stderr
    return out


def check_json(*paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, dict[str, Any]]:
    result = run("check", "--format", "json", *extra, *paths)
    assert result.stderr == "", result.stderr
    return result.returncode, json.loads(result.stdout)


def findings_of(data: dict[str, Any], index: int = 0) -> list[tuple[str, str]]:
    """Compact (rule, location) pairs of one file's findings."""
    return [(f["rule"], f["location"]) for f in data["files"][index]["findings"]]
