"""Health checks for load balancers and orchestrators (not in the OpenAPI document: they
are the server's, not the API's; ``docs/deployment.md`` documents them).

* ``GET /healthz`` (liveness): the process answers; touches nothing else. 200
  ``{"ok": true}``.
* ``GET /readyz`` (readiness): the store answers ``SELECT 1`` (the primary and, when
  ``database_read_url`` is set, the replica) within :data:`READY_TIMEOUT` seconds. 200
  ``{"ok": true}``; else 503 with ``Retry-After`` in the API's error shape.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

READY_TIMEOUT = 2.0  # seconds: a store slower than that to say 1 is not ready
RETRY_AFTER = 5
router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is alive."""
    return JSONResponse({"ok": True})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """The store answers: this server can serve."""
    state = request.app.state
    engines = {"the store": state.engine, "the read replica": state.read_engine}
    for name, engine in engines.items():
        if name != "the store" and engine is state.engine:
            continue
        problem = await _problem(engine)
        if problem is not None:
            log.warning("not ready: %s does not answer (%s)", name, problem)
            message = (f"Not ready: {name} does not answer. Check that the database server "
                       f"is running; try again in {RETRY_AFTER} seconds.")
            return JSONResponse({"ok": False, "error": message, "errors": [], "status": 503},
                                503, headers={"Retry-After": str(RETRY_AFTER)})
    return JSONResponse({"ok": True})


def select_one(engine: Engine) -> None:
    """``SELECT 1`` on a connection of ``engine``'s pool."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar_one()


async def _problem(engine: Engine) -> str | None:
    """Why ``engine``'s store does not answer in time, or None when it does."""
    try:
        await asyncio.wait_for(asyncio.to_thread(select_one, engine), READY_TIMEOUT)
    except TimeoutError:
        return f"no answer in {READY_TIMEOUT:g} s"
    except (SQLAlchemyError, OSError) as exc:
        return str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return None
