"""Scores others publish, loaded as data releases, to show beside sdgbridge's own: SDSN's
Sustainable Development Report (the ``sdr`` reader, :mod:`sdgbridge.ingest.readers.sdr`).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.reference.geography import resolve_areas

# As the sdr reader stores them (not imported from it: that would load every reader).
SDR_PUBLISHER = "SDSN"
SDR_SERIES: dict[str, tuple[int, bool]] = {
    f"SDR_{'TREND_' if trend else ''}{'INDEX' if g == 0 else f'GOAL_{g}'}": (g, trend)
    for trend in (False, True) for g in range(18)}
"""Series code -> (goal, 0 for the SDG Index; whether it is the back-cast series)."""
PUBLISHED_SCHEMA = {"area": pl.Utf8, "goal": pl.Int64, "year": pl.Int64, "value": pl.Float64,
                    "release": pl.Int64, "series": pl.Utf8}


def sdr_published(engine: Engine, areas: Sequence[str]) -> pl.DataFrame:
    """SDSN's published SDR scores of ``areas`` (M49, ISO3 or group codes; empty: every area)
    in each area's latest year: ``area`` (M49), ``goal`` (0 = the SDG Index, 1-17), ``year``,
    ``value`` (0-100), ``release`` (the release it came from) and ``series``. An edition's
    scores win over the back-cast series of the same year; a goal without a score that year
    (goal 14 of a landlocked country) has no row. Empty (with these columns) when no SDR
    scores are loaded."""
    o, s = t.observation.c, t.series.c
    codes = resolve_areas(engine, areas) if areas else None
    stmt = (select(s.code, o.area_code, o.year, o.value, o.release_id)
            .join(t.series, s.id == o.series_id)
            .where(s.publisher == SDR_PUBLISHER, s.code.in_(list(SDR_SERIES)),
                   o.superseded_by.is_(None), o.value.is_not(None)))
    if codes is not None:
        stmt = stmt.where(o.area_code.in_(codes))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    df = pl.DataFrame(rows, orient="row", schema={
        "series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64,
        "release": pl.Int64})
    goal = pl.col("series").replace_strict({k: g for k, (g, _) in SDR_SERIES.items()},
                                           return_dtype=pl.Int64)
    trend = pl.col("series").replace_strict({k: b for k, (_, b) in SDR_SERIES.items()},
                                            return_dtype=pl.Boolean)
    latest = (df.with_columns(goal.alias("goal"), trend.alias("_trend"))
              .filter(pl.col("year") == pl.col("year").max().over("area"))
              .sort("area", "goal", "_trend")
              .unique(["area", "goal"], keep="first", maintain_order=True))
    return latest.select(*(pl.col(c).cast(ty) for c, ty in PUBLISHED_SCHEMA.items()))
