"""People and what they do: accounts, their memberships of the partner organisations (with
a role each), API keys, web sessions, one-time links (invitations, password resets), the
audit trail of every write, and the outbox of mail.

Secrets are never stored: passwords as argon2 hashes, API keys, session ids and one-time
links as SHA-256 digests of the random value the user holds.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from sdgbridge.db.tables.base import metadata

account = Table(
    "account",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),  # lower case
    Column("name", Text, nullable=False),
    Column("languages", String(64), nullable=False, default="en"),  # "ru,en": preferred first
    Column("password_hash", Text),  # argon2id; NULL until an invitation is accepted
    Column("administrator", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_sign_ins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_sign_in", DateTime(timezone=True)),
)

# A person acts for an organisation of the registry in one role (roles: sdgbridge.accounts).
membership = Table(
    "membership",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisation.id"), primary_key=True),
    Column("role", String(32), nullable=False),
    Column("country", String(3)),  # a government focal point's country (ISO alpha-3)
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("prefix", String(16), nullable=False),  # shown to tell keys apart, not secret
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("scopes", String(64), nullable=False),  # "read", "read,write", "read,write,admin"
    Column("organisation_id", Integer, ForeignKey("organisation.id")),  # acts for it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)

web_session = Table(
    "web_session",
    metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisation.id")),  # acting for
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Invitations and password resets: a mailed link used once, before it expires.
one_time_link = Table(
    "one_time_link",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           nullable=False),
    Column("purpose", String(16), nullable=False),  # invitation | reset
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

# Every write, from any path (web, API, command line, imports), and every refused write that
# reached a rule: who, for which organisation, when, what, before and after. Append-only.
audit_event = Table(
    "audit_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("account_id", Integer),  # no foreign key: the trail outlives the account
    Column("actor", Text, nullable=False),  # "a.user@un.org", "cli:root", "iati import 3"
    Column("organisation_id", Integer),  # acting for
    Column("via", String(16), nullable=False),  # web | api | cli | import | system
    Column("action", String(32), nullable=False),  # created | updated | archived | …
    Column("record_type", String(32), nullable=False),
    Column("record_key", String(255), nullable=False),
    Column("outcome", String(16), nullable=False),  # done | refused
    Column("before", Text),  # JSON
    Column("after", Text),  # JSON
    Column("message", Text),  # why it was refused
    Index("ix_audit_event_record", "record_type", "record_key"),
    sqlite_autoincrement=True,
)

# Mail waits here until the worker has handed it to the SMTP server (with retries).
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("to_address", String(320), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),
)
