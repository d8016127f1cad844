"""XML from files others send, parsed safely: the only module importing defusedxml.

A part in UTF-8 (the encoding every office program writes) that declares no DTD cannot hold entity declarations or
external references, so the standard library's C parser reads it safely and about ten times faster; everything else
goes through defusedxml, which refuses every DTD (billion laughs, external entities, network access).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError, fromstring, tostring

import defusedxml
import defusedxml.ElementTree as SafeET

__all__ = ["Element", "HostileXML", "ParseError", "iterparse", "parse", "tostring"]

_PLAIN_XML = re.compile(rb'(?:\xef\xbb\xbf)?\s*(?:<\?xml(?:\s+(?:version|standalone)="[^"]*"'
                        rb'|\s+encoding="(?i:utf-8)")*\s*\?>)?\s*<[A-Za-z_]')


class HostileXML(Exception):
    """The XML declares a DTD or entities: no office program writes that."""


def parse(data: bytes) -> Element:
    """Parse ``data``; raises HostileXML (DTD/entities) or ParseError/ValueError (damaged XML, also an unknown
    encoding)."""
    try:
        if _PLAIN_XML.match(data) and b"<!DOCTYPE" not in data:
            return fromstring(data)
        root: Element = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise HostileXML from None
    except LookupError as exc:  # an encoding Python does not know: damaged, like any other unreadable XML
        raise ParseError(str(exc)) from None
    return root


def iterparse(data: bytes, events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Element]]:
    """Stream ``data``'s elements (defusedxml); raises HostileXML or ParseError/ValueError like ``parse``."""
    try:
        yield from SafeET.iterparse(io.BytesIO(data), events=events, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise HostileXML from None
    except LookupError as exc:
        raise ParseError(str(exc)) from None
