"""Parsing XML from uploads without the XML attacks: no external entities or DTDs, no
network, no entity expansion (billion laughs), no "huge tree" mode (libxml2's depth and
size guards stay on)."""

from __future__ import annotations

from lxml import etree

from safeharbor.signals.base import SignalError


def parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
    )


def parse(data: bytes, what: str) -> etree._Element:
    """The root element of ``data``; ``SignalError`` naming ``what`` when it is broken."""
    try:
        root = etree.fromstring(data, parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SignalError(f"{what} is damaged: its XML cannot be read") from exc
    if root is None:
        raise SignalError(f"{what} is damaged: its XML is empty")
    return root
