"""Accounts: creation, passwords (argon2id), sign-in and lockout, one-time links,
memberships; every write audited, and no password or hash in the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from sdgbridge.accounts import passwords, users
from sdgbridge.accounts.links import LinkRefused
from sdgbridge.accounts.passwords import WeakPassword
from sdgbridge.accounts.tokens import digest, now
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound, SdgBridgeError
from tests.accounts.conftest import OTHER, OWN

PASSWORD = "amber-falcon-river-42"
EMAIL = "ann@unicef.org"


def _events(engine: Engine) -> list[dict]:
    """The audit events of accounts' records (the store's set-up records its own)."""
    people = ("account", "membership", "api_key")
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(t.audit_event).where(t.audit_event.c.record_type.in_(people))
            .order_by(t.audit_event.c.id)).mappings()]


def _account(engine: Engine, email: str = EMAIL) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(t.account).where(t.account.c.email == email)
                                 ).mappings().one())


def test_create_normalises_and_validates(engine: Engine) -> None:
    users.create_account(engine, "  Ann@UNICEF.org ", "Ann", "ru, en")
    row = _account(engine)
    assert (row["email"], row["languages"], row["password_hash"]) == (EMAIL, "ru,en", None)
    with pytest.raises(SdgBridgeError, match="exists already"):
        users.create_account(engine, EMAIL.upper(), "Ann again")
    with pytest.raises(SdgBridgeError, match="is not an email address"):
        users.create_account(engine, "ann.unicef.org", "Ann")
    with pytest.raises(SdgBridgeError, match="name is empty"):
        users.create_account(engine, "b@x.org", " ")
    with pytest.raises(SdgBridgeError, match="ISO 639-1"):
        users.create_account(engine, "b@x.org", "B", "russian")
    events = _events(engine)
    assert [(e["action"], e["record_type"], e["record_key"]) for e in events] == \
        [("created", "account", EMAIL)]


def test_invitation_sets_the_password_once(engine: Engine, acc_settings: Settings) -> None:
    users.create_account(engine, EMAIL, "Ann")
    token = users.invite(engine, EMAIL, acc_settings)
    with engine.connect() as conn:
        link = conn.execute(select(t.one_time_link)).mappings().one()
    assert link["token_sha256"] == digest(token) and link["purpose"] == "invitation"
    with pytest.raises(WeakPassword, match="at least 12"):
        users.accept_link(engine, token, "invitation", "short")
    with pytest.raises(WeakPassword, match="is the email address"):
        users.accept_link(engine, token, "invitation", EMAIL.upper())
    assert users.accept_link(engine, token, "invitation", PASSWORD) == EMAIL
    stored = _account(engine)["password_hash"]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(LinkRefused, match="has been used already"):
        users.accept_link(engine, token, "invitation", PASSWORD + "x")
    with pytest.raises(LinkRefused, match="is not known"):
        users.accept_link(engine, token[:-2], "invitation", PASSWORD)
    with pytest.raises(LinkRefused, match="is not known"):  # an invitation is no reset link
        users.accept_link(engine, users.invite(engine, EMAIL, acc_settings), "reset", PASSWORD)
    dump = str(_events(engine))
    assert PASSWORD not in dump and stored not in dump and token not in dump


def test_expired_link_refused(engine: Engine, acc_settings: Settings) -> None:
    users.create_account(engine, EMAIL, "Ann")
    token = users.request_reset(engine, EMAIL, acc_settings)
    assert token is not None
    later = now() + timedelta(hours=acc_settings.reset_hours, minutes=1)
    with pytest.raises(LinkRefused) as err:
        users.accept_link(engine, token, "reset", PASSWORD, now=later)
    assert str(err.value).startswith("This password-reset link expired on ")
    assert "ask for a new password-reset link" in str(err.value)
    assert _account(engine)["password_hash"] is None
    assert users.accept_link(engine, token, "reset", PASSWORD) == EMAIL
    assert users.request_reset(engine, "nobody@x.org", acc_settings) is None


def test_sign_in_and_lockout(engine: Engine, acc_settings: Settings) -> None:
    account_id = users.create_account(engine, EMAIL, "Ann")
    users.set_password(engine, EMAIL, PASSWORD)
    assert users.sign_in(engine, "ANN@unicef.org", PASSWORD, acc_settings) == account_id
    with pytest.raises(users.SignInRefused, match="Wrong email or password") as unknown:
        users.sign_in(engine, "nobody@x.org", PASSWORD, acc_settings)
    assert unknown.value.status == 401
    for _ in range(acc_settings.sign_in_max_failures):
        with pytest.raises(users.SignInRefused, match="Wrong email or password"):
            users.sign_in(engine, EMAIL, "wrong password here", acc_settings)
    with pytest.raises(users.SignInRefused, match="locked after too many wrong passwords"):
        users.sign_in(engine, EMAIL, PASSWORD, acc_settings)  # even the right one
    assert [e["action"] for e in _events(engine)][-1] == "locked"
    refused = [e for e in _events(engine) if e["action"] == "sign_in_refused"]
    assert len(refused) == acc_settings.sign_in_max_failures - 1  # the last one locked
    assert {(e["outcome"], e["message"]) for e in refused} == {("refused", "wrong password")}
    later = now() + timedelta(minutes=acc_settings.sign_in_lockout_minutes, seconds=1)
    assert users.sign_in(engine, EMAIL, PASSWORD, acc_settings, now=later) == account_id
    assert [e["action"] for e in _events(engine)][-1] == "signed_in"
    assert _account(engine)["failed_sign_ins"] == 0


def test_lock_lifted_when_locked_until_has_passed(engine: Engine,
                                                  acc_settings: Settings) -> None:
    users.create_account(engine, EMAIL, "Ann")
    users.set_password(engine, EMAIL, PASSWORD)
    with engine.begin() as conn:
        conn.execute(update(t.account).values(locked_until=now() + timedelta(minutes=5)))
    with pytest.raises(users.SignInRefused, match="locked"):
        users.sign_in(engine, EMAIL, PASSWORD, acc_settings)
    with engine.begin() as conn:
        conn.execute(update(t.account).values(locked_until=now() - timedelta(minutes=1)))
    assert users.sign_in(engine, EMAIL, PASSWORD, acc_settings)


def test_disabled_account_cannot_sign_in(engine: Engine, acc_settings: Settings) -> None:
    users.create_account(engine, EMAIL, "Ann")
    users.set_password(engine, EMAIL, PASSWORD)
    assert users.disable_account(engine, EMAIL)
    assert not users.disable_account(engine, EMAIL)
    with pytest.raises(users.SignInRefused, match="disabled"):
        users.sign_in(engine, EMAIL, PASSWORD, acc_settings)
    with pytest.raises(NotFound, match="No account 'x@y.org'"):
        users.disable_account(engine, "x@y.org")


def test_memberships(engine: Engine, orgs: dict[str, int]) -> None:
    users.create_account(engine, EMAIL, "Ann")
    assert users.set_membership(engine, EMAIL, OWN, "partner_editor")
    assert not users.set_membership(engine, EMAIL, f"org:{orgs[OWN]}", "reader")
    with pytest.raises(SdgBridgeError, match="role 'boss'"):
        users.set_membership(engine, EMAIL, OTHER, "boss")
    with pytest.raises(SdgBridgeError, match="focal_point acts for a country"):
        users.set_membership(engine, EMAIL, OTHER, "focal_point")
    with pytest.raises(NotFound, match="No organisation 'XM-NONE'"):
        users.set_membership(engine, EMAIL, "XM-NONE", "reader")
    users.set_membership(engine, EMAIL, OTHER, "focal_point", "kaz")
    listed = users.list_accounts(engine).row(0, named=True)
    assert listed["memberships"] == f"{OTHER}=focal_point {OWN}=reader"
    assert users.remove_membership(engine, EMAIL, OTHER)
    assert not users.remove_membership(engine, EMAIL, OTHER)
    events = [(e["action"], e["record_type"], e["before"], e["after"])
              for e in _events(engine) if e["record_type"] == "membership"]
    key = f"{EMAIL}@org:{orgs[OWN]}"
    assert [e[:2] for e in events] == [("created", "membership"), ("updated", "membership"),
                                       ("created", "membership"), ("archived", "membership")]
    assert events[1][2:] == ('{"country": null, "role": "partner_editor"}',
                             '{"country": null, "role": "reader"}')
    assert key in {e["record_key"] for e in _events(engine)}


def test_an_unknown_account_is_checked_as_slowly_as_a_known_one(
        engine: Engine, acc_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = passwords._verify

    def spy(stored: str, password: str) -> bool:
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(passwords, "_verify", spy)
    with pytest.raises(users.SignInRefused):
        users.sign_in(engine, "nobody@x.org", PASSWORD, acc_settings)
    users.create_account(engine, EMAIL, "Ann")  # invited, no password yet
    with pytest.raises(users.SignInRefused):
        users.sign_in(engine, EMAIL, PASSWORD, acc_settings)
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)
