"""Encoded answers of the API's data endpoints (``/observations``, ``/summary``), kept in a
:class:`~sdgbridge.kept.Keeper` of their own (sized by the ``api_cache_entries`` setting,
least recently used out first) under keys that hold the request, the areas it resolves to
and :func:`~sdgbridge.kept.releases_stamp`: a new release, or a group whose members change,
is never answered from an old entry.

A web concern beside the app's keeper of frames: what is kept here is a response (bytes and
headers, copied for each request), made in the thread pool and shared by the requests that
ask for it while it is being made; its size can be 0 (nothing kept) without touching the
frames the pages keep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from sdgbridge.kept import Keeper

Key = tuple[object, ...]


class AnswerCache:
    """Encoded answers by key (see the module docstring); answers over ``MAX_BODY`` bytes
    and failures are not kept, and the kept ones together hold at most ``budget`` bytes
    (the ``api_cache_bytes`` setting): however the parameters are varied, the cache of a
    process never holds more."""

    MAX_BODY = 4 << 20

    def __init__(self, size: int, budget: int | None = None) -> None:
        self.size = size
        self.kept = Keeper(size, budget=budget, weigh=lambda r: len(r.body))
        self._making: dict[Key, asyncio.Future[Response]] = {}  # the event loop's

    async def answer_in_thread(self, key: Key, make: Callable[[], Response]) -> Response:
        """The kept answer for ``key``, or ``make()`` run in the thread pool (kept when small
        enough). Requests for a key whose answer is being made wait for that answer rather
        than each making it again (a dashboard after a new release); with a size of 0
        nothing is kept nor shared, and every request makes its own."""
        kept = self.get(key)
        if kept is not None:
            return kept
        if not self.size:
            return await run_in_threadpool(make)
        making = self._making.get(key)
        if making is None:
            making = self._making[key] = asyncio.ensure_future(self._make(key, make))
        return _copy(await asyncio.shield(making))

    async def _make(self, key: Key, make: Callable[[], Response]) -> Response:
        try:
            return self.keep(key, await run_in_threadpool(make))
        finally:
            del self._making[key]

    def get(self, key: Key) -> Response | None:
        """A copy of the kept answer for ``key``, if any."""
        kept = self.kept.find(key)
        return None if kept is None else _copy(kept)

    def keep(self, key: Key, response: Response) -> Response:
        """Keep ``response`` (when it is a success and small enough); returns it."""
        if response.status_code == 200 and len(response.body) <= self.MAX_BODY:
            self.kept.keep(key, _copy(response))
        return response


def _copy(r: Response) -> Response:
    headers = {k: v for k, v in r.headers.items() if k not in ("content-length",
                                                                "content-type")}
    return Response(r.body, r.status_code, headers, media_type=r.media_type)
