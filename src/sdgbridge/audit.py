"""The audit trail: an append-only record of every write, and of every refused write that
reached a rule — who (:mod:`sdgbridge.actors`), acting for which organisation, when, through
which path, what (action, record type and key), before and after.

Service functions call :func:`record` inside the transaction that writes, so an event is
stored exactly when its write is (a rolled-back write leaves none); a refusal is stored in
a transaction of its own (:func:`refused`), since the write it refused leaves nothing.
Nothing updates or deletes an event.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert

from sdgbridge.actors import Actor, current_actor
from sdgbridge.db import tables as t

OUTCOMES = ("done", "refused")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str, ensure_ascii=False,
                                                 sort_keys=True)


def record(conn: Connection, action: str, record_type: str, record_key: object, *,
           before: Any = None, after: Any = None, outcome: str = "done",
           message: str | None = None, actor: Actor | None = None) -> None:
    """One event, in ``conn``'s transaction, by ``actor`` (the current one by default)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
    who = actor or current_actor()
    conn.execute(insert(t.audit_event).values(
        at=datetime.now(UTC), account_id=who.account_id, actor=who.label,
        organisation_id=who.organisation_id, via=who.via, action=action,
        record_type=record_type, record_key=str(record_key), outcome=outcome,
        before=_json(before), after=_json(after), message=message))


def refused(engine: Engine, action: str, record_type: str, record_key: object,
            message: str, actor: Actor | None = None) -> None:
    """A refused write that reached a rule, in a transaction of its own."""
    with engine.begin() as conn:
        record(conn, action, record_type, record_key, outcome="refused", message=message,
               actor=actor)
