"""Passwords: the minimum rules (at least :data:`MIN_LENGTH` characters, not the email
address) and argon2id hashing (argon2-cffi's defaults, which follow RFC 9106's
recommendations); a hash made with older parameters is redone at the next sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sdgbridge.errors import N_, SdgBridgeError

MIN_LENGTH = 12
_hasher = PasswordHasher()
_dummy: list[str] = []  # a hash to check against when there is none (made once)


class WeakPassword(SdgBridgeError):
    """A password that breaks the minimum rules."""


def check_rules(password: str, email: str) -> None:
    """Refuse (:class:`WeakPassword`) a password too short or equal to the email."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(N_("The password has {count} characters; use at least {minimum} "
                              "(a few unrelated words are easy to remember)."),
                           count=len(password), minimum=MIN_LENGTH)
    lowered = password.strip().lower()
    if lowered == email.lower() or lowered == email.lower().split("@")[0]:
        raise WeakPassword(N_("The password is the email address; choose another."))


def hash_password(password: str) -> str:
    """The argon2id hash to store."""
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (never when there is none: a hash
    is then checked all the same, so that an unknown account answers as slowly as a known
    one and the timing tells no one which addresses have accounts)."""
    if not stored:
        if not _dummy:
            _dummy.append(_hasher.hash("no account has this password"))
        _verify(_dummy[0], password)
        return False
    return _verify(stored, password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with other parameters than today's."""
    return _hasher.check_needs_rehash(stored)
