"""Progress for the pages: a method's results for the region, from a stored assessment run
when one is current, else computed on demand and kept in memory until the data change.

A stored run is current when it was made with the method after the latest data release was
loaded and covers every area asked for. A computed one is cached per method, areas and
latest release, so the pages of one store state agree with each other.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select

from sdgbridge.assessment.charts import dominant
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.model import SCALE
from sdgbridge.assessment.run import assess, method_params, roll_up, series_indicators
from sdgbridge.assessment.store import results as stored_results
from sdgbridge.db import tables as t
from sdgbridge.errors import SdgBridgeError
from sdgbridge.reference.geography import resolve_areas

BEHIND = ("stagnating", "regressing")


class UnknownMethod(SdgBridgeError):
    def __init__(self, method: str) -> None:
        super().__init__(f"No assessment method {method!r}; choose one of "
                         f"{', '.join(METHODS)} (e.g. ?method=unsd).")


@dataclass(frozen=True)
class Progress:
    """A method's series × area results, the series → indicator links, and where the
    results come from (``run_id`` of a stored run, or None when computed for the page)."""

    method: str
    params_version: str
    results: pl.DataFrame
    links: pl.DataFrame
    run_id: int | None

    def rolled(self, level: str, area: str | None = None) -> pl.DataFrame:
        res = self.results if area is None else self.results.filter(pl.col("area") == area)
        return roll_up(res, self.links, level)


_LOCK = threading.Lock()


def _latest_release(engine: Engine) -> tuple[int, Any]:
    r = t.release.c
    with engine.connect() as conn:
        row = conn.execute(select(r.id, r.created_at).order_by(r.id.desc()).limit(1)).first()
    return (row.id, row.created_at) if row else (0, None)


def _current_run(engine: Engine, method: str, codes: list[str], since: Any) -> Any:
    r = t.assessment_run.c
    with engine.connect() as conn:
        rows = conn.execute(select(r.id, r.params_version, r.areas, r.created_at, r.as_of)
                            .where(r.method == method).order_by(r.id.desc()).limit(20)).all()
    for row in rows:
        fresh = since is None or row.created_at >= since
        if fresh and row.as_of is None and set(codes) <= set(json.loads(row.areas)):
            return row
    return None


def progress(engine: Engine, cache: dict[Any, Progress], method: str, group: str) -> Progress:
    """The method's results for the areas of ``group`` (see the module docstring)."""
    if method not in METHODS:
        raise UnknownMethod(method)
    codes = resolve_areas(engine, [group])
    release, since = _latest_release(engine)
    run = _current_run(engine, method, codes, since)
    key = (method, tuple(codes), release, run.id if run else None)
    with _LOCK:
        if key not in cache:
            cache[key] = _compute(engine, method, codes, run)
        return cache[key]


def _compute(engine: Engine, method: str, codes: list[str], run: Any) -> Progress:
    links = series_indicators(engine)
    if run is not None:
        res = stored_results(engine, run.id).filter(pl.col("area").is_in(codes))
        return Progress(method, run.params_version, res, links, run.id)
    a = assess(engine, method, codes)
    return Progress(method, str(method_params(method).get("version", "")), a.results, links,
                    None)


def cells(rolled: pl.DataFrame, level: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(code, area) -> {status, coverage, counts} of a roll-up, the status dominant."""
    out = {}
    for row in rolled.iter_rows(named=True):
        out[(row[level], row["area"])] = {
            "status": dominant(row), "coverage": row["coverage"],
            "counts": {s: row[s] for s in SCALE if row[s]}}
    return out


def goal_codes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        codes = conn.execute(select(t.goal.c.code)).scalars().all()
    return sorted(codes, key=int)


def release_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.release)).scalar_one())
