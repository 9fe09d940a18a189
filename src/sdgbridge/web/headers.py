"""Security headers on every answer (issue 13, finding 6).

* ``Content-Security-Policy`` (:data:`CSP`): everything from the server itself; no script
  but the server's files (the pages have none; the API docs' one inline script is allowed by
  its hash, :func:`csp_with_script`); styles from the server's files and inline ``style``
  attributes (the pages' bars and chart colours are widths and colours given per cell);
  images also as ``data:`` URIs (Swagger UI's icons); no plugins; no framing
  (``frame-ancestors 'none'``); forms post only to the server.
* ``X-Frame-Options: DENY`` (``frame-ancestors`` for older browsers),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.

A pure ASGI middleware: it adds the headers to the start of each answer (an answer that sets
its own ``Content-Security-Policy`` keeps it) and touches nothing else.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{k} {v}" for k, v in directives.items())


CSP = _policy(CSP_DIRECTIVES)
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


def csp_with_scripts(*scripts: str) -> str:
    """:data:`CSP` that also runs the inline ``scripts`` (each by its sha256)."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in scripts)
    return _policy({**CSP_DIRECTIVES, "script-src": f"'self' {hashes}".strip()})


class SecurityHeaders:
    """Add :data:`CSP` and :data:`HEADERS` to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
