"""Access control over EVERY URL of the portal (issue 18, "Security"), found by walking the URL resolver, so that a
page added without a rule here fails ``test_every_url_has_a_rule``:

- anonymous: redirected to the sign-in page (only the sign-in pages answer);
- unit B's session on unit A's upload pages and downloads: 403/404, and not a byte of A's data in the answer;
- a unit's session on every /office/ and /admin/ URL: 403 or a redirect to a sign-in page, and nothing changes;
- every POST without a CSRF token: 403, and nothing changes; every form the pages show carries the token;
- GET on a POST-only view: 405.

Path parameters are filled with the ids of real objects (unit A's upload, the round, a finished consolidation),
made through the portal's own views."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers import department

PUBLIC, SIGNED_IN, UNIT, OWN_UPLOAD, OFFICE, ADMIN = "public", "signed-in", "unit", "own-upload", "office", "admin"


@dataclass(frozen=True)
class Rule:
    """Who may use a URL (``access``), with which methods, which object its integer parameter names (``obj``) and
    the values of its string parameter (``kinds``)."""

    access: str
    methods: tuple[str, ...]
    obj: str = ""
    kinds: tuple[str, ...] = ()


# One rule per named URL of the portal (the contract's names). The admin's URLs all go through AdminSite.admin_view
# (staff only) and are swept as ADMIN; only its own sign-in page is public.
RULES: dict[str, Rule] = {
    "login": Rule(PUBLIC, ("GET", "POST")),
    "logout": Rule(SIGNED_IN, ("POST",)),
    "home": Rule(SIGNED_IN, ("GET",)),
    "unit": Rule(UNIT, ("GET",)),
    "unit_upload": Rule(UNIT, ("POST",)),
    "upload": Rule(OWN_UPLOAD, ("GET",), "upload"),
    "upload_download": Rule(OWN_UPLOAD, ("GET",), "upload", ("original", "annotated", "filled")),
    "office": Rule(OFFICE, ("GET",)),
    "round_new": Rule(OFFICE, ("GET", "POST")),
    "round_dashboard": Rule(OFFICE, ("GET",), "round"),
    "round_audit": Rule(OFFICE, ("GET",), "round"),
    "round_consolidate": Rule(OFFICE, ("POST",), "round"),
    "upload_return": Rule(OFFICE, ("POST",), "upload"),
    "upload_accept": Rule(OFFICE, ("POST",), "upload"),
    "explanation_review": Rule(OFFICE, ("POST",), "upload"),
    "round_settings": Rule(OFFICE, ("POST",), "round"),
    "consolidation": Rule(OFFICE, ("GET",), "consolidation"),
    "consolidation_download": Rule(OFFICE, ("GET",), "consolidation", ("workbook", "overview")),
}
ADMIN_PUBLIC = {"admin:login"}
ADMIN_VALUES = {"app_label": "portal", "url": "portal/no-such-page/"}  # the admin's non-id parameters
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


@dataclass(frozen=True)
class Endpoint:
    name: str  # "admin:..." for the admin's URLs ("admin:" alone for its unnamed ones)
    route: str  # the full route as written in the URL patterns
    params: tuple[tuple[str, str], ...]  # (name, converter) in order

    @property
    def rule(self) -> Rule:
        if self.name.startswith("admin:"):
            return Rule(PUBLIC if self.name in ADMIN_PUBLIC else ADMIN, ("GET", "POST"))
        return RULES[self.name]


def endpoints() -> list[Endpoint]:
    """Every URL pattern of ``xltools.portal.urls``, walked through nested includes."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[Endpoint] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route, namespace + (f"{pattern.namespace}:" if pattern.namespace else ""))
            else:
                assert isinstance(pattern, URLPattern)
                params = tuple((m[2] or m[3], m[1] or ("regex" if m[3] else "str"))
                               for m in PARAMETER.finditer(route))
                found.append(Endpoint(namespace + (pattern.name or ""), route, params))

    walk(get_resolver("xltools.portal.urls").url_patterns, "", "")
    return found


