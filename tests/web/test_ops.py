"""Production serving (issue 13, item 4): health checks, the request id and the access
line, Prometheus metrics, and reads from the read replica."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine

from sdgbridge.assessment.run import assess
from sdgbridge.config import Settings
from sdgbridge.errors import SdgBridgeError
from sdgbridge.ingest.load import ingest
from sdgbridge.projects.orgs import list_orgs
from sdgbridge.web.app import create_app
from sdgbridge.web.logs import JsonFormatter, RequestIdFilter
from tests.helpers import IATI_CODELISTS, derived_slice

TOKEN = "q7Vm-3xLp_9RtZw2Kc8NbHf5GdJs4YeA"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEAD = "postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=1"


@pytest.fixture
def client(sqlite_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url="sqlite:///unused.db"),
                               engine=sqlite_engine)) as c:
        yield c


def _dead_client(**settings: object) -> TestClient:
    app = create_app(Settings(database_url=DEAD, **settings),  # type: ignore[arg-type]
                     engine=create_engine(DEAD))
    return TestClient(app, raise_server_exceptions=False)


# Health checks


def test_healthz_and_readyz_on_a_live_store(client: TestClient) -> None:
    for path in ("/healthz", "/readyz"):
        r = client.get(path)
        assert (r.status_code, r.json()) == (200, {"ok": True})
    schema = client.get("/api/v1/openapi.json").json()
    assert not {"/healthz", "/readyz", "/metrics"} & set(schema["paths"])


def test_readyz_on_either_store(engine: Engine) -> None:
    app = create_app(Settings(database_url="sqlite:///unused.db"), engine=engine)
    r = TestClient(app).get("/readyz")
    assert (r.status_code, r.json()) == (200, {"ok": True})


def test_readyz_is_503_when_the_store_does_not_answer() -> None:
    dead = _dead_client()
    assert dead.get("/healthz").json() == {"ok": True}  # alive, without touching the store
    r = dead.get("/readyz")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    body = r.json()
    assert (body["ok"], body["errors"], body["status"]) == (False, [], 503)
    assert body["error"].startswith("Not ready: the store does not answer")


def test_readyz_checks_the_read_replica_too(sqlite_engine: Engine) -> None:
    app = create_app(Settings(database_url="sqlite:///unused.db"), engine=sqlite_engine,
                     read_engine=create_engine(DEAD))
    r = TestClient(app).get("/readyz")
    assert r.status_code == 503
    assert r.json()["error"].startswith("Not ready: the read replica does not answer")


# The request id and the access line


def test_a_sane_request_id_is_echoed(client: TestClient) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc_DEF-9"})
    assert r.headers["x-request-id"] == "lb-1234.abc_DEF-9"


@pytest.mark.parametrize("given", [None, "a" * 65, "two words", "<script>", b"\xc3\xa9", ""])
def test_otherwise_one_is_made(client: TestClient, given: str | bytes | None) -> None:
    headers = {} if given is None else {"X-Request-ID": given}
    r = client.get("/api/v1/nothing-here", headers=headers)
    assert r.status_code == 404  # errors carry it too
    made = r.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert made != client.get("/healthz").headers["x-request-id"]


class Lines(logging.Handler):
    """The JSON lines sdgbridge serve would write, kept."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(orjson.loads(self.format(record)))


@pytest.fixture
def lines(caplog: pytest.LogCaptureFixture) -> Iterator[list[dict[str, object]]]:
    caplog.set_level(logging.INFO, logger="sdgbridge")
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)


def test_one_json_access_line_per_request(client: TestClient,
                                          lines: list[dict[str, object]]) -> None:
    r = client.get("/api/v1/goals", headers={"X-Request-ID": "req-42"})
    assert r.status_code == 200
    client.post("/api/v1/organisations", json={})  # refused: no token configured
    access = [line for line in lines if line["logger"] == "sdgbridge.access"]
    assert len(access) == 2
    first = access[0]
    assert {"time", "level", "request_id", "method", "path", "status", "duration_ms",
            "client"} <= set(first)
    assert (first["level"], first["request_id"], first["method"], first["path"],
            first["status"]) == ("INFO", "req-42", "GET", "/api/v1/goals", 200)
    assert isinstance(first["duration_ms"], float) and first["client"] == "testclient:50000"
    assert (access[1]["method"], access[1]["status"]) == ("POST", 503)
    assert access[1]["request_id"] != "req-42"


