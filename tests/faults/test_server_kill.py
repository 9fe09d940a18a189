"""Fault suite: the server killed (SIGKILL) while clients write through the API. Every
write the server acknowledged (201) is in the store after a restart: none is lost."""

from __future__ import annotations

import random
import signal
import threading
import time

import httpx
import pytest
from sqlalchemy import Engine

from tests.faults.server import AUTH, serving

pytestmark = pytest.mark.faults
WRITERS = 4


def _write_until_refused(base: str, prefix: str, acked: list[str]) -> None:
    """Register organisations one after another until the server stops answering."""
    with httpx.Client(base_url=base, headers=AUTH, timeout=5) as client:
        for i in range(10_000):
            name = f"{prefix} {i}"
            try:
                answer = client.post("/api/v1/organisations",
                                     json={"name_en": name, "type": "21"})
            except httpx.TransportError:
                return
            assert answer.status_code == 201, answer.text
            acked.append(name)


def test_no_acknowledged_write_is_lost_when_the_server_is_killed(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    acked: list[str] = []
    with serving(url) as (base, proc):
        writers = [threading.Thread(target=_write_until_refused,
                                    args=(base, f"Writer {w}", acked)) for w in range(WRITERS)]
        for w in writers:
            w.start()
        time.sleep(random.Random(7).uniform(1.0, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        for w in writers:
            w.join(30)
    assert len(acked) > 10, "too few writes before the kill to tell anything"
    with serving(url) as (base, _):
        stored = httpx.get(f"{base}/api/v1/organisations", headers=AUTH, timeout=30).json()
    names = {row["name_en"] for row in stored["rows"]}
    lost = [n for n in acked if n not in names]
    assert not lost, f"{len(lost)} acknowledged writes lost, e.g. {lost[:3]}"
