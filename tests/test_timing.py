"""The library times its long operations for listeners (sdgbridge.timing), and a broken
listener never breaks the operation. That ingests and assessments are timed:
tests/web/test_ops.py."""

from __future__ import annotations

import logging

import pytest

from sdgbridge import timing


def test_listeners_hear_each_call_once_whether_it_returns_or_raises() -> None:
    heard: list[tuple[str, float, bool]] = []

    def listener(operation: str, seconds: float, ok: bool) -> None:
        heard.append((operation, seconds, ok))

    @timing.timed("chore")
    def chore(fail: bool) -> str:
        if fail:
            raise ValueError("no")
        return "done"

    stop = timing.listen(listener)
    timing.listen(listener)  # registering twice does not double the durations
    try:
        assert chore(False) == "done"
        with pytest.raises(ValueError):
            chore(True)
    finally:
        stop()
    chore(False)  # no longer heard
    assert [(op, ok) for op, _, ok in heard] == [("chore", True), ("chore", False)]
    assert all(seconds >= 0 for _, seconds, _ in heard)


def test_a_broken_listener_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    def broken(operation: str, seconds: float, ok: bool) -> None:
        raise RuntimeError("listener down")

    stop = timing.listen(broken)
    try:
        with caplog.at_level(logging.ERROR, logger="sdgbridge.timing"):
            assert timing.timed("chore")(lambda: 7)() == 7
    finally:
        stop()
    assert "listener down" in caplog.text

