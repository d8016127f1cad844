"""Issue 17 in the portal: a round's province profile (chosen when the round is made or later, every upload checked
with it), last year's round (each upload compared with the same unit's counted upload there, by code, else name;
shown on the upload's page and the dashboard), and the office's review of the units' 情况说明 (认可 / 不认可, kept
and audited). Uploads go through the unit's own upload form: every result comes from a real check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
from helpers import clean_document, department, previous_year_document
from test_office_pages import table, upload

LABEL = "示例省（演示用）〔example〕"


def _units(round_: Any, **codes: str) -> dict[str, Any]:
    from xltools.portal.models import RosterUnit

    units = {u.name: u for u in RosterUnit.objects.filter(round=round_).select_related("account")}
    for name, code in codes.items():
        units[name].code = code
        units[name].save(update_fields=["code"])
    return units


def _explained_book(folder: Path, text: str) -> Path:
    """A clean department workbook with one information finding (a 部门 reporting 规章, S_REGULATIONS_LEVEL at
    表二!B4) explained on its 情况说明 sheet."""
    from xltools.workbook.new import new

    doc = clean_document()
    doc.update(unit="甲单位", year=2024)
    doc["meta"] = {"date": "2025-01-20", "level": "部门"}
    doc["values"]["T2.regulations.issued"] = 1
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "doc.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    book = folder / "book" / "甲单位.xlsx"
    book.parent.mkdir()
    new(book, data=source)
    wb = openpyxl.load_workbook(book)
    ws = wb["情况说明"]
    ws["A3"], ws["B3"], ws["E3"] = "S_REGULATIONS_LEVEL", "表二!B4", text
    wb.save(book)
    return book


def test_a_round_checks_its_uploads_with_its_profile(make_round: Any, client_for: Any, tmp_path: Path) -> None:
    from xltools.portal.models import AuditEvent, Round, Upload

    round_ = make_round(units=["甲单位"], year=2024, profile="example")
    units = _units(round_)
    office = client_for(round_.office)
    a1 = upload(client_for(units["甲单位"].account), department(tmp_path / "a", "甲单位"))
    report = Upload.objects.get(pk=a1).report
    assert report["profile"] == LABEL
    assert "P_S6_NPC_CPPCC" in {f["rule"] for f in report["findings"]}, "the example's required item is missing"
    page = client_for(units["甲单位"].account).get(f"/uploads/{a1}/").content.decode()
    assert f"按地方规则配置校验：{LABEL}" in page
    assert f"校验规则：{LABEL}" in client_for(units["甲单位"].account).get("/unit/").content.decode()
    dashboard = office.get(f"/office/rounds/{round_.pk}/").content.decode()
    assert f'data-profile="example">{LABEL}</span>' in dashboard

    # the office switches the round to the national format: later uploads are checked without the profile
    response = office.post(f"/office/rounds/{round_.pk}/settings/", {"profile": "", "previous": ""})
    assert response.status_code == 302
    assert Round.objects.get(pk=round_.pk).profile == ""
    assert AuditEvent.objects.filter(action="round_settings", round=round_).count() == 1
    a2 = upload(client_for(units["甲单位"].account), department(tmp_path / "a2", "甲单位"))
    report = Upload.objects.get(pk=a2).report
    assert report["profile"] is None and "P_S6_NPC_CPPCC" not in {f["rule"] for f in report["findings"]}
    bad = office.post(f"/office/rounds/{round_.pk}/settings/", {"profile": "no-such-profile"})
    assert bad.status_code == 302 and Round.objects.get(pk=round_.pk).profile == ""
    assert client_for(units["甲单位"].account).post(f"/office/rounds/{round_.pk}/settings/",
                                                    {"profile": "example"}).status_code == 403


def test_a_new_round_takes_a_profile_and_last_years_round(make_round: Any, client_for: Any, tmp_path: Path) -> None:
    from xltools.portal.models import Round

    last = make_round(units=["市教育局"], year=2023)
    office = client_for(last.office)
    form = office.get("/office/rounds/new/").content.decode()
    assert f'<option value="example">{LABEL}</option>' in form and str(last) in form
    roster = tmp_path / "名单.csv"
    roster.write_text("单位名称,代码\n市教育局,11410100MB0001\n", encoding="utf-8")
    with roster.open("rb") as fh:
        response = office.post("/office/rounds/new/", {"unit": "某市", "year": "2024", "roster": fh,
                                                       "profile": "example", "previous": str(last.pk)})
    assert response.status_code == 200
    new = Round.objects.get(unit="某市")
    assert (new.profile, new.previous_id) == ("example", last.pk)


def test_each_upload_is_compared_with_last_years(make_round: Any, client_for: Any, tmp_path: Path) -> None:
    from xltools.portal.models import Upload
    from xltools.workbook.new import new

    last_round = make_round(units=["市教育局", "市民政局"], year=2023)
    last_units = _units(last_round, 市教育局="11410100MB0001")
    this_round = make_round(units=["教育局", "市民政局", "市财政局"], year=2024, previous=last_round)
    units = _units(this_round, 教育局="11410100MB0001")  # renamed: matched by its code

    # last year: 市教育局 consistent with this year's 上年结转 (accepted); 市民政局 not (its latest without errors)
    doc = clean_document()
    doc.update(unit="市教育局", year=2024)
    doc["meta"] = {"date": "2025-01-20", "level": "部门"}
    fits = tmp_path / "last" / "市教育局.xlsx"
    fits.parent.mkdir()
    source = tmp_path / "last.json"
    last = {**previous_year_document(doc), "texts": doc["texts"]}  # its texts too: a report without errors
    source.write_text(json.dumps(last, ensure_ascii=False), encoding="utf-8")
    new(fits, data=source)
    edu = upload(client_for(last_units["市教育局"].account), fits)
    client_for(last_round.office).post(f"/office/uploads/{edu}/accept/")
    upload(client_for(last_units["市民政局"].account), department(tmp_path / "m", "市民政局", year=2023))

    book = tmp_path / "this" / "教育局.xlsx"
    book.parent.mkdir()
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    new(book, data=source)
    e1 = upload(client_for(units["教育局"].account), book)
    m1 = upload(client_for(units["市民政局"].account), department(tmp_path / "m2", "市民政局"))
    f1 = upload(client_for(units["市财政局"].account), department(tmp_path / "f", "市财政局"))

    def prev(upload_id: int) -> tuple[Any, list[str]]:
        report = Upload.objects.get(pk=upload_id).report
        return report["previous"], [f["rule"] for f in report["findings"] if f["rule"].startswith("PREV_")]

    assert prev(e1)[0] is not None and "第1版" in prev(e1)[0] and prev(e1)[1] == []
    assert prev(m1)[0] is not None and "PREV_CARRIED_OVER" in prev(m1)[1]
    assert prev(f1) == (None, [])
    page = client_for(units["市民政局"].account).get(f"/uploads/{m1}/").content.decode()
    assert "已与上年度报送比较" in page and "处不符" in page

    rows = {attrs["data-unit"]: cells for attrs, cells in
            table(client_for(this_round.office).get(f"/office/rounds/{this_round.pk}/").content, "units").rows[1:]}
    assert rows["教育局"][6] == "与上年相符"
    assert rows["市民政局"][6] == f"{len(prev(m1)[1])} 处与上年不符"
    assert rows["市财政局"][6] == "无上年数据"


def test_the_office_accepts_or_rejects_each_explanation(make_round: Any, client_for: Any, tmp_path: Path) -> None:
    from xltools.portal.models import AuditEvent, ExplanationReview

    round_ = make_round(units=["甲单位"], year=2024)
    units = _units(round_)
    unit, office = client_for(units["甲单位"].account), client_for(round_.office)
    text = "本单位受市政府委托代拟规章一件，已说明。"
    a1 = upload(unit, _explained_book(tmp_path, text))
    ((attrs, cells),) = table(unit.get(f"/uploads/{a1}/").content, "explanations").rows[1:]
    assert (attrs["data-rule"], attrs["data-review"]) == ("S_REGULATIONS_LEVEL", "")
    assert cells[:2] == ["表二!B4", "S_REGULATIONS_LEVEL"] and "规章" in cells[2] and cells[3:5] == [text, "待审核"]
    findings = table(unit.get(f"/uploads/{a1}/").content, "findings").rows
    assert any(cells[-1] == f"已说明：{text}" for _, cells in findings[1:])
    dashboard = office.get(f"/office/rounds/{round_.pk}/").content.decode()
    assert 'data-explained="1" data-unreviewed="1"' in dashboard

    url = f"/office/uploads/{a1}/explanation/"
    key = {"rule": "S_REGULATIONS_LEVEL", "cell": "T2.regulations.issued"}
    assert unit.post(url, {**key, "decision": "accepted"}).status_code == 403, "a unit cannot review"
    office.post(url, {**key, "decision": "rejected", "comment": " "})
    assert not ExplanationReview.objects.exists(), "不认可 needs a comment"
    office.post(url, {**key, "decision": "rejected", "comment": "请提供代拟依据"})
    office.post(url, {"rule": "S_REGULATIONS_LEVEL", "cell": "T2.other", "decision": "accepted"})
    assert ExplanationReview.objects.count() == 1, "only an explanation the upload has can be reviewed"
    attrs, cells = table(unit.get(f"/uploads/{a1}/").content, "explanations").rows[1]
    assert attrs["data-review"] == "rejected" and "不认可" in cells[4] and "请提供代拟依据" in cells[4]
    office.post(url, {**key, "decision": "accepted"})
    attrs, cells = table(unit.get(f"/uploads/{a1}/").content, "explanations").rows[1]
    assert attrs["data-review"] == "accepted" and "已认可" in cells[4]
    assert list(ExplanationReview.objects.order_by("pk").values_list("decision", "text")) == [
        ("rejected", text), ("accepted", text)]
    assert 'data-explained="1" data-unreviewed="0"' in office.get(f"/office/rounds/{round_.pk}/").content.decode()
    events = AuditEvent.objects.filter(upload_id=a1, action__startswith="explanation_").order_by("pk")
    assert [e.action for e in events] == ["explanation_rejected", "explanation_accepted"]
    assert "请提供代拟依据" in events[0].detail

    # a new version with another text is not covered by the earlier review
    a2 = upload(unit, _explained_book(tmp_path / "v2", "另一种说明"))
    assert table(unit.get(f"/uploads/{a2}/").content, "explanations").rows[1][0]["data-review"] == ""
