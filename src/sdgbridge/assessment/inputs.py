"""What the methods assess, read from the store: one value per series × area × year.

For each series the headline disaggregation is used (every dimension at its total:
``BOTHSEX``, ``ALLAGE``, ``ALLAREA``, ``_T`` …) in the unit the series reports most often;
a period that is a range counts for its first year. Target values and directions come from
``data/targets.csv`` (an editable table with the source of each target) or a user's file.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from sdgbridge.assessment.model import OBS_SCHEMA, TARGET_SCHEMA
from sdgbridge.errors import InputError
from sdgbridge.query.observations import ObservationQuery, query_observations
from sdgbridge.summary import is_headline


def load_targets(path: Path | None = None) -> pl.DataFrame:
    """The target table (the shipped one unless ``path`` is given), checked."""
    source = path or files("sdgbridge.assessment").joinpath("data/targets.csv")
    try:
        df = pl.read_csv(source.read_bytes() if path is None else path,  # type: ignore[union-attr]
                         schema_overrides={"target": pl.Float64})
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{source}: cannot read the target table ({exc}).") from exc
    missing = set(TARGET_SCHEMA) - set(df.columns)
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(sorted(missing))}; the "
                         "table needs series, direction, target, source.")
    bad = df.filter(~pl.col("direction").is_in(["higher", "lower"]))
    if bad.height:
        raise InputError(f"{source}: direction must be 'higher' or 'lower' (series "
                         f"{', '.join(bad['series'].to_list())}).")
    return df.select(pl.col(c).cast(t) for c, t in TARGET_SCHEMA.items())


def assessment_input(engine: Engine, areas: Sequence[str], series: Sequence[str] = (),
                     publisher: str = "UNSD", as_of: int | None = None) -> pl.DataFrame:
    """Headline observations of ``series`` (all when empty) for ``areas``, one per year,
    with the ``release`` each value came from."""
    df = query_observations(engine, ObservationQuery(series=series, areas=areas,
                                                     publishers=[publisher], as_of=as_of))
    df = df.filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
    keys = [k for k in df["dims"].unique().to_list() if is_headline(k)]
    df = df.filter(pl.col("dims").is_in(keys))
    unit = (df.group_by("series", "units").len()
            .sort("len", "units", descending=[True, False])
            .unique("series", keep="first").select("series", "units"))
    df = df.join(unit, on=["series", "units"], how="semi")
    return (df.sort("series", "area", "year", "dims").unique(["series", "area", "year"],
                                                             keep="first")
            .select(*(pl.col(c).cast(t) for c, t in OBS_SCHEMA.items()), "release")
            .sort("series", "area", "year"))