def test_records_logged_during_a_request_carry_its_id(
        lines: list[dict[str, object]]) -> None:
    r = _dead_client().get("/readyz", headers={"X-Request-ID": "probe-7"})
    assert r.status_code == 503
    warning = [line for line in lines if line["logger"] == "sdgbridge.web.health"]
    assert len(warning) == 1 and warning[0]["request_id"] == "probe-7"
    assert "does not answer" in str(warning[0]["message"])
    outside = logging.LogRecord("x", logging.INFO, "f", 1, "m", None, None)
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"  # type: ignore[attr-defined]


def test_health_checks_are_logged_at_debug(client: TestClient,
                                           lines: list[dict[str, object]]) -> None:
    client.get("/healthz")
    assert not [line for line in lines if line["logger"] == "sdgbridge.access"]


LOG_SCRIPT = """
import logging, logging.config, sys
from sdgbridge.config import Settings
from sdgbridge.web.logs import logging_config, request_id
logging.config.dictConfig(logging_config(Settings(log_format=sys.argv[1], log_level="info")))
request_id.set("abc-1")
logging.getLogger("sdgbridge.somewhere").info("hello")
logging.getLogger("uvicorn.access").info("uvicorn's access line")
logging.getLogger("sdgbridge.somewhere").debug("too detailed")
"""


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_server_log_of_the_settings(log_format: str) -> None:
    done = subprocess.run([sys.executable, "-c", LOG_SCRIPT, log_format], env={
        **os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")},
        capture_output=True, text=True, timeout=60, check=True)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr  # uvicorn's access log off, DEBUG below the level
    if log_format == "json":
        line = orjson.loads(lines[0])
        assert (line["level"], line["logger"], line["request_id"], line["message"]) == (
            "INFO", "sdgbridge.somewhere", "abc-1", "hello")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", line["time"])
    else:
        assert lines[0].endswith(" INFO [abc-1] sdgbridge.somewhere: hello")


# Metrics


def samples(client: TestClient, **headers: str) -> dict[tuple[str, frozenset], float]:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def requests(values: dict, route: str, status: str = "2xx") -> float:
    key = frozenset({"method": "GET", "route": route, "status": status}.items())
    return values.get(("sdgbridge_http_requests_total", key), 0.0)


def test_requests_are_counted_by_route_template(client: TestClient) -> None:
    before = samples(client)
    for key in ("XM-KAZ-1", "XM-UZB-2", "XM-TJK-3"):
        assert client.get(f"/api/v1/organisations/{key}").status_code == 404
    client.get("/no/such/page")
    client.get("/api/v1/observations?series=EG_ACS_ELEC&areas=KAZ")  # the fast path
    after = samples(client)
    route = "/api/v1/organisations/{key:key}"
    assert requests(after, route, "4xx") - requests(before, route, "4xx") == 3
    assert requests(after, "unmatched", "4xx") - requests(before, "unmatched", "4xx") == 1
    assert not [k for k in after if "XM-KAZ" in str(k)]  # no raw paths as labels
    latency = ("sdgbridge_http_request_duration_seconds_count",
               frozenset({"method": "GET", "route": route, "status": "4xx"}.items()))
    assert after[latency] - before.get(latency, 0) == 3
    assert after[("sdgbridge_http_requests_in_flight", frozenset())] == 1  # the scrape
    pool = frozenset({"engine": "primary"}.items())
    assert after[("sdgbridge_db_pool_size", pool)] >= 1
    assert ("sdgbridge_db_pool_checked_out", pool) in after


def test_checked_out_connections_are_gauged(client: TestClient,
                                            sqlite_engine: Engine) -> None:
    key = ("sdgbridge_db_pool_checked_out", frozenset({"engine": "primary"}.items()))
    idle = samples(client)[key]
    sqlite_engine.dispose()  # a new pool with the same events, then another app on it:
    create_app(Settings(database_url="sqlite:///unused.db"), engine=sqlite_engine)
    with sqlite_engine.connect():
        assert samples(client)[key] == idle + 1
    assert samples(client)[key] == idle


def timed(values: dict, operation: str) -> float:
    return sum(v for (name, labels), v in values.items()
               if name == "sdgbridge_operation_duration_seconds_count"
               and ("operation", operation) in labels)


def test_assessments_are_timed(client: TestClient, sqlite_engine: Engine) -> None:
    before = timed(samples(client), "assessment")
    try:
        assess(sqlite_engine, "unsd", areas=["KAZ"])
    except SdgBridgeError:
        pass  # an empty store: the failed run is timed too
    assert timed(samples(client), "assessment") == before + 1


def test_ingests_and_the_fast_path_are_counted(client: TestClient, sqlite_engine: Engine,
                                               tmp_path: Path) -> None:
    before = samples(client)
    ingest(sqlite_engine, derived_slice(tmp_path / "s.csv", ("EG_ACS_ELEC",)), source="s")
    answered = getattr(client.app.state, "fast_answers", 0)  # type: ignore[attr-defined]
    assert client.get("/api/v1/observations?series=EG_ACS_ELEC&areas=KAZ").status_code == 200
    assert client.app.state.fast_answers == answered + 1  # type: ignore[attr-defined]
    after = samples(client)
    assert timed(after, "ingest") == timed(before, "ingest") + 1
    route = "/api/v1/observations"  # answered before routing, named all the same
    assert requests(after, route) == requests(before, route) + 1


def test_metrics_can_be_off_or_need_the_token(sqlite_engine: Engine) -> None:
    off = create_app(Settings(database_url="sqlite:///unused.db", metrics=False),
                     engine=sqlite_engine)
    assert TestClient(off).get("/metrics").status_code == 404
    guarded = TestClient(create_app(
        Settings(database_url="sqlite:///unused.db", metrics_token_required=True,
                 api_token=TOKEN), engine=sqlite_engine))
    refused = guarded.get("/metrics")
    assert refused.status_code == 401 and refused.json()["status"] == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}
                       ).status_code == 401
    assert samples(guarded, **AUTH)
    no_token = TestClient(create_app(
        Settings(database_url="sqlite:///unused.db", metrics_token_required=True),
        engine=sqlite_engine))
    assert no_token.get("/metrics").status_code == 503


