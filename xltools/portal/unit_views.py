"""A unit's pages: its round and status, the upload form and its history (``/unit/``), the upload itself
(``/unit/upload/``), and an upload's result and downloads (``/uploads/<id>/``), which the office sees too (every
upload is looked up through ``access.own_upload``: another unit's id is a 404)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from xltools.format.findings import fmt_number
from xltools.portal.access import audit, is_office, own_upload, unit_of
from xltools.portal.models import Upload
from xltools.portal.review import explanation_rows, previous_findings, profile_label
from xltools.portal.status import state_of
from xltools.portal.uploads import ACCEPT, KIND_LABEL, Refused, edited_copy, receive, same_as

SEVERITY_TEXT = {"error": "错误", "warning": "警告", "info": "提示"}
VERDICT_TEXT = {"errors": "有错误，请修改后重新上传", "warnings": "有警告，请核实", "passed": "校验通过",
                "unreadable": "无法读取"}


@require_GET
def unit_page(request: HttpRequest) -> HttpResponse:
    unit = unit_of(request)
    state = state_of(unit)
    return render(request, "portal/unit.html", {
        "unit": unit, "round": unit.round, "state": state, "accept": ACCEPT,
        "profile": profile_label(unit.round.profile),
        "uploads": unit.uploads.order_by("-version"), "upload_mb": settings.UPLOAD_MB})


@require_POST
def unit_upload(request: HttpRequest) -> HttpResponse:
    unit = unit_of(request)
    source = request.FILES.get("file")
    if source is None:
        messages.error(request, "请先选择要上传的文件")
        return redirect("unit")
    try:
        upload = receive(unit, source, request.user)
    except Refused as exc:
        audit(request, "upload_refused", unit=unit, detail=f"{source.name}：{exc}")
        messages.error(request, str(exc))
        return redirect("unit")
    audit(request, "upload", upload=upload,
          detail=f"第{upload.version}版 {upload.original_name} sha256={upload.sha256} {upload.status}")
    return redirect("upload", upload_id=upload.pk)


def _cell(value: Any) -> str:
    return fmt_number(value) if value is not None else ""


def finding_rows(upload: Upload) -> list[dict[str, str]]:
    """The findings of an upload's check, as the result table shows them (the CLI's JSON, field by field)."""
    rows = []
    for f in upload.report.get("findings", []):
        first = f["cells"][0] if f.get("cells") else {}
        rows.append({"rule": f["rule"], "severity": f["severity"],
                     "severity_text": SEVERITY_TEXT.get(f["severity"], f["severity"]),
                     "ref": f.get("location", ""), "row": first.get("row_label", ""),
                     "column": first.get("column_label", ""), "message": f["message"]["zh"],
                     "expected": _cell(f.get("expected")), "actual": _cell(f.get("actual")),
                     "fix": f["fix"]["zh"], "explanation": (f.get("explanation") or {}).get("text", "")})
    return rows


@require_GET
def upload_page(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = own_upload(request, upload_id)
    return render(request, "portal/upload.html", {
        "upload": upload, "unit": upload.unit, "round": upload.unit.round, "findings": finding_rows(upload),
        "verdict": VERDICT_TEXT.get(upload.status, upload.status), "reason": upload.report.get("reason"),
        "same_as": same_as(upload), "decisions": upload.decisions.all(), "office": is_office(request.user),
        "explanations": explanation_rows(upload), "previous": upload.report.get("previous"),
        "previous_findings": len(previous_findings(upload)), "profile": upload.report.get("profile") or "",
        "round_profile": profile_label(upload.unit.round.profile),
        "copies": bool(upload.workbook) and upload.status != "unreadable"})


@require_GET
def upload_download(request: HttpRequest, upload_id: int, kind: str) -> HttpResponseBase:
    upload = own_upload(request, upload_id)
    if kind not in KIND_LABEL:
        raise Http404
    audit(request, "download", upload=upload, detail=f"第{upload.version}版 {KIND_LABEL[kind]}")
    if kind == "original":
        stored = Path(settings.FILES) / upload.stored
        return FileResponse(stored.open("rb"), as_attachment=True, filename=upload.original_name)
    copy, name_or_reason = edited_copy(upload, kind)
    if copy is None:
        messages.error(request, f"无法生成“{KIND_LABEL[kind]}”副本：{name_or_reason}")
        return redirect("upload", upload_id=upload.pk)
    return FileResponse(copy, as_attachment=True, filename=name_or_reason)


urlpatterns = [
    path("unit/", unit_page, name="unit"),
    path("unit/upload/", unit_upload, name="unit_upload"),
    path("uploads/<int:upload_id>/", upload_page, name="upload"),
    path("uploads/<int:upload_id>/download/<str:kind>/", upload_download, name="upload_download"),
]
