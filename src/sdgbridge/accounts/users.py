"""Accounts and memberships: create, invite, set a password (by a one-time link or by an
administrator), sign in (with lockout after ``sign_in_max_failures`` wrong passwords for
``sign_in_lockout_minutes``), reset, disable; add, change and remove an account's
membership of an organisation of the registry, each with a role (:mod:`.roles`).

Every write is recorded in the audit trail (:func:`sdgbridge.audit.record`) in its
transaction; passwords and their hashes never are. Accounts are named by their email
address (lower case); organisations by their ref or ``org:<id>``, as ``sdgbridge orgs``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, RowMapping, delete, insert, select, update

from sdgbridge import audit
from sdgbridge.accounts import links, passwords
from sdgbridge.accounts.roles import ROLES
from sdgbridge.accounts.tokens import aware
from sdgbridge.accounts.tokens import now as utc_now
from sdgbridge.actors import Actor
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound, Phrase, SdgBridgeError
from sdgbridge.projects.orgs import one_org

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MEMBER_ROLES = tuple(r for r in ROLES if r not in ("administrator", "public"))
DISABLED = N_("This account is disabled; ask the Centre's administrators.")


class SignInRefused(SdgBridgeError):
    """Wrong email or password, a locked or disabled account."""

    status = 401


def normalise_email(email: str) -> str:
    """``email`` stripped and in lower case; refused when it is not an address."""
    clean = (email or "").strip().lower()
    if len(clean) > 320 or not _EMAIL.fullmatch(clean):
        raise SdgBridgeError(N_("email {email!r} is not an email address; write it as "
                                "name@example.org."), email=email)
    return clean


def _languages(languages: Sequence[str] | str) -> str:
    codes = [c.strip().lower() for c in (languages.split(",") if isinstance(languages, str)
                                         else languages) if c.strip()]
    bad = [c for c in codes if not re.fullmatch(r"[a-z]{2,3}", c)]
    if bad or not codes:
        raise SdgBridgeError(N_("languages {codes}: give ISO 639-1 codes such as ru,en "
                                "(preferred first)."),
                             codes=",".join(bad) or Phrase(N_("(none)")))
    return ",".join(codes)


def find_account(conn: Connection, email: str) -> RowMapping:
    """The account of ``email``; NotFound naming the command that lists them."""
    row = conn.execute(select(t.account).where(t.account.c.email == normalise_email(email))
                       ).mappings().first()
    if row is None:
        raise NotFound(N_("No account {email!r}. `sdgbridge users list` lists them."),
                       email=email)
    return row


def _public(row: RowMapping | dict[str, object]) -> dict[str, object]:
    """What the audit trail keeps of an account (no password hash)."""
    return {k: row[k] for k in ("email", "name", "languages", "administrator", "disabled")}


def create_account(engine: Engine, email: str, name: str, languages: Sequence[str] | str = "en",
                   administrator: bool = False) -> int:
    """A new account (without a password until an invitation is accepted or one is set)."""
    values = {"email": normalise_email(email), "name": (name or "").strip(),
              "languages": _languages(languages), "administrator": administrator,
              "disabled": False}
    if not values["name"]:
        raise SdgBridgeError(N_("name is empty: give the person's name (--name)."))
    with engine.begin() as conn:
        if conn.execute(select(t.account.c.id).where(t.account.c.email == values["email"])
                        ).first():
            raise SdgBridgeError(N_("An account {email!r} exists already; `sdgbridge users "
                                    "list` lists them."), email=values["email"])
        account_id = conn.execute(insert(t.account).values(
            **values, failed_sign_ins=0, created_at=utc_now()).returning(t.account.c.id)
        ).scalar_one()
        audit.record(conn, "created", "account", values["email"], after=_public(values))
    return int(account_id)


def invite(engine: Engine, email: str, settings: Settings, mail: bool = False) -> str:
    """A one-time invitation link's token for ``email``'s account (valid
    ``invitation_days``); the path to send is :func:`links.link_path`. With ``mail`` the
    link is also queued in the outbox (in the same transaction)."""
    moment = utc_now()
    with engine.begin() as conn:
        account = find_account(conn, email)
        value = links.make_link(conn, account["id"], "invitation",
                                timedelta(days=settings.invitation_days), moment)
        audit.record(conn, "invited", "account", account["email"])
        if mail:
            _mail_link(conn, account, "invitation", value, settings)
    return value


# The mailed links, in the account's first language (English when it is not Russian).
_LINK_MAIL = {
    ("invitation", "en"): ("Your sdgbridge account",
                           "Hello {name},\n\nYou are invited to sdgbridge, the SDG platform "
                           "of the Centre. Set your password here (the link works once, "
                           "within {days} days):\n\n{url}\n\nIf you did not expect this "
                           "message, ignore it.\n"),
    ("invitation", "ru"): ("Ваша учётная запись sdgbridge",
                           "Здравствуйте, {name}!\n\nВас пригласили в sdgbridge, платформу "
                           "ЦУР Центра. Задайте пароль по ссылке (она действует один раз, "
                           "{days} дн.):\n\n{url}\n\nЕсли вы не ждали этого письма, просто "
                           "не отвечайте на него.\n"),
    ("reset", "en"): ("Reset your sdgbridge password",
                      "Hello {name},\n\nSomeone (we hope you) asked to reset your sdgbridge "
                      "password. Choose a new one here (the link works once, within {hours} "
                      "hours):\n\n{url}\n\nIf it was not you, ignore this message: your "
                      "password stays as it is.\n"),
    ("reset", "ru"): ("Сброс пароля sdgbridge",
                      "Здравствуйте, {name}!\n\nКто-то (надеемся, вы) попросил сбросить пароль "
                      "sdgbridge. Задайте новый по ссылке (она действует один раз, {hours} "
                      "ч.):\n\n{url}\n\nЕсли это были не вы, не обращайте внимания на это "
                      "письмо: пароль не изменится.\n"),
}


def _mail_link(conn: Connection, account: RowMapping, purpose: str, value: str,
               settings: Settings) -> None:
    """Queue the mail that carries a one-time link (:mod:`sdgbridge.mail`)."""
    from sdgbridge import mail

    lang = "ru" if str(account["languages"] or "en").split(",")[0].strip() == "ru" else "en"
    subject, body = _LINK_MAIL[(purpose, lang)]
    url = settings.public_url.rstrip("/") + links.link_path(purpose, value)
    mail.queue(conn, account["email"], subject, body.format(
        name=account["name"] or account["email"], url=url, days=settings.invitation_days,
        hours=settings.reset_hours))


def request_reset(engine: Engine, email: str, settings: Settings, mail: bool = False
                  ) -> str | None:
    """A password-reset link's token (valid ``reset_hours``), or None for an unknown or
    disabled account (the web answers the same either way: no one learns who has one)."""
    moment = utc_now()
    with engine.begin() as conn:
        try:
            account = find_account(conn, email)
        except (NotFound, SdgBridgeError):
            return None
        if account["disabled"]:
            return None
        value = links.make_link(conn, account["id"], "reset",
                                timedelta(hours=settings.reset_hours), moment)
        audit.record(conn, "reset_requested", "account", account["email"])
        if mail:
            _mail_link(conn, account, "reset", value, settings)
    return value


def accept_link(engine: Engine, value: str, purpose: str, password: str,
                now: datetime | None = None) -> str:
    """Use an invitation or reset link to set the password; the account's email."""
    moment = now or utc_now()
    with engine.begin() as conn:
        account_id = links.use_link(conn, value, purpose, moment)
        row = conn.execute(select(t.account).where(t.account.c.id == account_id)
                           ).mappings().one()
        if row["disabled"]:
            raise links.LinkRefused(DISABLED)
        _store_password(conn, row, password, "password_set")
    return str(row["email"])


