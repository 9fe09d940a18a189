"""``sdgbridge serve`` bounds a request's head (issue 13, finding 3): httptools with the
``max_header_bytes`` setting, for one worker and for several."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from sdgbridge.cli import app
from sdgbridge.web.protocol import HeadLimitHttpTools

runner = CliRunner()


@pytest.mark.parametrize("workers", ["1", "3"])
def test_serve_bounds_the_head(store: Path, monkeypatch: pytest.MonkeyPatch,
                               workers: str) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.setenv("SDGBRIDGE_MAX_HEADER_BYTES", "20000")
    result = runner.invoke(app, ["serve", "--workers", workers])
    assert result.exit_code == 0, result.output
    assert seen["http"] is HeadLimitHttpTools
    assert seen["h11_max_incomplete_event_size"] == 20000
