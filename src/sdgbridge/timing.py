"""How long the library's long operations take (an ingest, an assessment), told to whoever
listens.

The library times its own long operations with :func:`timed` and knows nothing of who
listens: the web app (:mod:`sdgbridge.web.metrics`) registers a listener with
:func:`listen` that records each duration in a Prometheus histogram. With no listener a
timed call costs two clock readings.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
# A listener gets the operation's name, its duration in seconds and whether it succeeded.
Listener = Callable[[str, float, bool], None]
_listeners: list[Listener] = []
log = logging.getLogger(__name__)


def listen(listener: Listener) -> Callable[[], None]:
    """Tell ``listener`` every timed operation's duration from now on (once, however often
    it is registered); returns the function that stops it."""
    if listener not in _listeners:
        _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def told(operation: str, seconds: float, ok: bool) -> None:
    """Tell the listeners that ``operation`` took ``seconds`` (a listener that fails is
    logged and skipped: timing never breaks the operation)."""
    for listener in tuple(_listeners):
        try:
            listener(operation, seconds, ok)
        except Exception:  # noqa: BLE001 - a broken listener must not fail an ingest
            log.exception("the listener %r of %s durations failed", listener, operation)


def timed(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function so that each call's duration is told to the listeners as
    ``operation`` (``"ingest"``, ``"assessment"``), whether it returns or raises."""
    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            start = time.perf_counter()
            ok = False
            try:
                result = fn(*args, **kwargs)
                ok = True
                return result
            finally:
                told(operation, time.perf_counter() - start, ok)
        return run
    return decorate
