"""Which province profile a check uses: the one given (``--profile``), else the one the workbook names (the custom
document property ``xltools.profile`` written by ``new --profile``). A workbook naming a profile that cannot be
loaded here is checked against the national format, with a ``PROFILE_NOT_FOUND`` finding that says so."""

from __future__ import annotations

from xltools.errors import XltoolsError
from xltools.format.findings import Finding, FindingFactory
from xltools.format.profile import PROFILE_PROPERTY, Profile, load_profile
from xltools.format.spec import load_spec
from xltools.reading.rawbook import RawBook

__all__ = ["Profile", "profile_for", "recorded_profile"]


def recorded_profile(raw: RawBook) -> str:
    """The profile the workbook was made for ("" for none)."""
    return str(raw.properties.get(PROFILE_PROPERTY, "")).strip()


def profile_for(raw: RawBook, given: Profile | None) -> tuple[Profile | None, list[Finding]]:
    """The profile to check ``raw`` with (None: the national format) and a finding when the workbook names one
    that cannot be loaded. A profile of another format than the workbook's does not apply."""
    profile = given
    findings: list[Finding] = []
    if profile is None and (name := recorded_profile(raw)):
        try:
            profile = load_profile(name)
        except XltoolsError:
            spec = load_spec(raw.format_id)
            findings.append(FindingFactory(spec.rule("PROFILE_NOT_FOUND")).make(sheet=spec.sheets[0].name,
                                                                                actual=name))
    if profile is not None and profile.format_id != raw.format_id:
        profile = None
    return profile, findings
