"""Progress for the pages: a method's current assessment of the region
(:func:`sdgbridge.assessment.current.current_assessment`: the current stored run, else
assessed now; kept until a release or a run is added, so the pages of one store state agree
with each other and with ``/api/v1/assessments/latest``), and its cells for the tables."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Engine

from sdgbridge.assessment.charts import dominant
from sdgbridge.assessment.current import CurrentAssessment, current_assessment
from sdgbridge.assessment.figures import ASSESSED, shares
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.model import SCALE
from sdgbridge.errors import SdgBridgeError
from sdgbridge.kept import Keeper
from sdgbridge.query.published import sdr_published
from sdgbridge.reference.catalog import titles


class UnknownMethod(SdgBridgeError):
    def __init__(self, method: str) -> None:
        super().__init__(f"No assessment method {method!r}; choose one of "
                         f"{', '.join(METHODS)} (e.g. ?method=unsd).")


def progress(engine: Engine, kept: Keeper, method: str, group: str) -> CurrentAssessment:
    """The method's current assessment of the areas of ``group``."""
    if method not in METHODS:
        raise UnknownMethod(method)
    return current_assessment(engine, method, [group], kept=kept)


def cells(rolled: pl.DataFrame, level: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(code, area) -> {status, coverage, counts, assessed, segments} of a roll-up.

    ``segments``: (step, count, percent of the series with a status) for each step of the
    display scale that has series, best first: the stacked bar of a goal (UNSD and Open SDG
    publish no single goal status). ``status`` (the most numerous step, ties to the worse)
    is kept for target rows, where few series meet."""
    out = {}
    for row in shares(rolled).iter_rows(named=True):
        n = row["assessed"]
        out[(row[level], row["area"])] = {
            "status": dominant(row), "coverage": row["coverage"], "assessed": n,
            "counts": {s: row[s] for s in SCALE if row[s]},
            "segments": [(s, row[s], round(100 * row[s] / n, 1)) for s in ASSESSED if row[s]]}
    return out


def titled_targets(engine: Engine, df: pl.DataFrame, lang: str) -> list[dict[str, Any]]:
    """The rows of ``df`` (with a ``target`` column), each with the target's ``title`` in
    ``lang``."""
    names = titles(engine, "target", lang)
    return [{**r, "title": names.get(r["target"], "")} for r in df.to_dicts()]


def score_cells(prog: CurrentAssessment) -> dict[tuple[str, str], dict[str, Any]]:
    """(goal, area) -> {score, rating, n_series, trend, trend_key} of SDSN's goal scores,
    dashboard colours and trend arrows (its own goal figure); empty for the other methods."""
    if prog.method != "sdsn":
        return {}
    goals = next(frame for title, frame in prog.summary() if "goal scores" in title)
    return {(str(r["goal"]), r["area"]): {"score": r["score"], "rating": r["rating"],
                                          "n_series": r["n_series"], "trend": r["trend"],
                                          "trend_key": r["trend_key"]}
            for r in goals.iter_rows(named=True)}


def index_cells(prog: CurrentAssessment) -> dict[str, float | None]:
    """area -> SDSN index (None where SDSN's missing-data rule gives none); empty for the
    other methods."""
    if prog.method != "sdsn":
        return {}
    frame = next(frame for title, frame in prog.summary() if title.startswith("SDSN index"))
    return dict(frame.select("area", "index").iter_rows())


def published_cells(engine: Engine, prog: CurrentAssessment, group: str
                    ) -> dict[tuple[str, str], dict[str, Any]]:
    """(goal, area) -> {value, year} of SDSN's published SDR scores, where the user has
    loaded them (:func:`sdgbridge.query.published.sdr_published`; goal "0" = the index);
    empty for the other methods."""
    if prog.method != "sdsn":
        return {}
    df = sdr_published(engine, [group])
    return {(str(r["goal"]), r["area"]): {"value": r["value"], "year": r["year"]}
            for r in df.iter_rows(named=True)}
