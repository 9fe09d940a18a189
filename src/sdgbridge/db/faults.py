"""Faults of the machine under the store, told apart from faults of the program.

A full disk reaches the program in several forms: SQLite's ``database or disk is full``
(SQLITE_FULL, while it grows the store or its journal), PostgreSQL's ``disk_full``
(SQLSTATE 53100, ``could not extend file``), the same words from the ADBC driver that
writes the staging files of a bulk load, and ``OSError`` ENOSPC from a file written beside
the store (an export). The transaction that met
it is rolled back, so the store is as it was: the user needs to know that, and what to do.
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import DBAPIError

from sdgbridge.errors import StoreFull

PG_DISK_FULL = "53100"
FULL_WORDS = ("database or disk is full", "No space left on device")


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says a disk is full."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        orig = exc.orig if isinstance(exc, DBAPIError) else exc
        if getattr(orig, "sqlstate", None) == PG_DISK_FULL or any(
                words in str(orig) for words in FULL_WORDS):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def disk_full_error(exc: BaseException) -> StoreFull | None:
    """The :class:`~sdgbridge.errors.StoreFull` to raise for ``exc``, or None if it is not a
    full disk."""
    return StoreFull() if is_disk_full(exc) else None