@dataclass
class World:
    """A round with units A and B, each with an upload made through the upload page, accepted by the office, and a
    finished consolidation; the signed-in clients."""

    round: Any
    a: Any
    b: Any
    upload_a: Any
    upload_b: Any
    consolidation: Any
    a_bytes: bytes
    clients: dict[str, Any] = field(default_factory=dict)

    def ids(self, obj: str, other: bool = False) -> int:
        return {"upload": (self.upload_b if other else self.upload_a).pk, "round": self.round.pk,
                "consolidation": self.consolidation.pk}[obj]

    def urls(self, endpoint: Endpoint) -> list[str]:
        """The endpoint's URLs with unit A's objects (one per ``kinds`` value)."""
        rule = endpoint.rule
        kinds = rule.kinds or ("",)
        urls = []
        for kind in kinds:
            def fill(m: re.Match[str], kind: str = kind) -> str:
                name, converter = m[2] or m[3], m[1] or ("regex" if m[3] else "str")
                if rule.access == ADMIN or endpoint.name.startswith("admin:"):
                    return ADMIN_VALUES.get(name, str(self.upload_a.pk))
                if converter == "int":
                    return str(self.ids(rule.obj))
                return kind
            url = "/" + PARAMETER.sub(fill, endpoint.route).lstrip("^").rstrip("$")
            urls.append(url)
        return urls

    def counts(self) -> dict[str, int]:
        from xltools.portal.models import Consolidation, Decision, Round, Upload

        return {m.__name__: m.objects.count() for m in (Round, Upload, Decision, Consolidation)}


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def upload(client: Any, book: Path) -> int:
    from xltools.portal.models import Upload

    before = set(Upload.objects.values_list("pk", flat=True))
    with book.open("rb") as fh:
        response = client.post("/unit/upload/", {"file": fh})
    assert response.status_code == 302, (response.status_code, body_of(response)[:500])
    (new,) = set(Upload.objects.values_list("pk", flat=True)) - before
    assert response["Location"].rstrip("/").endswith(f"/uploads/{new}"), response["Location"]
    return int(new)


@pytest.fixture
def world(make_round: Any, client_for: Any, tmp_path: Path) -> Iterator[World]:
    from django.urls import reverse

    from xltools.portal.models import Consolidation, Upload

    made = make_round(units=["甲单位保密局", "乙单位文旅局"], year=2024)
    a, b = made.units.order_by("position")
    clients = {"a": client_for(a.account), "b": client_for(b.account), "office": client_for(made.office)}
    book_a = department(tmp_path / "a", a.name, name="甲单位-内部材料-7f3a")
    book_b = department(tmp_path / "b", b.name, bump=3)
    upload_a, upload_b = (Upload.objects.get(pk=upload(clients[k], book)) for k, book in (("a", book_a),
                                                                                          ("b", book_b)))
    for pk in (upload_a.pk, upload_b.pk):
        response = clients["office"].post(reverse("upload_accept", args=[pk]))
        assert response.status_code in (200, 302), response.status_code
    response = clients["office"].post(reverse("round_consolidate", args=[made.pk]))
    assert response.status_code == 302, response.status_code
    consolidation = Consolidation.objects.get(round=made)
    deadline = time.monotonic() + 120  # the background thread must be done before the database goes away
    while consolidation.state == Consolidation.RUNNING and time.monotonic() < deadline:
        time.sleep(0.2)
        consolidation.refresh_from_db()
    assert consolidation.state == Consolidation.DONE, (consolidation.state, consolidation.message)
    yield World(made, a, b, upload_a, upload_b, consolidation, book_a.read_bytes(), clients)


def sign_in_redirect(response: Any, url: str = "") -> bool:
    """A redirect to the portal's or the admin's sign-in page (the admin's sign-out sends a non-staff account to
    the admin's index, itself swept here)."""
    targets = ("/login/", "/admin/login/", *(("/admin/",) if url == "/admin/logout/" else ()))
    return response.status_code == 302 and response["Location"].split("?")[0] in targets


