"""Django for the portal's tests, without pytest-django (shared by every test module under tests/portal).

- ``portal_settings``: Django configured (``xltools.portal.settings``) with a fresh data folder and a fresh, migrated
  database for the test (a copy of one database migrated once per session, so it is fast: a SQLite file, or with
  ``DATABASE_URL`` a PostgreSQL database created from a migrated template); yields
  ``django.conf.settings`` (``DATA``, ``FILES``, ``RESULTS`` point into the test's folder). The portal's code must
  read those through ``django.conf.settings``, never by importing ``xltools.portal.settings``.
- ``make_round(units=[...], **fields)``: a round (an office account as its creator, ``round.office``) with one roster
  unit per name, each with its own account (``round.units``; ``unit.account``); passwords are ``round.password``.
- ``client_for(user)``: a ``django.test.Client`` signed in as that user (``csrf=True`` enforces CSRF checks).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "Portal-test-密码-2025"


def _execute(sql: str) -> None:
    """One statement on the configured database, outside a transaction (CREATE/DROP DATABASE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture(scope="session")
def _portal_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Django set up once per session, and one migrated database that every test copies: a SQLite file, or with
    ``DATABASE_URL`` (the PostgreSQL run of .ci/run) a template database on that server."""
    data = tmp_path_factory.mktemp("portal-template")
    (data / "static").mkdir()  # STATIC_ROOT (WhiteNoise warns when it is missing)
    os.environ["DJANGO_SETTINGS_MODULE"] = "xltools.portal.settings"
    os.environ["XLTOOLS_PORTAL_DATA"] = str(data)
    os.environ["XLTOOLS_PORTAL_SECRET"] = "portal-tests-" + "x" * 40
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()  # allows the test client's host "testserver", records templates
    for name in ("XLTOOLS_PORTAL_DATA", "XLTOOLS_PORTAL_SECRET"):  # read by now: keep them from subprocesses
        os.environ.pop(name)
    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("sqlite3"):
        call_command("migrate", verbosity=0, interactive=False)
        connections.close_all()
        yield str(data / "portal.sqlite3")
        return
    base = default["NAME"]
    template = f"{base}_tpl_{secrets.token_hex(4)}"
    _execute(f'CREATE DATABASE "{template}"')
    connections.close_all()
    default["NAME"] = template
    call_command("migrate", verbosity=0, interactive=False)
    connections.close_all()
    default["NAME"] = base
    try:
        yield template
    finally:
        connections.close_all()
        _execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        connections.close_all()


@pytest.fixture
def portal_settings(_portal_template: str, tmp_path: Path) -> Iterator[Any]:
    from django.conf import settings
    from django.db import connections
    from django.test.utils import override_settings

    data = tmp_path / "portal-data"
    data.mkdir()
    connections.close_all()
    default = settings.DATABASES["default"]  # the same dict the connections use: switch it in place
    base = default["NAME"]
    postgres = not default["ENGINE"].endswith("sqlite3")
    if postgres:
        name = f"{base}_t_{secrets.token_hex(4)}"
        _execute(f'CREATE DATABASE "{name}" TEMPLATE "{_portal_template}"')
        connections.close_all()
    else:
        name = str(data / "portal.sqlite3")
        shutil.copyfile(_portal_template, name)
    default["NAME"] = name
    try:
        with override_settings(DATA=data, FILES=data / "files", RESULTS=data / "results"):
            yield settings
    finally:
        connections.close_all()
        default["NAME"] = base
        if postgres:
            _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connections.close_all()


@pytest.fixture
def make_round(portal_settings: Any) -> Callable[..., Any]:
    from django.contrib.auth.models import User

    from xltools.portal.models import RosterUnit, Round

    def make(units: list[str] | tuple[str, ...] = ("甲单位", "乙单位"), **fields: Any) -> Round:
        office = User.objects.filter(username="office").first()
        if office is None:
            office = User.objects.create_user("office", password=PASSWORD, is_staff=True)
        fields.setdefault("unit", "测试市")
        fields.setdefault("year", 2025)
        new = Round.objects.create(created_by=office, **fields)
        for position, name in enumerate(units, start=1):
            account = User.objects.create_user(f"r{new.pk}u{position}", password=PASSWORD)
            RosterUnit.objects.create(round=new, position=position, name=name, account=account)
        new.office = office  # type: ignore[attr-defined]
        new.password = PASSWORD  # type: ignore[attr-defined]
        return new

    return make


@pytest.fixture
def client_for(portal_settings: Any) -> Callable[..., Any]:
    from django.test import Client

    def client(user: Any, csrf: bool = False) -> Client:
        signed_in = Client(enforce_csrf_checks=csrf)
        signed_in.force_login(user)
        return signed_in

    return client