def set_password(engine: Engine, email: str, password: str) -> None:
    """Set ``email``'s password directly (an administrator, ``sdgbridge users
    set-password``); unlocks the account."""
    with engine.begin() as conn:
        _store_password(conn, find_account(conn, email), password, "password_set")


def _store_password(conn: Connection, account: RowMapping, password: str, action: str) -> None:
    passwords.check_rules(password, account["email"])
    conn.execute(update(t.account).where(t.account.c.id == account["id"]).values(
        password_hash=passwords.hash_password(password), failed_sign_ins=0, locked_until=None))
    audit.record(conn, action, "account", account["email"])


def sign_in(engine: Engine, email: str, password: str, settings: Settings,
            now: datetime | None = None) -> int:
    """The account id when ``password`` is ``email``'s; else :class:`SignInRefused` (the
    same message for an unknown email and a wrong password). Wrong passwords are counted:
    ``sign_in_max_failures`` in a row lock the account for ``sign_in_lockout_minutes``."""
    moment = now or utc_now()
    wrong = SignInRefused(N_("Wrong email or password. Check both, or ask for a "
                             "password-reset link on the sign-in page."))
    with engine.begin() as conn:
        try:
            account = find_account(conn, email)
        except SdgBridgeError:
            passwords.verify(None, password)
            raise wrong from None
        locked = aware(account["locked_until"])
        if locked is not None and locked > moment:
            raise SignInRefused(N_("This account is locked after too many wrong passwords, "
                                   "until {locked:%H:%M} UTC; try again then, or reset the "
                                   "password."), locked=locked)
        if account["disabled"]:
            raise SignInRefused(DISABLED)
        if not passwords.verify(account["password_hash"], password):
            failures = (account["failed_sign_ins"] or 0) + 1
            lock = failures >= settings.sign_in_max_failures
            conn.execute(update(t.account).where(t.account.c.id == account["id"]).values(
                failed_sign_ins=0 if lock else failures,
                locked_until=moment + timedelta(minutes=settings.sign_in_lockout_minutes)
                if lock else None))
            if lock:
                audit.record(conn, "locked", "account", account["email"],
                             message=f"{failures} wrong passwords in a row")
            else:
                audit.record(conn, "sign_in_refused", "account", account["email"],
                             outcome="refused", message="wrong password")
        else:
            values: dict[str, object] = {"failed_sign_ins": 0, "locked_until": None,
                                         "last_sign_in": moment}
            if passwords.needs_rehash(account["password_hash"]):
                values["password_hash"] = passwords.hash_password(password)
            conn.execute(update(t.account).where(t.account.c.id == account["id"])
                         .values(**values))
            audit.record(conn, "signed_in", "account", account["email"])
            return int(account["id"])
    raise wrong


