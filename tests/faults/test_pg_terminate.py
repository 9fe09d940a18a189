"""Fault suite: PostgreSQL ends the server's connections (``pg_terminate_backend``, as a
failover or an administrator does) while clients read and write. Only requests in flight
fail, each with 503 in the API's error shape and ``Retry-After``; requests succeed again
within 5 s of each termination."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from sdgbridge.ingest.load import ingest
from tests.faults.server import AUTH, serving
from tests.faults.specimens import AREAS, release

pytestmark = [pytest.mark.faults, pytest.mark.postgres]
CLIENTS = 6
TERMINATIONS = 3
RECOVERY_S = 5.0


def _terminate(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
            "current_database() AND pid <> pg_backend_pid()")).scalar_one())


def _client(base: str, seed: int, stop: threading.Event,
            log: list[tuple[float, int, dict[str, object] | None, str | None]]) -> None:
    """Reads (uncached: a new limit each time, under the 1,000 rows from which a page counts
    as expensive and is rate-limited) and, one in five, a write; logs each answer's
    time, status, body (errors) and Retry-After."""
    try:
        _requests(base, seed, stop, log)
    except Exception as exc:  # a dropped connection, a body that is not JSON: noted
        log.append((time.monotonic(), 0, {"exception": repr(exc)}, None))


def _requests(base: str, seed: int, stop: threading.Event,
              log: list[tuple[float, int, dict[str, object] | None, str | None]]) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=30) as client:
        i = 0
        while not stop.is_set():
            i += 1
            if i % 5 == 0:
                answer = client.post("/api/v1/organisations", headers=AUTH,
                                     json={"name_en": f"Client {seed} org {i}", "type": "21"})
            else:
                answer = client.get("/api/v1/observations", params={
                    "series": "EG_ACS_ELEC", "areas": rng.choice(AREAS),
                    "limit": rng.randint(1, 1000)})
            body = None if answer.is_success else answer.json()
            log.append((time.monotonic(), answer.status_code, body,
                        answer.headers.get("retry-after")))


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_terminated_connections_fail_only_requests_in_flight(engine: Engine,
                                                             tmp_path: Path) -> None:
    ingest(engine, release(tmp_path / "r1.csv", 1))
    url = engine.url.render_as_string(hide_password=False)
    log: list[tuple[float, int, dict[str, object] | None, str | None]] = []
    stop = threading.Event()
    with serving(url) as (base, _):
        clients = [threading.Thread(target=_client, args=(base, c, stop, log))
                   for c in range(CLIENTS)]
        for c in clients:
            c.start()
        times = []
        for _ in range(TERMINATIONS):
            time.sleep(1.5)
            times.append(time.monotonic())
            assert _terminate(engine) >= 1  # the server's connections ended
        time.sleep(RECOVERY_S + 0.5)
        stop.set()
        for c in clients:
            c.join(30)
    failed = [entry for entry in log if not 200 <= entry[1] < 400]
    assert len(log) > 100
    for _, status, body, retry in failed:
        assert status == 503 and retry is not None, (status, body)
        assert body is not None and body["ok"] is False and body["status"] == 503
    # At most the requests in flight at each termination fail: one per client.
    assert len(failed) <= CLIENTS * TERMINATIONS, len(failed)
    for when in times:
        recovered = [t for t, status, _, _ in log if t > when and status < 400]
        assert recovered and min(recovered) - when <= RECOVERY_S