def sweep(world: World, *accesses: str) -> Iterator[tuple[Endpoint, str]]:
    for endpoint in endpoints():
        if endpoint.rule.access in accesses:
            for url in world.urls(endpoint):
                yield endpoint, url


def call(client: Any, method: str, url: str) -> Any:
    return client.get(url) if method == "GET" else client.post(url, {"comment": "越权测试", "unit": "越权测试"})


def test_every_url_has_a_rule(portal_settings: Any) -> None:
    """A new page must get a rule here (and so its sweep) before it can be added; every name of the contract is
    there, and every admin URL is the admin site's (staff only)."""
    found = endpoints()
    names = {e.name for e in found}
    unknown = [(e.name or "(no name)", e.route) for e in found if not e.name.startswith("admin:")
               and e.name not in RULES]
    assert not unknown, f"URL patterns without an access rule in {__file__}: {unknown}"
    assert not set(RULES) - names, f"the contract's URLs missing: {sorted(set(RULES) - names)}"
    for endpoint in found:
        ints = [p for p, converter in endpoint.params if converter == "int"]
        strs = [p for p, converter in endpoint.params if converter in ("str", "slug")]
        if not endpoint.name.startswith("admin:"):
            assert len(ints) == (1 if endpoint.rule.obj else 0), endpoint
            assert len(strs) == (1 if endpoint.rule.kinds else 0), endpoint
        else:
            assert endpoint.route.startswith("admin/"), endpoint


def test_anonymous_is_sent_to_sign_in(world: World) -> None:
    from django.test import Client

    anonymous = Client()
    wrong = []
    for endpoint in endpoints():
        for url in world.urls(endpoint):
            for method in ("GET", "POST"):
                response = call(anonymous, method, url)
                if endpoint.rule.access == PUBLIC:
                    ok = response.status_code in (200, 302, 405) and not body_of(response).count(
                        world.a.name.encode())
                else:
                    ok = sign_in_redirect(response) and world.a.name.encode() not in body_of(response)
                if not ok:
                    wrong.append((method, url, response.status_code, response.get("Location")))
    assert not wrong, f"anonymous requests not sent to the sign-in page: {wrong}"
    assert world.counts()["Upload"] == 2 and world.counts()["Round"] == 1


def secrets_of(world: World) -> list[bytes]:
    """What of unit A's upload must never reach unit B: its name, the file's name and hash, its bytes."""
    a = world.upload_a
    middle = len(world.a_bytes) // 2
    return [world.a.name.encode(), a.original_name.encode(), Path(a.original_name).stem.encode(), a.sha256.encode(),
            world.a_bytes[:64], world.a_bytes[middle:middle + 64], a.stored.encode()]


def test_other_unit_gets_nothing_of_unit_a(world: World) -> None:
    """Unit B's session on every page and download of unit A's upload: 403/404 without a byte of A's data; the
    same URLs work for A and the office (so the sweep has something to miss), and B's own upload works for B."""
    secrets = secrets_of(world)
    leaks, missing = [], []
    for endpoint, url in sweep(world, OWN_UPLOAD):
        for method in endpoint.rule.methods:
            response = call(world.clients["b"], method, url)
            body = body_of(response)
            if response.status_code not in (403, 404) or any(s in body for s in secrets):
                leaks.append((method, url, response.status_code, [s[:20] for s in secrets if s in body]))
        for who in ("a", "office"):
            if (status := world.clients[who].get(url).status_code) != 200:
                missing.append((who, url, status))
        own = url.replace(f"/{world.upload_a.pk}/", f"/{world.upload_b.pk}/")
        if (status := world.clients["b"].get(own).status_code) != 200:
            missing.append(("b", own, status))
    assert not leaks, f"unit B reached unit A's upload: {leaks}"
    assert not missing, f"pages of an upload its own unit or the office cannot open: {missing}"
    page = body_of(world.clients["a"].get(f"/uploads/{world.upload_a.pk}/"))
    assert world.upload_a.original_name.encode() in page  # the page shows what B must not see
    original = body_of(world.clients["a"].get(f"/uploads/{world.upload_a.pk}/download/original/"))
    assert original == world.a_bytes


