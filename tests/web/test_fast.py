"""The fast path of ``/api/v1/observations`` answers byte for byte as the route, on SQLite
and PostgreSQL, and leaves everything else to the route."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, text

from sdgbridge.config import Settings
from sdgbridge.ingest.load import ingest
from sdgbridge.reference.geography import define_group
from sdgbridge.web import fast
from sdgbridge.web.app import create_app
from tests.helpers import derived_slice

SERIES = ("EG_ACS_ELEC", "SI_POV_DAY1", "SH_H2O_SAFE")
AREAS = ("KAZ", "KGZ", "417", "860", "AFG", "CARSDG", "KAZ,UZB", "TJK,KGZ,TKM", "M49_143",
         "004")
OTHERS = ("", "&from=2015", "&from=2010&to=2019&limit=7&offset=3", "&limit=1", "&offset=1000",
          "&format=json&to=2000")


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    ingest(engine, derived_slice(tmp_path / "slice.csv", SERIES), source="fast slice")
    app = create_app(Settings(database_url="sqlite:///unused.db"), engine=engine)
    with TestClient(app) as c:
        yield c


def both(client: TestClient, url: str) -> tuple[Response, Response, int]:
    """The answer with the fast path, the route's, and how many the fast path gave."""
    state = client.app.state  # type: ignore[attr-defined]
    before = getattr(state, "fast_answers", 0)
    same_id = {"X-Request-ID": "fast-or-route"}  # the one header that differs otherwise
    quick = client.get(url, headers=same_id)
    answered = getattr(state, "fast_answers", 0) - before
    state.fast_observations = False
    try:
        slow = client.get(url, headers=same_id)
    finally:
        state.fast_observations = True
    return quick, slow, answered


def assert_same(quick: Response, slow: Response) -> None:
    assert quick.status_code == slow.status_code
    assert quick.headers.raw == slow.headers.raw
    assert quick.content == slow.content


def test_same_bytes_as_the_route(client: TestClient) -> None:
    queries = [f"series={s}&areas={a}{o}" for s in (*SERIES, "EG_ACS_ELEC,SI_POV_DAY1")
               for a in AREAS for o in OTHERS[:2]]
    queries += [f"series=SI_POV_DAY1&series=SH_H2O_SAFE&areas=KAZ{o}" for o in OTHERS]
    queries += ["series=SI_POV_DAY1", "series=EG_ACS_ELEC&from=2021&to=2021&areas=KAZ",
                "areas=KGZ&series=%20SI_POV_DAY1%20,&limit=10000"]
    rows = 0
    for query in queries:
        quick, slow, answered = both(client, f"/api/v1/observations?{query}")
        assert (answered, quick.status_code) == (1, 200), query
        assert_same(quick, slow)
        rows += len(quick.json()["rows"])
    assert rows == 1479  # real answers, not empty pages


@pytest.mark.parametrize("query", [
    "series=NOPE&areas=KAZ", "series=SI_POV_DAY1&areas=NOWHERE", "series=SI_POV_DAY1,NOPE2"
    "&areas=XYZ", "series=SI_POV_DAY1&areas=KAZ&format=csv", "series=SI_POV_DAY1&latest=true",
    "series=SI_POV_DAY1&limit=0", "series=SI_POV_DAY1&limit=10001", "series=SI_POV_DAY1&from=abc",
    "series=SI_POV_DAY1&from=1899", "series=SI_POV_DAY1&offset=-1", "series=SI_POV_DAY1&to=02020",
    "series=SI_POV_DAY1&areas=KAZ&areas=KGZ", "series=SI_POV_DAY1&areas=", "series=",
    "series=EG_ACS_ELEC,SI_POV_DAY1,SH_H2O_SAFE&areas=KAZ", "series=SI_POV_DAY1&areas=M49_1",
    "series=SI_POV_DAY1&goal=1", "series=SI_POV_DAY1%00&areas=KAZ", "areas=KAZ",
    "series=SI_POV_DAY1&as_of=1"])
