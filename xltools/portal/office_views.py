"""The office's pages: rounds, the dashboard of a round, the decisions on uploads, consolidation and the audit log.

Every view here is for the office only (``office_only``: 403 for a unit's account); every state change is a POST
with its CSRF token and is audited. Round creation and accounts are in ``rounds``, the background consolidation
in ``consolidation_job``.

Decisions (one rule, so that ``status.state_of`` reads them as the office meant):
- 退回 needs a comment (the unit sees it); an accepted version cannot be sent back.
- 采用 locks a version for consolidation. A version with errors (or unreadable) cannot be accepted: consolidation
  would leave it out. Accepting a newer version of the same unit moves the acceptance to it (the earlier decision
  stays in the history); an older version than the accepted one cannot be accepted instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xltools.portal import consolidation_job
from xltools.portal.access import audit, office_only, own_upload
from xltools.portal.models import STATUS_TEXT, AuditEvent, Consolidation, Decision, Round, Upload
from xltools.portal.review import profile_label, review_of
from xltools.portal.review_views import RoundSettingsForm
from xltools.portal.rounds import office_user, round_new
from xltools.portal.status import UnitState, state_of

STALE = dt.timedelta(hours=2)  # a consolidation of a province's round takes minutes; two hours means it was cut off

ACTION_TEXT = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出", "upload": "上传", "download": "下载",
    "returned": "退回", "accepted": "采用", "round_created": "创建轮次", "consolidation_started": "开始汇总",
    "consolidation_download": "下载汇总结果", "explanation_accepted": "认可情况说明",
    "explanation_rejected": "不认可情况说明", "round_settings": "修改轮次设置",
}
AUDIT_ROWS = 2000


@office_only
def office(request: HttpRequest) -> HttpResponse:
    rounds = list(Round.objects.all())
    if rounds and not request.GET.get("all"):
        return redirect("round_dashboard", round_id=rounds[0].pk)
    return render(request, "portal/office.html", {"rounds": rounds})


def unit_rows(round_: Round) -> list[tuple[Any, UnitState]]:
    return [(unit, state_of(unit)) for unit in round_.units.order_by("position")]


@office_only
def round_dashboard(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    rows = unit_rows(round_)
    counts = {code: 0 for code in STATUS_TEXT}
    for _, state in rows:
        counts[state.code] += 1
    reminders = [u.name for u, s in rows if s.code == "missing"] + [u.name for u, s in rows if s.code == "returned"]
    context = {
        "round": round_, "rows": [(u, s, review_of(s.latest)) for u, s in rows], "reminders": "\n".join(reminders),
        "profile": profile_label(round_.profile),
        "settings_form": RoundSettingsForm(initial={"profile": round_.profile, "previous": round_.previous},
                                           current=round_),
        "counts": [(code, text, counts[code]) for code, text in STATUS_TEXT.items()],
        "consolidations": round_.consolidations.all()[:10],
    }
    return render(request, "portal/round_dashboard.html", context)


def _back(request: HttpRequest, upload: Upload) -> HttpResponse:
    """Back to the upload's page when the form was there, else to the round's dashboard at the unit's row."""
    if request.POST.get("back") == "upload":
        return redirect("upload", upload.pk)
    return redirect(reverse("round_dashboard", args=[upload.unit.round_id]) + f"#unit-{upload.unit.pk}")


