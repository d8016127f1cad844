"""Who may see what, in one place: the office (staff users) sees every unit of every round; a unit sees only its own
roster entry and uploads. Views take the unit from the signed-in account, never from the URL, and look up objects
through ``own_upload`` / ``office_only`` so that another unit's id gives 404, not its data. Every action worth
auditing is written by ``audit``; sign-ins (and failed ones) by the signal receivers below."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import Http404, HttpRequest

from xltools.portal.models import AuditEvent, RosterUnit, Round, Upload

View = TypeVar("View", bound=Callable[..., Any])


def is_office(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def office_only(view: View) -> View:
    """The office's pages: 403 for a unit's account."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not is_office(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def unit_of(request: HttpRequest) -> RosterUnit:
    """The roster unit of the signed-in account (403 for the office or an account without one)."""
    unit = RosterUnit.objects.select_related("round").filter(account_id=request.user.pk).first()
    if unit is None:
        raise PermissionDenied
    return unit


def own_upload(request: HttpRequest, upload_id: int) -> Upload:
    """An upload the signed-in account may see: any for the office, only its own unit's for a unit (else 404)."""
    uploads = Upload.objects.select_related("unit", "unit__round")
    if not is_office(request.user):
        uploads = uploads.filter(unit__account_id=request.user.pk)
    found = uploads.filter(pk=upload_id).first()
    if found is None:
        raise Http404
    return found


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def audit(request: HttpRequest | None, action: str, *, round: Round | None = None, unit: RosterUnit | None = None,
          upload: Upload | None = None, detail: str = "", username: str = "") -> None:
    user = getattr(request, "user", None) if request is not None else None
    owner = unit or (upload.unit if upload else None)
    AuditEvent.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        username=username or (user.get_username() if user is not None and user.is_authenticated else ""),
        action=action, round=round or (owner.round if owner else None), unit=owner,
        upload=upload, detail=detail[:2000], ip=client_ip(request) if request is not None else None)


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit(request, "login")


@receiver(user_logged_out)
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        AuditEvent.objects.create(user=user, username=user.get_username(), action="logout",
                                  ip=client_ip(request) if request is not None else None)


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                    **kwargs: Any) -> None:
    audit(request, "login_failed", username=str(credentials.get("username", ""))[:150])