def disable_account(engine: Engine, email: str) -> bool:
    """Disable an account (its keys and sessions stop working); False when it was."""
    with engine.begin() as conn:
        account = find_account(conn, email)
        if account["disabled"]:
            return False
        conn.execute(update(t.account).where(t.account.c.id == account["id"])
                     .values(disabled=True))
        audit.record(conn, "disabled", "account", account["email"],
                     before=_public(account), after={**_public(account), "disabled": True})
    return True


# ---------------------------------------------------------------- memberships

def org_id(engine: Engine, key: int | str) -> int:
    """The id of the organisation named by ``key`` (ref or ``org:<id>``)."""
    return int(one_org(engine, key)["id"][0])


def check_role(role: str) -> str:
    """``role`` when a membership may have it; else a message listing them."""
    if role not in MEMBER_ROLES:
        raise SdgBridgeError(N_("role {role!r}: one of {roles} (an administrator is an "
                                "account flag: --admin)."),
                             role=role, roles=", ".join(MEMBER_ROLES))
    return role


def _membership_key(email: str, organisation: int) -> str:
    return f"{email}@org:{organisation}"


def _membership(conn: Connection, email: str, organisation_id: int
                ) -> tuple[RowMapping, Any, RowMapping | None]:
    """``email``'s account, the condition naming its membership of ``organisation_id``, and
    that membership's role and country (None when there is none)."""
    m = t.membership.c
    account = find_account(conn, email)
    where = (m.account_id == account["id"]) & (m.organisation_id == organisation_id)
    return account, where, conn.execute(select(m.role, m.country).where(where)).mappings().first()


def set_membership(engine: Engine, email: str, organisation: int | str, role: str,
                   country: str | None = None) -> bool:
    """Make ``email`` a member of ``organisation`` in ``role`` (a focal point with its
    ``country``, ISO alpha-3), or change the role; True when it was new."""
    check_role(role)
    if role == "focal_point" and not country:
        raise SdgBridgeError(N_("a focal_point acts for a country: give it (--country KAZ)."))
    code = country.strip().upper() if country else None
    if code is not None and not re.fullmatch(r"[A-Z]{3}", code):
        raise SdgBridgeError(N_("country {country!r}: an ISO 3166 alpha-3 code such as KAZ."),
                             country=country)
    organisation_id = org_id(engine, organisation)
    with engine.begin() as conn:
        account, where, old = _membership(conn, email, organisation_id)
        key = _membership_key(account["email"], organisation_id)
        after = {"role": role, "country": code}
        if old is None:
            conn.execute(insert(t.membership).values(
                account_id=account["id"], organisation_id=organisation_id, role=role,
                country=code, created_at=utc_now()))
            audit.record(conn, "created", "membership", key, after=after)
        elif dict(old) != after:
            conn.execute(update(t.membership).where(where).values(role=role, country=code))
            audit.record(conn, "updated", "membership", key, before=dict(old), after=after)
    return old is None


