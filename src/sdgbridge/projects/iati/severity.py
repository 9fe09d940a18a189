"""How bad a schema error in an activity is, the way the IATI Validator judges real files:
by severity, not all or nothing.

* **Critical**: the error is in what makes the record an activity one can account for (its
  identifier, its reporting organisation, the activity element itself, a transaction's
  type, date or value): the activity is refused.
* **Optional part**: the error is in a part the activity stands without (a location's
  point, a budget item, an activity date, another identifier, a sector without a code, a
  result indicator, ...): that element is dropped, the drop recorded as a warning with its
  rule, and the rest of the activity kept.

The strict mode (``sdgbridge projects import --strict``) refuses an activity for any schema
error, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from sdgbridge.errors import Rejection

# Top-level children of iati-activity whose errors refuse the activity.
CRITICAL_PARTS = frozenset({"iati-activity", "iati-identifier", "reporting-org"})
# Within a transaction, what the money cannot be read without.
CRITICAL_IN_TRANSACTION = frozenset({"transaction-type", "transaction-date", "value"})
_INDEX = re.compile(r"\[\d+\]")
_ELEMENT = re.compile(r"^Element '[^']*'(?:, attribute '[^']*')?: ")


@dataclass(frozen=True)
class Dropped:
    """A part of an activity left out on import, with why."""

    file: str
    line: int | str
    field: str  # where in the activity (libxml2's path below iati-activity)
    rule: str  # the schema rule, the same for every occurrence (no line, no index)
    message: str
    iati_identifier: str | None
    reporting_org: str | None


def part_of(field: str) -> tuple[str, ...]:
    """The element names of an error's path below the activity, without positions."""
    return tuple(_INDEX.sub("", field).split("/")) if field else ("iati-activity",)


def is_critical(field: str) -> bool:
    """Whether a schema error at ``field`` (the path below iati-activity) refuses the
    activity (see the module docstring)."""
    parts = part_of(field)
    if parts[0] in CRITICAL_PARTS:
        return True
    if parts[0] == "transaction":
        return len(parts) == 1 or parts[1] in CRITICAL_IN_TRANSACTION
    return False


def rule_of(field: str, message: str) -> str:
    """The rule an error broke, as one line that is the same wherever it occurs, the
    element named by its path: ``transaction/sector: The attribute 'code' is required but
    missing.`` (libxml2's message without its ``Element 'sector':`` prefix)."""
    text = _ELEMENT.sub("", message.removeprefix("schema: "), count=1)
    return f"{'/'.join(part_of(field))}: {text}"


def _element(activity: etree._Element, field: str) -> etree._Element | None:
    """The element at ``field`` (libxml2's path below the activity), or None when the path
    does not lead to exactly one element."""
    try:
        found = activity.xpath(field)
    except etree.XPathError:
        return None
    if not isinstance(found, list) or len(found) != 1 \
            or not isinstance(found[0], etree._Element):
        return None
    return found[0]


def triage(activity: etree._Element, errors: list[Rejection]
           ) -> tuple[list[Rejection], list[Dropped]]:
    """Split ``errors`` (the schema errors of ``activity``) into those that refuse it and the
    optional parts dropped; the dropped elements are removed from ``activity``. When any
    error is critical nothing is removed (the activity is refused whole)."""
    critical = [e for e in errors if is_critical(e.field)]
    targets = [] if critical else [(e, _element(activity, e.field)) for e in errors]
    critical += [e for e, el in targets if el is None]  # a part that cannot be found
    if critical:
        return critical, []
    ident = activity.findtext("iati-identifier")
    org = activity.find("reporting-org")
    publisher = org.get("ref") if org is not None else None
    dropped = [Dropped(e.file, e.line, e.field, rule_of(e.field, e.message),
                       e.message.removeprefix("schema: "), (ident or "").strip() or None,
                       publisher) for e, _ in targets]
    for _, el in targets:
        parent = el.getparent() if el is not None else None
        if el is not None and parent is not None:
            parent.remove(el)  # twice-named elements (one error each) go once
    return [], dropped
