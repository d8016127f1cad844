"""``FormatError``: a format spec (JSON) or its source (TOML) that cannot be used, with one message naming the file
and the rule or part of the spec that is wrong."""

from __future__ import annotations

from xltools.errors import XltoolsError


class FormatError(XltoolsError):
    """A format spec is broken: an unknown rule kind or parameter, a cell id that does not exist, a bad layout.
    The message is one line and names the spec file."""
