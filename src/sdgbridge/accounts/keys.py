"""API keys: a person's bearer tokens for the API, each with scopes (read, write, admin),
an optional expiry, an optional organisation it acts for (one of the account's
memberships), revocable.

The secret (``sdg_`` and 43 random characters) is returned once, at creation; the store
keeps its SHA-256 and an 8-character prefix that tells keys apart in listings. A request's
key is found by the digest of what it sends (:func:`authenticate`), which no timing of
the lookup can guess towards.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import Engine, insert, select, update

from sdgbridge import audit
from sdgbridge.accounts.roles import KEY_SCOPES
from sdgbridge.accounts.tokens import aware, digest, token
from sdgbridge.accounts.tokens import now as utc_now
from sdgbridge.accounts.users import actor_of, find_account, memberships, org_id
from sdgbridge.actors import Actor
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound, Phrase, SdgBridgeError

PREFIX = "sdg_"
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``secret`` is shown once and never again."""

    id: int
    prefix: str
    secret: str


def _scopes(scopes: Iterable[str]) -> str:
    chosen = sorted({s.strip().lower() for s in scopes if s.strip()},
                    key=lambda s: (KEY_SCOPES + (s,)).index(s))
    bad = [s for s in chosen if s not in KEY_SCOPES]
    if bad or not chosen:
        raise SdgBridgeError(N_("scope {scopes}: give one or more of {known} (--scope read "
                                "--scope write)."), scopes=", ".join(bad) or Phrase(N_("(none)")),
                             known=", ".join(KEY_SCOPES))
    return ",".join(chosen)


def create_key(engine: Engine, email: str, name: str, scopes: Iterable[str],
               organisation: int | str | None = None, expires_days: int | None = None
               ) -> NewKey:
    """A new key of ``email``'s account; the secret is in the answer only."""
    scope_text = _scopes(scopes)
    if not (name or "").strip():
        raise SdgBridgeError(N_("name is empty: name the key after what uses it (--name)."))
    if expires_days is not None and expires_days < 1:
        raise SdgBridgeError(N_("--expires-days {days}: give a number of days, 1 or more (or "
                                "leave it out for a key that does not expire)."),
                             days=expires_days)
    organisation_id = None if organisation is None else org_id(engine, organisation)
    secret = PREFIX + token()
    moment = utc_now()
    with engine.begin() as conn:
        account = find_account(conn, email)
        if organisation_id is not None and organisation_id not in {
                r["organisation_id"] for r in memberships(conn, account["id"])}:
            raise SdgBridgeError(N_("{email} is not a member of organisation {organisation}; "
                                    "a key acts only for one of its account's organisations "
                                    "(`sdgbridge users role` adds one)."),
                                 email=account["email"], organisation=organisation)
        values = {"account_id": account["id"], "name": name.strip(),
                  "prefix": secret[len(PREFIX):len(PREFIX) + 8], "scopes": scope_text,
                  "organisation_id": organisation_id, "created_at": moment,
                  "expires_at": None if expires_days is None
                  else moment + timedelta(days=expires_days)}
        key_id = conn.execute(insert(t.api_key).values(key_sha256=digest(secret), **values)
                              .returning(t.api_key.c.id)).scalar_one()
        audit.record(conn, "created", "api_key", key_id,
                     after={k: values[k] for k in ("name", "prefix", "scopes",
                                                    "organisation_id", "expires_at")}
                     | {"account": account["email"]})
    return NewKey(int(key_id), values["prefix"], secret)


