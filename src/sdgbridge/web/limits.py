"""Limits on what a client can make the server hold, checked before the app reads anything.

* :class:`BodyLimit` refuses a request body over the ``max_body_bytes`` setting with 413 in
  the API's error shape: at once when ``Content-Length`` says so, else when the bytes
  streamed so far pass the limit (the app then sees the client gone). A pure ASGI
  middleware: the body is never gathered here, and uvicorn stops reading the socket while
  the app does not read (flow control), so a refused body is never held.
* :class:`TokenFirst` checks the bearer token of a write (a route behind
  :func:`~sdgbridge.web.auth.require_token`) before its body is read: FastAPI reads and
  parses the body before it runs a route's dependencies, so without it anyone could make
  the server read and parse a write's body. The write then runs as the token's actor
  (:func:`sdgbridge.actors.acting_as`), so the audit trail names who wrote.

The size of a request's head (request line and headers) is bounded by the server:
:class:`sdgbridge.web.protocol.HeadLimitHttpTools`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path

from sdgbridge.actors import acting_as
from sdgbridge.errors import SdgBridgeError
from sdgbridge.web.auth import require_token, warn_legacy, writer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
READS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER = 5  # seconds: a dropped connection is back in well under that (issue 13)
STORE_DOWN = ("The database is not answering (its connection dropped, or it is busy). "
              f"Try again in {RETRY_AFTER} seconds.")


def store_down(exc: DBAPIError) -> bool:
    """Whether ``exc`` says the store did not answer (a dropped or refused connection, a
    locked SQLite file), rather than a fault of the program."""
    return isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated


def error_bytes(message: str, status: int) -> bytes:
    """The API's error shape, encoded (as :func:`sdgbridge.web.app.error_body`)."""
    return orjson.dumps({"ok": False, "error": message, "errors": [], "status": status})


async def send_error(send: Send, status: int, message: str,
                     headers: dict[str, str] | None = None) -> None:
    """Answer ``status`` with ``message`` in the API's error shape."""
    body = error_bytes(message, status)
    raw = [(b"content-type", b"application/json"),
           (b"content-length", str(len(body)).encode()),
           *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def too_large(limit: int) -> str:
    """The message of a refused body."""
    return (f"The request body is over this server's limit of {limit:,} bytes (the "
            "max_body_bytes setting); send less.")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 (``limit`` None: the app's
    ``max_body_bytes`` setting, read on each request)."""

    def __init__(self, app: ASGIApp, limit: int | None = None) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS:
            return await self.app(scope, receive, send)
        limit = self.limit if self.limit is not None else \
            scope["app"].state.settings.max_body_bytes
        length = _content_length(scope)
        if length is not None and length > limit:
            return await send_error(send, 413, too_large(limit), {"Connection": "close"})
        await _Counted(limit, receive, send).run(self.app, scope)


class _Counted:
    """One request's body, counted as it streams; over the limit, 413 is sent, the app
    is told the client left, and whatever it answers is dropped."""

    def __init__(self, limit: int, receive: Receive, send: Send) -> None:
        self.limit, self.receive, self.send = limit, receive, send
        self.seen = 0
        self.started = self.refused = False

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        await app(scope, self.counted_receive, self.guarded_send)

    async def counted_receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self.receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.refused = True
                if not self.started:
                    await send_error(self.send, 413, too_large(self.limit),
                                     {"Connection": "close"})
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(self, message: Message) -> None:
        if self.refused:
            return
        self.started = True
        await self.send(message)


class TokenFirst:
    """Check the bearer token of a write (a route of ``routers`` behind
    :func:`~sdgbridge.web.auth.require_token`, mounted under ``prefix``) before its body is
    read: a refusal (401; 403 for a key without the write scope; 503 for a shared token
    the server does not have) answers at once, in the API's error shape."""

    def __init__(self, app: ASGIApp, prefix: str, routers: Sequence[APIRouter]) -> None:
        self.app = app
        self.writes = [(frozenset(r.methods or ()), compile_path(prefix + r.path)[0])
                       for router in routers for r in router.routes
                       if isinstance(r, APIRoute)
                       and any(d.call is require_token for d in r.dependant.dependencies)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # start-up: say so if the shared token is in use
            warn_legacy(scope["app"].state.settings)
        if scope["type"] == "http" and scope["method"] not in READS and self._is_write(scope):
            header = next((v.decode("latin-1") for k, v in scope["headers"]
                           if k == b"authorization"), None)
            state = scope["app"].state
            try:  # a key is looked up in the store: off the event loop
                actor = await run_in_threadpool(writer, state.settings, state.engine, header,
                                                f"{scope['method']} {scope['path']}")
            except SdgBridgeError as exc:
                return await send_error(send, exc.status, str(exc),
                                        getattr(exc, "headers", None))
            except DBAPIError as exc:  # the store did not answer: the app's 503, not a 500
                if not store_down(exc):
                    raise
                return await send_error(send, 503, STORE_DOWN,
                                        {"Retry-After": str(RETRY_AFTER)})
            scope.setdefault("state", {})["actor"] = actor  # for Identify, inside
            with acting_as(actor):
                return await self.app(scope, receive, send)
        await self.app(scope, receive, send)

    def _is_write(self, scope: Scope) -> bool:
        method, path = scope["method"], scope["path"]
        return any(method in methods and regex.match(path) for methods, regex in self.writes)
