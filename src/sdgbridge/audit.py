"""The audit trail: an append-only record of every write, and of every refused write that
reached a rule — who (:mod:`sdgbridge.actors`), acting for which organisation, when, through
which path, what (action, record type and key), before and after.

Service functions call :func:`record` inside the transaction that writes, so an event is
stored exactly when its write is (a rolled-back write leaves none); a refusal is stored in
a transaction of its own (:func:`refused`), since the write it refused leaves nothing.
Nothing updates or deletes an event: no code path does, and the store refuses it (triggers
of migration 0006, on SQLite and PostgreSQL).

What an event holds (``docs/audit.md``): ``created`` has the record's fields in ``after``;
``updated`` the fields that changed, old in ``before`` and new in ``after``; ``archived`` /
``restored`` the ``archived`` flag; ``removed`` the record's fields in ``before``. Bulk
writes (an IATI import, a data release, a framework load) record one event with counts.

A refusal is recorded when a request named an existing record and a rule of the platform
refused the change (:class:`Refusal`: an imported project edited by hand, a standard group
redefined, later the role rules); malformed input and unknown records are answered but not
recorded. :func:`refusing` records the :class:`Refusal` raised inside it.

Reading: :func:`events` (filters, newest first), :func:`history` (one record, oldest
first), :func:`write_events_csv` (formula-safe CSV, :mod:`sdgbridge.csvsafe`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

import polars as pl
from sqlalchemy import Connection, Engine, func, insert, select

from sdgbridge.actors import LOCAL, Actor, current_actor
from sdgbridge.csvsafe import write_csv
from sdgbridge.db import tables as t
from sdgbridge.errors import SdgBridgeError

OUTCOMES = ("done", "refused")
COLUMNS = ("id", "at", "actor", "via", "account_id", "organisation_id", "action",
           "record_type", "record_key", "outcome", "before", "after", "message")
SCHEMA: dict[str, Any] = {
    "id": pl.Int64, "at": pl.Datetime("us", "UTC"), "actor": pl.Utf8, "via": pl.Utf8,
    "account_id": pl.Int64, "organisation_id": pl.Int64, "action": pl.Utf8,
    "record_type": pl.Utf8, "record_key": pl.Utf8, "outcome": pl.Utf8, "before": pl.Utf8,
    "after": pl.Utf8, "message": pl.Utf8}
MAX_LIMIT = 10_000


class Refusal(SdgBridgeError):
    """A write refused by a rule of the platform (not by malformed input): recorded in the
    trail with outcome ``refused`` when raised inside :func:`refusing`."""


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


def record_many(conn: Connection, action: str, record_type: str,
                events: list[tuple[object, Any, Any]], actor: Actor | None = None) -> None:
    """Many events of one action at once (an import's activities): (key, before, after)
    each, in one statement."""
    if not events:
        return
    who, now = actor or current_actor(), datetime.now(UTC)
    conn.execute(insert(t.audit_event), [
        {"at": now, "account_id": who.account_id, "actor": who.label,
         "organisation_id": who.organisation_id, "via": who.via, "action": action,
         "record_type": record_type, "record_key": str(key), "outcome": "done",
         "before": _json(before), "after": _json(after), "message": None}
        for key, before, after in events])


def refused(engine: Engine, action: str, record_type: str, record_key: object,
            message: str, actor: Actor | None = None) -> None:
    """A refused write that reached a rule, in a transaction of its own."""
    with engine.begin() as conn:
        record(conn, action, record_type, record_key, outcome="refused", message=message,
               actor=actor)


@contextmanager
def refusing(engine: Engine, action: str, record_type: str, record_key: object
             ) -> Iterator[None]:
    """Run a write; a :class:`Refusal` raised in it is recorded (:func:`refused`, with the
    message the public may read: no server paths, since the trail is served), then raised
    on."""
    try:
        yield
    except Refusal as exc:
        refused(engine, action, record_type, record_key, exc.public_message())
        raise


def cli_actor(name: str) -> Actor:
    """The command line's named local user, ``cli:<name>``: with the rights the command line
    has always had (:data:`~sdgbridge.actors.LOCAL`'s: it holds the store's URL), now
    attributed. A name with spaces or control characters is refused."""
    clean = name.strip()
    if not clean or any(c.isspace() or not c.isprintable() for c in clean) or len(clean) > 200:
        raise SdgBridgeError(f"--as {name!r}: give a user name without spaces (e.g. amina "
                             "or a.analyst@un.org), at most 200 characters.")
    return replace(LOCAL, label=f"cli:{clean}", via="cli")


def import_actor(name: str) -> Actor:
    """Who an import's events are by. A signed-in person who started it stays the actor
    (through ``import``): a person answers for what they load. Otherwise (the command line's
    named user, a library call) the import acts as itself, ``name`` (``iati import 3``)."""
    who = current_actor()
    if who.signed_in:
        return who.through("import")
    return Actor(name, "import")


# ---------------------------------------------------------------- reading the trail

def _moment(value: date | datetime | str | None, end: bool = False) -> datetime | None:
    """A bound as a UTC datetime: a day (``2026-12-07``) starts at midnight, or, as an
    ``end``, includes the whole day (the next midnight)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value or " " in value \
                else date.fromisoformat(value)
        except ValueError:
            raise SdgBridgeError(f"{value!r} is not a date: write yyyy-mm-dd (e.g. "
                                 "2026-12-07) or yyyy-mm-ddThh:mm.") from None
    if not isinstance(value, datetime):
        day = datetime.combine(value, time(), tzinfo=UTC)
        return day + timedelta(days=1) if end else day
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _frame(rows: Sequence[Any]) -> pl.DataFrame:
    out = []
    for r in rows:
        row = dict(r._mapping)
        at = row["at"]
        row["at"] = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        out.append({c: row[c] for c in COLUMNS})
    return pl.DataFrame(out, schema=SCHEMA)


def _where(record_type: str | None, record_key: object, actor: str | None,
           since: date | datetime | str | None, until: date | datetime | str | None,
           outcome: str | None, organisation_id: int | None = None) -> list[Any]:
    if outcome is not None and outcome not in OUTCOMES:
        raise SdgBridgeError(f"outcome {outcome!r}: use one of {', '.join(OUTCOMES)}.")
    e = t.audit_event.c
    where = [column == value for column, value in (
        (e.record_type, record_type), (e.actor, actor), (e.outcome, outcome),
        (e.record_key, None if record_key is None else str(record_key)),
        (e.organisation_id, organisation_id)) if value is not None]
    start, end = _moment(since), _moment(until, end=True)
    return where + ([e.at >= start] if start else []) + ([e.at < end] if end else [])


def events(engine: Engine, record_type: str | None = None, record_key: object = None,
           actor: str | None = None, since: date | datetime | str | None = None,
           until: date | datetime | str | None = None, outcome: str | None = None,
           limit: int = 1000, offset: int = 0, organisation_id: int | None = None
           ) -> pl.DataFrame:
    """The events matching every filter given, newest first (``limit`` at most
    :data:`MAX_LIMIT`). ``actor``: the label exactly (``cli:amina``, ``iati import 3``);
    ``since`` / ``until``: a date (``until`` includes that day) or a datetime;
    ``organisation_id``: what was done acting for that organisation."""
    if not 0 < limit <= MAX_LIMIT or offset < 0:
        raise SdgBridgeError(f"limit {limit}, offset {offset}: the limit is 1 to "
                             f"{MAX_LIMIT} and the offset not negative.")
    where = _where(record_type, record_key, actor, since, until, outcome, organisation_id)
    stmt = select(t.audit_event).where(*where).order_by(t.audit_event.c.id.desc())
    with engine.connect() as conn:
        rows = conn.execute(stmt.limit(limit).offset(offset)).all()
    return _frame(rows)


def count(engine: Engine, record_type: str | None = None, record_key: object = None,
          actor: str | None = None, since: date | datetime | str | None = None,
          until: date | datetime | str | None = None, outcome: str | None = None,
          organisation_id: int | None = None) -> int:
    """How many events match the filters (of :func:`events`): all of them without any."""
    where = _where(record_type, record_key, actor, since, until, outcome, organisation_id)
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.audit_event)
                                .where(*where)).scalar_one())


def history(engine: Engine, record_type: str, record_key: object) -> pl.DataFrame:
    """Every event of one record, oldest first."""
    e = t.audit_event.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.audit_event).where(
            e.record_type == record_type, e.record_key == str(record_key)).order_by(e.id)).all()
    return _frame(rows)


def write_events_csv(found: pl.DataFrame, file: str | Path | IO[str] | IO[bytes] | None = None
                     ) -> str | None:
    """Events as CSV that a spreadsheet opens as text (a key or a name starting with ``=``
    is not run as a formula); the text when no ``file`` is given."""
    return write_csv(found.with_columns(pl.col("at").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")),
                     file)
