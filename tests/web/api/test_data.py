"""The JSON API on the specimens of tests/data, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import datetime as dt
import io
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi.responses import Response
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.assessment.run import assess
from sdgbridge.assessment.store import save
from sdgbridge.config import Settings
from sdgbridge.ingest.load import ingest
from sdgbridge.projects.queries import project_table, three_w
from sdgbridge.query.observations import ObservationQuery, query_observations
from sdgbridge.reference.geography import resolve_areas
from sdgbridge.web.answers import AnswerCache
from sdgbridge.web.api import data
from sdgbridge.web.app import create_app
from sdgbridge.web.render import rows, table_response
from tests.helpers import derived_slice, import_specimens

SERIES = ("EG_ACS_ELEC", "SI_POV_DAY1")
KAZ_2021 = "/api/v1/observations?series=EG_ACS_ELEC&areas=KAZ&from=2021&to=2021"


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    ingest(engine, derived_slice(tmp_path / "slice.csv", SERIES), source="web slice")
    app = create_app(Settings(database_url="sqlite:///unused.db"), engine=engine)
    with TestClient(app) as c:
        yield c


def _get(client: TestClient, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    return body


def test_observations_exact_rows(client: TestClient) -> None:
    body = _get(client, KAZ_2021)
    assert body["total"] == 3
    got = [(r["series"], r["area"], r["iso3"], r["period"], r["value"], r["value_text"],
            r["location"], r["units"]) for r in body["rows"]]
    assert got == [("EG_ACS_ELEC", "398", "KAZ", "2021", 100.0, "100", loc, "PERCENT")
                   for loc in ("ALLAREA", "RURAL", "URBAN")]


def test_observations_paging(client: TestClient) -> None:
    everything = _get(client, "/api/v1/observations?series=SI_POV_DAY1&areas=KAZ&limit=10000")
    assert everything["total"] == len(everything["rows"]) == 32
    page = _get(client, "/api/v1/observations?series=SI_POV_DAY1&areas=KAZ&limit=5&offset=10")
    assert page["total"] == 32
    assert page["rows"] == everything["rows"][10:15]
    tail = _get(client, "/api/v1/observations?series=SI_POV_DAY1&areas=KAZ&offset=30")
    assert tail["rows"] == everything["rows"][30:]


@pytest.mark.parametrize(("query", "total"), [
    ("series=EG_ACS_ELEC,SI_POV_DAY1&areas=KAZ,KGZ&limit=40&offset=30", 60),
    ("series=SI_POV_DAY1&from=2010&to=2019", 27)])
def test_few_series_answer_as_the_frame(client: TestClient, engine: Engine, query: str,
                                        total: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A few series by area and years are answered without a frame: the same document, with
    the members in the same order, as the frame's."""
    params = dict(p.split("=") for p in query.split("&"))
    q = ObservationQuery(series=params["series"].split(","), areas=resolve_areas(
        engine, params.get("areas", "CARSDG").split(",")), year_from=_int(params.get("from")),
        year_to=_int(params.get("to")))
    df = query_observations(engine, q)
    page = df.slice(int(params.get("offset", 0)), int(params.get("limit", 1000)))
    expected = json.loads(table_response(page, df.height).body)
    monkeypatch.setattr(data, "query_observations", None)  # not called on this path
    got = client.get(f"/api/v1/observations?{query}").json()
    assert [list(r.items()) for r in got.pop("rows")] == \
        [list(r.items()) for r in expected.pop("rows")]
    assert list(got.items()) == list(expected.items()) and got["total"] == total


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


def test_observations_default_group_and_repeated_codes(client: TestClient) -> None:
    assert _get(client, "/api/v1/observations?limit=1")["total"] == 83  # CARSDG
    both = _get(client, "/api/v1/observations?series=EG_ACS_ELEC,SI_POV_DAY1&areas=KAZ,KGZ"
                        "&latest=true&limit=10000")
    assert {r["series"] for r in both["rows"]} == set(SERIES)
    assert {r["iso3"] for r in both["rows"]} == {"KAZ", "KGZ"}


def test_observations_csv(client: TestClient) -> None:
    response = client.get(KAZ_2021 + "&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-total-count"] == "3"
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["area"], r["period"], r["value_text"], r["location"]) for r in table] == [
        ("398", "2021", "100", loc) for loc in ("ALLAREA", "RURAL", "URBAN")]


def test_series_and_releases(client: TestClient) -> None:
    series = _get(client, "/api/v1/series")["rows"]
    assert [(s["series"], s["indicators"]) for s in series] == [("EG_ACS_ELEC", "7.1.1"),
                                                                ("SI_POV_DAY1", "1.1.1")]
    assert [s["series"] for s in _get(client, "/api/v1/series?goal=7")["rows"]] == [
        "EG_ACS_ELEC"]
    releases = _get(client, "/api/v1/releases")
    assert releases["total"] == 1
    (release,) = releases["rows"]
    assert (release["id"], release["source"], release["reader"]) == (1, "web slice", "sdg_api")
    dt.datetime.fromisoformat(str(release["created_at"]))


