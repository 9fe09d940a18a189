"""Limits on what the expensive routes of the API cost, per client and per process (issue 13,
finding 4): one client cannot take the server's CPU, threads and memory from the others.

Expensive (:func:`costly`): plan alignment (``POST /align``, seconds of CPU), knowledge
search (``/search``, ``/documents/{id}/similar``: embeddings), observation pages over
:data:`LARGE_PAGE` rows and CSV exports (frames of up to the whole store). Every other route
passes untouched. For an expensive request :class:`Throttle`, a pure ASGI middleware, checks
before the app sees it:

* **a rate per client** without the API token: a token bucket per client address
  (:class:`Buckets`; ``rate_limit_per_minute``, ``rate_limit_burst``); empty, the request is
  answered 429 with ``Retry-After``. The client is the peer, or for a peer listed in
  ``trusted_proxies`` the rightmost address of ``X-Forwarded-For`` that is not a proxy
  (:func:`client_address`). With a live API key (or the shared token) there is no rate
  limit.
* **a bound in flight per process**, per kind (:class:`Slots`; ``align_concurrency``,
  ``heavy_read_concurrency``), for everyone: a request past it waits on the event loop (no
  thread) up to ``concurrency_wait`` seconds for a turn, then is answered 503 with
  ``Retry-After``. So a burst of alignments runs two at a time in the thread pool and
  leaves threads and CPU to the cheap routes, instead of queueing without bound.

Answers are in the API's error shape (:func:`sdgbridge.web.limits.send_error`). The public
length cap of a plan to align is the route's (``align_max_chars_public``,
:mod:`sdgbridge.web.api.knowledge`): it needs the parsed body.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from urllib.parse import parse_qs

from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from sdgbridge.config import Settings
from sdgbridge.web.auth import bearer_token, token_valid
from sdgbridge.web.limits import ASGIApp, Receive, Scope, Send, send_error

LARGE_PAGE = 1000  # observations per page above which a page is expensive (the default)
MAX_CLIENTS = 10_000  # buckets kept; the least recently seen client's is dropped first
RETRY_BUSY = {"align": 10, "search": 2, "observations": 2}  # seconds, for a 503
_SIMILAR = re.compile(r"/documents/[^/]+/similar")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def costly(scope: Scope, prefix: str) -> str | None:
    """The kind of expensive request (``align``, ``search``, ``observations``), or None."""
    method, path = scope["method"], scope["path"]
    if not path.startswith(prefix + "/"):
        return None
    rest = path[len(prefix):]
    if method == "POST":
        return "align" if rest == "/align" else None
    if method not in ("GET", "HEAD"):
        return None
    if rest == "/search" or _SIMILAR.fullmatch(rest):
        return "search"
    if rest == "/observations" and _large(scope.get("query_string", b"")):
        return "observations"
    return None


def _large(query_string: bytes) -> bool:
    """Whether an observations query asks for a CSV export or a page over LARGE_PAGE."""
    params = parse_qs(query_string.decode("latin-1"))
    if "csv" in params.get("format", ()):
        return True
    return any(v.strip().isdecimal() and int(v) > LARGE_PAGE for v in params.get("limit", ()))


def proxy_networks(settings: Settings) -> tuple[Network, ...]:
    """The ``trusted_proxies`` setting as networks."""
    return tuple(ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies)


def _within(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(scope: Scope, proxies: Sequence[Network]) -> str:
    """The client of a request: its peer, unless the peer is a trusted proxy; then the
    rightmost address of ``X-Forwarded-For`` that is not a trusted proxy (the ones left of
    it were written by the client and prove nothing)."""
    peer = str((scope.get("client") or ("",))[0])
    if not proxies or not _within(peer, proxies):
        return peer
    forwarded = [a.strip() for name, value in scope["headers"] if name == b"x-forwarded-for"
                 for a in value.decode("latin-1").split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _within(address, proxies):
            return address
    return peer


class Buckets:
    """A token bucket per client: ``burst`` requests at once, then ``per_minute``."""

    def __init__(self, per_minute: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = per_minute / 60.0, float(burst), clock
        self._held: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when

    def take(self, client: str) -> float:
        """Take one request from ``client``'s bucket: 0 when it may go on, else the seconds
        until it may try again."""
        now = self.clock()
        tokens, then = self._held.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self._held[client] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self._held) > MAX_CLIENTS:
            self._held.popitem(last=False)
        return wait


class Slots:
    """At most ``size`` holders at once; the others wait in turn, each for a bounded time
    (on the event loop: a waiting request holds no thread)."""

    def __init__(self, size: int) -> None:
        self.size, self.busy = size, 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, wait: float) -> bool:
        """Take a slot, waiting up to ``wait`` seconds; False when none came free."""
        if self.busy < self.size and not self._waiters:
            self.busy += 1
            return True
        if wait <= 0:
            return False
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            await asyncio.wait_for(asyncio.shield(turn), wait)
        except TimeoutError:
            pass
        except BaseException:  # the client left: hand on a slot given meanwhile
            if turn.done() and not turn.cancelled():
                self.release()
            turn.cancel()
            raise
        finally:
            if turn in self._waiters:
                self._waiters.remove(turn)
        if turn.done() and not turn.cancelled():
            return True  # handed over by release(): ``busy`` counts it already
        turn.cancel()
        return False

    def release(self) -> None:
        """Give the slot to the first waiter still waiting, else free it."""
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.busy -= 1


def too_many(wait: float, settings: Settings) -> str:
    """The message of a client over its rate."""
    return (f"Too many expensive requests (alignment, search, large pages, exports) from "
            f"your address: at most {settings.rate_limit_burst} at once and "
            f"{settings.rate_limit_per_minute:g} a minute without the API token. Try again in "
            f"{math.ceil(wait)} seconds.")


def busy(kind: str) -> str:
    """The message of a request that found no free turn."""
    what = {"align": "plan alignments", "search": "searches",
            "observations": "large observation pages and exports"}[kind]
    return (f"The server is busy with other {what}. Try again in {RETRY_BUSY[kind]} "
            "seconds.")


class Throttle:
    """Rate and concurrency limits of the expensive routes under ``prefix`` (see the module
    docstring); the settings are the app's, read on the first expensive request."""

    def __init__(self, app: ASGIApp, prefix: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app, self.prefix, self.clock = app, prefix, clock
        self._buckets: Buckets | None = None
        self._slots: dict[str, Slots] = {}
        self._proxies: tuple[Network, ...] = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = costly(scope, self.prefix) if scope["type"] == "http" else None
        if kind is None:
            return await self.app(scope, receive, send)
        settings: Settings = scope["app"].state.settings
        buckets = self._ready(settings)
        if buckets is not None and not await self._trusted(scope, settings):
            wait = buckets.take(client_address(scope, self._proxies))
            if wait > 0:
                return await send_error(send, 429, too_many(wait, settings),
                                        {"Retry-After": str(math.ceil(wait))})
        slots = self._slots[kind]
        if not await slots.acquire(settings.concurrency_wait):
            return await send_error(send, 503, busy(kind),
                                    {"Retry-After": str(RETRY_BUSY[kind])})
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    def _ready(self, settings: Settings) -> Buckets | None:
        """The buckets (None: no rate limit); the slots and proxies made on first use."""
        if not self._slots:
            self._slots = {"align": Slots(settings.align_concurrency),
                           "search": Slots(settings.heavy_read_concurrency),
                           "observations": Slots(settings.heavy_read_concurrency)}
            self._proxies = proxy_networks(settings)
            if settings.rate_limit_per_minute > 0:
                self._buckets = Buckets(settings.rate_limit_per_minute,
                                        settings.rate_limit_burst, self.clock)
        return self._buckets

    @staticmethod
    async def _trusted(scope: Scope, settings: Settings) -> bool:
        """Whether the request carries a live API key or the shared token."""
        header = next((v.decode("latin-1") for k, v in scope["headers"]
                       if k == b"authorization"), None)
        given = bearer_token(header)
        if given is None:
            return False
        try:
            return await run_in_threadpool(token_valid, settings, scope["app"].state.engine,
                                           given)
        except DBAPIError:  # the store did not answer: limited as anyone (the app says 503)
            return False
