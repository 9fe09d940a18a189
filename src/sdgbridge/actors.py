"""Who is acting: the :class:`Actor` of a write (or a read that depends on who asks).

Every write is attributed (:mod:`sdgbridge.audit`): the shells say who acts, the library
reads it. The web sets the actor of each request (the signed-in account or the API key's,
or :data:`PUBLIC`); the command line sets its named local user (``--as`` or the
``cli_user`` setting); an import acts as itself (``iati import 3``). Library code called
without a shell acts as :data:`LOCAL`: whoever runs the Python process, with every right,
as the command line had before accounts existed.

The actor travels in a context variable (:func:`acting_as`, :func:`current_actor`), so the
service functions keep their signatures and a thread pool or an ``asyncio`` task started
inside :func:`acting_as` acts for the same person.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

VIAS = ("web", "api", "cli", "import", "system")


@dataclass(frozen=True)
class Actor:
    """Someone (or something) acting, and for which organisation."""

    label: str  # what the audit trail shows: "a.analyst@un.org", "cli:root", "public"
    via: str  # web | api | cli | import | system
    account_id: int | None = None
    organisation_id: int | None = None  # acting for this organisation of the registry
    role: str = "public"  # the role of that membership (sdgbridge.accounts.roles)
    country: str | None = None  # a government focal point's country (ISO alpha-3)
    scopes: frozenset[str] = field(default_factory=frozenset)  # an API key's: read, write, admin
    administrator: bool = False

    def through(self, via: str) -> Actor:
        """The same actor, acting through ``via``."""
        return replace(self, via=via)

    @property
    def signed_in(self) -> bool:
        return self.account_id is not None


PUBLIC = Actor("public", "web")
LOCAL = Actor("local", "system", role="administrator", administrator=True,
              scopes=frozenset({"read", "write", "admin"}))

_current: ContextVar[Actor] = ContextVar("sdgbridge_actor", default=LOCAL)


def current_actor() -> Actor:
    """The actor of what runs now (:data:`LOCAL` when no shell has said)."""
    return _current.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Run the block as ``actor``."""
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
