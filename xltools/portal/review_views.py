"""The office's pages of issue 17: reviewing a unit's 情况说明 (认可 / 不认可, as 校验申请审批 does) and a round's
settings (its province profile and last year's round). Office only, POST with CSRF, audited."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.views.decorators.http import require_POST

from xltools.portal.access import audit, office_only, own_upload
from xltools.portal.models import ExplanationReview, Round
from xltools.portal.review import explanation_rows, profile_choices
from xltools.portal.rounds import office_user

DECISION_TEXT = {ExplanationReview.ACCEPTED: "认可", ExplanationReview.REJECTED: "不认可"}


@office_only
@require_POST
def explanation_review(request: HttpRequest, upload_id: int) -> HttpResponse:
    """认可 or 不认可 one explanation of an upload; 不认可 needs a comment (the unit sees it)."""
    upload = own_upload(request, upload_id)
    rule, cell = request.POST.get("rule", ""), request.POST.get("cell", "")
    decision = request.POST.get("decision", "")
    comment = request.POST.get("comment", "").strip()[:5000]
    row = next((r for r in explanation_rows(upload) if (r.rule, r.cell) == (rule, cell)), None)
    if row is None or decision not in DECISION_TEXT:
        messages.error(request, "没有找到这条情况说明（可能单位已重新上传）：请刷新页面后再试")
    elif decision == ExplanationReview.REJECTED and not comment:
        messages.error(request, "不认可情况说明需要填写意见（单位会看到这段话）")
    else:
        ExplanationReview.objects.create(upload=upload, rule=rule, cell=cell, text=row.text, decision=decision,
                                         comment=comment, by=office_user(request))
        audit(request, f"explanation_{decision}", upload=upload,
              detail=f"第{upload.version}版 {rule} {row.location}：{DECISION_TEXT[decision]}"
                     + (f"，意见：{comment}" if comment else ""))
        messages.success(request, f"已{DECISION_TEXT[decision]}{upload.unit.name}第{upload.version}版 {rule}"
                                  f"（{row.location}）的情况说明")
    return redirect("upload", upload_id=upload.pk)


class RoundSettingsForm(forms.Form):
    profile = forms.ChoiceField(label="地方规则配置", required=False)
    previous = forms.ModelChoiceField(label="上年度的轮次", queryset=Round.objects.none(), required=False,
                                      empty_label="不与上年度比较")

    def __init__(self, *args: object, current: Round | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = profile_choices()
        if current is not None and current.profile and current.profile not in dict(choices):
            choices.append((current.profile, f"{current.profile}（已不可用）"))
        self.fields["profile"].choices = choices  # type: ignore[attr-defined]
        rounds = Round.objects.all() if current is None else Round.objects.exclude(pk=current.pk)
        self.fields["previous"].queryset = rounds  # type: ignore[attr-defined]


@office_only
@require_POST
def round_settings(request: HttpRequest, round_id: int) -> HttpResponse:
    """Change a round's profile and last year's round: later uploads are checked with them (earlier results stay
    as they were checked; a unit uploads again to be checked anew)."""
    round_ = get_object_or_404(Round, pk=round_id)
    form = RoundSettingsForm(request.POST, current=round_)
    if not form.is_valid():
        messages.error(request, "设置有误：" + "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("round_dashboard", round_id=round_.pk)
    round_.profile = form.cleaned_data["profile"] or ""
    round_.previous = form.cleaned_data["previous"]
    round_.save(update_fields=["profile", "previous"])
    shown = dict(form.fields["profile"].choices).get(round_.profile, round_.profile)  # type: ignore[attr-defined]
    audit(request, "round_settings", round=round_,
          detail=f"地方规则配置：{shown}；上年度的轮次：{round_.previous or '无'}")
    messages.success(request, "已保存本轮设置：此后上传的文件按新设置校验（已上传的版本保留原来的校验结果）")
    return redirect("round_dashboard", round_id=round_.pk)


urlpatterns = [
    path("office/uploads/<int:upload_id>/explanation/", explanation_review, name="explanation_review"),
    path("office/rounds/<int:round_id>/settings/", round_settings, name="round_settings"),
]
