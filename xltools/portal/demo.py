"""The demo round of ``xltools serve --demo``: an office account and a round of 演示市 with a few units (the roster
built here, in code), each with its account. Passwords are generated anew on every call (only their hashes are
stored) and returned for the command to print once."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.models import User
from django.db import transaction

from xltools.portal.models import RosterUnit, Round

OFFICE = "demo-office"
ROUND_UNIT = "鹤岗市"
UNITS = [  # name, code, level: the first is the unit of the example workbook (examples/hegang-kejiju-2021.xlsx)
    ("鹤岗市科学技术局", "", "部门"),
    ("鹤岗市教育局", "", "部门"),
    ("鹤岗市财政局", "", "部门"),
    ("向阳区人民政府", "230402", "县级政府"),
]


def _password() -> str:
    return secrets.token_urlsafe(9)  # 12 characters: letters, digits, - and _


def _account(username: str, password: str, *, staff: bool = False) -> None:
    user = User.objects.filter(username=username).first() or User(username=username)
    user.is_staff = user.is_superuser = staff
    user.is_active = True
    user.set_password(password)
    user.save()


@transaction.atomic
def create_demo() -> list[tuple[str, str, str]]:
    """Create (or refresh) the demo: [(role, username, password)], the office first."""
    accounts = [("政务公开办", OFFICE, _password())]
    _account(OFFICE, accounts[0][2], staff=True)
    office = User.objects.get(username=OFFICE)
    year = dt.date.today().year - 1
    demo = Round.objects.filter(unit=ROUND_UNIT, roster_name="演示名单").first()
    if demo is None:
        demo = Round.objects.create(unit=ROUND_UNIT, year=year, deadline=dt.date(year + 1, 1, 31),
                                    roster_name="演示名单", created_by=office)
    for position, (name, code, level) in enumerate(UNITS, start=1):
        username, password = f"demo-unit{position}", _password()
        _account(username, password)
        account = User.objects.get(username=username)
        RosterUnit.objects.update_or_create(round=demo, name=name, defaults={
            "position": position, "code": code, "level": level, "parent": ROUND_UNIT, "account": account})
        accounts.append((name, username, password))
    return accounts
