"""The office's pages: a round from a roster with its accounts (shown once, CSV), the dashboard (statuses, counts,
reminders), send-back and acceptance with their rules, and the audit log. Uploads go through the unit's own
upload form, so every status comes from a real check of a real workbook."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from helpers import department

ROSTER = ("单位名称,代码,单位层级\n市教育局,11410100MB0001,部门\n市民政局,11410100MB0002,部门\n"
          "县政府（甲县）,410121,县级政府\n")


class Table(HTMLParser):
    """The rows of one table (by id) as (attributes of the tr, texts of its cells), and the href of links by id."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.rows, self.links = table_id, False, [], {}
        self.rows: list[tuple[dict[str, str | None], list[str]]]
        self.links: dict[str, str | None]
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("id"):
            self.links[str(found["id"])] = found.get("href")
        if tag == "table":
            self.inside = found.get("id") == self.table_id
        elif self.inside and tag == "tr":
            self.rows.append((found, []))
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1][1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table(html: bytes, table_id: str) -> Table:
    parsed = Table(table_id)
    parsed.feed(html.decode("utf-8"))
    return parsed


def upload(client: Any, book: Path) -> int:
    from xltools.portal.models import Upload

    with book.open("rb") as fh:
        response = client.post("/unit/upload/", {"file": fh})
    assert response.status_code == 302, response.content[:500]
    return int(Upload.objects.latest("pk").pk)


def office_client(round_: Any, client_for: Any) -> Any:
    return client_for(round_.office)


def test_round_from_roster_makes_accounts_shown_once(make_round: Any, client_for: Any, tmp_path: Path) -> None:
    from django.contrib.auth import authenticate
    from django.contrib.auth.models import User

    from xltools.portal.models import AuditEvent, RosterUnit, Round

    office = client_for(make_round(units=["旧单位"]).office, csrf=False)
    roster = tmp_path / "名单.csv"
    roster.write_text(ROSTER, encoding="gbk")  # as Excel saves a CSV on a Chinese Windows
    with roster.open("rb") as fh:
        response = office.post("/office/rounds/new/", {"unit": "郑州市人民政府", "year": "2024",
                                                       "deadline": "2025-01-31", "roster": fh})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = table(response.content, "accounts")
    header, *rows = page.rows
    assert header[1] == ["单位", "用户名", "初始密码"]
    assert [r[1][:2] for r in rows] == [["市教育局", "u2024-001"], ["市民政局", "u2024-002"],
                                       ["县政府（甲县）", "u2024-003"]]
    passwords = [r[1][2] for r in rows]
    assert len(set(passwords)) == 3 and all(len(p) >= 12 for p in passwords)
    new = Round.objects.get(unit="郑州市人民政府")
    assert (new.year, str(new.deadline), new.roster_name) == (2024, "2025-01-31", "名单.csv")
    units = list(RosterUnit.objects.filter(round=new).select_related("account").order_by("position"))
    assert [(u.position, u.name, u.code, u.level) for u in units] == [
        (1, "市教育局", "11410100MB0001", "部门"), (2, "市民政局", "11410100MB0002", "部门"),
        (3, "县政府（甲县）", "410121", "县级政府")]
    for unit, password in zip(units, passwords, strict=True):
        assert unit.account is not None and not unit.account.is_staff
        assert password not in unit.account.password and unit.account.password.startswith("pbkdf2_")
        assert authenticate(username=unit.account.username, password=password) == unit.account
    # the CSV is inside this response only (a data: link), UTF-8 with the BOM, same rows
    href = page.links["accounts-csv"]
    assert href is not None and href.startswith("data:text/csv;charset=utf-8,")
    text = unquote(href.split(",", 1)[1])
    assert text.startswith("\ufeff单位,用户名,初始密码\r\n")
    assert text[1:].splitlines()[1:] == [",".join(r[1]) for r in rows]
    assert AuditEvent.objects.filter(action="round_created", round=new).count() == 1
    # a second round of the same year numbers its accounts on
    roster.write_text("单位\n市财政局\n", encoding="utf-8")
    with roster.open("rb") as fh:
        again = office.post("/office/rounds/new/", {"unit": "郑州市", "year": "2024", "roster": fh})
    assert [r[1][1] for r in table(again.content, "accounts").rows[1:]] == ["u2024-004"]
    assert User.objects.filter(username__startswith="u2024-").count() == 4
    # the round list and the redirect to the newest round
    assert office.get("/office/")["Location"] == f"/office/rounds/{Round.objects.first().pk}/"  # type: ignore[union-attr]
    assert "郑州市人民政府2024年度" in office.get("/office/?all=1").content.decode()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("名单.csv", "单位名称\n市教育局\n市教育局\n".encode(), "名单 名单.csv 有问题：第 3 行“市教育局”与第 2 行重复"),
    ("名单.csv", "序号,地址\n1,某路\n".encode(), "名单 名单.csv 第一行没有“单位名称”列"),
    ("名单.txt", "单位名称\n市教育局\n".encode(), "名单必须是 .csv 或 .xlsx 文件"),
    ("名单.xlsx", b"not a workbook", "名单 名单.xlsx："),
], ids=["duplicate", "no-unit-column", "not-csv", "broken-xlsx"])
def test_bad_roster_gives_its_message_and_creates_nothing(make_round: Any, client_for: Any, name: str,
                                                         content: bytes, message: str) -> None:
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xltools.portal.models import Round

    office = client_for(make_round(units=["甲"]).office)
    users, rounds = User.objects.count(), Round.objects.count()
    response = office.post("/office/rounds/new/", {"unit": "某市", "year": "2024",
                                                   "roster": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text.replace("&quot;", "\"").replace("&ldquo;", "“")
    assert 'id="accounts"' not in text
    assert (User.objects.count(), Round.objects.count()) == (users, rounds)


def test_dashboard_decisions_and_reminders(make_round: Any, client_for: Any, tmp_path: Path) -> None:
    from xltools.portal.models import AuditEvent, Decision, RosterUnit, Upload

    round_ = make_round(units=["甲单位", "乙单位", "丙单位", "丁单位"], year=2024)
    units = {u.name: u for u in RosterUnit.objects.filter(round=round_).select_related("account")}
    office = office_client(round_, client_for)
    a1 = upload(client_for(units["甲单位"].account), department(tmp_path / "a", "甲单位"))
    b1 = upload(client_for(units["乙单位"].account), department(tmp_path / "b", "乙单位", error=True))
    d1 = upload(client_for(units["丁单位"].account), department(tmp_path / "d", "丁单位"))
    assert Upload.objects.get(pk=b1).status == "errors" and Upload.objects.get(pk=a1).status != "errors"

    # send back: a comment is required, then the unit is 已退回 with it
    office.post(f"/office/uploads/{d1}/return/", {"comment": "  "})
    assert not Decision.objects.filter(upload_id=d1).exists()
    back = office.post(f"/office/uploads/{d1}/return/", {"comment": "请补充第六部分"})
    assert back["Location"] == f"/office/rounds/{round_.pk}/#unit-{units['丁单位'].pk}"
    # accept: not a version with errors; a clean one is locked in and cannot be sent back afterwards
    office.post(f"/office/uploads/{b1}/accept/")
    office.post(f"/office/uploads/{a1}/accept/")
    office.post(f"/office/uploads/{a1}/return/", {"comment": "晚了"})
    assert list(Decision.objects.values_list("upload_id", "kind")) == [(a1, "accepted"), (d1, "returned")]

    page = office.get(f"/office/rounds/{round_.pk}/")
    rows = {attrs["data-unit"]: (attrs["data-status"], cells) for attrs, cells in table(page.content, "units").rows[1:]}
    assert {name: status for name, (status, _) in rows.items()} == {
        "甲单位": "accepted", "乙单位": "errors", "丙单位": "missing", "丁单位": "returned"}
    assert rows["乙单位"][1][:4] == ["2", "乙单位", "有错误", "第1版"]
    errors = Upload.objects.get(pk=b1).errors
    assert errors >= 1 and rows["乙单位"][1][5].startswith(f"{errors} / ")
    assert "请补充第六部分" in rows["丁单位"][1][2]
    html = page.content.decode()
    assert re.search(r'id="reminders">丙单位\n丁单位</pre>', html)
    counts = dict(re.findall(r'data-status="(\w+)" data-count="(\d+)"', html))
    assert counts == {"missing": "1", "errors": "1", "warnings": "0", "passed": "0", "returned": "1",
                      "accepted": "1"}
    assert f'href="/uploads/{b1}/"' in html and 'id="consolidate-form"' in html

    # a newer version moves the acceptance; the older one cannot take it back
    a2 = upload(client_for(units["甲单位"].account), department(tmp_path / "a2", "甲单位", bump=1))
    office.post(f"/office/uploads/{a2}/accept/")
    office.post(f"/office/uploads/{a1}/accept/")
    assert list(Decision.objects.filter(kind="accepted").order_by("at").values_list("upload_id", flat=True)) == [
        a1, a2]
    audit = office.get(f"/office/rounds/{round_.pk}/audit/").content.decode()
    assert audit.count('data-action="accepted"') == 2 and audit.count('data-action="returned"') == 1
    assert "请补充第六部分" in audit and "原采用第1版" in audit
    assert AuditEvent.objects.filter(action__in=("accepted", "returned"), round=round_).count() == 3


def test_units_cannot_use_office_pages_and_posts_need_post(make_round: Any, client_for: Any) -> None:
    from xltools.portal.models import RosterUnit

    round_ = make_round(units=["甲单位"])
    unit = client_for(RosterUnit.objects.get(round=round_).account)
    for url in ("/office/", "/office/rounds/new/", f"/office/rounds/{round_.pk}/",
                f"/office/rounds/{round_.pk}/audit/"):
        assert unit.get(url).status_code == 403, url
    assert unit.post(f"/office/rounds/{round_.pk}/consolidate/").status_code == 403
    office = office_client(round_, client_for)
    assert office.get(f"/office/rounds/{round_.pk}/consolidate/").status_code == 405
    assert office.get("/office/uploads/1/accept/").status_code == 405
    assert office.post("/office/uploads/999999/accept/").status_code == 404
    strict = client_for(round_.office, csrf=True)
    assert strict.post(f"/office/rounds/{round_.pk}/consolidate/").status_code == 403  # no CSRF token
