"""Anonymous pages, kept until the store changes.

A page (``/``, ``/country/KAZ``, ``/country/KAZ/goal/6``, ``/coordination``, …) costs 20 to
70 ms to assemble and render, the same for every visitor who is not signed in, until the
store changes. :class:`PageCache` keeps the encoded answer of a page under its path, its
query string, the language negotiated for the request (``?lang=``, the ``lang`` cookie,
``Accept-Language``) and the stamp of the whole store (:func:`sdgbridge.kept.stamp`: every
release, project, organisation, assessment run and document change makes a new stamp). So
a page is never answered from before a change, and a visitor always gets the page in the
language they would have got. (The partner registry is left out of the stamp: no page shows
it; :data:`PAGE_SOURCES`.)

Only requests that cannot be personal are answered from it: ``GET``/``HEAD`` of a page (not
the API, the static files or the operations routes), without an ``Authorization`` header
and without any cookie but ``lang``. Only ``200`` HTML answers are kept, at most
``page_cache_entries`` of them and ``page_cache_bytes`` in all per process (the least
recently used go first); ``0`` entries turns the cache off. The ``Set-Cookie`` of a
``?lang=`` choice is part of the kept answer: it depends only on the query string, which is
part of the key.

On a hit the route that made the page is put back in the request's scope, so the metrics
count a kept page under its route's template.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from sdgbridge.kept import SOURCES, Keeper, stamp
from sdgbridge.web import i18n

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
NOT_PAGES = ("/api/", "/static/", "/healthz", "/readyz", "/metrics")
MAX_PAGE = 1 << 20  # a larger answer is passed on, not kept
# What the pages read: every source but the partner registry, which no page shows (a test
# holds this), so that a partner's edit of its record does not make every page again.
PAGE_SOURCES = tuple(s for s in SOURCES if s != "organisations")


class PageCache:
    """Pure ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.kept: Keeper | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        kept = self._keeper(state.settings)
        if not kept.entries:
            await self.app(scope, receive, send)
            return
        try:
            full = (*key, await run_in_threadpool(stamp, state.read_engine, *PAGE_SOURCES))
        except DBAPIError:  # the store does not answer: the page says so, not kept
            await self.app(scope, receive, send)
            return
        found = kept.find(full)
        if found is not None:
            route, answer = found
            scope.update(route)
            for message in answer:
                await send(_copy(message))  # the middlewares outside add to what they get
            return
        messages: list[Message] = []
        size = 0

        async def keep_and_send(message: Message) -> None:
            nonlocal size
            messages.append(_copy(message))  # as the app made it, before the outer ones add
            size += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep_and_send)
        if _keepable(messages, size):
            route = {k: scope[k] for k in ("route", "fastapi") if k in scope}
            kept.keep(full, (route, messages))

    def _keeper(self, settings: Any) -> Keeper:
        if self.kept is None:
            self.kept = Keeper(settings.page_cache_entries, budget=settings.page_cache_bytes,
                               weigh=lambda entry: sum(len(m.get("body", b""))
                                                       for m in entry[1]))
        return self.kept

    @staticmethod
    def _key(scope: Scope) -> tuple[object, ...] | None:
        """(method, path, query, language) of a request that may be answered from the
        cache; None for one that may not."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        path = scope["path"]
        if path.startswith(NOT_PAGES):
            return None
        headers = dict(scope["headers"])
        if b"authorization" in headers:
            return None
        cookies: dict[str, str] = {}
        if b"cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers[b"cookie"].decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie: not ours to judge
                return None
            cookies = {name: morsel.value for name, morsel in jar.items()}
            if set(cookies) - {i18n.COOKIE}:
                return None  # a cookie of a session (or anyone's): possibly personal
        query = scope.get("query_string", b"").decode("latin-1")
        asked = dict(pair.partition("=")[::2] for pair in query.split("&") if pair)
        try:
            lang = i18n.negotiate(asked.get("lang"), cookies.get(i18n.COOKIE),
                                  headers.get(b"accept-language", b"").decode("latin-1"))
        except Exception:  # noqa: BLE001 - an unknown ?lang=: the page answers it
            return None
        return (scope["method"], path, query, lang)


def _copy(message: Message) -> Message:
    """A message of its own, with a list of headers of its own: the middlewares outside the
    cache (the request id, the security headers) set ``message["headers"]`` on what they
    are sent, and a kept page must not keep what they add for one request."""
    copy = dict(message)
    if "headers" in copy:
        copy["headers"] = list(copy["headers"])
    return copy


def _keepable(messages: list[Message], size: int) -> bool:
    """A whole ``200`` HTML answer, small enough."""
    if not messages or messages[0].get("type") != "http.response.start":
        return False
    start = messages[0]
    if start.get("status") != 200 or size > MAX_PAGE:
        return False
    headers = dict(start.get("headers", []))
    if not headers.get(b"content-type", b"").startswith(b"text/html"):
        return False
    last = messages[-1]
    return last.get("type") == "http.response.body" and not last.get("more_body", False)
