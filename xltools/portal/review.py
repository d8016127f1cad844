"""What a round adds to the plain check of an upload (issue 17): its province profile, last year's round, and the
office's review of the units' 情况说明.

- **Profile**: ``Round.profile`` names a profile (``xltools.format.profile``); every upload of the round is checked
  with it (and its copies are made with it).
- **Last year**: ``Round.previous`` names last year's round. Each upload is compared with the same unit's counted
  upload there — matched by unit code, else by name, as the roster matches — i.e. its accepted version, or, when
  none was accepted, its latest version that has no errors. Unreadable or missing: no comparison.
- **情况说明**: the explanations travel in the workbook and come back in the check's JSON (``explanation`` of each
  finding); the office accepts or rejects each one (``ExplanationReview``, the latest counts, audited).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings

from xltools.consolidate.roster import code_key, unit_key
from xltools.format.profile import available_profiles, load_profile
from xltools.portal.models import Decision, ExplanationReview, RosterUnit, Round, Upload
from xltools.portal.workers import CheckSettings

PREVIOUS_RULES = ("PREV_",)  # the last-year rules' ids start so (xltools.checking.previous)


def profile_choices() -> list[tuple[str, str]]:
    """The round form's choices: the national format, then every installed profile by its title."""
    choices = [("", "全国格式（不用地方规则配置）")]
    for name in available_profiles():
        try:
            choices.append((name, load_profile(name).label))
        except Exception:  # a broken profile file is not offered
            continue
    return choices


def previous_unit(unit: RosterUnit) -> RosterUnit | None:
    """The same unit in last year's round: by code, else by name."""
    last_round: Round | None = unit.round.previous
    if last_round is None:
        return None
    units = list(last_round.units.all())
    if code_key(unit.code):
        match = next((u for u in units if code_key(u.code) == code_key(unit.code)), None)
        if match is not None:
            return match
    return next((u for u in units if unit_key(u.name) == unit_key(unit.name)), None)


def previous_upload(unit: RosterUnit) -> Upload | None:
    """The unit's counted upload of last year's round: the accepted version, else the latest without errors."""
    last = previous_unit(unit)
    if last is None:
        return None
    uploads = sorted(last.uploads.all(), key=lambda u: u.version, reverse=True)
    accepted = next((u for u in uploads if any(d.kind == Decision.ACCEPTED for d in u.decisions.all())), None)
    if accepted is not None:
        return accepted
    return next((u for u in uploads if u.workbook and u.status in ("passed", "warnings")), None)


def check_settings(unit: RosterUnit) -> CheckSettings:
    """How an upload of ``unit`` is checked: the round's profile and last year's upload."""
    last = previous_upload(unit)
    if last is None or not last.workbook:
        return CheckSettings(unit.round.profile)
    name = f"{last.unit.round}第{last.version}版（{last.original_name}）"
    return CheckSettings(unit.round.profile, str(Path(settings.FILES) / last.workbook), name)


class ExplanationRow(NamedTuple):
    """One explained finding of an upload and the office's latest review of it (None: not reviewed yet)."""

    rule: str
    cell: str
    location: str
    severity: str
    message: str
    text: str
    review: ExplanationReview | None

    @property
    def key(self) -> str:
        return f"{self.rule}@{self.cell}"


def explanation_rows(upload: Upload) -> list[ExplanationRow]:
    """The upload's explained findings, each with its latest review (a review of another text does not count:
    the unit changed its explanation since)."""
    reviews: dict[tuple[str, str], ExplanationReview] = {}
    for r in upload.explanation_reviews.order_by("at", "pk"):
        reviews[(r.rule, r.cell)] = r
    rows = []
    seen: set[tuple[str, str]] = set()
    for f in upload.report.get("findings", []):
        e: dict[str, Any] | None = f.get("explanation")
        if not e or (e["rule"], e["cell"]) in seen:
            continue
        seen.add((e["rule"], e["cell"]))
        review = reviews.get((e["rule"], e["cell"]))
        rows.append(ExplanationRow(e["rule"], e["cell"], f.get("location", ""), f.get("severity", ""),
                                   f["message"]["zh"], e["text"],
                                   review if review is not None and review.text == e["text"] else None))
    return rows


class Review(NamedTuple):
    """What the dashboard shows of an upload beyond its status: the last-year comparison and the explanations."""

    previous: str | None  # last year's upload it was compared with (None: no comparison)
    previous_findings: int
    explained: int
    unreviewed: int


def review_of(upload: Upload | None) -> Review | None:
    if upload is None:
        return None
    rows = explanation_rows(upload)
    return Review(upload.report.get("previous"), len(previous_findings(upload)), len(rows),
                  sum(1 for r in rows if r.review is None))


def profile_label(name: str) -> str:
    """How pages name a round's profile: its label, or the name marked unusable; "" for the national format."""
    if not name:
        return ""
    try:
        return load_profile(name).label
    except Exception:  # removed or broken since the round was set up
        return f"{name}（已不可用）"


def previous_findings(upload: Upload) -> list[dict[str, Any]]:
    """The upload's findings from the comparison with last year."""
    return [f for f in upload.report.get("findings", []) if str(f.get("rule", "")).startswith(PREVIOUS_RULES)]