@office_only
@require_POST
def upload_return(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = own_upload(request, upload_id)
    comment = request.POST.get("comment", "").strip()
    if not comment:
        messages.error(request, f"退回{upload.unit.name}第{upload.version}版需要填写意见（单位会看到这段话）")
    elif upload.decisions.filter(kind=Decision.ACCEPTED).exists():
        messages.error(request, f"{upload.unit.name}第{upload.version}版已采用，不能退回")
    else:
        Decision.objects.create(upload=upload, kind=Decision.RETURNED, comment=comment[:5000], by=office_user(request))
        audit(request, "returned", unit=upload.unit, upload=upload, detail=f"第{upload.version}版：{comment}")
        messages.success(request, f"已退回{upload.unit.name}第{upload.version}版")
    return _back(request, upload)


def accept_problem(upload: Upload, state: UnitState) -> str:
    """Why ``upload`` cannot be accepted (see the module's rule), or ""."""
    if upload.status in ("errors", "unreadable"):
        return (f"{upload.unit.name}第{upload.version}版有错误，不能采用（汇总时不会计入）：请退回并写明要修改的地方")
    if state.accepted is not None and state.accepted.pk == upload.pk:
        return f"{upload.unit.name}第{upload.version}版已经采用"
    if state.accepted is not None and state.accepted.version > upload.version:
        return (f"{upload.unit.name}已采用更新的第{state.accepted.version}版，不能改为采用较早的第{upload.version}版")
    return ""


@office_only
@require_POST
def upload_accept(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = own_upload(request, upload_id)
    with transaction.atomic():
        state = state_of(upload.unit)
        problem = accept_problem(upload, state)
        if not problem:
            Decision.objects.create(upload=upload, kind=Decision.ACCEPTED, by=office_user(request),
                                    comment=request.POST.get("comment", "").strip()[:5000])
    if problem:
        messages.error(request, problem)
        return _back(request, upload)
    moved = f"（原采用第{state.accepted.version}版）" if state.accepted is not None else ""
    audit(request, "accepted", unit=upload.unit, upload=upload, detail=f"第{upload.version}版{moved}")
    messages.success(request, f"已采用{upload.unit.name}第{upload.version}版{moved}")
    return _back(request, upload)


@office_only
@require_POST
def round_consolidate(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    # a job still "running" after STALE was cut off (the server stopped or restarted under it): it failed
    round_.consolidations.filter(state=Consolidation.RUNNING, started_at__lt=timezone.now() - STALE).update(
        state=Consolidation.FAILED, finished_at=timezone.now(),
        message="汇总被中断（服务器在汇总过程中停止或重启），没有生成结果：请重新汇总")
    running = round_.consolidations.filter(state=Consolidation.RUNNING).first()
    if running is not None:
        messages.info(request, "这一轮的汇总正在进行，请等它完成")
        return redirect("consolidation", running.pk)
    accepted = [s.accepted for _, s in unit_rows(round_) if s.accepted is not None]
    if not accepted:
        messages.error(request, "还没有采用任何单位的报送：请先在下表中采用各单位通过校验的版本，再汇总")
        return redirect("round_dashboard", round_id=round_.pk)
    job = Consolidation.objects.create(round=round_, started_by=office_user(request),
                                       progress=f"等待开始：{len(accepted)} 份已采用的工作簿")
    job.uploads.set(accepted)
    audit(request, "consolidation_started", round=round_, detail=f"汇总 #{job.pk}：{len(accepted)} 个已采用的单位")
    transaction.on_commit(lambda: consolidation_job.start(job))
    return redirect("consolidation", job.pk)


@office_only
def consolidation(request: HttpRequest, consolidation_id: int) -> HttpResponse:
    job = get_object_or_404(Consolidation.objects.select_related("round", "started_by"), pk=consolidation_id)
    return render(request, "portal/consolidation.html", {"job": job, "round": job.round,
                                                         "count": job.uploads.count()})


@office_only
def consolidation_download(request: HttpRequest, consolidation_id: int, kind: str) -> FileResponse:
    job = get_object_or_404(Consolidation.objects.select_related("round"), pk=consolidation_id,
                            state=Consolidation.DONE)
    names = {"workbook": (job.workbook, "汇总.xlsx"), "overview": (job.overview, "汇总情况.html")}
    if kind not in names or not names[kind][0]:
        raise Http404
    stored, ending = names[kind]
    try:
        handle = open(settings.RESULTS / stored, "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        raise Http404 from None
    audit(request, "consolidation_download", round=job.round, detail=f"汇总 #{job.pk} {kind}")
    return FileResponse(handle, as_attachment=True, filename=f"{job.round.unit}{job.round.year}年度{ending}")


@office_only
def round_audit(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    events = (AuditEvent.objects.filter(Q(round=round_) | Q(unit__round=round_) | Q(user__roster_unit__round=round_))
              .select_related("unit", "upload").order_by("-at")[:AUDIT_ROWS])
    rows = [(e, ACTION_TEXT.get(e.action, e.action)) for e in events]
    return render(request, "portal/round_audit.html", {"round": round_, "rows": rows, "limit": AUDIT_ROWS})


urlpatterns = [
    path("office/", office, name="office"),
    path("office/rounds/new/", round_new, name="round_new"),
    path("office/rounds/<int:round_id>/", round_dashboard, name="round_dashboard"),
    path("office/rounds/<int:round_id>/consolidate/", round_consolidate, name="round_consolidate"),
    path("office/rounds/<int:round_id>/audit/", round_audit, name="round_audit"),
    path("office/uploads/<int:upload_id>/return/", upload_return, name="upload_return"),
    path("office/uploads/<int:upload_id>/accept/", upload_accept, name="upload_accept"),
    path("office/consolidations/<int:consolidation_id>/", consolidation, name="consolidation"),
    path("office/consolidations/<int:consolidation_id>/download/<str:kind>/", consolidation_download,
         name="consolidation_download"),
]