def remove_membership(engine: Engine, email: str, organisation: int | str) -> bool:
    """End ``email``'s membership of ``organisation``; False when there was none."""
    organisation_id = org_id(engine, organisation)
    with engine.begin() as conn:
        account, where, old = _membership(conn, email, organisation_id)
        if old is None:
            return False
        conn.execute(delete(t.membership).where(where))
        audit.record(conn, "archived", "membership",
                     _membership_key(account["email"], organisation_id), before=dict(old))
    return True


def memberships(conn: Connection, account_id: int) -> list[RowMapping]:
    """An account's memberships (organisation id, role, country), oldest first."""
    m = t.membership.c
    return list(conn.execute(select(m.organisation_id, m.role, m.country)
                             .where(m.account_id == account_id)
                             .order_by(m.created_at, m.organisation_id)).mappings())


def actor_of(conn: Connection, account: RowMapping, via: str,
             organisation_id: int | None = None,
             scopes: frozenset[str] = frozenset()) -> Actor:
    """The actor of an account acting for ``organisation_id`` (by default its only
    membership; a reader for none), with that membership's role and country."""
    found = memberships(conn, account["id"])
    chosen = next((r for r in found if r["organisation_id"] == organisation_id), None) \
        if organisation_id is not None else (found[0] if len(found) == 1 else None)
    return Actor(label=account["email"], via=via, account_id=account["id"],
                 organisation_id=None if chosen is None else chosen["organisation_id"],
                 role="reader" if chosen is None else chosen["role"],
                 country=None if chosen is None else chosen["country"], scopes=scopes,
                 administrator=bool(account["administrator"]))


def list_accounts(engine: Engine) -> pl.DataFrame:
    """Every account with its memberships (``ref-or-org:<id>=role``), by email."""
    a, m, o = t.account.c, t.membership.c, t.organisation.c
    with engine.connect() as conn:
        accounts = conn.execute(select(a.id, a.email, a.name, a.languages, a.administrator,
                                       a.disabled, a.locked_until, a.last_sign_in,
                                       a.password_hash.is_not(None).label("has_password"))
                                .order_by(a.email)).mappings().all()
        members = conn.execute(select(m.account_id, m.role, o.id, o.ref)
                               .join(t.organisation, o.id == m.organisation_id)).all()
    held: dict[int, list[str]] = {}
    for account_id, role, oid, ref in members:
        held.setdefault(account_id, []).append(f"{ref or f'org:{oid}'}={role}")
    return pl.DataFrame([{**{k: r[k] for k in ("email", "name", "languages")},
                          "administrator": bool(r["administrator"]),
                          "disabled": bool(r["disabled"]),
                          "has_password": bool(r["has_password"]),
                          "memberships": " ".join(sorted(held.get(r["id"], []))),
                          "last_sign_in": aware(r["last_sign_in"])} for r in accounts],
                        schema={"email": pl.String, "name": pl.String, "languages": pl.String,
                                "administrator": pl.Boolean, "disabled": pl.Boolean,
                                "has_password": pl.Boolean, "memberships": pl.String,
                                "last_sign_in": pl.Datetime("us", "UTC")})


def organisations_of(engine: Engine, account_id: int) -> list[dict[str, object]]:
    """An account's memberships as the pages show them: organisation id and name, role,
    country, oldest first."""
    o = t.organisation.c
    with engine.connect() as conn:
        held = memberships(conn, account_id)
        names = dict(conn.execute(select(o.id, o.name_en).where(
            o.id.in_([m["organisation_id"] for m in held]))).all())
    return [{"id": m["organisation_id"], "name": names.get(m["organisation_id"]),
             "role": m["role"], "country": m["country"]} for m in held]


def organisation_choices(engine: Engine) -> list[dict[str, object]]:
    """The registry's organisations one may be a member of (not archived), by name: id,
    ref, name_en."""
    o = t.organisation.c
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(o.id, o.ref, o.name_en).where(
            o.archived.is_(False)).order_by(o.name_en)).mappings()]


def organisation_name(engine: Engine, organisation_id: int | None) -> str | None:
    """The English name of organisation ``organisation_id`` (None for None)."""
    if organisation_id is None:
        return None
    with engine.connect() as conn:
        return conn.execute(select(t.organisation.c.name_en).where(
            t.organisation.c.id == organisation_id)).scalar()


def account_id_of(engine: Engine, email: str) -> int:
    """The id of ``email``'s account (NotFound when there is none)."""
    with engine.connect() as conn:
        return int(find_account(conn, email)["id"])
