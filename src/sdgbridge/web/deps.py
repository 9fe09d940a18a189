"""Dependency aliases (the engine, the settings and the IATI code lists stored on the app by
``create_app``), the parameter types the routers share, and :func:`app_factory` for
``uvicorn --factory`` (several worker processes need an importable factory).

The dependencies are ``async``: they do not block, and a plain ``def`` would cost each
request a trip through the thread pool per dependency (which, under load, is most of the
latency)."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Annotated, Literal, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import Engine, func, select

from sdgbridge.config import Settings, load_settings
from sdgbridge.db import tables as t
from sdgbridge.errors import SdgBridgeError
from sdgbridge.projects.iati.codelists import load_codelists

T = TypeVar("T")


async def get_engine(request: Request) -> Engine:
    """The store's engine."""
    return request.app.state.engine


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_codelists(request: Request) -> Mapping[str, frozenset[str]]:
    """The IATI code lists that edited organisations and projects are checked against."""
    folder = request.app.state.settings.iati_codelists
    return load_codelists(folder)


class AnswerCache:
    """Encoded answers of the data endpoints, least recently used out first. The key holds
    the request (path and query) and what the answer depends on in the store (see
    :func:`store_stamp`), so a new release is never answered from an old entry."""

    MAX_BODY = 4 << 20

    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: OrderedDict[tuple[object, ...], Response] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[tuple[object, ...], asyncio.Future[Response]] = {}  # event loop's

    async def answer_in_thread(self, key: tuple[object, ...], make: Callable[[], Response]
                               ) -> Response:
        """The kept answer for ``key``, or ``make()`` run in the thread pool (kept when small
        enough). Requests for a key whose answer is being made wait for that answer rather
        than each making it again (a dashboard after a new release); with a size of 0
        nothing is kept nor shared, and every request makes its own."""
        kept = self.get(key)
        if kept is not None:
            return kept
        if not self.size:
            return await run_in_threadpool(make)
        making = self._making.get(key)
        if making is None:
            making = self._making[key] = asyncio.ensure_future(self._make(key, make))
        return _copy(await asyncio.shield(making))

    async def _make(self, key: tuple[object, ...], make: Callable[[], Response]) -> Response:
        try:
            return self.keep(key, await run_in_threadpool(make))
        finally:
            del self._making[key]

    def get(self, key: tuple[object, ...]) -> Response | None:
        """A copy of the kept answer for ``key``, if any."""
        with self._lock:
            kept = self._answers.get(key)
            if kept is None:
                return None
            self._answers.move_to_end(key)
        return _copy(kept)

    def keep(self, key: tuple[object, ...], response: Response) -> Response:
        """Keep ``response`` (when it is a success and small enough); returns it."""
        if self.size and response.status_code == 200 and len(response.body) <= self.MAX_BODY:
            with self._lock:
                self._answers[key] = _copy(response)
                while len(self._answers) > self.size:
                    self._answers.popitem(last=False)
        return response


def _copy(r: Response) -> Response:
    headers = {k: v for k, v in r.headers.items() if k not in ("content-length",
                                                                "content-type")}
    return Response(r.body, r.status_code, headers, media_type=r.media_type)


async def get_cache(request: Request) -> AnswerCache:
    """The app's answer cache (made on first use, sized by ``api_cache_entries``)."""
    state = request.app.state
    cache = getattr(state, "answer_cache", None)
    if cache is None:
        cache = state.answer_cache = AnswerCache(state.settings.api_cache_entries)
    return cache


def store_stamp(engine: Engine) -> tuple[object, ...]:
    """What changes with every release added or removed: the newest id and the count."""
    r = t.release.c
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.max(r.id), func.count())).one())


# The assessment methods' and document kinds' names as types for the API's parameters (the
# OpenAPI document lists them); tests/web/test_deps.py holds them to METHODS and KINDS.
MethodName = Literal["escap", "opensdg", "sdsn", "unsd"]
DocumentKind = Literal["practice", "report", "plan", "evaluation", "project"]