# The read replica


@pytest.fixture
def two_stores(tmp_path: Path, sqlite_template: Path) -> tuple[Path, Path]:
    primary, replica = tmp_path / "primary.db", tmp_path / "replica.db"
    shutil.copy(sqlite_template, primary)
    shutil.copy(sqlite_template, replica)
    return primary, replica


def test_reads_go_to_the_replica_and_writes_to_the_primary(
        two_stores: tuple[Path, Path]) -> None:
    primary, replica = two_stores
    settings = Settings(database_url=f"sqlite:///{primary}",
                        database_read_url=f"sqlite:///{replica}", api_token=TOKEN,
                        iati_codelists=IATI_CODELISTS)
    org = {"name_en": "Aral Sea basin programme", "type": "40", "ref": "XM-TEST-0001"}
    with TestClient(create_app(settings)) as c:
        app = c.app
        assert app.state.read_engine is not app.state.engine  # type: ignore[attr-defined]
        assert c.post("/api/v1/organisations", json=org, headers=AUTH).status_code == 201
        assert list_orgs(app.state.engine)["ref"].to_list() == [  # type: ignore[attr-defined]
            "XM-TEST-0001"]
        assert c.get("/api/v1/organisations/XM-TEST-0001").status_code == 404  # not yet there
        # "Replication": the same write on the replica's file; reads now find it.
        on_replica = create_app(settings.model_copy(update={
            "database_url": f"sqlite:///{replica}", "database_read_url": None}))
        TestClient(on_replica).post("/api/v1/organisations", json=org, headers=AUTH)
        shown = c.get("/api/v1/organisations/XM-TEST-0001")
        assert shown.status_code == 200, shown.text
        pool = frozenset({"engine": "replica"}.items())
        assert ("sdgbridge_db_pool_size", pool) in samples(c)


def test_without_a_replica_reads_use_the_primary(client: TestClient) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    assert state.read_engine is state.engine