def test_other_questions_go_to_the_route(client: TestClient, query: str) -> None:
    quick, slow, answered = both(client, f"/api/v1/observations?{query}")
    assert answered == 0
    assert_same(quick, slow)


def test_errors_keep_the_api_shape(client: TestClient) -> None:
    response = client.get("/api/v1/observations?series=SI_POV_DAY1&areas=NOWHERE")
    assert response.status_code == 404
    body = response.json()
    assert (body["ok"], body["status"], body["errors"]) == (False, 404, [])
    assert "NOWHERE" in body["error"]
    assert client.get("/api/v1/observations?series=SI_POV_DAY1&limit=0").json()[
        "errors"][0]["field"] == "limit"


def test_a_new_release_empties_the_area_cache(client: TestClient, engine: Engine,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []

    def counted(eng: Engine, tokens: tuple[str, ...]) -> list[str]:
        calls.append(tuple(tokens))
        return resolve(eng, tokens)

    resolve = fast.resolve_areas
    monkeypatch.setattr(fast, "resolve_areas", counted)
    url = "/api/v1/observations?series=SI_POV_DAY1&areas=CARSDG"
    first = client.get(url)
    assert calls == [("CARSDG",)]
    assert answered_from_the_cache(client, url, calls, first.content)
    ingest(engine, derived_slice(tmp_path / "more.csv", ("SH_ALC_CONSPT",)), source="more")
    resolved = len(calls)
    quick, slow, answered = both(client, url)
    assert len(calls) == resolved + 1 and calls[-1] == ("CARSDG",) and answered == 1
    assert_same(quick, slow)


def answered_from_the_cache(client: TestClient, url: str, calls: list[tuple[str, ...]],
                            expected: bytes, tries: int = 20) -> bool:
    """Whether a request for ``url`` is answered without resolving its areas again. On
    PostgreSQL the change signal (the current snapshot) moves with any transaction that writes
    anywhere on the server, such as another test worker's, so a few tries may be needed."""
    for _ in range(tries):
        before = len(calls)
        assert client.get(url).content == expected
        if len(calls) == before:
            return True
    return False


def test_a_redefined_group_is_seen(client: TestClient, engine: Engine) -> None:
    define_group(engine, "ARAL", "Aral Sea basin", ["KAZ"])
    url = "/api/v1/observations?series=SI_POV_DAY1&areas=ARAL"
    assert {r["iso3"] for r in client.get(url).json()["rows"]} == {"KAZ"}
    define_group(engine, "ARAL", "Aral Sea basin", ["UZB"])  # same size, other member
    quick, slow, answered = both(client, url)
    assert answered == 1
    assert {r["iso3"] for r in quick.json()["rows"]} == {"UZB"}
    assert_same(quick, slow)


def test_changed_names_and_indicators_are_seen(client: TestClient, engine: Engine) -> None:
    """What rows share (area names, a series' indicators) is kept between questions only
    while the store stays the same."""
    url = "/api/v1/observations?series=SI_POV_DAY1&areas=KAZ"
    before = client.get(url).json()["rows"]
    assert {r["area_name"] for r in before} == {"Kazakhstan"}
    assert client.get(url).json()["rows"] == before  # the lookups kept, same answer
    with engine.begin() as conn:
        conn.execute(text("UPDATE area SET name_en = 'Qazaqstan' WHERE iso3 = 'KAZ'"))
        sid = conn.execute(text("SELECT id FROM series WHERE code = 'SI_POV_DAY1'")).scalar()
        conn.execute(text("INSERT INTO series_indicator (series_id, indicator) "
                          "VALUES (:sid, '10.1.1')"), {"sid": sid})
    try:
        quick, slow, answered = both(client, url)
    finally:  # the PostgreSQL store keeps its reference tables from test to test
        with engine.begin() as conn:
            conn.execute(text("UPDATE area SET name_en = 'Kazakhstan' WHERE iso3 = 'KAZ'"))
    assert answered == 1
    rows = quick.json()["rows"]
    assert {r["area_name"] for r in rows} == {"Qazaqstan"}
    assert {r["indicators"] for r in rows} == {"1.1.1,10.1.1"}
    assert_same(quick, slow)


@pytest.mark.parametrize(("query", "expected"), [
    (b"series=A&series=B,C&limit=5", {"series": ["A", "B,C"], "limit": 5}),
    (b"series=A%2CB&areas=KAZ&from=2000&to=2100&offset=0&format=json",
     {"series": ["A,B"], "areas": "KAZ", "from": 2000, "to": 2100, "offset": 0}),
    (b"areas=KAZ", {"series": [], "areas": "KAZ"}),
    (b"series=A&format=csv", None), (b"series=A&limit=", None), (b"series=A&latest=false", None),
    (b"series=A&offset=2147483648", None), (b"series=A&limit=+5", None),
    (b"series=A&to=2020&to=2021", None)])
def test_parse(query: bytes, expected: dict[str, object] | None) -> None:
    assert fast.parse(query) == expected


def test_its_connections_are_closed_at_shutdown(engine: Engine, tmp_path: Path) -> None:
    ingest(engine, derived_slice(tmp_path / "slice.csv", SERIES[:1]), source="fast slice")
    app = create_app(Settings(database_url="sqlite:///unused.db"), engine=engine)
    with TestClient(app) as c:
        assert c.get("/api/v1/observations?series=EG_ACS_ELEC&areas=KAZ").json()["total"] > 0
        assert app.state.fast_answers == 1
        reader = _reader(app)
        opened = list(reader.opened)
        assert len(opened) == 1 and opened[0].execute("SELECT 1").fetchall() == [(1,)]
    with pytest.raises(reader.errors, match="closed"):
        opened[0].execute("SELECT 1")
    assert not reader.opened


def test_a_failed_connection_is_dropped_and_the_route_answers(engine: Engine,
                                                              tmp_path: Path) -> None:
    ingest(engine, derived_slice(tmp_path / "slice.csv", SERIES[:1]), source="fast slice")
    app = create_app(Settings(database_url="sqlite:///unused.db"), engine=engine)
    url = "/api/v1/observations?series=EG_ACS_ELEC&areas=KAZ"
    with TestClient(app) as c:
        first = c.get(url)
        reader = _reader(app)
        (conn,) = reader.opened
        conn.close()  # as a server restart or a lost network would leave it
        again = c.get(url)  # the fast path drops the connection; the route answers
        assert again.content == first.content and app.state.fast_answers == 1
        assert not reader.opened
        assert c.get(url).content == first.content  # a new connection of its own
        assert app.state.fast_answers == 2 and len(reader.opened) == 1


def _reader(app: object) -> fast._Reader:
    layer = app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, fast.FastObservations):
        layer = layer.app
    (reader,) = layer.readers.values()
    assert reader is not None
    return reader


