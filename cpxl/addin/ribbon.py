"""Ribbon XML (customUI) checks shared by the build and the tests.

Office reports a broken ribbon only when the user has switched on "Show
add-in user interface errors", and a callback naming a missing macro only
fails when the button is clicked. So the build checks, before writing
anything, that the ribbon XML is well formed, uses the Office 2010 schema
(it is stored as ``customUI14.xml``) and that every callback it names is a
public Sub of a standard module in the project.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Iterable

__all__ = [
    "CUSTOMUI_2009_NS",
    "CALLBACK_ATTRIBUTES",
    "RibbonError",
    "parse_ribbon",
    "button_ids",
    "callbacks",
    "public_subs",
    "check_ribbon",
]

CUSTOMUI_2009_NS = "http://schemas.microsoft.com/office/2009/07/customui"

# customUI attributes whose value is a VBA procedure name.
CALLBACK_ATTRIBUTES = (
    "onAction", "onChange", "onLoad", "loadImage", "getLabel", "getEnabled", "getVisible",
    "getImage", "getScreentip", "getSupertip", "getPressed", "getText", "getItemCount",
    "getItemLabel", "getItemID", "getSelectedItemIndex", "getContent", "getDescription",
    "getKeytip", "getShowImage", "getShowLabel", "getSize", "getTitle",
)  # fmt: skip


class RibbonError(ValueError):
    """The ribbon XML is invalid or names callbacks the VBA project lacks."""


def parse_ribbon(xml: str) -> ET.Element:
    try:
        root = ET.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    except ET.ParseError as exc:
        raise RibbonError(f"ribbon XML is not well formed: {exc}") from None
    if root.tag != f"{{{CUSTOMUI_2009_NS}}}customUI":
        raise RibbonError(
            f"ribbon root must be customUI in the {CUSTOMUI_2009_NS} namespace (got {root.tag})"
        )
    return root


def button_ids(xml: str) -> list[str]:
    """The ``id`` of every ``button`` element, in document order."""
    return [el.get("id", "") for el in parse_ribbon(xml).iter(f"{{{CUSTOMUI_2009_NS}}}button")]


def callbacks(xml: str) -> set[str]:
    """Procedure names referenced by callback attributes (``Module.Proc`` -> ``Proc``)."""
    names = set()
    for el in parse_ribbon(xml).iter():
        for attr in CALLBACK_ATTRIBUTES:
            value = el.get(attr)
            if value:
                names.add(value.rsplit(".", 1)[-1])
    return names


_SUB = re.compile(
    r"^[ \t]*(?:(Public|Private|Friend)[ \t]+)?(?:Static[ \t]+)?Sub[ \t]+(\w+)", re.I | re.M
)


def public_subs(vba_source: str) -> set[str]:
    """Names of the Subs in a module that are not ``Private`` (VBA's default is Public)."""
    return {m.group(2) for m in _SUB.finditer(vba_source) if (m.group(1) or "").lower() != "private"}


def check_ribbon(xml: str, standard_modules: Iterable[str]) -> None:
    """Raise :class:`RibbonError` unless every callback is a public Sub.

    ``standard_modules`` are the sources of the project's standard modules:
    Office resolves an unqualified callback there, not in class modules.
    """
    ids = button_ids(xml)
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RibbonError(f"duplicate button ids: {sorted(duplicates)}")
    available: set[str] = set()
    for source in standard_modules:
        available |= {name.lower() for name in public_subs(source)}
    missing = sorted(name for name in callbacks(xml) if name.lower() not in available)
    if missing:
        raise RibbonError(f"ribbon callbacks with no public Sub in the VBA project: {missing}")
