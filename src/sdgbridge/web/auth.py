"""Who calls the API: bearer authentication of the writes and of trusted reads.

A bearer value is first looked up as a personal API key
(:func:`sdgbridge.accounts.keys.authenticate`): the request then acts as that key's
account, for the organisation the key names, with the key's scopes. Otherwise it is
compared (in constant time) with the deprecated shared ``api_token`` setting, which acts as
an administrator (:data:`LEGACY`; a warning is logged once; ``docs/accounts.md`` says how
to move off it). A write needs the ``write`` scope (403 naming the missing scope), then the
role rules of :mod:`sdgbridge.accounts.roles` decide, record by record (:func:`permit`).

Reads are public, but a public reader does not see personal data (organisations'
contacts, :mod:`sdgbridge.projects.privacy`): a read sent by a trusted reader
(:func:`trusted_reader`: an administrator, an analyst, or the shared token) does. Without
the header a write is 401; 503 when the server has neither a shared token nor any live
key (it is read-only). The setting itself
refuses weak tokens at start-up (:func:`sdgbridge.config.token_problem`).
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import SecretStr
from sqlalchemy import Engine

from sdgbridge import audit
from sdgbridge.accounts.keys import PREFIX, any_live_key, authenticate
from sdgbridge.accounts.roles import can_read, check, need_scope
from sdgbridge.actors import Actor
from sdgbridge.config import TOKEN_HOWTO, Settings
from sdgbridge.errors import Forbidden, SdgBridgeError

log = logging.getLogger(__name__)
bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="A personal API key (`sdgbridge keys create`, or on one's "
                    "account page), or, deprecated, the api_token setting.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
LEGACY = Actor("api_token (shared, deprecated)", "api", role="administrator",
               administrator=True, scopes=frozenset({"read", "write", "admin"}))
_warned: list[bool] = []


class Unauthorized(SdgBridgeError):
    """No token, or not a known one."""

    status = 401
    headers = {"WWW-Authenticate": "Bearer"}


class WritesDisabled(SdgBridgeError):
    """A shared token sent to a server that has none configured."""

    status = 503


def warn_legacy(settings: Settings) -> None:
    """Log once per process that the shared token is in use."""
    if settings.api_token is not None and not _warned:
        _warned.append(True)
        log.warning("The shared api_token setting (SDGBRIDGE_API_TOKEN) is deprecated: it "
                    "acts as an administrator. Create personal API keys (`sdgbridge keys "
                    "create`), switch the clients to them, then unset it (docs/accounts.md).")


def identify(settings: Settings, engine: Engine, given: str | None) -> Actor:
    """The actor of the bearer value ``given`` (None: no header); :class:`Unauthorized`
    or :class:`WritesDisabled` when it is none."""
    if given:
        actor = authenticate(engine, given)
        if actor is not None:
            return actor
        if given.startswith(PREFIX):
            raise Unauthorized("This API key is unknown, revoked or expired, or its account "
                               "is disabled. Ask an administrator for a new key (`sdgbridge "
                               "keys create`) and send it as `Authorization: Bearer <token>`.")
    if settings.api_token is None and not given and any_live_key(engine):
        raise Unauthorized("This endpoint changes data: send your API key as "
                           "`Authorization: Bearer <token>` (an administrator makes one with "
                           "`sdgbridge keys create`).")
    check_token(settings.api_token, given)
    warn_legacy(settings)
    return LEGACY


def check_token(configured: SecretStr | None, given: str | None) -> None:
    """Refuse (raise :class:`WritesDisabled` or :class:`Unauthorized`) unless ``given`` (the
    bearer token sent, None without one) is the ``configured`` shared token."""
    if configured is None:
        raise WritesDisabled("This server is read-only: no API token is configured. No "
                             "personal API key was sent either: send one (`sdgbridge keys "
                             "create`), "
                             f"or, deprecated, {TOKEN_HOWTO} on the server, then restart it.")
    if not given:
        raise Unauthorized("This endpoint changes data: send the server's API token as "
                           "`Authorization: Bearer <token>` (the api_token setting, "
                           "SDGBRIDGE_API_TOKEN), or your personal API key.")
    if not hmac.compare_digest(given.encode(), configured.get_secret_value().encode()):
        raise Unauthorized("Wrong API token. Send your personal API key, or the token of the "
                           "server's api_token setting (SDGBRIDGE_API_TOKEN), as "
                           "`Authorization: Bearer <token>`.")


def writer(settings: Settings, engine: Engine, header: str | None,
           request: str | None = None) -> Actor:
    """The actor of a write: identified, with the ``write`` scope (else Forbidden; the
    refusal of ``request``, "PATCH /api/v1/…", is recorded in the audit trail)."""
    actor = identify(settings, engine, bearer_token(header))
    try:
        need_scope(actor, "write")
    except Forbidden as exc:
        if request is not None:
            audit.refused(engine, "write", "request", request, str(exc), actor=actor)
        raise
    return actor


def require_token(request: Request, credentials: Credentials) -> Actor:
    """The writing actor of a request (checked again after
    :class:`~sdgbridge.web.limits.TokenFirst`, which also sets it as the current actor)."""
    return writer(request.app.state.settings, request.app.state.engine,
                  request.headers.get("authorization"))


def caller(request: Request) -> Actor | None:
    """The actor of a read's bearer header (None without one; 401 for an unknown one)."""
    given = bearer_token(request.headers.get("authorization"))
    if given is None:
        return None
    return reader(request.app.state.settings, request.app.state.engine, given)


def reader(settings: Settings, engine: Engine, given: str) -> Actor:
    """The actor of the bearer value ``given`` sent with a read; :class:`Unauthorized` for
    an unknown, revoked or expired one (a caller who meant to be someone is told, not
    served the public's answer)."""
    if settings.api_token is None and not given.startswith(PREFIX):
        actor = authenticate(engine, given)
        if actor is None:
            raise Unauthorized("This server has no API token configured, so it accepts "
                               "none but personal API keys: send the request without "
                               "`Authorization` (public reads leave out personal data), or "
                               "with your key.")
        return actor
    return identify(settings, engine, given)


def trusted_reader(request: Request) -> bool:
    """Whether a read comes from a trusted reader (one who reads internal records: an
    administrator, an analyst, the shared token): False without a token (a public reader);
    an unknown token is refused (401), so that a caller who meant to be trusted is not
    served the public answer without knowing it. The header is read here, not through
    :data:`bearer`: the OpenAPI document marks only the writes as secured."""
    actor = caller(request)
    return actor is not None and can_read(actor, "internal")


def permit(engine: Engine, actor: Actor, action: str, record_type: str,
           owner_org: int | None, what: str, country: str | None = None) -> None:
    """Apply the role rules to a write (on a record of ``owner_org``, of ``country``); a
    refusal is recorded in the audit trail."""
    try:
        check(actor, action, record_type, owner_org, country, what=what)
    except Forbidden as exc:
        audit.refused(engine, action, record_type, what, str(exc), actor=actor)
        raise


def token_valid(settings: Settings, engine: Engine, given: str | None) -> bool:
    """Whether ``given`` is a live API key or the configured shared token."""
    if not given:
        return False
    try:
        identify(settings, engine, given)
    except SdgBridgeError:
        return False
    return True


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (None for another scheme),
    as :data:`bearer` reads it."""
    scheme, token = get_authorization_scheme_param(authorization)
    return token if scheme.lower() == "bearer" and token else None


TokenDep = Depends(require_token)
Writer = Annotated[Actor, Depends(require_token)]
Trusted = Annotated[bool, Depends(trusted_reader)]
