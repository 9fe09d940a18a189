"""Random secrets and their digests: what the user holds is random, what is stored is its
SHA-256 (API keys, session ids, one-time links); and the clock, in UTC, that the lifetimes
are measured with (SQLite hands back naive datetimes: :func:`aware` reads them as UTC)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime


def token() -> str:
    """A new random value, URL-safe, 256 bits."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """The stored form of a secret: its SHA-256, hex."""
    return hashlib.sha256(value.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """A stored datetime, in UTC (SQLite stores them without the zone)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
