"""Prometheus metrics of the web app, served at ``GET /metrics`` (text exposition format).

* ``sdgbridge_http_requests_total`` and ``sdgbridge_http_request_duration_seconds``: by
  method, route (the matched route's template, ``/api/v1/countries/{code}``, never the raw
  path: one series per route, not per URL; ``unmatched`` when no route matched) and status
  class (``2xx`` … ``5xx``); ``sdgbridge_http_requests_in_flight``.
* ``sdgbridge_db_pool_size`` and ``sdgbridge_db_pool_checked_out``: the SQLAlchemy pools of
  the primary and (when set) the replica engine, for pools that have a size.
* ``sdgbridge_operation_duration_seconds``: ingests and assessments (by ``operation``), as
  the library tells them through :mod:`sdgbridge.timing`.

With several worker processes (``sdgbridge serve --workers N``) each worker writes its
values to files in ``PROMETHEUS_MULTIPROC_DIR`` (``serve`` makes a temporary one before the
workers start) and ``/metrics`` sums them (:class:`MultiProcessCollector`), whichever worker
answers. The ``metrics`` setting turns the endpoint off; ``metrics_token_required`` makes it
ask for the ``api_token`` as a bearer token.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from weakref import WeakSet

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import Engine, event
from starlette.concurrency import run_in_threadpool

from sdgbridge import timing
from sdgbridge.accounts.keys import authenticate
from sdgbridge.web.auth import bearer_token

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
LABELS = ("method", "route", "status")
REQUESTS = Counter("sdgbridge_http_requests", "HTTP requests answered.", LABELS)
LATENCY = Histogram("sdgbridge_http_request_duration_seconds",
                    "Time from a request's arrival to the end of its answer.", LABELS,
                    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
IN_FLIGHT = Gauge("sdgbridge_http_requests_in_flight", "Requests being answered.",
                  multiprocess_mode="livesum")
POOL_SIZE = Gauge("sdgbridge_db_pool_size", "Connections the database pool keeps.",
                  ["engine"], multiprocess_mode="livesum")
CHECKED_OUT = Gauge("sdgbridge_db_pool_checked_out",
                    "Database connections in use (checked out of the pool).", ["engine"],
                    multiprocess_mode="livesum")
OPERATIONS = Histogram("sdgbridge_operation_duration_seconds",
                       "Duration of the library's long operations (ingest, assessment).",
                       ["operation", "outcome"],
                       buckets=(.1, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800))
_instrumented: WeakSet[Engine] = WeakSet()  # the engines whose connections are counted


def status_class(status: int) -> str:
    """``404`` -> ``"4xx"``."""
    return f"{status // 100}xx"


def route_of(scope: Scope, known: frozenset[str]) -> str:
    """The template of the route that answered (``{code}``, not ``KAZ``); a path of
    ``known`` answered before routing (the fast path) is its own template; else
    :data:`UNMATCHED`."""
    # Recent FastAPI (0.165 here) keeps the route of an included router as declared (without
    # the router's prefix) and the route as mounted, prefix and all, in its own context.
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    for holder in (effective, scope.get("route")):
        path = getattr(holder, "path", None)
        if isinstance(path, str):
            return path
    return scope["path"] if scope["path"] in known else UNMATCHED


class Metrics:
    """Count, time and gauge every HTTP request (a pure ASGI middleware). ``known``: paths
    answered before routing, by their own name."""

    def __init__(self, app: ASGIApp, known: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.known = known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500

        async def seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, seen)
        finally:
            IN_FLIGHT.dec()
            labels = (scope["method"], route_of(scope, self.known), status_class(status))
            REQUESTS.labels(*labels).inc()
            LATENCY.labels(*labels).observe(time.perf_counter() - start)


def watch_pool(engine: Engine, name: str) -> None:
    """Gauge ``engine``'s pool: its size (when it has one) and its checked-out
    connections, counted by the pool's events (once per engine: the events stay with the
    engine's pool when :meth:`~sqlalchemy.engine.Engine.dispose` makes a new one)."""
    if engine in _instrumented:
        return
    _instrumented.add(engine)
    size = getattr(engine.pool, "size", None)
    if callable(size):
        POOL_SIZE.labels(name).set(size())
    gauge = CHECKED_OUT.labels(name)
    event.listen(engine, "checkout", lambda *_: gauge.inc())
    event.listen(engine, "checkin", lambda *_: gauge.dec())


def record_operation(operation: str, seconds: float, ok: bool) -> None:
    """A :mod:`sdgbridge.timing` listener: the duration into :data:`OPERATIONS`."""
    OPERATIONS.labels(operation, "ok" if ok else "failed").observe(seconds)


def start_recording_operations() -> None:
    """Record the library's timed operations from now on (once per process)."""
    timing.listen(record_operation)


def exposition() -> bytes:
    """All the metrics in the text format: summed over the workers' files in multiprocess
    mode, else this process's registry."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def worker_stopped() -> None:
    """In multiprocess mode, drop this worker's live gauges (in-flight, pools) from the
    sum when it stops."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: 404 when the ``metrics`` setting is off; when
    ``metrics_token_required`` is on, a personal API key with the ``admin`` scope (403
    without it) or the shared token is needed (401; 503 without an ``api_token``)."""
    settings = request.app.state.settings
    if not settings.metrics:
        return _refusal(404, "Metrics are off on this server (the metrics setting).")
    if settings.metrics_token_required:
        configured = settings.api_token
        given = bearer_token(request.headers.get("authorization"))
        key = None if not given else await run_in_threadpool(
            authenticate, request.app.state.engine, given)
        if key is not None:
            if "admin" not in key.scopes:
                return _refusal(403, "This API key lacks the 'admin' scope, which /metrics "
                                "needs (metrics_token_required is set).")
            return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
        if configured is None:
            return _refusal(503, "metrics_token_required is set but the server has no "
                            "api_token: send a personal API key with the admin scope, set "
                            "SDGBRIDGE_API_TOKEN, or turn the requirement off.")
        if not given or not hmac.compare_digest(given.encode(),
                                                configured.get_secret_value().encode()):
            return _refusal(401, "Send an API key with the admin scope, or the server's API "
                            "token, as `Authorization: Bearer <token>` (metrics_token_required "
                            "is set).",
                            {"WWW-Authenticate": "Bearer"})
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


def _refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"ok": False, "error": message, "errors": [], "status": status},
                        status, headers=headers)
