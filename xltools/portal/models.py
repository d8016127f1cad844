"""The portal's data: reporting rounds, their roster units (each with its account), every upload (never
overwritten), the office's decisions on uploads, consolidations and the audit log.

Roles: the office is a staff user (``is_staff``); a unit is a user linked to exactly one ``RosterUnit`` (its
``account``). A 区县 office that consolidates its own departments is a unit of the city's round like any other."""

from __future__ import annotations

from django.conf import settings
from django.db import models

STATUS_TEXT = {  # the dashboard's words for a unit's state (codes are used in data-status attributes and tests)
    "missing": "未报送",
    "errors": "有错误",
    "warnings": "有警告",
    "passed": "通过",
    "returned": "已退回",
    "accepted": "已采用",
}


class Round(models.Model):
    """One reporting round: the consolidating unit (e.g. ××市), the year, the deadline and the roster."""

    unit = models.CharField("汇总单位", max_length=200)
    year = models.PositiveIntegerField("年度")
    deadline = models.DateField("报送截止日期", null=True, blank=True)
    roster_name = models.CharField("名单文件", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    profile = models.CharField("地方规则配置", max_length=100, blank=True)  # a profile name; "": the national format
    previous = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name="上年度的轮次")  # each upload is compared with its unit's upload there

    class Meta:
        ordering = ["-year", "-created_at"]
        verbose_name = verbose_name_plural = "报送轮次"

    def __str__(self) -> str:
        return f"{self.unit}{self.year}年度"


class RosterUnit(models.Model):
    """A unit of a round's roster (as ``consolidate --roster`` reads it) and the account it signs in with."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="units")
    position = models.PositiveIntegerField("序号")
    name = models.CharField("单位名称", max_length=200)
    code = models.CharField("统一社会信用代码或行政区划代码", max_length=64, blank=True)
    level = models.CharField("单位层级", max_length=20, blank=True)
    parent = models.CharField("上级汇总单位", max_length=200, blank=True)
    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="roster_unit")

    class Meta:
        ordering = ["round", "position"]
        constraints = [models.UniqueConstraint(fields=["round", "name"], name="unique_unit_name_per_round")]
        verbose_name = verbose_name_plural = "报送单位"

    def __str__(self) -> str:
        return self.name


class Upload(models.Model):
    """One uploaded file, kept for good: stored under a generated name (``stored``) in the data folder, with its
    content hash, who sent it and when, and the check's result. ``workbook`` is the workbook that was checked: the
    upload itself, or the one ``import`` made from a .docx/.pdf/.html/.txt report (``imported``)."""

    unit = models.ForeignKey(RosterUnit, on_delete=models.PROTECT, related_name="uploads")
    version = models.PositiveIntegerField("版本")
    original_name = models.CharField("文件名", max_length=255)
    stored = models.CharField(max_length=80, unique=True)
    workbook = models.CharField(max_length=80, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    imported = models.BooleanField("由报告导入", default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12)  # errors | warnings | passed | unreadable
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    infos = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict)  # the file's entry of `xltools check --format json`

    class Meta:
        ordering = ["unit", "-version"]
        constraints = [models.UniqueConstraint(fields=["unit", "version"], name="unique_upload_version")]
        verbose_name = verbose_name_plural = "上传文件"

    def __str__(self) -> str:
        return f"{self.unit} 第{self.version}版"


class Decision(models.Model):
    """The office's word on an upload: sent back (with the comment the unit sees) or accepted (locks it)."""

    RETURNED, ACCEPTED = "returned", "accepted"
    upload = models.ForeignKey(Upload, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=10, choices=[(RETURNED, "退回"), (ACCEPTED, "采用")])
    comment = models.TextField("意见", blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = verbose_name_plural = "审核意见"


class ExplanationReview(models.Model):
    """The office's word on one 情况说明 of an upload (as 校验申请审批 does): accepted or not, with a comment the
    unit sees. Keyed like the explanation (rule, cell) and keeping the text it judged; the latest review counts."""

    ACCEPTED, REJECTED = "accepted", "rejected"
    upload = models.ForeignKey(Upload, on_delete=models.PROTECT, related_name="explanation_reviews")
    rule = models.CharField("规则", max_length=64)
    cell = models.CharField("单元格", max_length=200)
    text = models.TextField("情况说明")
    decision = models.CharField(max_length=10, choices=[(ACCEPTED, "认可"), (REJECTED, "不认可")])
    comment = models.TextField("意见", blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = verbose_name_plural = "情况说明审核"


class Consolidation(models.Model):
    """A consolidation of a round's accepted uploads, run in the background: its progress and its files."""

    RUNNING, DONE, FAILED = "running", "done", "failed"
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="consolidations")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, default=RUNNING)
    progress = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    uploads = models.ManyToManyField(Upload, related_name="+")
    workbook = models.CharField(max_length=80, blank=True)
    overview = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = verbose_name_plural = "汇总"


class AuditEvent(models.Model):
    """Every sign-in (and failed one), upload, download, send-back, acceptance, round and consolidation."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True)  # as typed, for failed sign-ins
    action = models.CharField(max_length=30)
    round = models.ForeignKey(Round, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    unit = models.ForeignKey(RosterUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    upload = models.ForeignKey(Upload, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    detail = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = verbose_name_plural = "操作记录"
