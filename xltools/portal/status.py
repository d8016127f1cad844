"""A roster unit's state in its round, the one reading for the dashboard, the unit's page and the tests:

- ``accepted`` (已采用): the office accepted one of its uploads (that version is locked in);
- ``returned`` (已退回): the office sent back its latest upload and nothing newer came;
- ``missing`` (未报送): no upload at all;
- else by the check of its latest upload: ``errors`` (有错误, also for a file that could not be read),
  ``warnings`` (有警告) or ``passed`` (通过).
"""

from __future__ import annotations

from typing import NamedTuple

from xltools.portal.models import STATUS_TEXT, Decision, RosterUnit, Upload


class UnitState(NamedTuple):
    code: str
    latest: Upload | None
    accepted: Upload | None
    returned: Decision | None  # the send-back of the latest upload, when that is the state

    @property
    def text(self) -> str:
        return STATUS_TEXT[self.code]


def state_of(unit: RosterUnit) -> UnitState:
    # .all() (sorted here, not by the database) uses what the caller prefetched: the dashboard loads a round's units
    # with Upload.objects.defer("report").prefetch_related("decisions") in a few queries
    uploads = sorted(unit.uploads.all(), key=lambda u: u.version, reverse=True)
    latest = uploads[0] if uploads else None
    for upload in uploads:
        if any(d.kind == Decision.ACCEPTED for d in upload.decisions.all()):
            return UnitState("accepted", latest, upload, None)
    if latest is None:
        return UnitState("missing", None, None, None)
    decisions = sorted(latest.decisions.all(), key=lambda d: d.at, reverse=True)
    if decisions and decisions[0].kind == Decision.RETURNED:
        return UnitState("returned", latest, None, decisions[0])
    code = {"errors": "errors", "unreadable": "errors", "warnings": "warnings"}.get(latest.status, "passed")
    return UnitState(code, latest, None, None)
