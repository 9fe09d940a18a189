"""The fast path of the API's most frequent question: one or two series in a few areas.

``GET /api/v1/observations?series=…&areas=…`` (with at most ``from``, ``to``, ``limit``,
``offset`` and ``format=json`` besides) is answered here, before FastAPI, with the same bytes
and headers as the route (``tests/web/test_fast.py`` holds the two to each other on both
stores). Measured with ``bench/serve_load.py``, the route spent about 0.6 ms of its 0.75 ms
outside the store: FastAPI's handling of its 13 parameters and dependencies, resolving the
areas (three small queries), and SQLAlchemy's execution. Here the query string is read with
:func:`urllib.parse.parse_qsl` (as Starlette reads it), the resolved areas are kept, and the
statements of :mod:`sdgbridge.query.series_area`, compiled once for the store's dialect, run
on a plain DB-API connection of the fast path's own, one per thread: for SQLite a read-only
connection on the store's file; for PostgreSQL one made as the engine makes its own, reading
in autocommit (a question is two round trips; through the pool it was six: 0.80 ms). Its
:class:`~sdgbridge.query.series_area.Lookups` (the series' codes, publishers and indicators,
the areas' names) are kept too, so a question reads only its observations.

What is kept (never an answer) goes into the app's :class:`~sdgbridge.kept.Keeper`, under
a stamp that changes whenever the store may have changed: the connection (a serial number)
with its change signal, SQLite's ``PRAGMA data_version`` (it changes when any other
connection, in any process, commits) or PostgreSQL's current snapshot (it changes when any
transaction that writes starts or ends). The stamp of the releases
(:func:`~sdgbridge.kept.releases_stamp`) would miss a group redefined between two releases,
and costs a query of its own.

Anything else — other parameters, a repeated one, a value the route would refuse, an unknown
series or area, more series or areas than the lean path takes — goes on to the route
unchanged, so its answers and its errors keep the API's shape. ``app.state.fast_observations
= False`` turns the fast path off; ``app.state.fast_answers`` counts its answers.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import orjson
from sqlalchemy import Engine, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from sdgbridge.config import Settings
from sdgbridge.errors import SdgBridgeError
from sdgbridge.kept import Keeper
from sdgbridge.query.observations import ObservationQuery
from sdgbridge.query.series_area import Lookups, is_lean, lean_rows
from sdgbridge.reference.geography import resolve_areas
from sdgbridge.web.deps import MAX_ID, area_codes, codes

PATH = "/api/v1/observations"
HEADERS = [(b"content-type", b"application/json")]
_INT = re.compile(r"0|[1-9][0-9]{0,9}")
# The route's integer parameters with their bounds; the other parameters taken here.
_BOUNDS = {"from": (1900, 2100), "to": (1900, 2100), "limit": (1, 10000),
           "offset": (0, MAX_ID)}
_ONCE = {"areas", "format", *_BOUNDS}
_LOOKUPS = 8192  # series and areas a connection's Lookups hold, at most

Rows = Callable[[str, Any], list[Any]]


def parse(query_string: bytes) -> dict[str, Any] | None:
    """The parameters of a question the fast path answers, or None: the route's."""
    given = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    out: dict[str, Any] = {"series": []}
    for name, value in given:
        if not value or "\x00" in value:
            return None
        if name == "series":
            out["series"].append(value)
        elif name not in _ONCE or name in out:
            return None
        else:
            out[name] = value
    if out.pop("format", "json") != "json":
        return None
    for name, (low, high) in _BOUNDS.items():
        if name in out:
            if not _INT.fullmatch(out[name]) or not low <= int(out[name]) <= high:
                return None
            out[name] = int(out[name])
    return out


class _Statements:
    """The statements compiled once for a dialect, as (SQL, parameter order or None)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._sql: dict[Select[Any], tuple[str, tuple[str, ...] | None]] = {}

    def args(self, stmt: Select[Any], params: dict[str, object]) -> tuple[str, Any]:
        """The SQL and the driver's arguments for ``stmt`` with ``params``."""
        kept = self._sql.get(stmt)
        if kept is None:
            compiled = stmt.compile(dialect=self.dialect)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            kept = self._sql[stmt] = (compiled.string, order)
        sql, order = kept
        return sql, params if order is None else tuple(params[n] for n in order)