def test_a_connection_that_cannot_be_opened_leaves_the_answer_to_the_route(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "/api/v1/observations?series=EG_ACS_ELEC&areas=KAZ"
    first = client.get(url)
    reader = _reader(client.app)
    reader.close()  # as if the server restarted: the next question opens a connection

    def refused() -> object:
        raise reader.errors[0]("too many connections")

    monkeypatch.setattr(reader, "_open", refused)
    before = client.app.state.fast_answers  # type: ignore[attr-defined]
    again = client.get(url)
    assert again.status_code == 200 and again.content == first.content
    assert client.app.state.fast_answers == before  # type: ignore[attr-defined]


def test_connections_of_ended_threads_are_closed(client: TestClient) -> None:
    url = "/api/v1/observations?series=EG_ACS_ELEC&areas=KAZ"
    client.get(url)
    reader = _reader(client.app)
    ended = threading.Thread(target=lambda: fast.answer(
        reader, fast.parse(b"series=EG_ACS_ELEC&areas=KAZ") or {}, client.app.state.settings))
    ended.start()
    ended.join()
    assert len(reader.opened) == 2
    later = threading.Thread(target=lambda: fast.answer(
        reader, fast.parse(b"series=EG_ACS_ELEC&areas=KAZ") or {}, client.app.state.settings))
    later.start()
    later.join()
    assert len(reader.opened) == 2  # the first ended thread's connection was closed
