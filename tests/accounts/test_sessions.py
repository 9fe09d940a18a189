"""Web sessions: started after sign-in, found by the cookie's value (stored as its
digest), expired and ended; the CSRF token compared in constant time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from sdgbridge.accounts import sessions, users
from sdgbridge.accounts.tokens import digest, now
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import Forbidden
from tests.accounts.conftest import OWN


def test_session_lifecycle(engine: Engine, orgs: dict[str, int],
                           acc_settings: Settings) -> None:
    account_id = users.create_account(engine, "ann@unicef.org", "Ann")
    users.set_membership(engine, "ann@unicef.org", OWN, "partner_editor")
    started = sessions.start_session(engine, account_id, acc_settings)
    with engine.connect() as conn:
        stored = conn.execute(select(t.web_session)).mappings().one()
    assert stored["id_sha256"] == digest(started.id) and started.id not in str(dict(stored))
    found = sessions.find_session(engine, started.id)
    assert found is not None
    assert (found.actor.via, found.actor.role, found.actor.organisation_id) == \
        ("web", "partner_editor", orgs[OWN])
    sessions.check_csrf(found, started.csrf)
    for wrong in (None, "", started.csrf[:-1] + "x"):
        with pytest.raises(Forbidden, match="security token is missing or out of date"):
            sessions.check_csrf(found, wrong)
    assert sessions.find_session(engine, "not-a-session") is None
    late = now() + timedelta(hours=acc_settings.session_hours, seconds=1)
    assert sessions.find_session(engine, started.id, now=late) is None  # and deleted
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.web_session)).scalar() == 0
    again = sessions.start_session(engine, account_id, acc_settings)
    sessions.end_session(engine, again.id)
    assert sessions.find_session(engine, again.id) is None
    third = sessions.start_session(engine, account_id, acc_settings)
    users.disable_account(engine, "ann@unicef.org")
    assert sessions.find_session(engine, third.id) is None