class _Reader(ABC):
    """Runs the statements on a connection of its own per thread (the event loop's, in a
    server: the questions run one at a time on it, between two awaits) and keeps the
    resolved areas and the :class:`Lookups` in ``kept`` while the store's change signal
    stays the same. The connections are closed at shutdown; one that fails is dropped, and
    the question goes to the route."""

    SIGNAL = ""

    def __init__(self, engine: Engine, kept: Keeper) -> None:
        self.engine = engine
        self.kept = kept
        self.statements = _Statements(engine.dialect)
        self.local = threading.local()
        self.serials = itertools.count(1)  # numbers the connections: part of the stamps
        self.opened: list[Any] = []  # every thread's connection, closed at shutdown
        self.owners: dict[int, threading.Thread] = {}  # id(connection) -> its thread
        # The driver's errors, and SQLAlchemy's (its pool wraps the driver's on connecting).
        self.errors: tuple[type[BaseException], ...] = (
            engine.dialect.loaded_dbapi.Error, DBAPIError)

    @abstractmethod
    def _open(self) -> Any:
        """A new DB-API connection, reading in autocommit."""

    @abstractmethod
    def _rows(self, conn: Any) -> Rows:
        """The function running SQL to rows on ``conn``."""

    def close(self) -> None:
        """Closes the connections the reader opened."""
        for conn in self.opened:
            conn.close()
        self.opened.clear()
        self.owners.clear()
        self.local = threading.local()

    @contextmanager
    def connection(self) -> Iterator[tuple[Rows, tuple[object, ...]]]:
        """The thread's ``rows`` function, and the stamp of what is kept, valid for now;
        raises :class:`Unavailable` (the connection dropped) when the driver fails."""
        conn = getattr(self.local, "conn", None)
        try:
            if conn is None:
                self._close_orphans()
                conn = self._open()
                self.local.conn = conn
                self.local.serial = next(self.serials)
                self.opened.append(conn)
                self.owners[id(conn)] = threading.current_thread()
            rows = self._rows(conn)
            yield rows, (self.local.serial, rows(self.SIGNAL, ())[0][0])
        except self.errors as exc:
            self.local.conn = None
            if conn is not None:
                self._forget(conn)
            raise Unavailable(str(exc)) from exc

    def _forget(self, conn: Any) -> None:
        if conn in self.opened:
            self.opened.remove(conn)
        self.owners.pop(id(conn), None)
        try:
            conn.close()
        except self.errors:
            pass

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended (an app called from short-lived
        threads, without a lifespan, would otherwise keep one per thread)."""
        for conn in [c for c in self.opened if not self.owners[id(c)].is_alive()]:
            self._forget(conn)

    def areas(self, tokens: tuple[str, ...], stamp: tuple[object, ...]) -> list[str]:
        """The M49 codes of the areas ``tokens`` name, kept."""
        key = ("fast areas", tokens, stamp)
        found = self.kept.find(key)
        return found if found is not None else self.kept.keep(
            key, resolve_areas(self.engine, tokens))

    def lookups(self, stamp: tuple[object, ...]) -> Lookups:
        """The connection's :class:`Lookups`, kept (a new one when it has grown too large)."""
        key = ("fast lookups", (), stamp)
        found = self.kept.find(key)
        return found if found is not None and len(found) <= _LOOKUPS else self.kept.keep(
            key, Lookups())

    def run(self, rows: Rows) -> Callable[[Select[Any], dict[str, object]], list[Any]]:
        """The statements' runner on the connection's ``rows``."""
        return lambda stmt, params: rows(*self.statements.args(stmt, params))


class Unavailable(Exception):
    """The fast path's connection failed: the route answers (and says what is wrong)."""


