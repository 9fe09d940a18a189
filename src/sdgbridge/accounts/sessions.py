"""Web sessions: after a sign-in, a random session id (the cookie's value) whose SHA-256
is stored, with a CSRF token every form must send back (:func:`check_csrf`) and an expiry
(``session_hours``). A session of a disabled account, or past its expiry, is no session.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select

from sdgbridge import audit
from sdgbridge.accounts.tokens import aware, digest, token
from sdgbridge.accounts.tokens import now as utc_now
from sdgbridge.accounts.users import actor_of
from sdgbridge.actors import Actor
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, Forbidden


@dataclass(frozen=True)
class Session:
    """A session: ``id`` is the cookie's value (known only here and to the browser)."""

    id: str
    csrf: str
    expires_at: datetime
    actor: Actor


def start_session(engine: Engine, account_id: int, settings: Settings,
                  organisation_id: int | None = None, now: datetime | None = None) -> Session:
    """A new session of ``account_id`` (acting for ``organisation_id``)."""
    moment = now or utc_now()
    value, csrf = token(), token()
    expires = moment + timedelta(hours=settings.session_hours)
    with engine.begin() as conn:
        account = conn.execute(select(t.account).where(t.account.c.id == account_id)
                               ).mappings().one()
        actor = actor_of(conn, account, "web", organisation_id)
        conn.execute(insert(t.web_session).values(
            id_sha256=digest(value), account_id=account_id, csrf=csrf,
            organisation_id=actor.organisation_id, created_at=moment, expires_at=expires))
        audit.record(conn, "session_started", "account", account["email"],
                     after={"organisation_id": actor.organisation_id, "expires_at": expires})
    return Session(value, csrf, expires, actor)


def find_session(engine: Engine, value: str | None, now: datetime | None = None
                 ) -> Session | None:
    """The live session of the cookie ``value``; None when unknown, expired or of a
    disabled account (an expired one is deleted)."""
    if not value:
        return None
    moment = now or utc_now()
    s = t.web_session.c
    with engine.connect() as conn:
        row = conn.execute(select(t.web_session).where(s.id_sha256 == digest(value))
                           ).mappings().first()
        if row is None:
            return None
        account = conn.execute(select(t.account).where(t.account.c.id == row["account_id"])
                               ).mappings().one()
        actor = actor_of(conn, account, "web", row["organisation_id"])
    expires = aware(row["expires_at"])
    if expires is None or expires <= moment:
        with engine.begin() as conn:  # an expired session is cleared away: no one acted
            conn.execute(delete(t.web_session).where(s.id_sha256 == digest(value)))
        return None
    if account["disabled"]:
        return None
    return Session(value, row["csrf"], expires, actor)


def end_session(engine: Engine, value: str) -> None:
    """Sign out: the session is gone (recorded for its account; nothing for an unknown
    one)."""
    s = t.web_session.c
    with engine.begin() as conn:
        email = conn.execute(select(t.account.c.email).join(
            t.web_session, t.web_session.c.account_id == t.account.c.id).where(
            s.id_sha256 == digest(value))).scalar()
        if email is None:
            return
        conn.execute(delete(t.web_session).where(s.id_sha256 == digest(value)))
        audit.record(conn, "signed_out", "account", email)


def check_csrf(session: Session, given: str | None) -> None:
    """Refuse (:class:`Forbidden`) a form whose CSRF token is missing or not the
    session's (compared in constant time)."""
    if not given or not hmac.compare_digest(given.encode(), session.csrf.encode()):
        raise Forbidden(N_("The form's security token is missing or out of date: reload "
                           "the page and send the form again."))
