"""A --force draft exported by xltools imports as what it is: its draft header is not report text, an empty
section's "（未填写）" is not text, and the result says it came from a draft."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import EXAMPLE_XLSX, run


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_a_draft_imports_without_its_marks(tmp_path: Path, fmt: str) -> None:
    draft = tmp_path / f"draft.{fmt}"
    exported = run("export", EXAMPLE_XLSX, "--force", "-o", draft)
    assert exported.returncode == 1 and draft.is_file(), exported.stderr  # the example has an error: a draft
    result = run("import", draft, "-o", tmp_path / "back.xlsx", "--format", "json")
    assert result.returncode == 1, result.stderr
    entry = json.loads(result.stdout)["files"][0]
    assert any("草稿" in n["message"] for n in entry["notes"])
    dumped = json.loads(run("dump", tmp_path / "back.xlsx").stdout)
    texts = dumped["texts"]
    assert not any("草稿" in t or "未填写" in t for t in texts.values())
    assert not texts.get("S6.text")  # empty in the workbook, so check says section 六 is missing again
    checked = run("check", tmp_path / "back.xlsx", "--format", "json")
    assert any(f["rule"] == "SECTIONS_PRESENT" for f in json.loads(checked.stdout)["files"][0]["findings"])
