"""One-time links: invitations and password resets, mailed as ``/invitation/<token>`` and
``/reset/<token>``. The token is random; the store keeps its SHA-256, the account, the
purpose, when it expires and when it was used. A link is used once: a used, expired,
unknown or other-purpose link is refused with a message that says to ask for a new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from sdgbridge.accounts.tokens import aware, digest, token
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, SdgBridgeError

PURPOSES = {"invitation": "/invitation/", "reset": "/reset/"}
# Why a link is refused, by purpose: unknown, used, used meanwhile, expired.
REFUSALS = {
    "invitation": {
        "unknown": N_("This invitation is not known (mistyped or cut short?): copy the whole "
                      "link from the message, or ask the Centre's administrators to invite "
                      "you again."),
        "used": N_("This invitation has been used already; each link works once. Sign in "
                   "with your password, or ask the Centre's administrators to invite you "
                   "again."),
        "raced": N_("This invitation has been used already; each link works once."),
        "expired": N_("This invitation expired on {expires:%Y-%m-%d %H:%M} UTC; ask the "
                      "Centre's administrators to invite you again."),
    },
    "reset": {
        "unknown": N_("This password-reset link is not known (mistyped or cut short?): copy "
                      "the whole link from the message, or ask for a new password-reset link "
                      "on the sign-in page."),
        "used": N_("This password-reset link has been used already; each link works once. "
                   "Sign in with your password, or ask for a new password-reset link on the "
                   "sign-in page."),
        "raced": N_("This password-reset link has been used already; each link works once."),
        "expired": N_("This password-reset link expired on {expires:%Y-%m-%d %H:%M} UTC; ask "
                      "for a new password-reset link on the sign-in page."),
    },
}


class LinkRefused(SdgBridgeError):
    """A one-time link that cannot be used (unknown, used, expired)."""

    status = 400


def make_link(conn: Connection, account_id: int, purpose: str, lifetime: timedelta,
              now: datetime) -> str:
    """A new link for ``account_id``, in ``conn``'s transaction: its token (shown or mailed
    once, never stored)."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose {purpose!r}: one of {', '.join(PURPOSES)}")
    value = token()
    conn.execute(insert(t.one_time_link).values(
        token_sha256=digest(value), account_id=account_id, purpose=purpose, created_at=now,
        expires_at=now + lifetime))
    return value


def link_path(purpose: str, value: str) -> str:
    """The path of a link on the web: ``/invitation/<token>`` or ``/reset/<token>``."""
    return PURPOSES[purpose] + value


def use_link(conn: Connection, value: str, purpose: str, now: datetime) -> int:
    """Mark the link used (in ``conn``'s transaction) and return its account's id; refuse
    it (:class:`LinkRefused`) when unknown, of another purpose, used or expired."""
    refusals = REFUSALS["invitation" if purpose == "invitation" else "reset"]
    ln = t.one_time_link.c
    row = conn.execute(select(t.one_time_link).where(ln.token_sha256 == digest(value or ""))
                       ).mappings().first()
    if row is None or row["purpose"] != purpose:
        raise LinkRefused(refusals["unknown"])
    if row["used_at"] is not None:
        raise LinkRefused(refusals["used"])
    expires = aware(row["expires_at"])
    if expires is not None and expires <= now:
        raise LinkRefused(refusals["expired"], expires=expires)
    done = conn.execute(update(t.one_time_link).where(
        ln.token_sha256 == row["token_sha256"], ln.used_at.is_(None)).values(used_at=now))
    if done.rowcount != 1:  # used meanwhile by another request
        raise LinkRefused(refusals["raced"])
    return int(row["account_id"])
