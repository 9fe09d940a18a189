"""Who each request acts as, and the forms' protection.

:class:`Identify` (pure ASGI middleware) finds the actor of every request before the app
sees it, and runs the request as that actor (:func:`sdgbridge.actors.acting_as`), so that
what the library reads is narrowed to what the actor may see
(:func:`sdgbridge.accounts.roles.read_limits`):

* on a read of the API with a bearer API key (or the deprecated shared token): the key's
  account, for its organisation, whatever cookie comes with it; an unknown, revoked or
  expired key is refused (401), not served the public's answer;
* else a sign-in cookie (``sdgbridge_session``) of a live session: its account, for the
  organisation chosen at sign-in;
* else the public (:data:`sdgbridge.actors.PUBLIC`).

A write of the API is identified again, before its body is read, by
:class:`~sdgbridge.web.limits.TokenFirst`: a cookie never authorises an API write.

Every form carries a token that the POST must send back (:func:`form_token`,
:func:`check_form`): a signed-in person's is the session's CSRF token; before sign-in it is
the value of a form cookie (``sdgbridge_form``, SameSite=Strict, HTTP-only) that a page of
another site cannot read or set.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from sdgbridge.accounts.sessions import Session, find_session
from sdgbridge.accounts.tokens import token
from sdgbridge.actors import PUBLIC, Actor, acting_as
from sdgbridge.config import Settings
from sdgbridge.errors import N_, Forbidden, SdgBridgeError
from sdgbridge.web.auth import bearer_token, reader
from sdgbridge.web.limits import READS, RETRY_AFTER, STORE_DOWN, send_error, store_down

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
SESSION_COOKIE = "sdgbridge_session"
FORM_COOKIE = "sdgbridge_form"
NOT_IDENTIFIED = ("/static/", "/healthz", "/readyz", "/metrics")


def cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies by name (a malformed header gives none)."""
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - http.cookies raises its own CookieError
                return {}
    return {k: m.value for k, m in jar.items()}


class Identify:
    """Pure ASGI middleware (see the module's text)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_IDENTIFIED):
            await self.app(scope, receive, send)
            return
        if scope.get("state", {}).get("actor") is not None:
            # An API write identified already by its key (TokenFirst): a cookie does not
            # change who writes.
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        actor: Actor = PUBLIC
        session: Session | None = None
        value = cookies(scope).get(SESSION_COOKIE)
        header = next((v.decode("latin-1") for k, v in scope["headers"]
                       if k == b"authorization"), None)
        given = bearer_token(header)
        try:
            if given and scope["method"] in READS and scope["path"].startswith("/api/"):
                # A key sent to the API says who asks, cookie or not (the pages are for
                # browsers: a bearer header there is not theirs, and is not looked at).
                actor = await run_in_threadpool(reader, state.settings, state.engine, given)
            elif value:
                session = await run_in_threadpool(find_session, state.engine, value)
                if session is not None:
                    actor = session.actor
        except SdgBridgeError as exc:  # an unknown, revoked or expired key: 401, not public
            await send_error(send, exc.status, str(exc), getattr(exc, "headers", None))
            return
        except DBAPIError as exc:  # the store did not answer: the app's 503, not a 500
            if not store_down(exc):
                raise
            await send_error(send, 503, STORE_DOWN, {"Retry-After": str(RETRY_AFTER)})
            return
        scope.setdefault("state", {}).update(session=session, actor=actor)
        with acting_as(actor):
            await self.app(scope, receive, send)


def request_actor(request: Request) -> Actor:
    """The actor :class:`Identify` found for ``request`` (the public without it)."""
    return getattr(request.state, "actor", PUBLIC)


def request_session(request: Request) -> Session | None:
    """The live sign-in session of ``request``, if any."""
    return getattr(request.state, "session", None)


def secure(settings: Settings) -> bool:
    """Whether cookies carry the Secure flag (the ``secure_cookies`` setting)."""
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return settings.public_url.startswith("https://")


def form_token(request: Request) -> str:
    """The token a form of this page carries: the session's CSRF token, or (before sign-in)
    the form cookie's value, made now when the browser has none (:func:`keep_form_cookie`
    sets it on the answer)."""
    session = request_session(request)
    if session is not None:
        return session.csrf
    value = request.cookies.get(FORM_COOKIE) or getattr(request.state, "new_form", None)
    if not value:
        value = request.state.new_form = token()
    return str(value)


def keep_form_cookie(request: Request, response: Response) -> Response:
    """Set the form cookie that :func:`form_token` made for this page, if it made one."""
    value = getattr(request.state, "new_form", None)
    if value:
        response.set_cookie(FORM_COOKIE, value, httponly=True, samesite="strict",
                            secure=secure(request.app.state.settings), path="/")
    return response


def check_form(request: Request, given: str | None) -> None:
    """Refuse (:class:`Forbidden`) a POSTed form whose token is missing or not the one its
    page carried (compared in constant time)."""
    session = request_session(request)
    expected = session.csrf if session is not None else request.cookies.get(FORM_COOKIE)
    if not given or not expected or not hmac.compare_digest(given.encode(),
                                                             expected.encode()):
        raise Forbidden(N_("The form's security token is missing or out of date (or the "
                           "browser refused its cookie): reload the page and send the form "
                           "again."))


def set_session_cookie(request: Request, response: Response, session: Session) -> None:
    """The sign-in cookie: HTTP-only, SameSite=Lax, Secure as the settings say, for the
    session's life."""
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, session.id, max_age=settings.session_hours * 3600,
                        httponly=True, samesite="lax", secure=secure(settings), path="/")
    response.delete_cookie(FORM_COOKIE, path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
