"""The app factory and the one JSON error shape.

Every :class:`~sdgbridge.errors.SdgBridgeError` becomes
``{"ok": false, "error": <message>, "errors": [], "status": <code>}`` with the class's status;
a request validation error the same shape with status 422, the offending fields named in
``error`` and listed in ``errors``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.db.engine import make_engine
from sdgbridge.errors import SdgBridgeError
from sdgbridge.web.api import ROUTERS

API_PREFIX = "/api/v1"


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The sdgbridge web app on ``engine`` (by default one made from the settings)."""
    app = FastAPI(title="sdgbridge", summary="SDG data, assessments and projects.",
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url="/api/docs",
                  redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine if engine is not None else make_engine(settings.database_url)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.add_exception_handler(SdgBridgeError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


def error_body(message: str, status: int, errors: list[dict[str, Any]] | None = None
               ) -> dict[str, Any]:
    """The one error shape of the API."""
    return {"ok": False, "error": message, "errors": errors or [], "status": status}


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SdgBridgeError)
    return JSONResponse(error_body(str(exc), exc.status), status_code=exc.status)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse(error_body(message, 422, errors), status_code=422)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("query", "limit")`` -> ``"limit"``: the parameter as the caller wrote it."""
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "request"
