"""The request id, one access line per request, and the server's log configuration.

:class:`RequestLog` is a pure ASGI middleware (outermost: refusals by the other middleware
are logged too). It takes the client's (or the proxy's) ``X-Request-ID`` when it is sane
(:data:`SANE_ID`: up to 64 of ``A-Za-z0-9._-``), else makes one, puts it in
:data:`request_id` (a context variable: every record logged while the request runs carries
it, through :class:`RequestIdFilter`), echoes it on the answer as ``X-Request-ID``, and
logs one record on ``sdgbridge.access`` when the answer is sent: method, path, status,
duration_ms and client. The health checks and ``/metrics`` are logged at DEBUG when they
succeed (a load balancer asks every few seconds).

:func:`logging_config` is the :func:`logging.config.dictConfig` of the ``log_format`` and
``log_level`` settings: text lines or one JSON object per line (:class:`JsonFormatter`).
``sdgbridge serve`` gives it to uvicorn (which applies it in every worker) with uvicorn's own
access log off: this module's access line replaces it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

from sdgbridge.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEADER = b"x-request-id"
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})  # logged at DEBUG when they succeed
ACCESS = logging.getLogger("sdgbridge.access")
# The fields of an access record, in the order a JSON line shows them.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "client")
request_id: ContextVar[str] = ContextVar("request_id", default="-")
# The one-time links' tokens (mailed invitations and password resets) are secrets: the log
# shows that such a link was used, never the link itself.
SECRET_PATHS = re.compile(r"^(/invitation/|/reset/)[^/]+")


def loggable_path(path: str) -> str:
    """``path`` as the access log shows it: a one-time link's token replaced by ``…``."""
    return SECRET_PATHS.sub(r"\1…", path)


def given_id(scope: Scope) -> str | None:
    """The request's ``X-Request-ID`` if it is sane, else None."""
    for name, value in scope["headers"]:
        if name == HEADER:
            text = value.decode("latin-1")
            return text if SANE_ID.fullmatch(text) else None
    return None


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"


class RequestLog:
    """Give every HTTP request an id (its sane ``X-Request-ID``, or a new one), echo it on
    the answer, and log one access record per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = given_id(scope) or uuid.uuid4().hex
        token = request_id.set(rid)
        start = time.perf_counter()
        status = 500  # when the app raises before it answers

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            path = loggable_path(scope["path"])
            level = logging.DEBUG if path in QUIET and status < 400 else logging.INFO
            duration = round((time.perf_counter() - start) * 1000, 2)
            fields = {"method": scope["method"], "path": path, "status": status,
                      "duration_ms": duration, "client": _client(scope)}
            ACCESS.log(level, "%s %s %s %.2f ms %s", *fields.values(), extra=fields)
            request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, request_id,
    message, the access fields when the record has them, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname, "logger": record.name,
            "request_id": getattr(record, "request_id", request_id.get()),
            "message": record.getMessage()}
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def logging_config(settings: Settings) -> dict[str, Any]:
    """The :func:`logging.config.dictConfig` of the ``log_format`` and ``log_level``
    settings: one handler on standard error for sdgbridge's, uvicorn's and every other
    logger; uvicorn's access log off (:class:`RequestLog` writes the access lines)."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if settings.log_format == "json" else {"format": TEXT_FORMAT})
    return {
        "version": 1, "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"sdgbridge": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "sdgbridge",
                                "filters": ["request_id"], "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": settings.log_level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": settings.log_level},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            "alembic": {"level": "WARNING"},  # its start-up chatter, in every worker
        },
        "root": {"handlers": ["stderr"], "level": settings.log_level},
    }
