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
from sqlalchemy import Connection, Engine, select

from sdgbridge.assessment.model import OBS_SCHEMA, TARGET_SCHEMA
from sdgbridge.db import tables as t
from sdgbridge.errors import InputError
from sdgbridge.ingest.model import parse_dims
from sdgbridge.query.observations import validity
from sdgbridge.summary import TOTAL_CODES


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


def headline_pairs(conn: Connection, publisher: str) -> pl.DataFrame:
    """(series, dims_id) pairs that are each series' headline.

    A dimension counts as at its total when its code is a total code (``BOTHSEX``,
    ``ALLAGE``, ``_T`` …) or when it is the only code the series has for that dimension:
    under-5 mortality is published for ``age=<5Y`` only, women in parliament for
    ``sex=FEMALE`` only. A series published only by category (education level, product)
    has no headline and is not assessed.
    """
    o, s, d = t.observation.c, t.series.c, t.dimension_set.c
    rows = conn.execute(select(s.code, o.dims_id, d.key).distinct()
                        .join(t.series, s.id == o.series_id)
                        .join(t.dimension_set, d.id == o.dims_id)
                        .where(s.publisher == publisher, o.superseded_by.is_(None))).all()
    codes: dict[tuple[str, str], set[str]] = {}
    for code, _, key in rows:
        for name, value in parse_dims(key).items():
            codes.setdefault((code, name), set()).add(value)
    keep = [(code, dims_id) for code, dims_id, key in rows
            if all(v in TOTAL_CODES or len(codes[(code, n)]) == 1
                   for n, v in parse_dims(key).items())]
    return pl.DataFrame(keep, schema={"series": pl.Utf8, "dims_id": pl.Int64}, orient="row")


def assessment_input(engine: Engine, areas: Sequence[str], series: Sequence[str] = (),
                     publisher: str = "UNSD", as_of: int | None = None) -> pl.DataFrame:
    """Headline observations of ``series`` (all when empty) for ``areas``, one per year,
    with the ``release`` each value came from. A lean query: only the headline rows and
    the columns the methods need leave the database."""
    o, s = t.observation.c, t.series.c
    with engine.connect() as conn:
        pairs = headline_pairs(conn, publisher)
        stmt = (select(s.code, o.area_code, o.year, o.value, o.units, o.dims_id,
                       o.release_id)
                .join(t.series, s.id == o.series_id)
                .where(s.publisher == publisher, o.value.is_not(None),
                       o.dims_id.in_(pairs["dims_id"].unique().to_list()),
                       validity(conn, as_of)))
        if series:
            stmt = stmt.where(s.code.in_(list(series)))
        if areas:
            stmt = stmt.where(o.area_code.in_(list(areas)))
        rows = conn.execute(stmt).all()
    df = pl.DataFrame(rows, orient="row", schema={
        "series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64,
        "units": pl.Utf8, "dims_id": pl.Int64, "release": pl.Int64})
    df = df.join(pairs, on=["series", "dims_id"], how="semi").filter(
        pl.col("value").is_finite())
    unit = (df.group_by("series", "units").len()
            .sort("len", "units", descending=[True, False])
            .unique("series", keep="first").select("series", "units"))
    df = df.join(unit, on=["series", "units"], how="semi")
    return (df.sort("series", "area", "year", "dims_id").unique(["series", "area", "year"],
                                                                keep="first")
            .select(*(pl.col(c).cast(ty) for c, ty in OBS_SCHEMA.items()), "release")
            .sort("series", "area", "year"))
