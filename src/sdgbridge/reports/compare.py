"""Countries side by side (issue 18): for chosen countries (the region's, or any) and goals,
targets or indicators, each series' latest headline value with its year and unit, its status
by each method, the indicators with no data, and the values over time for small-multiple
charts.

The statuses are each method's current assessment of the countries (the published run where
it covers them, else assessed now), as on every page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import Engine

from sdgbridge.assessment.current import current_assessment
from sdgbridge.assessment.inputs import assessment_input
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.model import code_key
from sdgbridge.assessment.run import series_indicators
from sdgbridge.errors import InputError
from sdgbridge.kept import NOTHING_KEPT, Keeper
from sdgbridge.reference.catalog import titles

MAX_SERIES = 40  # rows of one comparison
CHARTS = 12  # small multiples


@dataclass
class Comparison:
    areas: list[str]  # M49 codes, in the order asked
    scope: dict[str, list[str]]  # goals, targets, indicators asked
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per series
    counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    more: int = 0  # series in scope beyond MAX_SERIES


def _in_scope(links: pl.DataFrame, goals: Sequence[str], targets: Sequence[str],
              indicators: Sequence[str]) -> pl.DataFrame:
    """The series → indicator links under the goals, targets or indicators asked."""
    ind = pl.col("indicator")
    want = pl.lit(False)
    for g in goals:
        want = want | ind.str.starts_with(f"{g}.")
    for t in targets:
        want = want | ind.str.starts_with(f"{t}.")
    if indicators:
        want = want | ind.is_in(list(indicators))
    return links.filter(want)


def compare(engine: Engine, areas: Sequence[str], *, goals: Sequence[str] = (),
            targets: Sequence[str] = (), indicators: Sequence[str] = (), lang: str = "en",
            kept: Keeper = NOTHING_KEPT) -> Comparison:
    """The comparison of ``areas`` (M49 codes) on the series of the goals, targets and
    indicators asked (see the module docstring)."""
    if not areas:
        raise InputError("Choose at least one country to compare.")
    if not (goals or targets or indicators):
        raise InputError("Choose a goal, a target or an indicator to compare on.")
    links = _in_scope(series_indicators(engine), goals, targets, indicators)
    codes = list(dict.fromkeys(areas))
    out = Comparison(codes, {"goals": list(goals), "targets": list(targets),
                             "indicators": list(indicators)})
    names = titles(engine, "indicator", lang)
    first = (links.with_columns(pl.col("indicator").map_elements(
        code_key, return_dtype=pl.List(pl.Int64)).alias("_k")).sort("_k")
        .unique("series", keep="first", maintain_order=True).drop("_k"))
    values = assessment_input(engine, codes, first["series"].to_list()) if first.height \
        else pl.DataFrame(schema={"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64,
                                  "value": pl.Float64})
    results = {m: current_assessment(engine, m, codes, kept=kept).results for m in METHODS}
    latest = (values.sort("year").group_by("series", "area").agg(
        pl.col("year").last(), pl.col("value").last()))
    with_data = first.filter(pl.col("series").is_in(latest["series"].unique().to_list()))
    out.more = max(0, with_data.height - MAX_SERIES)
    for series, indicator in with_data.head(MAX_SERIES).iter_rows():
        cells = {}
        for area in codes:
            found = latest.filter(pl.col("series") == series, pl.col("area") == area)
            cells[area] = {
                "year": found["year"][0] if found.height else None,
                "value": found["value"][0] if found.height else None,
                "status": {m: _status(res, series, area) for m, res in results.items()}}
        out.rows.append({"series": series, "indicator": indicator,
                         "title": names.get(indicator, ""), "cells": cells})
    out.counts = {m: {a: _counts(res, with_data["series"].to_list(), a) for a in codes}
                  for m, res in results.items()}
    for indicator in sorted(set(links["indicator"]), key=code_key):
        series = links.filter(pl.col("indicator") == indicator)["series"].to_list()
        present = set(values.filter(pl.col("series").is_in(series))["area"])
        missing = [a for a in codes if a not in present]
        if missing:
            out.gaps.append({"indicator": indicator, "title": names.get(indicator, ""),
                             "areas": missing})
    for row in out.rows[:CHARTS]:
        lines = []
        for area in codes:
            pts = values.filter(pl.col("series") == row["series"], pl.col("area") == area
                                ).sort("year")
            if pts.height:
                lines.append({"area": area,
                              "points": list(pts.select("year", "value").iter_rows())})
        out.charts.append({"series": row["series"], "indicator": row["indicator"],
                           "lines": lines})
    return out


def _status(res: pl.DataFrame, series: str, area: str) -> str | None:
    found = res.filter(pl.col("series") == series, pl.col("area") == area)
    return str(found["scale"][0]) if found.height else None


def _counts(res: pl.DataFrame, series: list[str], area: str) -> dict[str, int]:
    """The series in scope per status step for ``area``."""
    part = res.filter(pl.col("area") == area, pl.col("series").is_in(series))
    return {str(k): int(n) for k, n in part.group_by("scale").len().iter_rows()}
