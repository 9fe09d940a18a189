"""What a public reader (no API token) may see of the partner registry: the one rule.

Organisations' contacts are people: their ``name``, ``email`` and ``phone`` are personal
data and are shown only to a trusted reader (the API with the server's bearer token, the
command line on the server). A public reader sees each contact as its ``role`` alone (an
empty object when it has none), so the number of contacts and what they do stay visible;
the same holds in the history (``details`` field -> [old, new]), where a contact removed
since is still recorded. Archived organisations are not public at all.

The API (:mod:`sdgbridge.web.api.orgs`) and any page that shows organisations call these
functions, so the rule is written once (issue 13, finding 8).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from sdgbridge.projects.orgs import CONTACT_KEYS, no_such_org

PERSONAL = ("name", "email", "phone")
"""The fields of a contact that name or reach a person."""
PUBLIC_CONTACT_KEYS = tuple(k for k in CONTACT_KEYS if k not in PERSONAL)


def public_contacts(contacts: Any) -> Any:
    """``contacts`` (a list of contact objects; anything else is returned as it is) with
    the personal fields left out of each."""
    if not isinstance(contacts, list):
        return contacts
    return [{k: v for k, v in c.items() if k in PUBLIC_CONTACT_KEYS}
            if isinstance(c, Mapping) else {} for c in contacts]


def public_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """A history entry's ``details`` (field -> [old, new]) with the old and new contacts
    made public."""
    out = dict(details)
    if isinstance(out.get("contacts"), list):
        out["contacts"] = [public_contacts(v) for v in out["contacts"]]
    return out


def public_orgs(df: pl.DataFrame) -> pl.DataFrame:
    """Organisations as :func:`~sdgbridge.projects.orgs.list_orgs` lists them (``contacts``
    as JSON text), without the archived ones and with public contacts."""
    if "archived" in df.columns:
        df = df.filter(~pl.col("archived"))
    return _map_json(df, "contacts", public_contacts)


def public_org(df: pl.DataFrame, id_or_ref: int | str) -> pl.DataFrame:
    """One organisation as :func:`~sdgbridge.projects.orgs.one_org` gives it, with public
    contacts; an archived one is :class:`~sdgbridge.errors.NotFound`, as if it did not
    exist."""
    if df.is_empty() or df["archived"].any():
        raise no_such_org(id_or_ref)
    return public_orgs(df)


def public_history(df: pl.DataFrame) -> pl.DataFrame:
    """An organisation's history as :func:`~sdgbridge.projects.orgs.org_history` gives it
    (``details`` as JSON text) with public contacts in every entry."""
    return _map_json(df, "details", lambda d: public_details(d) if isinstance(d, Mapping)
                     else d)


def _map_json(df: pl.DataFrame, column: str, change: Any) -> pl.DataFrame:
    """``df`` with the JSON text of ``column`` decoded, changed and encoded again."""
    if column not in df.columns or df.is_empty():
        return df
    values = [None if v is None else json.dumps(change(json.loads(v)), ensure_ascii=False)
              for v in df[column].to_list()]
    return df.with_columns(pl.Series(column, values, dtype=pl.Utf8))
