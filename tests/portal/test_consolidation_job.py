"""The office's consolidation: started by the dashboard's form, run in a background thread on the accepted
versions, its numbers equal to ``xltools consolidate`` on the same files and roster; failures are recorded with
their Chinese reason, never a traceback page."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path
from typing import Any

from helpers import department, run

STATE = re.compile(r'id="state" data-state="(\w+)"')


def upload(client: Any, book: Path) -> int:
    from xltools.portal.models import Upload

    with book.open("rb") as fh:
        response = client.post("/unit/upload/", {"file": fh})
    assert response.status_code == 302, response.content[:500]
    return int(Upload.objects.latest("pk").pk)


def wait_for(consolidation_id: int) -> None:
    """Join the job's thread (the view has already returned)."""
    threads = [t for t in threading.enumerate() if t.name == f"xltools-consolidation-{consolidation_id}"]
    for thread in threads:
        thread.join(timeout=300)
        assert not thread.is_alive()


def consolidate_in_portal(office: Any, round_id: int) -> tuple[int, str]:
    response = office.post(f"/office/rounds/{round_id}/consolidate/")
    assert response.status_code == 302
    found = re.fullmatch(r"/office/consolidations/(\d+)/", response["Location"])
    assert found, response["Location"]
    job = int(found.group(1))
    wait_for(job)
    page = office.get(response["Location"]).content.decode()
    return job, page


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_consolidation_equals_the_command(make_round: Any, client_for: Any, tmp_path: Path) -> None:
    from xltools.portal.models import Consolidation, RosterUnit

    round_ = make_round(units=["市教育局", "市民政局", "市财政局"], unit="测试市人民政府", year=2024)
    units = {u.name: u for u in RosterUnit.objects.filter(round=round_).select_related("account")}
    office = client_for(round_.office)
    books = {"市教育局": department(tmp_path / "1", "市教育局", bump=3),
             "市民政局": department(tmp_path / "2", "市民政局", bump=11)}
    first = upload(client_for(units["市民政局"].account), department(tmp_path / "0", "市民政局"))
    office.post(f"/office/uploads/{first}/accept/")  # then a newer version is accepted instead: that one counts
    for name, book in books.items():
        office.post(f"/office/uploads/{upload(client_for(units[name].account), book)}/accept/")
    job_id, page = consolidate_in_portal(office, round_.pk)
    job = Consolidation.objects.get(pk=job_id)
    assert (STATE.search(page).group(1), job.state) == ("done", "done"), (job.message, page)  # type: ignore[union-attr]
    assert "已汇总 2" in job.message and "未报送 1" in job.message
    assert 'id="download-workbook"' in page and 'id="download-overview"' in page
    workbook = office.get(f"/office/consolidations/{job_id}/download/workbook/")
    assert workbook.status_code == 200
    assert "attachment" in workbook["Content-Disposition"] and ".xlsx" in workbook["Content-Disposition"]
    mine = tmp_path / "portal.xlsx"
    mine.write_bytes(body(workbook))
    overview = body(office.get(f"/office/consolidations/{job_id}/download/overview/")).decode("utf-8")
    assert "市财政局" in overview and "未报送" in overview

    # the command, on the same two workbooks and the same roster
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name, book in books.items():
        shutil.copyfile(book, inputs / f"{name}.xlsx")
    roster = tmp_path / "名单.csv"
    roster.write_text("单位名称\n市教育局\n市民政局\n市财政局\n", encoding="utf-8")
    cli = tmp_path / "cli.xlsx"
    done = run("consolidate", inputs, "-o", cli, "--unit", "测试市人民政府", "--year", "2024", "--roster", roster)
    assert done.returncode == 1, done.stderr  # 市财政局 未报送
    ours, theirs = (json.loads(run("dump", p).stdout) for p in (mine, cli))
    assert ours["values"] == theirs["values"]
    assert (ours["unit"], ours["year"]) == ("测试市人民政府", 2024)
    assert ours["values"]["T3.new_received.natural_person"] != json.loads(run("dump", books["市教育局"]).stdout)[
        "values"]["T3.new_received.natural_person"]  # a real sum, not one unit's copy
    # units may not see or download it
    unit = client_for(units["市教育局"].account)
    assert unit.get(f"/office/consolidations/{job_id}/").status_code == 403
    assert unit.get(f"/office/consolidations/{job_id}/download/workbook/").status_code == 403


def test_failure_is_recorded_with_its_reason(make_round: Any, client_for: Any, tmp_path: Path) -> None:
    from xltools.portal.models import Consolidation, RosterUnit

    round_ = make_round(units=["市教育局"], year=2025)  # the unit reports 2024: nothing can be counted
    unit = RosterUnit.objects.get(round=round_)
    office = client_for(round_.office)
    office.post(f"/office/uploads/{upload(client_for(unit.account), department(tmp_path, '市教育局'))}/accept/")
    job_id, page = consolidate_in_portal(office, round_.pk)
    job = Consolidation.objects.get(pk=job_id)
    assert (STATE.search(page).group(1), job.state) == ("failed", "failed")  # type: ignore[union-attr]
    assert "没有可以汇总的单位" in job.message and "年度不符" in job.message
    assert "xltools-consolidation-" not in job.message and "/" not in job.message, "no server paths for the office"
    assert job.message in page and "Traceback" not in page and 'id="download-workbook"' not in page
    assert office.get(f"/office/consolidations/{job_id}/download/workbook/").status_code == 404