def test_areas_and_groups(client: TestClient) -> None:
    areas = _get(client, "/api/v1/areas?group=CARSDG")["rows"]
    assert sorted(a["iso3"] for a in areas) == ["AFG", "KAZ", "KGZ", "TJK", "TKM", "UZB"]
    groups = {g["code"]: g for g in _get(client, "/api/v1/groups")["rows"]}
    assert groups["CARSDG"]["areas"] == 6


def test_assessments(client: TestClient, engine: Engine) -> None:
    assert _get(client, "/api/v1/assessments")["total"] == 0
    run_id = save(engine, assess(engine, "unsd", ["CARSDG"]))
    (run,) = _get(client, "/api/v1/assessments")["rows"]
    assert (run["id"], run["method"]) == (run_id, "unsd")
    body = _get(client, f"/api/v1/assessments/{run_id}")
    assert body["total"] == run["rows"] > 0
    assert {r["series"] for r in body["rows"]} <= set(SERIES)
    missing = client.get(f"/api/v1/assessments/{run_id + 1}")
    assert missing.status_code == 404
    assert missing.json()["error"] == (f"No assessment run {run_id + 1}. "
                                       "GET /api/v1/assessments lists them.")


def test_projects(client: TestClient, engine: Engine) -> None:
    assert _get(client, "/api/v1/projects") == {"ok": True, "total": 0, "rows": []}
    import_specimens(engine, "usda-kazakhstan.xml")
    expected = project_table(engine, "KZ")
    body = _get(client, "/api/v1/projects?country=KZ")
    assert body["total"] == expected.height > 0
    assert [p["iati_identifier"] for p in body["rows"]] == expected["iati_identifier"].to_list()
    three = _get(client, "/api/v1/projects/3w")
    assert three["total"] == three_w(engine).height > 0
    assert {r["country"] for r in three["rows"]} == {"KZ"}


def test_unknown_series_is_404_with_library_message(client: TestClient) -> None:
    response = client.get("/api/v1/observations?series=NOPE")
    assert response.status_code == 404
    assert response.json() == {
        "ok": False, "status": 404, "errors": [],
        "error": "No series NOPE in the store. Run `sdgbridge series` to list the loaded "
                 "series codes."}


@pytest.mark.parametrize(("query", "field"), [("limit=10001", "limit"), ("offset=-1", "offset"),
                                              ("from=abc", "from"), ("format=xml", "format")])
def test_bad_parameter_is_422_naming_the_field(client: TestClient, query: str,
                                               field: str) -> None:
    response = client.get(f"/api/v1/observations?{query}")
    assert response.status_code == 422
    body = response.json()
    assert (body["ok"], body["status"]) == (False, 422)
    assert body["error"].startswith(f"{field}: ")
    assert [e["field"] for e in body["errors"]] == [field]


READS = ("areas", "groups", "series", "goals", "targets", "indicators", "observations",
         "releases", "summary", "assessments", "assessments/latest", "assessments/{run_id}",
         "gaps", "projects", "projects/3w", "projects/vs-progress", "projects/overlaps",
         "projects/network", "projects/{identifier}", "projects/{identifier}/history",
         "projects/money", "projects/budgets", "projects/un", "projects/imports",
         "projects/imports/{import_id}", "organisations/{key}/portfolio",
         "projects/overlaps/review",
         "organisations", "organisations/{key}", "organisations/{key}/history",
         "documents", "documents/{doc_id}", "documents/{doc_id}/similar", "search",
         "align",  # align: a plan in the body, answered without writing: public
         "roadmaps", "roadmaps/{key}", "roadmaps/{key}/kpis", "roadmaps/{key}/reviews",
         "roadmaps/reviews/{review_id}", "roadmaps/reviews/{review_id}/compare/{later_id}",
         "roadmaps/{key}/commitments/{commitment}", "roadmaps/{key}/export")
WRITES = {("post", "organisations"), ("patch", "organisations/{key}"),
          ("post", "organisations/{key}/archive"), ("post", "projects"),
          ("patch", "projects/{identifier}"), ("post", "projects/{identifier}/archive"),
          ("post", "documents"), ("post", "documents/{doc_id}/tags"),
          ("get", "audit"), ("get", "requests"), ("get", "requests/{request_id}"),
          ("get", "requests/{request_id}/matches"), ("get", "requests/{request_id}/context"),
          ("post", "requests"), ("post", "roadmaps/{key}/reviews"),
          *(("post", f"requests/{{request_id}}/{change}") for change in (
              "transitions", "comments", "candidates", "pick", "answer", "feedback"))}
# the writes, and the reads behind a key: the audit trail, the technical-assistance requests


