"""Reading IATI XML elements: attributes, texts and children by tag, as the activity
(:mod:`.activity`) and its results (:mod:`.results`) both read them."""

from __future__ import annotations

from typing import Any

from lxml import etree

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def attr(el: etree._Element | None, name: str) -> str | None:
    """The stripped attribute, or None when the element or the value is missing or empty."""
    if el is None:
        return None
    value = el.get(name)
    return (value.strip() or None) if value else None


def text_of(el: etree._Element | None) -> str | None:
    return (el.text.strip() or None) if el is not None and el.text else None


def children_by_tag(el: etree._Element) -> dict[Any, list[etree._Element]]:
    """The child elements of ``el`` by tag, in document order: one pass in C over the
    children instead of one ElementPath search per field (the import's hot path)."""
    out: dict[Any, list[etree._Element]] = {}
    for child in el:
        if child.tag in out:
            out[child.tag].append(child)
        else:
            out[child.tag] = [child]
    return out


def first_child(kids: dict[Any, list[etree._Element]], tag: str) -> etree._Element | None:
    found = kids.get(tag)
    return found[0] if found else None
