"""The app factory (:func:`create_app`; :func:`app_factory` for ``uvicorn --factory``), the
routers it mounts, and the one JSON error shape.

The JSON API (``/api/v1``) has one module per capability under :mod:`sdgbridge.web.api`,
the HTML pages one per capability under :mod:`sdgbridge.web.pages`; each calls the library.

Every :class:`~sdgbridge.errors.SdgBridgeError` under ``/api`` becomes
``{"ok": false, "error": <message>, "errors": [], "status": <code>}`` with the class's status;
a request validation error the same shape with status 422, the offending fields named in
``error`` and listed in ``errors``. On the HTML pages the same message is shown on an error
page with the same status. A store that does not answer (a dropped or refused connection,
a locked SQLite file) is 503 with ``Retry-After``, in the same shape or on the error page.

Operations (``docs/deployment.md``): ``/healthz`` and ``/readyz``
(:mod:`~sdgbridge.web.health`), ``/metrics`` (:mod:`~sdgbridge.web.metrics`), a request id
and one access line per request (:mod:`~sdgbridge.web.logs`), and reads (GET, HEAD) from
the read replica of ``database_read_url`` when it is set (``app.state.read_engine``).
"""

from __future__ import annotations

import logging
import logging.config
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from sdgbridge.config import Settings, load_settings
from sdgbridge.db.engine import make_engine
from sdgbridge.db.faults import disk_full_error
from sdgbridge.errors import SdgBridgeError
from sdgbridge.kept import Keeper
from sdgbridge.reference.seed import seed_store
from sdgbridge.web import health, metrics
from sdgbridge.web.api import audit, data, knowledge, orgs, progress, projects, reference
from sdgbridge.web.api import requests as ta_requests
from sdgbridge.web.api import roadmaps as roadmap_api
from sdgbridge.web.fast import PATH as FAST_PATH
from sdgbridge.web.fast import FastObservations
from sdgbridge.web.headers import SecurityHeaders, csp_with_scripts
from sdgbridge.web.limits import RETRY_AFTER, STORE_DOWN, BodyLimit, TokenFirst, store_down
from sdgbridge.web.logs import RequestLog, logging_config
from sdgbridge.web.page_cache import PageCache
from sdgbridge.web.pages import (
    account,
    admin,
    contribute,
    coordination,
    country,
    explore,
    goal,
    home,
    partners,
    portfolio,
)
from sdgbridge.web.pages import compare as compare_pages
from sdgbridge.web.pages import knowledge as knowledge_pages
from sdgbridge.web.pages import profiles as profile_pages
from sdgbridge.web.pages import requests as request_pages
from sdgbridge.web.pages import roadmaps as roadmap_pages
from sdgbridge.web.pages.base import STATIC_DIR, error_page, error_text
from sdgbridge.web.session import Identify
from sdgbridge.web.throttle import Throttle

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)
# In this order: the reads of each capability, then the writes (behind the bearer token).
ROUTERS = (reference.router, data.router, progress.router, projects.router, orgs.router,
           orgs.writes, projects.writes, knowledge.router, audit.router, ta_requests.router,
           ta_requests.writes, roadmap_api.router, roadmap_api.writes)
WRITES = (orgs.writes, projects.writes, knowledge.writes, ta_requests.writes,
          roadmap_api.writes)  # the token
# contribute before knowledge: /knowledge/new is not a document's number.
PAGES = (home.router, profile_pages.router, compare_pages.router, country.router, goal.router,
         explore.router,
         coordination.router, contribute.router, knowledge_pages.router, account.router,
         admin.router, partners.router, request_pages.router, roadmap_pages.router,
         portfolio.router)  # portfolio's {key:key} routes last


def create_app(settings: Settings, engine: Engine | None = None,
               read_engine: Engine | None = None) -> FastAPI:
    """The sdgbridge web app on ``engine`` (by default one made from the settings: the store
    is created, or upgraded, and a new one gets its geography and SDG framework). Reads go
    to ``read_engine``: by default one on ``database_read_url`` (a replica, never migrated
    from here), or ``engine`` when that is unset."""
    app = FastAPI(title="sdgbridge", summary="SDG data, assessments and projects.",
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None,
                  lifespan=_lifespan)
    app.state.settings = settings
    if engine is None:
        engine = make_engine(settings.database_url,
                             statement_timeout=settings.statement_timeout)
        seed_store(engine)
    if read_engine is None:
        read_engine = engine if settings.database_read_url is None else make_engine(
            settings.database_read_url, migrate=False,
            statement_timeout=settings.statement_timeout)
    app.state.engine, app.state.read_engine = engine, read_engine
    if settings.metrics:
        metrics.watch_pool(engine, "primary")
        if read_engine is not engine:
            metrics.watch_pool(read_engine, "replica")
        metrics.start_recording_operations()
    app.state.kept = Keeper()  # frames derived from the store, for pages, API, fast path
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for page in PAGES:
        app.include_router(page, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/api/docs", api_docs, include_in_schema=False)
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.include_router(health.router)
    app.add_api_route("/metrics", metrics.metrics_endpoint, include_in_schema=False)
    app.add_middleware(FastObservations)  # the API's most frequent question, before FastAPI
    app.add_middleware(Identify)  # who the request acts as (session, key, the public)
    app.add_middleware(PageCache)  # anonymous pages, until the store changes
    app.add_middleware(Throttle, prefix=API_PREFIX)  # expensive routes: rate, turns in flight
    # A write's token, before its body is read; max_body_bytes before that (the last added
    # runs first).
    app.add_middleware(TokenFirst, prefix=API_PREFIX, routers=WRITES)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)  # on every answer, the refusals above included
    if settings.metrics:
        app.add_middleware(metrics.Metrics, known=frozenset({FAST_PATH}))
    app.add_middleware(RequestLog)  # outermost: every answer gets its id and access line
    app.add_exception_handler(SdgBridgeError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _store_error)
    return app


