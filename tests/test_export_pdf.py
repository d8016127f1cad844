"""``xltools export`` to PDF through LibreOffice: read back with poppler's pdftotext, pdfinfo and pdffonts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import EXAMPLE_XLSX, clean_document, export, official_format, write_doc

pytestmark = pytest.mark.slow
OFFICIAL = official_format()["tables"]


def poppler(tool: str, *args: str | Path) -> str:
    exe = shutil.which(tool)
    assert exe, f"{tool} is required (apt-get install poppler-utils); .ci/run installs it"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, check=True, timeout=60).stdout


def integer_rows(text: str, width: int) -> list[list[int]]:
    """The last ``width`` integers of every line that has at least that many (a table row as laid out)."""
    rows = []
    for line in text.splitlines():
        numbers = [int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", line)]
        if len(numbers) >= width:
            rows.append(numbers[-width:])
    return rows


def test_pdf_has_every_number_of_the_tables(tmp_path: Path) -> None:
    doc = clean_document()
    book = write_doc(doc, tmp_path)
    out = tmp_path / "report.pdf"
    result = export(book, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
    info = poppler("pdfinfo", out)
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info), info
    text = poppler("pdftotext", "-layout", out, "-")
    values = doc["values"]
    t3_rows = integer_rows(text, 7)
    for row in OFFICIAL["T3"]["rows"]:
        expected = [values[f"T3.{row['id']}.{col['id']}"] for col in OFFICIAL["T3"]["columns"]]
        assert expected in t3_rows, row["label"]
    t4 = [values[f"T4.{g['id']}.{c['id']}"] for g in OFFICIAL["T4"]["groups"]
          for c in OFFICIAL["T4"]["columns_per_group"]]
    assert t4 in integer_rows(text, 15)
    flat = re.sub(r"\s+", "", text)
    for cell_id, value in values.items():
        if cell_id.startswith("T2."):
            assert str(value) in flat, cell_id
    for title in ("一、总体情况", "三、收到和处理政府信息公开申请情况", "六、其他需要报告的事项"):
        assert title in flat
    assert "—1—" in flat and "—2—" in flat  # page numbers
    fonts = poppler("pdffonts", out)
    assert re.search(r"CJK|SimSun|FangSong|KaiTi|SimHei|FZ", fonts), fonts  # Chinese text has real CJK fonts


def test_seed_example_pdf(tmp_path: Path) -> None:
    book = tmp_path / EXAMPLE_XLSX.name
    shutil.copy(EXAMPLE_XLSX, book)
    out = tmp_path / "seed.pdf"
    result = export(book, "-o", out, "--force")
    assert result.returncode == 1 and out.is_file()
    flat = re.sub(r"\s+", "", poppler("pdftotext", out, "-"))
    assert "鹤岗市科学技术局2021年政府信息公开工作年度报告" in flat
    assert "（一）强化组织领导" in flat and "2022年1月17日" in flat
