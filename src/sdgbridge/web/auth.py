"""Bearer-token protection of the write endpoints (until accounts exist).

Reads are public, but a public reader does not see personal data (organisations'
contacts, :mod:`sdgbridge.projects.privacy`): a read sent with the token
(:func:`trusted_reader`) does. A write needs ``Authorization: Bearer <token>`` with the token of the
``api_token`` setting (compared in constant time); without the header or with another token
it answers 401, and 503 when no token is configured (the API is then read-only). The
setting itself refuses weak tokens at start-up (:func:`sdgbridge.config.token_problem`).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import SecretStr

from sdgbridge.config import TOKEN_HOWTO
from sdgbridge.errors import SdgBridgeError

bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="The api_token setting (SDGBRIDGE_API_TOKEN).")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class Unauthorized(SdgBridgeError):
    """No token, or not the configured one."""

    status = 401
    headers = {"WWW-Authenticate": "Bearer"}


class WritesDisabled(SdgBridgeError):
    """The server has no token configured: it only serves reads."""

    status = 503


async def require_token(request: Request, credentials: Credentials) -> None:
    """Let the request through only with the configured bearer token."""
    check_token(request.app.state.settings.api_token,
                None if credentials is None else credentials.credentials)


def check_token(configured: SecretStr | None, given: str | None) -> None:
    """Refuse (raise :class:`WritesDisabled` or :class:`Unauthorized`) unless ``given`` (the
    bearer token sent, None without one) is the ``configured`` one. Also run before a write's
    body is read (:class:`sdgbridge.web.limits.TokenFirst`)."""
    if configured is None:
        raise WritesDisabled("This server is read-only: no API token is configured. To allow "
                             f"writes, {TOKEN_HOWTO} on the server, then restart it.")
    if not given:
        raise Unauthorized("This endpoint changes data: send the server's API token as "
                           "`Authorization: Bearer <token>` (the api_token setting, "
                           "SDGBRIDGE_API_TOKEN).")
    if not hmac.compare_digest(given.encode(), configured.get_secret_value().encode()):
        raise Unauthorized("Wrong API token. Send the token of the server's api_token setting "
                           "(SDGBRIDGE_API_TOKEN) as `Authorization: Bearer <token>`.")


def token_valid(configured: SecretStr | None, given: str | None) -> bool:
    """Whether ``given`` is the ``configured`` token (never when none is configured)."""
    try:
        check_token(configured, given)
    except SdgBridgeError:
        return False
    return True


async def trusted_reader(request: Request) -> bool:
    """Whether a read comes from a trusted reader: True with the configured token, False
    without a token (a public reader); another token is refused (401), so that a caller who
    meant to be trusted is not served the public answer without knowing it. The header is
    read here, not through :data:`bearer`: the OpenAPI document marks only the writes as
    secured (the reads are public; their descriptions say what the token adds)."""
    given = bearer_token(request.headers.get("authorization"))
    if given is None:
        return False
    configured = request.app.state.settings.api_token
    if configured is None:
        raise Unauthorized("This server has no API token configured, so it accepts none: "
                           "send the request without `Authorization` (public reads leave "
                           "out personal data).")
    check_token(configured, given)
    return True


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (None for another scheme),
    as :data:`bearer` reads it."""
    scheme, token = get_authorization_scheme_param(authorization)
    return token if scheme.lower() == "bearer" and token else None


TokenDep = Depends(require_token)
Trusted = Annotated[bool, Depends(trusted_reader)]
