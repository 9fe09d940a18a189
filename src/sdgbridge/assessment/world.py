"""What every country's data say about a series, computed once and shipped as data.

Some rules need the whole world's data: a share that no country has ever reported outside
0-100 % is bounded there; a projection beyond ten times the largest value any country has
had is not credible; SDSN's fallback bounds are percentiles of the country distribution. A
store holding only the Centre's region cannot compute them, so the shipped table
``assessment/data/world.csv`` carries them, computed from the whole UN Global SDG Database
by :func:`world_table` (``sdgbridge world-table --out FILE`` recomputes it from any store;
docs/progress.md, "World table").

Columns (:data:`WORLD_COLUMNS`), per series over the headline values of every country
(:func:`sdgbridge.assessment.inputs.assessment_input`):

* ``units``: the unit the headline values are in; ``n_countries``;
* ``min``, ``max``, ``max_magnitude`` (largest absolute value) over all years;
* ``lower_limit``, ``upper_limit``: the natural limits (:func:`natural_limits`);
* ``p2_5``, ``p97_5``: percentiles (linear) of the countries' latest values;
  ``top5_low``, ``top5_high``: the mean of the five lowest and highest latest values.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select

from sdgbridge.assessment.inputs import assessment_input
from sdgbridge.assessment.model import LIMITS
from sdgbridge.assessment.shipped import read_table, table_sha256, write_table
from sdgbridge.db import tables as t

WORLD_COLUMNS = ("series", "units", "n_countries", "min", "max", "max_magnitude",
                 "lower_limit", "upper_limit", "p2_5", "p97_5", "top5_low", "top5_high")
_SCHEMA = {c: pl.Float64 for c in WORLD_COLUMNS} | {
    "series": pl.Utf8, "units": pl.Utf8, "n_countries": pl.Int64}
#: Units whose values are shares of a whole: bounded at 0 and 100 when no country's value
#: has left that range (growth rates and ratios to GDP, also in PERCENT, do leave it).
SHARE_UNITS = ("PERCENT",)


def natural_limits(units: pl.Expr, low: pl.Expr, high: pl.Expr) -> list[pl.Expr]:
    """``lower_limit`` and ``upper_limit`` from a series' units and the range of its values.

    A share (``PERCENT``) whose values all lie within 0-100 is bounded by 0 and 100; any
    other series whose values are never negative (counts, rates, money, most indices) is
    bounded below by 0; a series with negative values (growth rates, balances) is not
    bounded.
    """
    share = units.is_in(SHARE_UNITS) & (low >= 0) & (high <= 100)
    return [pl.when(low >= 0).then(0.0).alias("lower_limit"),
            pl.when(share).then(100.0).alias("upper_limit")]


def world_table(engine: Engine) -> pl.DataFrame:
    """The world table (module docstring) from the store's headline values of every
    country; a store holding the whole UN Global SDG Database gives the shipped one."""
    with engine.connect() as conn:
        countries = list(conn.execute(select(t.area.c.code).where(t.area.c.kind == "country"))
                         .scalars())
        s, o = t.series.c, t.observation.c
        counts = conn.execute(
            select(s.code, o.units, func.count()).join(t.series, s.id == o.series_id)
            .where(s.publisher == "UNSD", o.superseded_by.is_(None))
            .group_by(s.code, o.units)).all()
    units = (pl.DataFrame(counts, orient="row", schema={"series": pl.Utf8, "units": pl.Utf8,
                                                        "n": pl.Int64})
             .sort("n", "units", descending=[True, False]).unique("series", keep="first")
             .drop("n"))
    obs = assessment_input(engine, countries).drop("release")
    return world_from_observations(obs, units)


def world_from_observations(obs: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """The world table from ``obs`` (``series, area, year, value``, every country) and each
    series' ``units`` (``series, units``). A pure function: the rules in one place."""
    value = pl.col("value")
    latest = obs.sort("year").group_by("series", "area").agg(value.last())
    spread = latest.group_by("series").agg(
        p2_5=value.quantile(0.025, "linear"), p97_5=value.quantile(0.975, "linear"),
        top5_low=value.sort().head(5).mean(), top5_high=value.sort(descending=True).head(5)
        .mean())
    ranges = obs.group_by("series").agg(
        n_countries=pl.col("area").n_unique().cast(pl.Int64), min=value.min(),
        max=value.max(), max_magnitude=value.abs().max())
    frame = ranges.join(spread, on="series").join(units, on="series", how="left")
    frame = frame.with_columns(natural_limits(pl.col("units"), pl.col("min"), pl.col("max")))
    return frame.select(*(pl.col(c).cast(d) for c, d in _SCHEMA.items())).sort("series")


def write_world(frame: pl.DataFrame, out: Path, source: str) -> None:
    """``frame`` as a world table file: a ``#`` header naming its source and date, then CSV."""
    write_table(frame, out, f"world table: {frame.height} series, from {source}", "world-table")


def _source(path: Path | None) -> Any:
    return path or files("sdgbridge.assessment").joinpath("data/world.csv")


def load_world(path: Path | None = None) -> pl.DataFrame:
    """The world table: the shipped ``assessment/data/world.csv`` unless ``path`` is given."""
    return read_table(_source(path), _SCHEMA, WORLD_COLUMNS, "world table", "world-table")


def world_sha256(path: Path | None = None) -> str:
    """The sha256 of the world table's bytes (kept with a run's parameters)."""
    return table_sha256(_source(path))


def with_world_limits(targets: pl.DataFrame, world: pl.DataFrame) -> pl.DataFrame:
    """``targets`` with the :data:`~sdgbridge.assessment.model.LIMITS` of each series from
    the world table, where the targets table gives none of its own."""
    given = [c for c in LIMITS if c in targets.columns]
    if given:
        return targets
    return targets.join(world.select("series", *LIMITS), on="series", how="left")
