"""API keys: made with a secret shown once (never stored, never listed), scopes checked,
acting for one of the account's organisations, refused when revoked, expired or of a
disabled account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, text, update

from sdgbridge.accounts import keys, users
from sdgbridge.accounts.tokens import digest, now
from sdgbridge.db import tables as t
from sdgbridge.db.tables import metadata
from sdgbridge.errors import NotFound, SdgBridgeError
from tests.accounts.conftest import OTHER, OWN

EMAIL = "ann@unicef.org"


@pytest.fixture
def ann(engine: Engine, orgs: dict[str, int]) -> int:
    account_id = users.create_account(engine, EMAIL, "Ann")
    users.set_membership(engine, EMAIL, OWN, "partner_editor")
    return account_id


def _dump(engine: Engine) -> str:
    """Every row of every table, as text."""
    with engine.connect() as conn:
        return "\n".join(str(row) for table in metadata.sorted_tables
                         for row in conn.execute(select(table)))


def test_secret_shown_once_and_never_stored(engine: Engine, ann: int,
                                            orgs: dict[str, int]) -> None:
    new = keys.create_key(engine, EMAIL, "sync", ["write", "read"], OWN, expires_days=30)
    assert new.secret.startswith("sdg_") and len(new.secret) == 4 + 43
    assert new.prefix == new.secret[4:12]
    dump = _dump(engine)
    assert new.secret not in dump and new.secret[4:] not in dump
    assert digest(new.secret) in dump
    listed = keys.list_keys(engine, EMAIL)
    assert new.secret not in str(listed.to_dicts())
    row = listed.row(0, named=True)
    assert (row["prefix"], row["scopes"], row["organisation"], row["state"]) == \
        (f"sdg_{new.prefix}…", "read,write", OWN, "active")
    actor = keys.authenticate(engine, new.secret)
    assert actor is not None
    assert (actor.label, actor.via, actor.account_id, actor.organisation_id, actor.role,
            actor.scopes, actor.administrator) == (
        EMAIL, "api", ann, orgs[OWN], "partner_editor", frozenset({"read", "write"}), False)


def test_bad_keys_are_refused_at_creation(engine: Engine, ann: int) -> None:
    with pytest.raises(SdgBridgeError, match="scope delete: give one or more of read, write"):
        keys.create_key(engine, EMAIL, "k", ["read", "delete"])
    with pytest.raises(SdgBridgeError, match="scope \\(none\\)"):
        keys.create_key(engine, EMAIL, "k", [])
    with pytest.raises(SdgBridgeError, match=f"not a member of organisation {OTHER}"):
        keys.create_key(engine, EMAIL, "k", ["read"], OTHER)
    with pytest.raises(SdgBridgeError, match="--expires-days 0"):
        keys.create_key(engine, EMAIL, "k", ["read"], expires_days=0)
    assert keys.list_keys(engine).height == 0


def test_revoked_expired_disabled_unknown_are_refused(engine: Engine, ann: int) -> None:
    revoked = keys.create_key(engine, EMAIL, "old", ["read"])
    assert keys.revoke_key(engine, revoked.id)
    assert not keys.revoke_key(engine, revoked.id)
    assert keys.authenticate(engine, revoked.secret) is None
    short = keys.create_key(engine, EMAIL, "short", ["read"], expires_days=1)
    assert keys.authenticate(engine, short.secret) is not None
    assert keys.authenticate(engine, short.secret, now=now() + timedelta(days=1, seconds=1)) \
        is None
    assert keys.authenticate(engine, "sdg_" + "x" * 43) is None
    assert keys.authenticate(engine, "") is None
    states = dict(zip(*keys.list_keys(engine)[["name", "state"]].to_dict().values(),
                      strict=True))
    assert states["old"] == "revoked"
    live = keys.create_key(engine, EMAIL, "live", ["read"])
    users.disable_account(engine, EMAIL)
    assert keys.authenticate(engine, live.secret) is None
    with pytest.raises(NotFound, match="No API key 999"):
        keys.revoke_key(engine, 999)
    actions = [r[0] for r in _audit(engine)]
    assert actions.count("revoked") == 1 and actions.count("created") >= 3


def _audit(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT action, record_type FROM audit_event ORDER BY id"))]


def test_last_used_written_at_most_once_a_minute(engine: Engine, ann: int) -> None:
    new = keys.create_key(engine, EMAIL, "k", ["read"])
    start = now()

    def last() -> object:
        with engine.connect() as conn:
            return conn.execute(select(t.api_key.c.last_used_at)).scalar_one()

    keys.authenticate(engine, new.secret, now=start)
    first = last()
    keys.authenticate(engine, new.secret, now=start + timedelta(seconds=30))
    assert last() == first
    keys.authenticate(engine, new.secret, now=start + timedelta(seconds=61))
    assert last() != first


def test_a_key_without_organisation_acts_for_the_only_membership(engine: Engine, ann: int,
                                                                  orgs: dict[str, int]) -> None:
    single = keys.authenticate(engine, keys.create_key(engine, EMAIL, "a", ["read"]).secret)
    assert single is not None and single.organisation_id == orgs[OWN]
    users.set_membership(engine, EMAIL, OTHER, "reader")
    several = keys.authenticate(engine, keys.create_key(engine, EMAIL, "b", ["read"]).secret)
    assert several is not None and (several.organisation_id, several.role) == (None, "reader")
    bound = keys.create_key(engine, EMAIL, "c", ["read"], OTHER)
    users.remove_membership(engine, EMAIL, OTHER)  # the membership it acted for has ended
    assert keys.authenticate(engine, bound.secret) is None
    with engine.begin() as conn:
        conn.execute(update(t.account).values(administrator=True))
    admin = keys.authenticate(engine, keys.create_key(engine, EMAIL, "d", ["admin"]).secret)
    assert admin is not None and admin.administrator
