"""A real ``sdgbridge serve`` in a child process, for the fault suite."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

TOKEN = "fault-suite-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """``sdgbridge serve`` on ``url`` at ``port``, answering (or an AssertionError)."""
    env = {**os.environ, "SDGBRIDGE_DATABASE_URL": url, "SDGBRIDGE_API_TOKEN": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "sdgbridge", "serve", "--port", str(port),
                             "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server ended at start-up"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/releases", timeout=2).is_success:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not answer within 30 s")


@contextmanager
def serving(url: str, workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = start(url, port, workers)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
