"""The unit's pages through Django's test client: its round and status, the upload form, uploading (refused files
with a message), the result page with every finding as the CLI's JSON has it, versions, the office's send-back
comment, imported reports, downloads, and what another unit, the office and a forged form get."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from helpers import EXAMPLE_XLSX, xltools_env

from django.core.files.uploadedfile import SimpleUploadedFile  # isort: skip


class Rows(HTMLParser):
    """The ``tr`` elements of one table (by id): their attributes and cell texts."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.inside, self.rows = table_id, False, []  # type: ignore[var-annotated]
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append((dict(attrs), []))
        elif self.inside and tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif tag == "td" and self.cell is not None and self.rows:
            self.rows[-1][1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def rows_of(html: str, table_id: str) -> list[tuple[dict[str, str], list[str]]]:
    parser = Rows(table_id)
    parser.feed(html)
    return [(attrs, cells) for attrs, cells in parser.rows if cells]


def send(client: Any, name: str, content: bytes) -> Any:
    return client.post("/unit/upload/", {"file": SimpleUploadedFile(name, content)})


def cli_findings(path: Path) -> list[dict[str, Any]]:
    done = subprocess.run([sys.executable, "-m", "xltools", "check", str(path), "--format", "json"],
                          capture_output=True, text=True, env=xltools_env(), check=False)
    findings: list[dict[str, Any]] = json.loads(done.stdout)["files"][0]["findings"]
    return findings


def test_unit_page_before_any_upload(make_round: Any, client_for: Any) -> None:
    import datetime as dt

    unit = make_round(units=["甲单位"], deadline=dt.date(2026, 1, 31)).units.get()
    page = client_for(unit.account).get("/unit/").content.decode()
    assert '<span id="status" data-status="missing"' in page and "未报送" in page
    assert "甲单位" in page and "2026年1月31日" in page
    form = re.search(r'<form id="upload-form"[^>]*>(.*?)</form>', page, re.S)
    assert form and 'enctype="multipart/form-data"' in form.group(0) and 'method="post"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(1) and 'name="file"' in form.group(1)
    assert 'accept=".xlsx,.xlsm,.docx,.pdf,.html,.htm,.txt"' in form.group(1)
    assert rows_of(page, "history") == [] and 'id="returned-comment"' not in page


def test_upload_shows_every_finding_as_the_cli(make_round: Any, client_for: Any) -> None:
    unit = make_round(units=["鹤岗市科学技术局"]).units.get()
    client = client_for(unit.account)
    response = send(client, "科技局.xlsx", EXAMPLE_XLSX.read_bytes())
    assert response.status_code == 302
    assert re.fullmatch(r"/uploads/\d+/", response.url)
    page = client.get(response.url).content.decode()
    assert 'id="verdict" data-status="errors"' in page and 'id="imported"' not in page
    assert 'data-errors="1" data-warnings="1"' in page
    shown = rows_of(page, "findings")
    expected = cli_findings(EXAMPLE_XLSX)
    assert len(shown) == len(expected) == 2
    severity = {"error": "错误", "warning": "警告", "info": "提示"}
    for (attrs, cells), f in zip(shown, expected, strict=True):
        assert attrs["data-rule"] == f["rule"] and attrs["data-ref"] == f["location"]
        assert cells == [severity[f["severity"]], f["location"], f["cells"][0]["row_label"],
                         f["cells"][0]["column_label"], f["message"]["zh"], f["expected"], f["actual"],
                         f["fix"]["zh"]]
    assert "严重程度" in page and "怎么改" in page
    home = client.get("/unit/").content.decode()
    assert 'data-status="errors"' in home and [a["data-version"] for a, _ in rows_of(home, "history")] == ["1"]


def test_second_upload_is_version_2_and_identical_bytes_are_said(make_round: Any, client_for: Any) -> None:
    unit = make_round(units=["甲"]).units.get()
    client = client_for(unit.account)
    first = send(client, "a.xlsx", EXAMPLE_XLSX.read_bytes()).url
    second = send(client, "a.xlsx", EXAMPLE_XLSX.read_bytes()).url
    assert first != second
    page = client.get(second).content.decode()
    assert "第2版" in page and 'id="same-as"' in page and "与第1版内容完全相同" in page
    assert 'id="same-as"' not in client.get(first).content.decode()
    history = rows_of(client.get("/unit/").content.decode(), "history")
    assert [a["data-version"] for a, _ in history] == ["2", "1"]


def test_refused_upload_says_why(make_round: Any, client_for: Any) -> None:
    unit = make_round(units=["甲"]).units.get()
    client = client_for(unit.account)
    response = send(client, "病毒.exe", b"MZ\x90\x00")
    assert response.status_code == 302 and response.url == "/unit/"
    page = client.get("/unit/").content.decode()
    assert "不能上传这种文件（.exe）" in page and rows_of(page, "history") == []
    assert "请先选择要上传的文件" in client.post("/unit/upload/", follow=True).content.decode()


def test_returned_comment_is_shown(make_round: Any, client_for: Any) -> None:
    from xltools.portal.models import Decision, Upload

    made = make_round(units=["甲"])
    unit = made.units.get()
    client = client_for(unit.account)
    send(client, "a.xlsx", EXAMPLE_XLSX.read_bytes())
    Decision.objects.create(upload=Upload.objects.get(unit=unit), kind=Decision.RETURNED,
                            comment="第六部分请补充<信息处理费>情况", by=made.office)
    page = client.get("/unit/").content.decode()
    assert 'data-status="returned"' in page
    comment = re.search(r'<div id="returned-comment".*?</div>', page, re.S)
    assert comment and "第六部分请补充&lt;信息处理费&gt;情况" in comment.group(0)


def test_imported_report_is_marked(make_round: Any, client_for: Any, tmp_path: Path) -> None:
    report = tmp_path / "报告.docx"
    subprocess.run([sys.executable, "-m", "xltools", "export", str(EXAMPLE_XLSX), "-o", str(report), "--force"],
                   capture_output=True, env=xltools_env(), check=False)
    unit = make_round(units=["甲"]).units.get()
    client = client_for(unit.account)
    page = client.get(send(client, report.name, report.read_bytes()).url).content.decode()
    assert 'id="imported"' in page and "由报告" in page and 'data-status="errors"' in page
    history = rows_of(client.get("/unit/").content.decode(), "history")
    assert "（由报告导入）" in history[0][1][1]


def test_downloads(make_round: Any, client_for: Any) -> None:
    unit = make_round(units=["甲"]).units.get()
    client = client_for(unit.account)
    result = send(client, "科技局 2021.xlsx", EXAMPLE_XLSX.read_bytes()).url
    original = client.get(result + "download/original/")
    assert b"".join(original.streaming_content) == EXAMPLE_XLSX.read_bytes()
    assert "attachment" in original["Content-Disposition"] and "2021.xlsx" in original["Content-Disposition"]
    for kind, label in (("annotated", "校验结果"), ("filled", "已填合计")):
        response = client.get(result + f"download/{kind}/")
        assert response.status_code == 200, kind
        content = b"".join(response.streaming_content)
        assert hashlib.sha256(content).hexdigest() != hashlib.sha256(EXAMPLE_XLSX.read_bytes()).hexdigest()
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            book = package.read("xl/workbook.xml").decode()
        assert ("校验结果" in book) == (kind == "annotated")
        assert unquote(response["Content-Disposition"]) == f"attachment; filename*=utf-8''科技局 2021-{label}.xlsx"
    assert client.get(result + "download/other/").status_code == 404


def test_other_unit_gets_404_and_the_office_sees_it(make_round: Any, client_for: Any) -> None:
    made = make_round(units=["甲", "乙"])
    first, second = made.units.all()
    result = send(client_for(first.account), "a.xlsx", EXAMPLE_XLSX.read_bytes()).url
    other = client_for(second.account)
    for url in (result, *(result + f"download/{k}/" for k in ("original", "annotated", "filled"))):
        assert other.get(url).status_code == 404, url
    office = client_for(made.office)
    assert office.get(result).status_code == 200
    assert office.get(result + "download/original/").status_code == 200
    assert office.get("/unit/").status_code == 403
    assert office.post("/unit/upload/", {"file": SimpleUploadedFile("a.xlsx", b"x")}).status_code == 403


@pytest.mark.parametrize("method", ["get", "put"])
def test_upload_is_post_only(make_round: Any, client_for: Any, method: str) -> None:
    unit = make_round(units=["甲"]).units.get()
    assert getattr(client_for(unit.account), method)("/unit/upload/").status_code == 405


def test_forged_upload_is_refused(make_round: Any, client_for: Any) -> None:
    from xltools.portal.models import Upload

    unit = make_round(units=["甲"]).units.get()
    strict = client_for(unit.account, csrf=True)
    assert send(strict, "a.xlsx", EXAMPLE_XLSX.read_bytes()).status_code == 403
    assert not Upload.objects.exists()


def test_signed_out_is_sent_to_sign_in(portal_settings: Any) -> None:
    from django.test import Client

    for url in ("/unit/", "/uploads/1/", "/uploads/1/download/original/"):
        response = Client().get(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url
