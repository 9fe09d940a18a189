"""Values derived from the store, kept while what they depend on stays the same.

A kept value is found by its name, its parameters and a *stamp* of what it depends on: the
data releases, the projects and organisations, the assessment runs, the knowledge
documents (:data:`SOURCES`). A stamp is read with one small query (newest ids and row
counts: PostgreSQL hands ids out at insert, not at commit, so a change committed after a
later one would leave the newest id as it was, and the counts catch it), so a value made
before a change is never found after it: its key no longer matches, and it leaves the
:class:`Keeper` in its turn, least recently used first, when the keeper is full.

The web app keeps one :class:`Keeper` for the pages, the API and the fast path of
``/api/v1/observations``; the library functions that make the costly frames (money against
progress, the current assessment) take it as ``kept=``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine, ScalarSelect, func, select

from sdgbridge.db import tables as t

T = TypeVar("T")
Source = Literal["releases", "projects", "organisations", "runs", "documents"]
SOURCES: tuple[Source, ...] = ("releases", "projects", "organisations", "runs", "documents")
ENTRIES = 512  # values a keeper holds by default


def _newest_and_count(table: Any, *where: Any) -> list[ScalarSelect[Any]]:
    return [select(func.max(table.c.id)).where(*where).scalar_subquery(),
            select(func.count()).select_from(table).where(*where).scalar_subquery()]


def _counters(source: Source) -> list[ScalarSelect[Any]]:
    """What changes with every change of ``source``:

    * releases: every ingest adds a ``release`` row, a removal takes one away;
    * projects: each IATI import adds an ``iati_import`` row, each edit, archive or restore
      of a project an ``activity`` row of ``record_change`` (:mod:`.projects.editing`, a
      changed activity in :mod:`.projects.store`); the count of activities besides;
    * organisations: the partner registry (:mod:`.projects.orgs`): each organisation added,
      and each edit, archive or restore (an ``organisation`` row of ``record_change``). Kept
      apart from the projects: a partner's new phone number does not make the projects'
      frames again (their money, overlaps and 3W read no organisation record);
    * runs: every stored assessment run (``sdgbridge assess``) adds an ``assessment_run``;
    * documents: a document added or removed, tagged again (new ``document_tag`` rows) or
      corrected (a ``tag_correction`` row).
    """
    change = t.record_change
    if source == "projects":
        return [*_newest_and_count(t.iati_import),
                *_newest_and_count(change, change.c.record_type != "organisation"),
                select(func.count()).select_from(t.iati_activity).scalar_subquery()]
    if source == "organisations":
        return [*_newest_and_count(t.organisation),
                *_newest_and_count(change, change.c.record_type == "organisation")]
    tables = {"releases": [t.release], "runs": [t.assessment_run],
              "documents": [t.document, t.document_tag, t.tag_correction]}[source]
    counters = [c for table in tables for c in _newest_and_count(table)]
    return counters


def stamp(engine: Engine, *sources: Source) -> tuple[object, ...]:
    """The stamp of ``sources`` (all of them when none is named), in one query."""
    counters = [c for s in sources or SOURCES for c in _counters(s)]
    with engine.connect() as conn:
        return tuple(conn.execute(select(*counters)).one())


def releases_stamp(engine: Engine) -> tuple[object, ...]:
    """What changes with every release added or removed."""
    return stamp(engine, "releases")


def projects_stamp(engine: Engine) -> tuple[object, ...]:
    """What changes with every change to the projects and organisations."""
    return stamp(engine, "projects", "organisations")


class Keeper:
    """Values by (name, parameters, stamp), at most ``entries`` of them, the least recently
    used out first. Safe to share between threads. A value asked for by several threads at
    once is made once (:meth:`get`): the others wait for it rather than each making it (a
    server just started, or after a release, would otherwise make every page's frames as
    many times as it has requests in flight). With ``entries=0`` nothing is kept: every
    :meth:`get` makes its value, without reading a stamp."""

    def __init__(self, entries: int = ENTRIES, budget: int | None = None,
                 weigh: Callable[[Any], int] | None = None) -> None:
        """At most ``entries`` values; with ``budget``, also at most that total ``weigh``
        of them (bytes of kept answers, say), the least recently used out first."""
        self.entries = entries
        self.budget, self._weigh = budget, weigh or (lambda _value: 0)
        self.weight = 0
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}  # a lock per value being made

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, engine: Engine, name: str, make: Callable[..., T], *params: Hashable,
            on: Sequence[Source] = SOURCES) -> T:
        """``make(engine, *params)``, made again only when the stamp of ``on`` (by default
        every source: the safe choice) has changed since it was kept."""
        if not self.entries:
            return make(engine, *params)
        key = (name, params, stamp(engine, *on))
        found = self.find(key, _MISSING)
        if found is not _MISSING:
            return found
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        with making:  # one thread makes it; the others wait, then find it kept
            found = self.find(key, _MISSING)
            if found is not _MISSING:
                return found
            try:
                return self.keep(key, make(engine, *params))
            finally:
                with self._lock:
                    self._making.pop(key, None)

    def find(self, key: Hashable, default: Any = None) -> Any:
        """The value kept under ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            if key not in self._kept:
                return default
            self._kept.move_to_end(key)
            return self._kept[key]

    def keep(self, key: Hashable, value: T) -> T:
        """Keep ``value`` under ``key``, making room; returns it."""
        if self.entries:
            with self._lock:
                if key in self._kept:
                    self.weight -= self._weigh(self._kept[key])
                self._kept[key] = value
                self.weight += self._weigh(value)
                self._kept.move_to_end(key)
                while len(self._kept) > self.entries or (
                        self.budget is not None and self.weight > self.budget):
                    self.weight -= self._weigh(self._kept.popitem(last=False)[1])
        return value


_MISSING = object()
NOTHING_KEPT = Keeper(0)  # the default of library functions taking ``kept=``