def app_factory() -> FastAPI:
    """The app with the settings of the environment and ``sdgbridge.toml``, logging as
    the ``log_format`` and ``log_level`` settings say:
    ``uvicorn --factory sdgbridge.web.app:app_factory --workers 2 --no-access-log``."""
    from sdgbridge.web.supervisor import dump_stacks_on_signal

    settings = load_settings()
    logging.config.dictConfig(logging_config(settings))
    dump_stacks_on_signal()
    return create_app(settings)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    metrics.worker_stopped()


SWAGGER_DIR = STATIC_DIR / "vendor" / "swagger-ui"


async def favicon() -> FileResponse:
    """The site's icon where browsers look for it first (the pages also link the SVG)."""
    return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=604800"})


def api_docs(request: Request) -> Response:
    """The interactive API docs (Swagger UI) with its script and style served from
    ``/static`` (npm's ``swagger-ui-dist``, copied by ``make assets``), never from a CDN: the
    docs work on a closed network."""
    if not (SWAGGER_DIR / "swagger-ui-bundle.js").exists():
        return error_page(request, "The interactive API docs are not built: run `make assets` "
                          "(needs Node.js and npm). The OpenAPI document is at "
                          f"{API_PREFIX}/openapi.json.", 503)
    static = "/static/vendor/swagger-ui"
    page = get_swagger_ui_html(
        openapi_url=f"{API_PREFIX}/openapi.json", title="sdgbridge API",
        swagger_js_url=f"{static}/swagger-ui-bundle.js",
        swagger_css_url=f"{static}/swagger-ui.css",
        swagger_favicon_url=f"{static}/favicon-32x32.png",
        # No badge from validator.swagger.io: nothing leaves the machine.
        swagger_ui_parameters={"validatorUrl": None})
    html = bytes(page.body).decode().replace("<html>", '<html lang="en">', 1)
    contrast = '<link type="text/css" rel="stylesheet" href="/static/swagger-contrast.css">'
    # Its one inline script (the set-up of Swagger UI) runs by its hash, no other.
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    return HTMLResponse(html.replace("</head>", f"{contrast}\n</head>", 1),
                        headers={"Content-Security-Policy": csp_with_scripts(*scripts)})


def error_body(message: str, status: int, errors: list[dict[str, Any]] | None = None
               ) -> dict[str, Any]:
    """The one error shape of the API."""
    return {"ok": False, "error": message, "errors": errors or [], "status": status}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _library_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SdgBridgeError)
    if not _is_api(request):
        return error_page(request, error_text(request, exc), exc.status)
    return JSONResponse(error_body(exc.public_message(), exc.status), status_code=exc.status,
                        headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if not _is_api(request):
        return error_page(request, message, 422)
    return JSONResponse(error_body(message, 422, errors), status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _is_api(request):
        return JSONResponse(error_body(str(exc.detail), exc.status_code), exc.status_code,
                            headers=exc.headers)
    if exc.status_code != 404:
        return await http_exception_handler(request, exc)
    return error_page(request, f"There is no page at {request.url.path}. Start from the "
                      "region's page (/).", 404)


async def _store_error(request: Request, exc: Exception) -> Response:
    """The store unreachable (a dropped or refused connection, a locked SQLite file): 503
    with ``Retry-After``, in the API's error shape or on an error page; its disk full: 507
    saying nothing was written. Other database errors are faults of the program: they
    stay 500s."""
    assert isinstance(exc, DBAPIError)
    full = disk_full_error(exc)
    if full is not None:  # the store's disk is full: the write was rolled back
        log.error("the store's disk is full: %s %s: %s", request.method, request.url.path,
                  exc.orig or exc)
        return await _library_error(request, full)
    if not store_down(exc):
        raise exc
    log.error("the store did not answer %s %s: %s", request.method, request.url.path,
              exc.orig or exc)
    headers = {"Retry-After": str(RETRY_AFTER)}
    if not _is_api(request):
        page = error_page(request, STORE_DOWN, 503)
        page.headers.update(headers)
        return page
    return JSONResponse(error_body(STORE_DOWN, 503), 503, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("query", "limit")`` -> ``"limit"``: the parameter as the caller wrote it."""
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "request"
