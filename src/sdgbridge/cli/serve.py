"""Running the platform: ``serve`` (the dashboard and the JSON API) and ``settings``."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from sdgbridge.cli.output import console
from sdgbridge.cli.state import state

app = typer.Typer()


@app.command()
def serve(ctx: typer.Context,
          host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
          workers: Annotated[int, typer.Option(help="Worker processes (settings then come "
                                               "from the environment and sdgbridge.toml).",
                                               min=1)] = 1) -> None:
    """Serve the dashboard (/) and the JSON API (/api/v1, docs at /api/docs) with uvicorn;
    health checks at /healthz and /readyz, Prometheus metrics at /metrics."""
    import uvicorn

    from sdgbridge.web.logs import logging_config
    from sdgbridge.web.protocol import HeadLimitHttpTools

    st = state(ctx)
    engine = st.engine  # the store is created and seeded once, before any worker starts
    # httptools, with the head of a request bounded by max_header_bytes (HeadLimitHttpTools
    # reads uvicorn's h11 setting; plain httptools has no limit).
    common: dict[str, Any] = {
        "host": host, "port": port, "loop": "asyncio", "http": HeadLimitHttpTools,
        "h11_max_incomplete_event_size": st.settings.max_header_bytes,
        # The log of the log_format and log_level settings, in every worker; the app's own
        # access line (with the request id) replaces uvicorn's.
        "log_config": logging_config(st.settings), "access_log": False,
        # With --workers, the supervisor pings each worker and kills one that does not answer
        # in time; a worker busy on every core may answer late (its ping thread waits for the
        # interpreter lock), so it gets longer than uvicorn's 5 s.
        "timeout_worker_healthcheck": st.settings.worker_healthcheck_seconds}
    if workers > 1:
        with metrics_dir():
            run_supervised("sdgbridge.web.app:app_factory", factory=True, workers=workers,
                           **common)
    else:
        from sdgbridge.web.app import create_app  # not in the parent of workers: see metrics_dir

        uvicorn.run(create_app(st.settings, engine), **common)


def run_supervised(app: str, **options: Any) -> None:
    """uvicorn.run's own path for several workers, with a supervisor that says why it
    replaces a worker (its exit code, or a missed health check with the worker's stacks)."""
    import uvicorn

    from sdgbridge.web.supervisor import Supervisor

    config = uvicorn.Config(app, **options)
    Supervisor(config, sockets=[config.bind_socket()]).run()


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_dir() -> Iterator[str]:
    """The folder where the workers write their metrics for ``/metrics`` to sum
    (``PROMETHEUS_MULTIPROC_DIR``, which the workers inherit: it must be set before they
    start, and before this process imports :mod:`sdgbridge.web.metrics`, or it would write
    files of its own). One given in the environment is used as it is (empty it before
    starting the server); else a new temporary one, removed when the server stops."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        yield given
        return
    folder = tempfile.mkdtemp(prefix="sdgbridge-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield folder
    finally:
        del os.environ[MULTIPROC_ENV]
        shutil.rmtree(folder, ignore_errors=True)


@app.command("settings")
def settings_cmd(ctx: typer.Context) -> None:
    """The settings in force (environment, sdgbridge.toml, defaults)."""
    for name, value in state(ctx).settings.model_dump().items():
        console.print(f"{name} = {value!s}")
