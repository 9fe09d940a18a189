"""Progress as the store stands now: the current assessment of a method for some areas, a
stored run's results at a level, and the data gaps of the target table's series.

**Which assessment is current** (one policy, for the pages and ``/assessments/latest``): a
stored run of the method is current for some areas when

* a user published it (``sdgbridge assess --publish``, which takes the whole target table
  for the whole region); ad-hoc runs (some series, other targets, a past state of the data)
  are never shown in its place, so they leave the public pages as they were,
* it was made with the method's shipped parameter version, and
* it covers each area asked for: the area itself (a group assessed as one area) or every
  member of it.

The newest such run is the current one; it stays current when data releases come after it
(the pages name its date and releases) until a newer run is published.
:func:`current_assessment` reads its results, or, when no published run is current, assesses
the data now (without storing the run); :func:`current_run_id` refuses with
:class:`~sdgbridge.errors.NotFound` instead, saying how to publish one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.assessment.gaps import data_gaps
from sdgbridge.assessment.inputs import assessment_input, load_targets
from sdgbridge.assessment.run import (
    assess,
    get_method,
    method_params,
    roll_up,
    series_indicators,
)
from sdgbridge.assessment.store import results
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound
from sdgbridge.kept import NOTHING_KEPT, Keeper
from sdgbridge.reference.geography import resolve_areas

NO_RUN = "No assessment has been run yet. Run `sdgbridge assess` first."


@dataclass(frozen=True)
class CurrentAssessment:
    """A method's series × area results, the series → indicator links, and where the
    results come from: ``run_id`` of the published run, when it was published and the data
    releases it read; or None, None, () when assessed now."""

    method: str
    params_version: str
    results: pl.DataFrame
    links: pl.DataFrame
    run_id: int | None
    published_at: Any = None
    releases: tuple[int, ...] = ()

    def summary(self) -> list[tuple[str, pl.DataFrame]]:
        """The method's own aggregates of these results (e.g. SDSN's goal scores with
        their colours, and the index), as (title, frame) pairs; none for a method without."""
        method = get_method(self.method)
        if method.summary is None:
            return []
        return method.summary(self.results, self.links, method_params(self.method))

    def rolled(self, level: str, area: str | None = None) -> pl.DataFrame:
        """The results (of ``area``, or every area) rolled up to ``level``, of the series
        the goal profile counts (:func:`~sdgbridge.assessment.run.roll_up`)."""
        res = self.results if area is None else self.results.filter(pl.col("area") == area)
        return roll_up(res, self.links, level)


def _version(method: str) -> str:
    return str(method_params(method).get("version", ""))


def _scope(engine: Engine, areas: Sequence[str]) -> list[tuple[str, frozenset[str]]]:
    """Each area asked for with its members (an area is its own member)."""
    return [(a, frozenset(resolve_areas(engine, [a]))) for a in dict.fromkeys(areas)]


def current_run(engine: Engine, method: str, areas: Sequence[str] = ()) -> int | None:
    """The id of the method's current stored run for ``areas`` (M49, ISO3 or group codes;
    none: any areas), or None (see the module docstring)."""
    version, scope = _version(method), _scope(engine, areas)
    r = t.assessment_run.c
    with engine.connect() as conn:
        rows = conn.execute(select(r.id, r.areas)
                            .where(r.method == method, r.published_at.is_not(None),
                                   r.params_version == version)
                            .order_by(r.published_at.desc(), r.id.desc())).all()
    for row in rows:
        covered = set(json.loads(row.areas))
        if all(area in covered or members <= covered for area, members in scope):
            return int(row.id)
    return None


def current_run_id(engine: Engine, method: str, areas: Sequence[str] = ()) -> int:
    """:func:`current_run`, or :class:`NotFound` saying why there is none."""
    found = current_run(engine, method, areas)
    if found is not None:
        return found
    r = t.assessment_run.c
    with engine.connect() as conn:
        stored = conn.execute(select(r.id).where(r.method == method).limit(1)).first()
    if stored is None:
        raise NotFound(NO_RUN)
    where = f" for {', '.join(areas)}" if areas else ""
    raise NotFound(f"No published {method} run{where}: the stored ones are ad hoc, made with "
                   "other parameters or for other areas. Publish one for the region with "
                   f"`sdgbridge assess --method {method} --publish`.")


def current_assessment(engine: Engine, method: str, areas: Sequence[str], *,
                       kept: Keeper = NOTHING_KEPT) -> CurrentAssessment:
    """The method's results for the members of ``areas``: from the current stored run, or
    assessed now. ``kept`` keeps them until a release or a run is added."""
    codes = tuple(resolve_areas(engine, list(areas)))
    return kept.get(engine, "current assessment", _current, method, codes,
                    on=("releases", "runs"))


def _current(engine: Engine, method: str, codes: tuple[str, ...]) -> CurrentAssessment:
    links = series_indicators(engine)
    run_id = current_run(engine, method, codes)
    if run_id is not None:
        # A stored run's results, in the shape of a fresh run's (with their method).
        res = results(engine, run_id, details=True).filter(
            pl.col("area").is_in(codes)).with_columns(pl.lit(method).alias("method"))
        r = t.assessment_run.c
        with engine.connect() as conn:
            when, releases = conn.execute(select(r.published_at, r.releases)
                                          .where(r.id == run_id)).one()
        return CurrentAssessment(method, _version(method), res, links, run_id, when,
                                 tuple(json.loads(releases)))
    done = assess(engine, method, codes)
    return CurrentAssessment(method, done.params_version, done.results, links, None)


def run_results(engine: Engine, run_id: int, level: str = "series",
                areas: Sequence[str] = ()) -> pl.DataFrame:
    """A stored run's results at ``level`` for ``areas`` (their members and the areas
    themselves, for runs that assessed a group as one area; none: every area)."""
    df = results(engine, run_id)
    if areas:
        df = df.filter(pl.col("area").is_in(resolve_areas(engine, list(areas)) + list(areas)))
    return roll_up(df, series_indicators(engine), level)


def target_gaps(engine: Engine, areas: Sequence[str]) -> pl.DataFrame:
    """Where the series of the shipped target table have no or old data, per area (M49
    codes) and series (:func:`~sdgbridge.assessment.gaps.data_gaps`)."""
    wanted = load_targets()["series"].to_list()
    obs = assessment_input(engine, areas, wanted).drop("release")
    return data_gaps(obs, wanted, areas)


def publication_problem(engine: Engine, areas: Sequence[str], region: str,
                        narrowing: Sequence[str]) -> str | None:
    """Why a run of ``areas`` could not be published for ``region`` (None: it can): a
    published run takes the whole target table for every country of the region, so no option
    in ``narrowing`` (the names of those given that narrow the run) may be given."""
    if narrowing:
        return (f"--publish takes the whole target table for the whole region: leave out "
                f"{', '.join(narrowing)}, or store the run without --publish.")
    if not set(resolve_areas(engine, [region])) <= set(resolve_areas(engine, list(areas))):
        return (f"--publish needs every country of the region {region}: leave --areas out or "
                f"include {region}.")
    return None