def projects_stamp(engine: Engine) -> tuple[object, ...]:
    """What changes with every change to the projects and organisations: each goes through
    an IATI import (a new ``iati_import`` row) or writes a ``record_change`` row
    (:mod:`sdgbridge.projects.editing`, :mod:`~sdgbridge.projects.orgs`, a changed activity
    in :mod:`~sdgbridge.projects.store`); the count of activities besides."""
    # Counts beside the newest ids: PostgreSQL hands ids out at insert, not at commit, so a
    # change committed after a later one would leave the newest id as it was.
    newest = [select(func.max(t.iati_import.c.id)).scalar_subquery(),
              select(func.count()).select_from(t.iati_import).scalar_subquery(),
              select(func.max(t.record_change.c.id)).scalar_subquery(),
              select(func.count()).select_from(t.record_change).scalar_subquery(),
              select(func.count()).select_from(t.iati_activity).scalar_subquery()]
    with engine.connect() as conn:
        return tuple(conn.execute(select(*newest)).one())


class KeptFrames:
    """Frames computed from the store, each kept while its stamp stays the same: from the
    projects (the flat export, 3W, overlaps; :func:`projects_stamp`, the default) or from
    the releases (a country's data gaps; :func:`store_stamp`). A page showing them then
    costs what it shows, not the seconds of recomputing them. One per app
    (``app.state.kept_frames``)."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[tuple[object, ...], object]] = {}
        self._lock = threading.Lock()

    def get(self, engine: Engine, name: str, make: Callable[[Engine], T],
            stamp_of: Callable[[Engine], tuple[object, ...]] = projects_stamp) -> T:
        """``make(engine)``'s result, computed again only when ``stamp_of`` changed."""
        stamp = stamp_of(engine)
        with self._lock:
            found = self._kept.get(name)
        if found is not None and found[0] == stamp:
            return found[1]  # type: ignore[return-value]
        value = make(engine)
        with self._lock:
            self._kept[name] = (stamp, value)
        return value


async def get_kept_frames(request: Request) -> KeptFrames:
    """The app's kept project frames."""
    return request.app.state.kept_frames


def request_key(request: Request) -> tuple[object, ...]:
    """The path and the query parameters, in a fixed order."""
    return (request.url.path, tuple(sorted(request.query_params.multi_items())))


async def no_nul_characters(request: Request) -> None:
    """Refuse query and path values with a NUL character: no store keeps one in text
    (PostgreSQL refuses it), so no code or name can match."""
    given = [*request.query_params.multi_items(), *request.path_params.items()]
    for name, value in given:
        if "\x00" in str(value):
            raise SdgBridgeError(f"{name}: the value contains a NUL character (\\x00); "
                                 "remove it.")


CLEAN = Depends(no_nul_characters)
EngineDep = Annotated[Engine, Depends(get_engine)]
CacheDep = Annotated[AnswerCache, Depends(get_cache)]
FramesDep = Annotated[KeptFrames, Depends(get_kept_frames)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CodelistsDep = Annotated[Mapping[str, frozenset[str]], Depends(get_codelists)]

Codes = Annotated[list[str] | None, Query(description="Repeat or separate with commas.")]
Areas = Annotated[str | None, Query(description="M49, ISO3 or group codes, comma-separated "
                                    "(default: the default_group setting, the Centre's "
                                    "region).")]


def codes(values: list[str] | str | None) -> list[str]:
    """``["1,2", "3"]`` -> ``["1", "2", "3"]``: repeated and comma-separated values."""
    given = [values] if isinstance(values, str) else values or []
    return [c.strip() for v in given for c in v.split(",") if c.strip()]


def area_codes(areas: str | None, settings: Settings) -> list[str]:
    """The areas asked for, or the default group."""
    return codes(areas) or [settings.default_group]


def app_factory() -> FastAPI:
    """The app with the settings of the environment and ``sdgbridge.toml``:
    ``uvicorn --factory sdgbridge.web.deps:app_factory --workers 2``."""
    from sdgbridge.web.app import create_app

    return create_app(load_settings())