def test_openapi_documents_every_operation(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    paths = {p: ops for p, ops in doc["paths"].items() if p.startswith("/api/v1/")}
    assert set(paths) == {f"/api/v1/{p}" for p in READS} | {f"/api/v1/{p}" for _, p in WRITES}
    ops = {(verb, path.removeprefix("/api/v1/")): op for path, verbs in paths.items()
           for verb, op in verbs.items()}
    assert {k for k, op in ops.items() if "security" in op} == WRITES
    for (verb, path), op in ops.items():
        assert op["summary"] and op["description"], (verb, path)
        codes = set(op["responses"])
        created = {("post", "organisations"), ("post", "projects"), ("post", "documents"),
                   ("post", "requests"), ("post", "roadmaps/{key}/reviews")}
        assert {"201" if (verb, path) in created else "200", "400", "404", "422"} <= codes, \
            (verb, path)
        error = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
        assert error == "#/components/schemas/ErrorBody"
        if (verb, path) in WRITES:
            assert {"401"} <= codes and (verb == "get" or "503" in codes)
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "A personal API key (`sdgbridge keys create`, or on one's account "
        "page), or, deprecated, the api_token setting."}
    assert client.get("/api/docs").status_code == 200


def test_observations_answer_cache_follows_releases(client: TestClient, engine: Engine,
                                                    tmp_path: Path) -> None:
    url = "/api/v1/observations?areas=KAZ&limit=1"
    before = _get(client, url)
    assert _get(client, url) == before  # answered again (from the cache)
    assert client.get("/api/v1/observations?series=SH_H2O_SAFE&areas=KAZ").status_code == 404
    ingest(engine, derived_slice(tmp_path / "more.csv", ("SH_H2O_SAFE",)), source="more")
    added = _get(client, "/api/v1/observations?series=SH_H2O_SAFE&areas=KAZ")["total"]
    assert added > 0
    assert _get(client, url)["total"] == before["total"] + added  # the new release shows


def test_rows_are_json_safe() -> None:
    df = pl.DataFrame({"d": [dt.date(2024, 1, 2)], "x": [math.nan], "n": [None]},
                      schema={"d": pl.Date, "x": pl.Float64, "n": pl.Float64})
    assert rows(df) == [{"d": "2024-01-02", "x": None, "n": None}]


@pytest.mark.parametrize(("size", "made"), [(4, 1), (0, 8)])
def test_concurrent_requests_for_one_answer_make_it_once(size: int, made: int) -> None:
    calls = []

    def make() -> Response:
        calls.append(1)
        time.sleep(0.05)  # long enough for all eight to ask while it is being made
        return Response(b'{"ok":true}', media_type="application/json")

    async def eight() -> list[Response]:
        cache = AnswerCache(size)
        return await asyncio.gather(*[cache.answer_in_thread(("k",), make) for _ in range(8)])

    # a loop of its own in a thread: a browser test earlier in this worker (Playwright's sync
    # API) may leave an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answers = pool.submit(asyncio.run, eight()).result()
    assert len(calls) == made
    assert [a.body for a in answers] == [b'{"ok":true}'] * 8
    assert len({id(a) for a in answers}) == 8  # each request its own response object


def test_answer_cache_ignores_parameters_the_route_does_not_take(client: TestClient) -> None:
    """`?cachebust=N` changes nothing in the answer, so it must not keep a new copy of it
    each time (issue 13, finding 4: up to about 1 GiB of copies)."""
    url = "/api/v1/observations?areas=KAZ&limit=5&format=csv"
    first = client.get(url)
    assert first.status_code == 200
    cache = client.app.state.answer_cache  # type: ignore[attr-defined]  # made on first use
    kept = len(cache.kept)
    assert kept >= 1
    for n in range(5):
        again = client.get(f"{url}&cachebust={n}")
        assert again.status_code == 200 and again.content == first.content
    assert len(cache.kept) == kept  # the same entry answered all six
    other = client.get("/api/v1/observations?areas=KAZ&limit=6&format=csv")
    assert other.status_code == 200 and len(cache.kept) == kept + 1  # a real parameter counts


def test_answer_cache_holds_at_most_its_byte_budget(client: TestClient) -> None:
    """Real parameters varied (every page size) still keep no more than api_cache_bytes."""
    client.get("/api/v1/observations?areas=KAZ&limit=1")
    cache = client.app.state.answer_cache  # type: ignore[attr-defined]  # made on first use
    cache.kept.budget = 20_000
    sizes = []
    for limit in range(2, 40):
        answer = client.get(f"/api/v1/observations?areas=KAZ&limit={limit}")
        assert answer.status_code == 200
        sizes.append(len(answer.content))
        assert cache.kept.weight <= 20_000
    assert sum(sizes) > 2 * 20_000 and len(cache.kept) < len(sizes)
