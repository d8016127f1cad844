"""Concurrent uploads of one unit over HTTP against a real ``xltools serve`` (the server of test_browser_round: its
own data folder, and its own PostgreSQL database when ``DATABASE_URL`` is set, as in .ci/run's second run). Two
clerks of a unit pressing 上传 at the same moment is where the databases differ (SQLite serialises writers,
PostgreSQL does not): every upload must be stored and checked, each under its own version, none lost or mixed up."""

from __future__ import annotations

import hashlib
import html
import os
import re
import secrets
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from helpers import department
from test_browser_round import OFFICE, OFFICE_PASSWORD, database, server  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.slow

CLERKS = 6


class Session:
    """A signed-in HTTP session (cookies, Django's CSRF token), standard library only."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.get("/login/")
        final, _ = self.post("/login/", {"username": username, "password": password, "next": ""})
        assert "/login/" not in final, f"sign-in failed for {username}"

    def token(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken") or ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=120) as answer:
            return str(answer.read().decode("utf-8"))

    def post(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
             ) -> tuple[str, str]:
        """POST a form (multipart when there are files); follows the redirect: (final URL, page)."""
        fields = {**fields, "csrfmiddlewaretoken": self.token()}
        if files is None:
            body, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        else:
            boundary = secrets.token_hex(16)
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                     for k, v in fields.items()]
            for name, (filename, data) in files.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                             f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                             + data + b"\r\n")
            body, kind = b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
        request = urllib.request.Request(self.base + path, data=body, headers={"Content-Type": kind}, method="POST")
        with self.opener.open(request, timeout=120) as answer:
            return str(answer.geturl()), str(answer.read().decode("utf-8"))


def _unit_account(base: str, tmp_path: Path) -> tuple[str, str]:
    """A round with one unit, created through the office's form; the unit's sign-in name and initial password."""
    office = Session(base, OFFICE, OFFICE_PASSWORD)
    office.get("/office/rounds/new/")
    roster = "单位名称\n市统计局\n".encode()
    _, page = office.post("/office/rounds/new/", {"unit": "并发市", "year": "2024", "deadline": ""},
                          {"roster": ("roster.csv", roster)})
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td><code>(.*?)</code></td></tr>", page)
    assert [r[0] for r in rows] == ["市统计局"], page[:3000]
    return html.unescape(rows[0][1]), html.unescape(rows[0][2])


def test_concurrent_uploads_of_one_unit_get_their_own_versions(server: str, tmp_path: Path) -> None:  # noqa: F811
    username, password = _unit_account(server, tmp_path)
    books = [department(tmp_path / f"c{i}", "市统计局", bump=i + 1).read_bytes() for i in range(CLERKS)]
    clerks = [Session(server, username, password) for _ in range(CLERKS)]
    for clerk in clerks:
        clerk.get("/unit/")
    start = threading.Barrier(CLERKS)

    def send(i: int) -> tuple[int, str]:
        start.wait()
        final, page = clerks[i].post("/unit/upload/", {}, {"file": (f"clerk{i}.xlsx", books[i])})
        found = re.search(r"/uploads/(\d+)/$", final)
        assert found, (final, page[:2000])
        return int(found[1]), page

    with ThreadPoolExecutor(CLERKS) as pool:
        results = list(pool.map(send, range(CLERKS)))
    ids = [pk for pk, _ in results]
    assert len(set(ids)) == CLERKS, ids
    for i, (pk, page) in enumerate(results):  # each clerk's page is its own file, checked
        assert hashlib.sha256(books[i]).hexdigest() in page, pk
        assert re.search(r'id="verdict" data-status="passed"', page), page[:2000]
        assert f"clerk{i}.xlsx" in page
    unit_page = clerks[0].get("/unit/")
    versions = sorted(int(v) for v in re.findall(r'data-version="(\d+)"', unit_page))
    assert versions == list(range(1, CLERKS + 1)), versions
    original = urllib.request.Request(f"{server}/uploads/{ids[0]}/download/original/")
    with clerks[3].opener.open(original, timeout=60) as answer:
        assert answer.read() == books[0]



def test_the_in_process_tests_use_the_database_of_database_url(portal_settings: Any) -> None:
    """With DATABASE_URL (the PostgreSQL run of .ci/run) every portal test runs on PostgreSQL, not on SQLite."""
    from django.db import connection

    from xltools.portal.models import Round

    expected = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    assert connection.vendor == expected
    assert Round.objects.count() == 0, "a fresh database for every test"
