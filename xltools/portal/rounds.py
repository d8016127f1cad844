"""A new reporting round from a roster file, with one account per roster unit.

The roster is read by the same reader as ``consolidate --roster`` from a copy saved under a generated name in a
temporary folder (the uploaded file's name is only displayed). Each unit gets a readable user name
(``u2024-001``, numbered on after the year's earlier rounds) and a generated password, hashed by Django. The
passwords are shown once, in the response to the form, and offered there as a CSV file (UTF-8 with BOM, for Excel)
inside the page itself (a ``data:`` link): they are never stored in clear, not even in the session."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import secrets
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xltools.consolidate.roster import RosterEntry, read_roster
from xltools.errors import XltoolsError
from xltools.portal.access import audit, office_only
from xltools.portal.models import RosterUnit, Round

ROSTER_SUFFIXES = (".csv", ".xlsx", ".xlsm")
PASSWORD_CHARS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I: read aloud, typed
PASSWORD_LENGTH = 14


class RoundForm(forms.Form):
    unit = forms.CharField(label="汇总单位", max_length=200, strip=True)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    deadline = forms.DateField(label="报送截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    roster = forms.FileField(label="报送名单（.csv 或 .xlsx）")
    profile = forms.ChoiceField(label="地方规则配置", required=False)
    previous = forms.ModelChoiceField(label="上年度的轮次", queryset=Round.objects.all(), required=False,
                                      empty_label="不与上年度比较")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from xltools.portal.review import profile_choices

        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = profile_choices()  # type: ignore[attr-defined]

    def clean_roster(self) -> UploadedFile:
        roster: UploadedFile = self.cleaned_data["roster"]
        if Path(roster.name or "").suffix.lower() not in ROSTER_SUFFIXES:
            raise forms.ValidationError("名单必须是 .csv 或 .xlsx 文件（与 xltools consolidate --roster 相同）")
        if (roster.size or 0) > settings.UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(f"名单文件太大（最大 {settings.UPLOAD_MB:g} MB）")
        return roster


class Account(NamedTuple):
    unit: str
    username: str
    password: str


def office_user(request: HttpRequest) -> User:
    """The signed-in office account (the views are ``office_only``: anything else is refused)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def roster_entries(upload: UploadedFile) -> list[RosterEntry]:
    """The roster in an uploaded file, read from a copy under a generated name. Raises XltoolsError (RosterError,
    LimitError) with its Chinese message, naming the file as the office called it."""
    shown = Path(upload.name or "名单").name
    suffix = Path(shown).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="xltools-roster-") as folder:
        path = Path(folder) / f"{secrets.token_hex(8)}{suffix}"
        with open(path, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        try:
            return read_roster(path)
        except XltoolsError as exc:
            raise XltoolsError(str(exc).replace(path.name, shown)) from None
        except OSError as exc:
            raise XltoolsError(f"名单 {shown} 无法读取：{exc.strerror or exc}") from None


def new_password() -> str:
    while True:
        password = "".join(secrets.choice(PASSWORD_CHARS) for _ in range(PASSWORD_LENGTH))
        if re.search(r"[a-z]", password) and re.search(r"[A-Z]", password) and re.search(r"\d", password):
            return password


def free_usernames(year: int, count: int) -> list[str]:
    """``count`` user names ``u<year>-NNN`` after the highest one already taken."""
    prefix = f"u{year}-"
    taken = get_user_model().objects.filter(username__startswith=prefix).values_list("username", flat=True)
    numbers = [int(n[len(prefix):]) for n in taken if n[len(prefix):].isdigit()]
    first = max(numbers, default=0) + 1
    width = max(3, len(str(first + count - 1)))
    return [f"{prefix}{n:0{width}d}" for n in range(first, first + count)]


def create_round(request: HttpRequest, unit: str, year: int, deadline: dt.date | None, roster_name: str,
                 entries: list[RosterEntry], profile: str = "", previous: Round | None = None
                 ) -> tuple[Round, list[Account]]:
    """The round, its roster units and their accounts, all or nothing. Passwords are hashed in threads (the
    hash is made slow on purpose; hashlib releases the GIL), so a roster of hundreds of units takes seconds."""
    passwords = [new_password() for _ in entries]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        hashes = list(pool.map(make_password, passwords))
    user_model = get_user_model()
    for attempt in range(3):  # another round of the same year created at the same moment took the same names
        try:
            with transaction.atomic():
                names = free_usernames(year, len(entries))
                users = user_model.objects.bulk_create(
                    [user_model(username=n, password=h, first_name=e.unit[:150])
                     for n, h, e in zip(names, hashes, entries, strict=True)])
                new = Round.objects.create(unit=unit, year=year, deadline=deadline, roster_name=roster_name[:255],
                                           created_by=office_user(request), profile=profile, previous=previous)
                RosterUnit.objects.bulk_create(
                    [RosterUnit(round=new, position=i, name=e.unit, code=e.code, level=e.level, parent=e.parent,
                                account=u)
                     for i, (e, u) in enumerate(zip(entries, users, strict=True), start=1)])
            break
        except IntegrityError:
            if attempt == 2:
                raise
    settings_text = (f"，地方规则配置 {profile}" if profile else "") + (f"，上年度轮次 {previous}" if previous else "")
    audit(request, "round_created", round=new,
          detail=f"{new}，名单 {roster_name}，{len(entries)} 个单位{settings_text}")
    return new, [Account(e.unit, n, p) for e, n, p in zip(entries, names, passwords, strict=True)]


def accounts_csv(accounts: list[Account]) -> str:
    """The accounts as CSV text (with the BOM Excel needs to read UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["单位", "用户名", "初始密码"])
    for a in accounts:
        writer.writerow([_cell(a.unit), a.username, a.password])
    return "\ufeff" + out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet reads a cell starting with = + - @ as a formula: keep a unit's name text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@office_only
def round_new(request: HttpRequest) -> HttpResponse:
    form = RoundForm(request.POST or None, request.FILES or None)
    roster_problem = ""
    if request.method == "POST" and form.is_valid():
        roster = form.cleaned_data["roster"]
        try:
            entries = roster_entries(roster)
        except XltoolsError as exc:
            roster_problem = str(exc)
        else:
            new, accounts = create_round(request, form.cleaned_data["unit"], form.cleaned_data["year"],
                                         form.cleaned_data["deadline"], Path(roster.name or "").name, entries,
                                         form.cleaned_data["profile"] or "", form.cleaned_data["previous"])
            context: dict[str, Any] = {
                "round": new, "accounts": accounts,
                "csv_href": "data:text/csv;charset=utf-8," + quote(accounts_csv(accounts)),
                "csv_name": f"{new.unit}{new.year}年度-报送账号.csv"}
            response = render(request, "portal/round_accounts.html", context)
            response["Cache-Control"] = "no-store"  # the passwords must not stay in a cache
            return response
    return render(request, "portal/round_new.html", {"form": form, "roster_problem": roster_problem},
                  status=400 if request.method == "POST" else 200)
