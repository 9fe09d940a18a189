"""Dependency aliases (the engine, the read replica's for GET and HEAD; the settings, the
IATI code lists, the keeper of derived frames, the answer cache and the embedder, stored on
the app by ``create_app`` or made on first use), and the parameter types, bounds and locks
the routers share. A leaf of the web package: it imports no router or page.

The dependencies are ``async``: they do not block, and a plain ``def`` would cost each
request a trip through the thread pool per dependency (which, under load, is most of the
latency)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.convertors import PathConvertor, register_url_convertor

from sdgbridge.config import Settings
from sdgbridge.errors import SdgBridgeError
from sdgbridge.kept import Keeper
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.web.answers import AnswerCache

READ_METHODS = frozenset({"GET", "HEAD"})


async def get_engine(request: Request) -> Engine:
    """The store's engine: for a read (GET, HEAD) the read replica's
    (``app.state.read_engine``: the ``database_read_url`` setting; the primary when it is
    unset), for anything else the primary's (``app.state.engine``)."""
    state = request.app.state
    return state.read_engine if request.method in READ_METHODS else state.engine


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_codelists(request: Request) -> Mapping[str, frozenset[str]]:
    """The IATI code lists that edited organisations and projects are checked against."""
    folder = request.app.state.settings.iati_codelists
    return load_codelists(folder)


async def get_cache(request: Request) -> AnswerCache:
    """The app's answer cache (made on first use, sized by ``api_cache_entries``)."""
    state = request.app.state
    cache = getattr(state, "answer_cache", None)
    if cache is None:
        cache = state.answer_cache = AnswerCache(state.settings.api_cache_entries,
                                                 state.settings.api_cache_bytes)
    return cache


async def get_kept(request: Request) -> Keeper:
    """The app's keeper of derived frames (``app.state.kept``, made by ``create_app``)."""
    return request.app.state.kept


def embedder(request: Request) -> Any:
    """The process-wide embedder of the ``embedder`` setting (loaded on first use)."""
    from sdgbridge.knowledge.embed import get_embedder

    return get_embedder(request.app.state.settings.embedder)


# The assessment methods' and document kinds' names as types for the API's parameters (the
# OpenAPI document lists them); tests/web/test_deps.py holds them to METHODS and KINDS.
MethodName = Literal["escap", "opensdg", "sdsn", "unsd"]
DocumentKind = Literal["practice", "report", "plan", "evaluation", "project"]
MAX_ID = 2**31 - 1  # the largest integer the stores' id columns hold
# Writes go one at a time (SQLite has one writer): organisations, projects, documents; the
# organisations' and projects' are recorded with this origin.
WRITER = threading.Lock()
WRITE_ORIGIN = "api"


class KeyConvertor(PathConvertor):
    """Like ``path`` but matching every character: a key with a line break still reaches
    the route (and gets its 404) instead of falling through to no route. Identifiers may
    hold ``/`` (``US-GOV-2-FFE-116-2012/027``): the routes with a ``{name:key}`` take the
    rest of the path, so their sub-resources (``/history``) are declared first."""

    regex = "(?s:.*)"


# Registered when the routers' modules import this one, before they declare their routes.
register_url_convertor("key", KeyConvertor())


def request_key(request: Request) -> tuple[object, ...]:
    """The path and the query parameters the route declares, in a fixed order: a parameter
    the route ignores (``?cachebust=N``) does not change the answer, so it must not make a
    new cache entry (issue 13, finding 4)."""
    declared = declared_query(request.scope.get("route"))
    items = [(k, v) for k, v in request.query_params.multi_items()
             if declared is None or k in declared]
    return (request.url.path, tuple(sorted(items)))


def declared_query(route: object) -> frozenset[str] | None:
    """The names (aliases) of the query parameters ``route`` and its dependencies take;
    None for a route that is not a FastAPI one (then every parameter counts)."""
    if not isinstance(route, APIRoute):
        return None
    names = getattr(route, "_sdgbridge_query", None)
    if names is None:
        names = frozenset(_query_names(route.dependant))
        route._sdgbridge_query = names  # type: ignore[attr-defined]
    return names


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameter names of ``dependant`` and of its dependencies, all the way."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


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
KeptDep = Annotated[Keeper, Depends(get_kept)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CodelistsDep = Annotated[Mapping[str, frozenset[str]], Depends(get_codelists)]
EmbedderDep = Annotated[Any, Depends(embedder)]

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
