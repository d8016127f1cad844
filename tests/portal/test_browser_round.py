"""The whole round in a real browser (issue 18, "Tests in a real browser"): headless Chromium (Debian's, through
Playwright, launched as tests/conftest.py does) against a real ``xltools serve`` on a free loopback port with its own
data folder (and its own database when ``DATABASE_URL`` names a PostgreSQL server, as in .ci/run's second run).

The office signs in, creates a round from a two-unit roster and reads the accounts; unit A uploads a workbook with
an error and sees exactly the CLI's findings; the office sends it back and A sees the comment; A uploads the fixed
one, B a clean one; the office accepts both, consolidates and downloads the city workbook, whose numbers equal
``xltools consolidate`` on the same two files (compared through ``xltools dump``).

Screenshots of the unit's result page and of the dashboard go to the test's folder, and to docs/portal-upload.png
and docs/portal-dashboard.png with ``XLTOOLS_UPDATE_SCREENSHOTS=1`` (the README shows them)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest
from helpers import REPO, check_json, department, findings_of, run, xltools_command, xltools_env

pytestmark = pytest.mark.slow

DATABASE_URL = os.environ.get("DATABASE_URL", "")  # read at import: the portal's conftest drops it from the process
OFFICE, OFFICE_PASSWORD = "office", "Office-浏览器-" + secrets.token_hex(6)
UNIT_A, UNIT_B = "市教育局", "市财政局"
COMMENT = "表三新收申请数与分项之和不符，请核对后重新上传。"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh_postgres() -> Iterator[str]:
    """A database of its own on the PostgreSQL server of DATABASE_URL, dropped afterwards."""
    import psycopg

    name = f"xltools_browser_{secrets.token_hex(4)}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(DATABASE_URL)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def chromium(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Headless Chromium launched as tests/conftest.py's ``browser`` (its executable and arguments), but open only
    for this module: while Playwright's sync API is open an asyncio loop runs in this thread, and Django's ORM,
    which the other portal tests use in-process, refuses to run inside one (SynchronousOnlyOperation)."""
    from playwright.sync_api import sync_playwright

    suite = next(p for p in request.config.pluginmanager.get_plugins()
                 if Path(getattr(p, "__file__", "") or "") == REPO / "tests" / "conftest.py")
    assert suite.CHROMIUM, "Chromium is required (apt-get install chromium); .ci/run installs it"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=suite.CHROMIUM, args=suite.CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    if DATABASE_URL:
        yield from _fresh_postgres()
    else:
        yield ""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database: str) -> Iterator[str]:
    """``xltools serve`` on a free port with a new data folder and an office account (Django's createsuperuser, as
    docs/portal.md sets one up); yields the base URL."""
    data = tmp_path_factory.mktemp("portal-data")
    env = {k: v for k, v in xltools_env().items() if not k.startswith(("XLTOOLS_PORTAL_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = database
    admin_env = {**env, "XLTOOLS_PORTAL_DATA": str(data), "DJANGO_SETTINGS_MODULE": "xltools.portal.settings",
                 "DJANGO_SUPERUSER_PASSWORD": OFFICE_PASSWORD}
    django = [xltools_command()[0], "-m", "django"]
    for args in (["migrate", "-v0"], ["createsuperuser", "--noinput", "--username", OFFICE, "--email", ""]):
        done = subprocess.run(django + args, env=admin_env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    port = _free_port()
    log = (data.parent / "serve.log").open("w")
    proc = subprocess.Popen(xltools_command("serve", "--host", "127.0.0.1", "--port", str(port), "--data", data),
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (data.parent / "serve.log").read_text()
            try:
                with urllib.request.urlopen(base + "/login/", timeout=5) as answer:
                    assert answer.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, (data.parent / "serve.log").read_text()
                time.sleep(0.3)
        yield base
        assert (data / "portal.sqlite3").exists() != bool(database)  # the database asked for, not a fallback
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def sign_in(browser: Any, base: str, username: str, password: str) -> Any:
    """A page in a browser context of its own (its own session cookie), signed in through the sign-in form."""
    context = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")
    page.wait_for_load_state()
    assert "/login/" not in page.url, page.content()[:2000]
    return page


def upload(page: Any, base: str, book: Path) -> int:
    """Upload through the unit page's form; the answer is the upload's result page. Returns the upload's id."""
    page.goto(base + "/unit/")
    page.set_input_files("#upload-form input[name=file]", str(book))
    page.click("#upload-submit")
    page.wait_for_url(re.compile(r"/uploads/\d+/$"), timeout=60_000)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def shown_findings(page: Any) -> list[tuple[str, str]]:
    return [tuple(x) for x in page.eval_on_selector_all(  # type: ignore[misc]
        "#findings tr.finding", "rows => rows.map(r => [r.dataset.rule, r.dataset.ref])")]


def shot(page: Any, tmp: Path, name: str) -> None:
    """A screenshot in the test's folder, copied into docs/ with XLTOOLS_UPDATE_SCREENSHOTS=1."""
    path = tmp / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000, name  # a page with content, not a blank one
    if os.environ.get("XLTOOLS_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, REPO / "docs" / name)


def download(page: Any, selector: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    target = folder / info.value.suggested_filename
    info.value.save_as(str(target))
    return target


def row_status(page: Any, unit: str) -> str:
    return str(page.get_attribute(f'#units tr[data-unit="{unit}"]', "data-status"))


def test_the_whole_round_in_a_browser(chromium: Any, server: str, tmp_path: Path) -> None:
    browser = chromium
    base = server
    books = tmp_path / "books"
    wrong = department(books / "a1", UNIT_A, error=True, name=f"{UNIT_A}-第一版")
    fixed = department(books / "a2", UNIT_A, name=f"{UNIT_A}-改正版")
    clean_b = department(books / "b", UNIT_B, bump=5)
    roster = tmp_path / "名单.csv"
    roster.write_text(f"单位名称\n{UNIT_A}\n{UNIT_B}\n", encoding="utf-8")

    # The office creates the round from the roster and reads the accounts (shown once).
    office = sign_in(browser, base, OFFICE, OFFICE_PASSWORD)
    office.goto(base + "/office/rounds/new/")
    office.fill("#id_unit", "××市")
    office.fill("#id_year", "2024")
    office.fill("#id_deadline", "2025-01-31")
    office.set_input_files("#id_roster", str(roster))
    office.click("#round-submit")
    office.wait_for_selector("table#accounts")
    accounts = {r[0]: (r[1], r[2]) for r in office.eval_on_selector_all(
        "table#accounts tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")}
    assert set(accounts) == {UNIT_A, UNIT_B}, accounts
    csv_text = download(office, "#accounts-csv", tmp_path).read_text(encoding="utf-8-sig")
    for name, (username, password) in accounts.items():
        assert f"{name},{username},{password}" in csv_text.replace("\r\n", "\n"), csv_text
    office.click("#to-dashboard")
    office.wait_for_selector("table#units")
    dashboard = office.url
    assert row_status(office, UNIT_A) == row_status(office, UNIT_B) == "missing"
    assert office.inner_text("#reminders").split() == [UNIT_A, UNIT_B]

    # Unit A uploads a workbook with an error: the page shows the CLI's findings, cell by cell.
    unit_a = sign_in(browser, base, *accounts[UNIT_A])
    first = upload(unit_a, base, wrong)
    assert unit_a.get_attribute("#verdict", "data-status") == "errors"
    code, cli = check_json(wrong)
    assert code == 1
    expected = findings_of(cli)
    assert shown_findings(unit_a) == expected and expected
    assert unit_a.get_attribute("#counts", "data-errors") == str(cli["files"][0]["counts"]["error"])
    first_cell = unit_a.eval_on_selector_all("#findings tr.finding td", "cells => cells.map(c => c.textContent)")
    assert cli["files"][0]["findings"][0]["message"]["zh"] in "".join(first_cell)
    shot(unit_a, tmp_path, "portal-upload.png")

    # The office sends it back; A sees the comment on its page.
    office.goto(dashboard)
    assert row_status(office, UNIT_A) == "errors"
    office.fill(f'#units tr[data-unit="{UNIT_A}"] .return-form input[name=comment]', COMMENT)
    office.click(f'#units tr[data-unit="{UNIT_A}"] .return-form button')
    office.goto(dashboard)
    assert row_status(office, UNIT_A) == "returned"
    unit_a.goto(base + "/unit/")
    assert unit_a.get_attribute("#status", "data-status") == "returned"
    assert COMMENT in unit_a.inner_text("#returned-comment")

    # A uploads the fixed workbook, B a clean one: both pass; every version is kept.
    second = upload(unit_a, base, fixed)
    assert second != first and unit_a.get_attribute("#verdict", "data-status") == "passed"
    unit_a.goto(base + "/unit/")
    assert unit_a.eval_on_selector_all("table#history tr[data-version]", "r => r.map(x => x.dataset.version)") \
        == ["2", "1"]
    unit_b = sign_in(browser, base, *accounts[UNIT_B])
    upload(unit_b, base, clean_b)
    assert unit_b.get_attribute("#verdict", "data-status") == "passed"

    # The office accepts both, consolidates and downloads the city workbook.
    office.goto(dashboard)
    for unit in (UNIT_A, UNIT_B):
        assert row_status(office, unit) == "passed"
        office.click(f'#units tr[data-unit="{unit}"] .accept-form button')
        office.goto(dashboard)
        assert row_status(office, unit) == "accepted"
        if unit == UNIT_A:  # one unit accepted, one waiting with its buttons
            shot(office, tmp_path, "portal-dashboard.png")
    assert office.inner_text("#reminders").strip() == ""
    office.click("#consolidate-submit")
    office.wait_for_url(re.compile(r"/office/consolidations/\d+/$"))
    deadline = time.monotonic() + 120
    while office.get_attribute("#state", "data-state") == "running":
        assert time.monotonic() < deadline, office.inner_text("body")
        time.sleep(0.5)
        office.reload()
    assert office.get_attribute("#state", "data-state") == "done", office.inner_text("body")
    out = tmp_path / "portal-out"
    out.mkdir()
    city = download(office, "#download-workbook", out)
    overview = download(office, "#download-overview", out)
    assert UNIT_A in overview.read_text(encoding="utf-8")

    # The same two files through the command line: the same numbers.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for book in (fixed, clean_b):
        shutil.copy(book, inbox / book.name)
    cli_city = tmp_path / "cli" / "全市.xlsx"
    done = run("consolidate", inbox, "-o", cli_city, "--unit", "××市", "--year", "2024")
    assert done.returncode == 0, done.stdout + done.stderr
    portal_doc, cli_doc = (json.loads(run("dump", book).stdout) for book in (city, cli_city))
    assert portal_doc["values"] == cli_doc["values"]
    assert (portal_doc["unit"], portal_doc["year"]) == (cli_doc["unit"], cli_doc["year"]) == ("××市", 2024)
    base_total = json.loads(run("dump", clean_b).stdout)["values"]["T3.new_received.total"]
    assert portal_doc["values"]["T3.new_received.total"] == 2 * base_total - 5  # B was bumped by 5, A was not

    # Unit A's session cannot reach the office's pages, nor B's upload (the access tests sweep every URL).
    unit_a.goto(dashboard)
    assert unit_a.locator("table#units").count() == 0 and UNIT_B not in unit_a.content()
    for page in (office, unit_a, unit_b):
        page.context.close()
