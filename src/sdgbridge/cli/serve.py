"""Running the platform: ``serve`` (the dashboard and the JSON API) and ``settings``."""

from __future__ import annotations

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
    """Serve the dashboard (/) and the JSON API (/api/v1, docs at /api/docs) with uvicorn."""
    import uvicorn

    from sdgbridge.web.app import create_app
    from sdgbridge.web.protocol import HeadLimitHttpTools

    st = state(ctx)
    engine = st.engine  # the store is created and seeded once, before any worker starts
    # httptools, with the head of a request bounded by max_header_bytes (HeadLimitHttpTools
    # reads uvicorn's h11 setting; plain httptools has no limit).
    common: dict[str, Any] = {
        "host": host, "port": port, "loop": "asyncio", "http": HeadLimitHttpTools,
        "h11_max_incomplete_event_size": st.settings.max_header_bytes}
    if workers > 1:
        uvicorn.run("sdgbridge.web.app:app_factory", factory=True, workers=workers, **common)
    else:
        uvicorn.run(create_app(st.settings, engine), **common)


@app.command("settings")
def settings_cmd(ctx: typer.Context) -> None:
    """The settings in force (environment, sdgbridge.toml, defaults)."""
    for name, value in state(ctx).settings.model_dump().items():
        console.print(f"{name} = {value!s}")