def test_units_are_kept_out_of_office_and_admin(world: World) -> None:
    """Both units' sessions on every office and admin URL, GET and POST (valid CSRF not needed: the test client
    does not enforce it): 403 or a redirect to a sign-in page, and no round, decision or consolidation made."""
    before = world.counts()
    wrong = []
    for _endpoint, url in sweep(world, OFFICE, ADMIN):
        for who in ("a", "b"):
            for method in ("GET", "POST"):
                response = call(world.clients[who], method, url)
                ok = response.status_code in (403, 405) or sign_in_redirect(response, url)
                if not ok or any(s in body_of(response) for s in secrets_of(world)[1:]):
                    wrong.append((who, method, url, response.status_code, response.get("Location")))
    for endpoint, url in sweep(world, UNIT):  # the office has no unit page and cannot upload as a unit
        response = call(world.clients["office"], endpoint.rule.methods[0], url)
        if response.status_code not in (403, 302) or (response.status_code == 302 and "/unit/" in response["Location"]):
            wrong.append(("office", url, response.status_code, response.get("Location")))
    assert not wrong, f"a unit reached the office's or the admin's pages: {wrong}"
    assert world.counts() == before


class _Forms(HTMLParser):
    """The POST forms of a page and whether each carries Django's CSRF token."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.forms.append({"id": a.get("id") or a.get("action"), "token": False})
        elif tag == "input" and a.get("name") == "csrfmiddlewaretoken" and a.get("value") and self.forms:
            self.forms[-1]["token"] = True


def test_every_post_needs_the_csrf_token(world: World, client_for: Any) -> None:
    """Every URL that takes a POST, by the account allowed to use it, with CSRF checks on and no token: 403 and
    nothing changes. Every POST form on every page those accounts can open carries the token."""
    from django.test import Client

    strict = {"a": client_for(world.a.account, csrf=True), "office": client_for(world.round.office, csrf=True),
              "anonymous": Client(enforce_csrf_checks=True)}
    user = {PUBLIC: "anonymous", SIGNED_IN: "a", UNIT: "a", OWN_UPLOAD: "a", OFFICE: "office", ADMIN: "office"}
    before = world.counts()
    accepted, forms_without, pages = [], [], 0
    for endpoint in endpoints():
        who = user[endpoint.rule.access]
        for url in world.urls(endpoint):
            if "POST" in endpoint.rule.methods:
                response = strict[who].post(url, {"comment": "无令牌", "username": "office",
                                                  "password": world.round.password})
                if response.status_code != 403:
                    accepted.append((who, url, response.status_code))
            if "GET" in endpoint.rule.methods and not endpoint.name.startswith("admin:"):
                response = strict[who].get(url)
                if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                    pages += 1
                    parser = _Forms()
                    parser.feed(body_of(response).decode("utf-8"))
                    forms_without += [(url, f["id"]) for f in parser.forms if not f["token"]]
    assert not accepted, f"POSTs without a CSRF token that were not refused: {accepted}"
    assert not forms_without, f"POST forms without a CSRF token: {forms_without}"
    assert pages >= 8, pages  # the unit's, the upload's and the office's pages were looked at
    assert world.counts() == before


def test_post_only_views_refuse_get(world: World) -> None:
    """GET on every POST-only view, by the account allowed to POST there: 405, nothing changes."""
    user = {SIGNED_IN: "a", UNIT: "a", OWN_UPLOAD: "a", OFFICE: "office"}
    before = world.counts()
    wrong = []
    for endpoint in endpoints():
        if endpoint.rule.methods == ("POST",):
            for url in world.urls(endpoint):
                response = world.clients[user[endpoint.rule.access]].get(url)
                if response.status_code != 405:
                    wrong.append((url, response.status_code))
    assert not wrong, f"POST-only views that answered GET: {wrong}"
    assert world.counts() == before