class _SqliteReader(_Reader):
    """A read-only connection per thread on the store's file."""

    SIGNAL = "PRAGMA data_version"

    def __init__(self, engine: Engine, kept: Keeper, path: Path) -> None:
        super().__init__(engine, kept)
        self.uri = f"file:{quote(str(path.resolve()))}?mode=ro"

    def _open(self) -> sqlite3.Connection:
        # Used by its thread only; closed by the one shutting the app down.
        return sqlite3.connect(self.uri, uri=True, timeout=30, check_same_thread=False)

    def _rows(self, conn: sqlite3.Connection) -> Rows:
        return lambda sql, args: conn.execute(sql, args).fetchall()


class _PostgresReader(_Reader):
    """A connection per thread made as the engine makes its own (same URL, options and
    connect events), taken out of the pool, reading in autocommit: a question is then
    two round trips (the signal, the rows) with no BEGIN or ROLLBACK around them."""

    SIGNAL = "SELECT pg_current_snapshot()::text"

    def _open(self) -> Any:
        pooled = self.engine.raw_connection()
        conn = pooled.driver_connection
        assert conn is not None
        pooled.detach()  # the pool forgets it; the reader closes it
        try:
            conn.rollback()
            conn.autocommit = True
            conn.execute("SET default_transaction_read_only = on")
        except BaseException:
            conn.close()
            raise
        return conn

    def _rows(self, conn: Any) -> Rows:
        cur = conn.cursor()

        def rows(sql: str, args: Any) -> list[Any]:
            cur.execute(sql, args)
            return list(cur.fetchall())

        return rows


def make_reader(engine: Engine, kept: Keeper) -> _Reader | None:
    """The reader for the engine's store, keeping in ``kept`` (None for an SQLite store in
    memory)."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return _PostgresReader(engine, kept)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return _SqliteReader(engine, kept, Path(url.database))
    return None


def answer(reader: _Reader, params: dict[str, Any], settings: Settings) -> bytes | None:
    """The route's JSON for ``params``, or None when the route should answer."""
    series = codes(params["series"])
    try:
        return _answer(reader, series, params, settings)
    except Unavailable:
        return None


def _answer(reader: _Reader, series: list[str], params: dict[str, Any], settings: Settings
            ) -> bytes | None:
    with reader.connection() as (rows, stamp):
        tokens = tuple(area_codes(params.get("areas"), settings))
        try:
            areas = reader.areas(tokens, stamp)
            q = ObservationQuery(series=series, areas=areas, year_from=params.get("from"),
                                 year_to=params.get("to"))
            if not is_lean(q):
                return None
            found = lean_rows(reader.run(rows), reader.lookups(stamp), series, areas,
                              q.year_from, q.year_to)
        except SdgBridgeError:  # unknown area or series: the route says so
            return None
    offset = params.get("offset", 0)
    return orjson.dumps({"ok": True, "total": len(found),
                         "rows": found[offset:offset + params.get("limit", 1000)]})


class FastObservations:
    """Pure ASGI middleware answering the questions :func:`parse` takes; the rest goes on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.readers: dict[Engine, _Reader | None] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._closing(receive), send)
            return
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            body = self._answer(scope)
            if body is not None:
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-length", str(len(body)).encode()), *HEADERS]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _closing(self, receive: Any) -> Any:
        """``receive``, closing the readers' connections when the server shuts down."""

        async def receiving() -> Any:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                for reader in self.readers.values():
                    if reader is not None:
                        reader.close()
                self.readers.clear()
            return message

        return receiving

    def _answer(self, scope: Any) -> bytes | None:
        state = scope["app"].state
        if not getattr(state, "fast_observations", True):
            return None
        params = parse(scope["query_string"])
        if params is None:
            return None
        engine = state.read_engine  # a read: the replica's when there is one
        if engine not in self.readers:
            self.readers[engine] = make_reader(engine, state.kept)
        reader = self.readers[engine]
        body = None if reader is None else answer(reader, params, state.settings)
        if body is not None:
            state.fast_answers = getattr(state, "fast_answers", 0) + 1
        return body
