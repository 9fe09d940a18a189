"""Safe XML parsing: no DTDs, no entity expansion, no external entities, no network."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from lxml import etree

from sdgbridge.errors import InputError, UnsafeXml

_DANGER = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _head_text(head: bytes) -> str:
    """The head decoded by its byte-order mark or NUL pattern (UTF-16/32 hide a DOCTYPE from
    a byte search), else as UTF-8 with replacement."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom):].decode(encoding, "replace")
    if head[:4] in (b"<\0?\0", b"\0<\0?"):
        return head.decode("utf-16-le" if head[0] else "utf-16-be", "replace")
    return head.decode("utf-8", "replace")


def check_safe_xml(path: Path, head_bytes: int = 65536) -> None:
    """Refuse a file whose prolog declares a DTD or entities (XML bombs, XXE).

    The DOCTYPE must come before the root element, so the head of the file is enough.
    """
    with path.open("rb") as fh:
        head = fh.read(head_bytes)
    text = _head_text(head)
    match = _DANGER.search(text)
    if match:
        line = text[: match.start()].count("\n") + 1
        raise UnsafeXml(
            f"{path}:{line}: the XML declares a DTD or entities ({match.group()}); "
            "sdgbridge never expands entities or loads external ones. Remove the DOCTYPE "
            "from the file, or ask its publisher for a plain SDMX-ML/IATI file."
        )


def parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_blank_text=True)


def parse_xml(path: Path) -> etree._ElementTree:
    """Parse ``path`` safely; broken XML becomes an InputError naming the line."""
    check_safe_xml(path)
    try:
        tree = etree.parse(str(path), parser())
    except etree.XMLSyntaxError as exc:
        raise InputError(
            f"{path}:{exc.lineno}: broken XML ({exc.msg}). The file may be truncated or "
            "not XML at all; fetch it again from its publisher."
        ) from exc
    if tree.docinfo.doctype:  # a DOCTYPE after a long comment escapes the head check
        raise UnsafeXml(f"{path}: the XML declares a DTD ({tree.docinfo.doctype}); sdgbridge "
                        "never expands entities or loads external ones. Remove the DOCTYPE.")
    return tree