def list_keys(engine: Engine, email: str | None = None) -> pl.DataFrame:
    """The keys (of ``email``'s account, or all), newest first: never their secrets."""
    k, a, o = t.api_key.c, t.account.c, t.organisation.c
    query = (select(k.id, a.email, k.name, k.prefix, k.scopes, o.id.label("org_id"),
                    o.ref, k.created_at, k.expires_at, k.revoked_at, k.last_used_at)
             .join(t.account, a.id == k.account_id)
             .outerjoin(t.organisation, o.id == k.organisation_id)
             .order_by(k.id.desc()))
    with engine.connect() as conn:
        if email is not None:
            query = query.where(k.account_id == find_account(conn, email)["id"])
        found = conn.execute(query).mappings().all()
    moment = utc_now()
    return pl.DataFrame([{
        "id": r["id"], "email": r["email"], "name": r["name"],
        "prefix": PREFIX + r["prefix"] + "…", "scopes": r["scopes"],
        "organisation": None if r["org_id"] is None else r["ref"] or f"org:{r['org_id']}",
        "state": _state(r, moment), "created_at": _second(r["created_at"]),
        "expires_at": _second(r["expires_at"]), "last_used_at": _second(r["last_used_at"]),
    } for r in found], schema={
        "id": pl.Int64, "email": pl.String, "name": pl.String, "prefix": pl.String,
        "scopes": pl.String, "organisation": pl.String, "state": pl.String,
        "created_at": pl.Datetime("us", "UTC"), "expires_at": pl.Datetime("us", "UTC"),
        "last_used_at": pl.Datetime("us", "UTC")})


def _second(moment: datetime | None) -> datetime | None:
    """A stored time, in UTC, to the second (as listings show it)."""
    found = aware(moment)
    return None if found is None else found.replace(microsecond=0)


def _state(row: object, moment: datetime) -> str:
    revoked, expires = aware(row["revoked_at"]), aware(row["expires_at"])  # type: ignore[index]
    if revoked is not None:
        return "revoked"
    return "expired" if expires is not None and expires <= moment else "active"


def any_live_key(engine: Engine) -> bool:
    """Whether some key is not revoked (a server without one, nor a shared token, takes no
    writes at all)."""
    with engine.connect() as conn:
        return conn.execute(select(t.api_key.c.id).where(t.api_key.c.revoked_at.is_(None))
                            .limit(1)).first() is not None


def revoke_key(engine: Engine, key_id: int) -> bool:
    """Revoke a key (its next request is refused); False when it already was."""
    k = t.api_key.c
    with engine.begin() as conn:
        row = conn.execute(select(k.id, k.revoked_at, k.prefix).where(k.id == key_id)
                           ).mappings().first()
        if row is None:
            raise NotFound(N_("No API key {key}. `sdgbridge keys list` lists them with their "
                              "ids."), key=key_id)
        if row["revoked_at"] is not None:
            return False
        moment = utc_now()
        conn.execute(update(t.api_key).where(k.id == key_id).values(revoked_at=moment))
        audit.record(conn, "revoked", "api_key", key_id, after={"revoked_at": moment})
    return True


def authenticate(engine: Engine, secret: str | None, now: datetime | None = None
                 ) -> Actor | None:
    """The actor of the API key ``secret`` (via ``api``, with the key's scopes and the role
    of the membership it acts for); None for an unknown, revoked or expired key or a
    disabled account."""
    if not secret:
        return None
    moment = now or utc_now()
    wanted = digest(secret)
    k = t.api_key.c
    with engine.connect() as conn:
        key = conn.execute(select(t.api_key).where(k.key_sha256 == wanted)).mappings().first()
        if key is None or not hmac.compare_digest(key["key_sha256"], wanted):
            return None
        account = conn.execute(select(t.account).where(t.account.c.id == key["account_id"])
                               ).mappings().one()
        expires = aware(key["expires_at"])
        if key["revoked_at"] is not None or account["disabled"] or (
                expires is not None and expires <= moment):
            return None
        actor = actor_of(conn, account, "api", key["organisation_id"],
                         frozenset(key["scopes"].split(",")))
    if key["organisation_id"] is not None and actor.organisation_id is None:
        return None  # the membership it acted for has ended
    last = aware(key["last_used_at"])
    if last is None or moment - last >= TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(t.api_key).where(k.id == key["id"]).values(last_used_at=moment))
    return actor