def test_nothing_accepted_and_one_job_at_a_time(make_round: Any, client_for: Any) -> None:
    from xltools.portal.models import AuditEvent, Consolidation

    round_ = make_round(units=["甲单位"])
    office = client_for(round_.office)
    response = office.post(f"/office/rounds/{round_.pk}/consolidate/")
    assert response["Location"] == f"/office/rounds/{round_.pk}/"
    assert not Consolidation.objects.exists()
    assert "还没有采用任何单位的报送" in office.get(response["Location"]).content.decode()
    running = Consolidation.objects.create(round=round_, started_by=round_.office)
    again = office.post(f"/office/rounds/{round_.pk}/consolidate/")
    assert again["Location"] == f"/office/consolidations/{running.pk}/"
    assert Consolidation.objects.count() == 1 and not AuditEvent.objects.filter(action="consolidation_started")
    assert 'data-state="running"' in office.get(again["Location"]).content.decode()
    # the server stopped under it: two hours later it no longer blocks the round, and says why
    import datetime as dt

    Consolidation.objects.filter(pk=running.pk).update(started_at=running.started_at - dt.timedelta(hours=3))
    office.post(f"/office/rounds/{round_.pk}/consolidate/")
    running.refresh_from_db()
    assert running.state == "failed" and "汇总被中断" in running.message


def test_input_names_are_never_paths(make_round: Any) -> None:
    from xltools.portal.consolidation_job import input_name
    from xltools.portal.models import RosterUnit, Upload

    upload = Upload(stored="0" * 32 + ".xlsm", workbook="0" * 32 + ".xlsm", original_name="x.xlsm")
    taken: set[str] = set()
    names = [input_name(RosterUnit(name=n, position=i), upload, taken)
             for i, n in enumerate(["../../etc/passwd", "..", "市/教育局", "市_教育局", "县政府（甲县）"], 1)]
    assert names == ["etc_passwd.xlsm", "单位.xlsm", "市_教育局.xlsm", "市_教育局-4.xlsm", "县政府（甲县）.xlsm"]
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in names)


def test_a_county_uploads_its_own_consolidation_and_the_city_counts_it_once(make_round: Any, client_for: Any,
                                                                             tmp_path: Path) -> None:
    """逐级汇总 through the portal: a 区县 office is a unit of the city's round and uploads the workbook its own
    ``xltools consolidate`` made; the city's consolidation counts its departments through it, once."""
    from xltools.portal.models import Consolidation, RosterUnit, Upload

    county = tmp_path / "county"
    county.mkdir()
    department(county, "县教育局", bump=2)
    department(county, "县民政局", bump=5)
    county_book = tmp_path / "某某县.xlsx"
    assert run("consolidate", county, "-o", county_book, "--unit", "某某县人民政府", "--year", "2024").returncode == 0
    import openpyxl

    from xltools.format.spec import load_spec

    spec, wb = load_spec(), openpyxl.load_workbook(county_book)
    wb["封面"][spec.meta_cell("date").address] = "2025-02-15"  # what the county office fills in before sending it up
    texts = {"S1.text": "全县总体情况。", "S5.text": "存在的问题。", "S6.text": "本年度未收取信息处理费。"}
    for cell_id, text in texts.items():
        wb["正文"][spec.cell(cell_id).address] = text
    wb.save(county_book)
    round_ = make_round(units=["某某县人民政府", "市财政局"], unit="测试市人民政府", year=2024)
    units = {u.name: u for u in RosterUnit.objects.filter(round=round_).select_related("account")}
    office = client_for(round_.office)
    for name, book in (("某某县人民政府", county_book), ("市财政局", department(tmp_path / "c", "市财政局"))):
        pk = upload(client_for(units[name].account), book)
        assert Upload.objects.get(pk=pk).status in ("passed", "warnings"), Upload.objects.get(pk=pk).report
        office.post(f"/office/uploads/{pk}/accept/")
    job_id, _ = consolidate_in_portal(office, round_.pk)
    job = Consolidation.objects.get(pk=job_id)
    assert job.state == "done", job.message
    from django.conf import settings

    def total(book: Path) -> int:
        dumped = run("dump", book)
        assert dumped.returncode == 0, dumped.stderr
        return int(json.loads(dumped.stdout)["values"]["T3.new_received.total"])

    departments = [county / "县教育局.xlsx", county / "县民政局.xlsx", tmp_path / "c" / "市财政局.xlsx"]
    assert total(Path(settings.RESULTS) / job.workbook) == sum(total(b) for b in departments)
