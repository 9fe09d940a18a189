"""``sdgbridge serve`` bounds a request's head (issue 13, finding 3): httptools with the
``max_header_bytes`` setting, for one worker and for several; with several workers its
metrics are summed over them and its log is the settings' (issue 13, item 4)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from sdgbridge.cli import app
from sdgbridge.cli import serve as serve_cli
from sdgbridge.web.protocol import HeadLimitHttpTools

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src"
SQLITE_POOL = 5  # SQLAlchemy's QueuePool size for an SQLite file


@pytest.mark.parametrize("workers", ["1", "3"])
def test_serve_bounds_the_head(store: Path, monkeypatch: pytest.MonkeyPatch,
                               workers: str) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.setattr(serve_cli, "run_supervised", lambda app, **kw: seen.update(kw))
    monkeypatch.setenv("SDGBRIDGE_MAX_HEADER_BYTES", "20000")
    result = runner.invoke(app, ["serve", "--workers", workers])
    assert result.exit_code == 0, result.output
    assert seen["http"] is HeadLimitHttpTools
    assert seen["h11_max_incomplete_event_size"] == 20000
    assert seen["timeout_worker_healthcheck"] == 30  # a busy worker is not taken for hung


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_logs_as_the_settings_say(store: Path, monkeypatch: pytest.MonkeyPatch,
                                        workers: str) -> None:
    seen: dict[str, Any] = {}

    def run(app: Any, **kw: Any) -> None:
        seen.update(kw, multiproc=os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        if seen["multiproc"]:
            seen["existed"] = Path(seen["multiproc"]).is_dir()

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr(serve_cli, "run_supervised", run)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("SDGBRIDGE_LOG_FORMAT", "json")
    result = runner.invoke(app, ["serve", "--workers", workers])
    assert result.exit_code == 0, result.output
    assert seen["access_log"] is False  # the app's access line replaces uvicorn's
    assert seen["log_config"]["formatters"]["sdgbridge"]["()"].__name__ == "JsonFormatter"
    if workers == "1":
        assert seen["multiproc"] is None
    else:  # made for the workers, removed when the server stops
        assert seen["existed"] and not Path(seen["multiproc"]).exists()
        assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - a local test server
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _count(exposition: str, name: str, **labels: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(exposition) for s in f.samples
               if s.name == name and labels.items() <= s.labels.items())


def test_serve_with_workers_sums_their_metrics(tmp_path: Path, sqlite_template: Path) -> None:
    """The real server with two workers: /healthz answers, /metrics sums the workers'
    values (each worker's pool is counted), the log is JSON with one access line per
    request and no uvicorn access lines."""
    store = tmp_path / "store.db"
    shutil.copy(sqlite_template, store)
    port, multiproc = _free_port(), tmp_path / "metrics"
    multiproc.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC), "SDGBRIDGE_DATABASE_URL": f"sqlite:///{store}",
           "SDGBRIDGE_LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    env.pop("SDGBRIDGE_CONFIG", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "sdgbridge", "serve", "--workers", "2", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                status, text = _get(f"{base}/healthz")
                pool = _count(_get(f"{base}/metrics")[1], "sdgbridge_db_pool_size",
                              engine="primary")
                if pool >= 2 * SQLITE_POOL:  # both workers are up
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not start in 15 s"
            assert server.poll() is None, "the server stopped"
            time.sleep(0.2)
        assert (status, text) == (200, '{"ok":true}')
        assert pool == 2 * SQLITE_POOL  # a sum over the two workers, whichever answers
        for _ in range(20):
            assert _get(f"{base}/api/v1/goals")[0] == 200
        # A request is counted once its answer is sent: the last may be counted a moment
        # after the client has it.
        deadline = time.monotonic() + 5
        while (counted := _count(_get(f"{base}/metrics")[1], "sdgbridge_http_requests_total",
                                 route="/api/v1/goals")) < 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert counted == 20  # whichever workers answered them
    finally:
        server.send_signal(signal.SIGINT)
        _, log = server.communicate(timeout=15)
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert len(lines) == len(log.splitlines()), log  # JSON only
    access = [line for line in lines if line["logger"] == "sdgbridge.access"
              and line["path"] == "/api/v1/goals"]
    assert len(access) == 20 and all(len(line["request_id"]) == 32 for line in access)
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]


def _workers(pid: int) -> set[int]:
    """The worker processes of the server ``pid`` (its children that serve: multiprocessing
    also starts a resource tracker, which has no listening socket of ours)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(c) for c in children
            if "multiprocessing.resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()}


def _wait(what: str, check: Any, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.2)
    return found


def test_the_supervisor_says_why_it_replaces_a_worker(tmp_path: Path,
                                                      sqlite_template: Path) -> None:
    """A worker that dies is logged with how it ended; one that stops answering is logged as
    such and replaced; a worker writes its threads' stacks on SIGUSR1 and goes on serving."""
    store = tmp_path / "store.db"
    shutil.copy(sqlite_template, store)
    port, log_path = _free_port(), tmp_path / "server.log"
    env = {**os.environ, "PYTHONPATH": str(SRC), "SDGBRIDGE_DATABASE_URL": f"sqlite:///{store}",
           "SDGBRIDGE_WORKER_HEALTHCHECK_SECONDS": "1"}
    env.pop("SDGBRIDGE_CONFIG", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "sdgbridge", "serve", "--workers", "2", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        try:
            return _get(f"{base}/healthz")[0] == 200
        except OSError:
            return False

    try:
        _wait("two workers", lambda: len(_workers(server.pid)) == 2 and serving())

        def started() -> list[int] | None:
            """The two workers, once uvicorn has logged each started (after the app factory
            ran, which set the stacks' signal handler); read afresh each time, since on a
            loaded machine a slow first worker may be replaced before it answers."""
            workers = sorted(_workers(server.pid))
            text = log_path.read_text()
            return workers if len(workers) == 2 and all(
                f"Started server process [{pid}]" in text for pid in workers) else None

        first, second = _wait("both workers started", started, seconds=60)

        os.kill(first, signal.SIGUSR1)  # the stacks, and the worker lives on
        # the stacks, the health-check thread's among them by name (the dump is written
        # thread by thread: wait for that one, not only for the first line)
        _wait("the stacks", lambda: "most recent call first" in log_path.read_text()
              and "always_pong" in log_path.read_text())
        time.sleep(0.5)
        assert first in _workers(server.pid)

        os.kill(first, signal.SIGKILL)
        _wait("a replacement", lambda: first not in _workers(server.pid)
              and len(_workers(server.pid)) == 2)
        assert f"Worker [{first}] was ended by SIGKILL; starting another." in log_path.read_text()

        os.kill(second, signal.SIGSTOP)  # alive, but not answering
        _wait("the hung worker replaced", lambda: second not in _workers(server.pid)
              and len(_workers(server.pid)) == 2)
        assert (f"Worker [{second}] did not answer the health check within 1 s"
                in log_path.read_text())
        _wait("serving again", serving)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
    assert "Traceback" not in log_path.read_text().split("most recent call first")[0]
