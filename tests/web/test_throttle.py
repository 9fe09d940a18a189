"""Issue 13, finding 4 (its CPU part): the expensive routes are rate-limited per client
without the token (429, Retry-After), bounded in flight per process (503, Retry-After, after a
short wait), a public plan is capped at ``align_max_chars_public`` (413), and the cheap
routes stay fast while alignments run."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge import knowledge as kb
from sdgbridge.config import Settings
from sdgbridge.web.app import create_app
from sdgbridge.web.throttle import Buckets, Slots, client_address, costly, proxy_networks

TOKEN = "Vb7-Qk2xLp_9RtMw4Nc8YdH3sFg6Je5Z"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LARGE = "/api/v1/observations?limit=5000"
PLAN = {"text": "Safe drinking water for every village. " * 10}


def _app(engine: Engine, **more: Any) -> FastAPI:
    settings = Settings(database_url="sqlite:///unused.db", embedder="hashing",
                        api_token=TOKEN, **more)
    return create_app(settings, engine=engine)


def _aligned(*_: Any, **__: Any) -> SimpleNamespace:
    return SimpleNamespace(targets=[], embedder="fake", threshold=0.5, chunks=1, uncovered=[])


def _refusal(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert (body["ok"], body["status"], body["errors"]) == (False, status, [])
    assert int(r.headers["retry-after"]) >= 1
    return str(body["error"])


@pytest.mark.parametrize(("method", "path", "kind"), [
    ("POST", "/api/v1/align", "align"), ("GET", "/api/v1/search", "search"),
    ("GET", "/api/v1/documents/3/similar", "search"),
    ("GET", "/api/v1/observations?limit=10000", "observations"),
    ("GET", "/api/v1/observations?format=csv", "observations"),
    ("GET", "/api/v1/observations?limit=1000", None), ("GET", "/api/v1/goals", None),
    ("POST", "/api/v1/organisations", None)])
def test_the_expensive_routes(method: str, path: str, kind: str | None) -> None:
    route, _, query = path.partition("?")
    scope = {"method": method, "path": route, "query_string": query.encode()}
    assert costly(scope, "/api/v1") == kind


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = Buckets(per_minute=6, burst=2, clock=lambda: now[0])
    assert [buckets.take("a"), buckets.take("a")] == [0, 0]
    assert buckets.take("a") == pytest.approx(10.0)  # one every 10 s
    assert buckets.take("b") == 0  # per client
    now[0] = 10.0
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0


def test_slots_hand_a_freed_turn_to_the_first_waiter() -> None:
    async def run() -> list[object]:
        slots = Slots(1)
        seen: list[object] = [await slots.acquire(0), await slots.acquire(0.05)]
        waiter = asyncio.ensure_future(slots.acquire(5))
        await asyncio.sleep(0.01)
        slots.release()  # handed to the waiter, not freed
        seen += [await waiter, slots.busy, await slots.acquire(0)]
        slots.release()
        seen.append(slots.busy)
        return seen

    assert asyncio.run(run()) == [True, False, True, 1, False, 0]


def test_x_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    proxies = proxy_networks(Settings(database_url="sqlite:///unused.db",
                                      trusted_proxies=["10.0.0.0/8"]))
    forwarded = [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.7, 10.0.0.2")]
    via_proxy = {"client": ("10.0.0.1", 1), "headers": forwarded}
    assert client_address(via_proxy, proxies) == "203.0.113.7"
    assert client_address(via_proxy, ()) == "10.0.0.1"
    direct = {"client": ("198.51.100.9", 1), "headers": forwarded}
    assert client_address(direct, proxies) == "198.51.100.9"


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValueError, match="'proxy.local' is not an IP address or network"):
        Settings(database_url="sqlite:///unused.db", trusted_proxies=["proxy.local"])


def test_429_when_the_bucket_is_empty_but_not_with_the_token(sqlite_engine: Engine) -> None:
    app = _app(sqlite_engine, rate_limit_per_minute=1, rate_limit_burst=2)
    with TestClient(app) as client:
        assert [client.get(LARGE).status_code for _ in range(2)] == [200, 200]
        message = _refusal(client.get(LARGE), 429)
        assert message.startswith("Too many expensive requests")
        assert "Try again in 60 seconds." in message
        assert client.get("/api/v1/goals").status_code == 200  # cheap: not counted
        assert {client.get(LARGE, headers=AUTH).status_code for _ in range(4)} == {200}


def _async_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://t", timeout=30)


def test_alignments_past_the_bound_are_503(sqlite_engine: Engine,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: Any, **kwargs: Any) -> SimpleNamespace:
        time.sleep(1.0)
        return _aligned()

    monkeypatch.setattr(kb, "align_plan", slow)
    app = _app(sqlite_engine, align_concurrency=1, concurrency_wait=0.2)

    async def three() -> list[httpx.Response]:
        async with _async_client(app) as client:
            return list(await asyncio.gather(*(client.post("/api/v1/align", json=PLAN)
                                               for _ in range(3))))

    answers = asyncio.run(three())
    assert sorted(r.status_code for r in answers) == [200, 503, 503]
    busy = [_refusal(r, 503) for r in answers if r.status_code == 503]
    assert busy[0] == "The server is busy with other plan alignments. Try again in 10 seconds."


def test_a_waiting_alignment_gets_the_next_turn(sqlite_engine: Engine,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: Any, **kwargs: Any) -> SimpleNamespace:
        time.sleep(0.3)
        return _aligned()

    monkeypatch.setattr(kb, "align_plan", slow)
    app = _app(sqlite_engine, align_concurrency=1, concurrency_wait=5)

    async def two() -> list[int]:
        async with _async_client(app) as client:
            answers = await asyncio.gather(*(client.post("/api/v1/align", json=PLAN)
                                             for _ in range(2)))
        return [r.status_code for r in answers]

    assert asyncio.run(two()) == [200, 200]


def test_a_public_plan_over_the_cap_is_413(sqlite_engine: Engine,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kb, "align_plan", _aligned)
    long = {"text": "x" * 501}
    with TestClient(_app(sqlite_engine, align_max_chars_public=500)) as client:
        r = client.post("/api/v1/align", json=long)
        assert r.status_code == 413
        assert r.json()["error"] == (
            "The plan's text is 501 characters long; without the API token this server "
            "aligns at most 500 (the align_max_chars_public setting). Send less (a chapter "
            "at a time), or send the request with `Authorization: Bearer <token>` (up to "
            "100,000 characters of text).")
        assert client.post("/api/v1/align", json={"text": "x" * 500}).status_code == 200
        assert client.post("/api/v1/align", json=long, headers=AUTH).status_code == 200
        stored = client.post("/api/v1/documents", headers=AUTH, json={
            "title": "A long plan", "text": "Clean water for every village. " * 20})
        plan = {"document_id": stored.json()["id"]}
        r = client.post("/api/v1/align", json=plan)
        assert r.status_code == 413
        assert r.json()["error"].startswith(f"Document {plan['document_id']} is 6")
        assert client.post("/api/v1/align", json=plan, headers=AUTH).status_code == 200


def test_a_cheap_route_stays_fast_while_alignments_run(
        sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight alignments that each burn 1.5 s of CPU in Python (holding the GIL, as the
    hashing embedder does), one let in at a time; a cheap read asked meanwhile answers within
    0.5 s (all eight let in: about 1 s)."""
    def burn(*args: Any, **kwargs: Any) -> SimpleNamespace:
        end = time.perf_counter() + 1.5
        while time.perf_counter() < end:
            sum(range(1000))
        return _aligned()

    monkeypatch.setattr(kb, "align_plan", burn)
    app = _app(sqlite_engine, align_concurrency=1, concurrency_wait=0.5)

    async def measure() -> tuple[float, list[int]]:
        async with _async_client(app) as client:
            assert (await client.get("/api/v1/goals")).status_code == 200  # warm
            aligns = [asyncio.ensure_future(client.post("/api/v1/align", json=PLAN))
                      for _ in range(8)]
            await asyncio.sleep(0.3)  # the alignments are running
            start = time.perf_counter()
            r = await client.get("/api/v1/goals")
            took = time.perf_counter() - start
            assert r.status_code == 200
            return took, [a.status_code for a in await asyncio.gather(*aligns)]

    took, statuses = asyncio.run(measure())
    assert took < 0.5, f"GET /goals took {took:.2f} s"
    assert statuses.count(200) == 1 and statuses.count(503) == 7

