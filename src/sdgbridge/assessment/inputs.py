"""What the methods assess, read from the store: one value per series × area × year.

For each series the headline disaggregation is used (every dimension at its total:
``BOTHSEX``, ``ALLAGE``, ``ALLAREA``, ``_T`` …, or as the rules of
:mod:`~sdgbridge.assessment.headline` say) in the unit the series reports most often;
a period that is a range counts for its first year. Target values and directions come from
``data/targets.csv`` (an editable table with the source of each target) or a user's file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from importlib.resources import files
from pathlib import Path

import polars as pl
from sqlalchemy import ColumnElement, Connection, Engine, select

from sdgbridge.assessment import headline
from sdgbridge.assessment.model import OBS_SCHEMA, RELATIVE, TARGET_SCHEMA
from sdgbridge.db import tables as t
from sdgbridge.errors import InputError
from sdgbridge.query.observations import validity


def load_targets(path: Path | None = None) -> pl.DataFrame:
    """The target table (the shipped one unless ``path`` is given), checked.

    A ``target`` cell is empty (no quantitative target), a number (the 2030 value), or
    ``rel:FACTOR``: the 2030 value as a multiple of the baseline value, per area (``rel:0.5``
    "halve", ``rel:2/3`` "reduce by one third", ``rel:2`` "double"; see
    :func:`sdgbridge.assessment.model.area_target`). Returns ``TARGET_SCHEMA`` plus
    ``relative``.
    """
    source = path or files("sdgbridge.assessment").joinpath("data/targets.csv")
    try:
        df = pl.read_csv(source.read_bytes() if path is None else path,
                         schema_overrides={"target": pl.Utf8}, infer_schema_length=0)
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
    df = df.with_columns(_parse_targets(df, str(source)))
    return df.select(*(pl.col(c).cast(t) for c, t in TARGET_SCHEMA.items()), RELATIVE)


def _parse_targets(df: pl.DataFrame, source: str) -> list[pl.Series]:
    """``target`` (absolute) and ``relative`` from the ``target`` cells; errors name the line
    (the header is line 1) and say what to write."""
    absolute: list[float | None] = []
    relative: list[float | None] = []
    cells = zip(df["series"], df["direction"], df["target"], strict=True)
    for line, (series, direction, cell) in enumerate(cells, start=2):
        text = (cell or "").strip()
        value, factor = _parse_target(text, f"{source}, line {line} ({series})")
        if factor is not None and (factor < 1 and direction == "higher"
                                   or factor > 1 and direction == "lower"):
            raise InputError(f"{source}, line {line} ({series}): target {text!r} moves the "
                             f"value the wrong way for direction {direction!r}; use a factor "
                             f"{'above' if direction == 'higher' else 'below'} 1 or change "
                             "the direction.")
        absolute.append(value)
        relative.append(factor)
    return [pl.Series("target", absolute, pl.Float64), pl.Series(RELATIVE, relative, pl.Float64)]


def _parse_target(text: str, where: str) -> tuple[float | None, float | None]:
    """(absolute, relative) from one ``target`` cell: empty, a number or ``rel:FACTOR``."""
    hint = ("write a number (the 2030 value), rel:FACTOR (a multiple of the baseline, e.g. "
            "rel:0.5 to halve, rel:2/3 to reduce by one third), or leave it empty")
    if not text:
        return None, None
    is_relative = text.lower().startswith("rel:")
    number = text[4:] if is_relative else text
    try:
        value = float(Fraction(number.strip()) if is_relative else float(number))
    except (ValueError, ZeroDivisionError):
        raise InputError(f"{where}: target {text!r} is not understood; {hint}.") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: target {text!r} is not a finite number; {hint}.")
    if not is_relative:
        return value, None
    if value <= 0:
        raise InputError(f"{where}: target {text!r}: the factor must be a positive number; "
                         f"{hint}.")
    return None, value


def headline_pairs(conn: Connection, publisher: str,
                   rules: headline.Rules | None = None) -> pl.DataFrame:
    """Each series' headline dimension sets (:func:`sdgbridge.assessment.headline.
    headline_pairs`: the rules table, total codes, single codes, the sex sum)."""
    o, s, d = t.observation.c, t.series.c, t.dimension_set.c
    rows = conn.execute(select(s.code, o.dims_id, d.key).distinct()
                        .join(t.series, s.id == o.series_id)
                        .join(t.dimension_set, d.id == o.dims_id)
                        .where(s.publisher == publisher, o.superseded_by.is_(None))).all()
    return headline.headline_pairs([tuple(r) for r in rows],
                                   headline.load_rules() if rules is None else rules)


def assessment_input(engine: Engine, areas: Sequence[str], series: Sequence[str] = (),
                     publisher: str = "UNSD", as_of: int | None = None,
                     headlines: Path | None = None, censored: bool = False) -> pl.DataFrame:
    """Headline observations of ``series`` (all when empty) for ``areas``, one per year,
    with the ``release`` each value came from. A lean query: only the headline rows and
    the columns the methods need leave the database. ``headlines``: a rules table to use
    instead of the shipped ``data/headlines.csv`` (:mod:`~sdgbridge.assessment.headline`).
    ``censored``: a value published only as text beyond a bound (``<2.5``, ``>95``) is read
    as the bound itself (off by default: most methods leave such values out)."""
    o, s = t.observation.c, t.series.c
    rules = headline.load_rules(headlines)
    has_value: ColumnElement[bool] = o.value.is_not(None)
    if censored:
        has_value = has_value | o.value_text.like("<%") | o.value_text.like(">%")
    with engine.connect() as conn:
        pairs = headline_pairs(conn, publisher, rules)
        stmt = (select(s.code, o.area_code, o.year, o.value, o.units, o.dims_id,
                       o.release_id, o.value_text)
                .join(t.series, s.id == o.series_id)
                .where(s.publisher == publisher, has_value,
                       o.dims_id.in_(pairs["dims_id"].unique().to_list()),
                       validity(conn, as_of)))
        if series:
            stmt = stmt.where(s.code.in_(list(series)))
        if areas:
            stmt = stmt.where(o.area_code.in_(list(areas)))
        rows = conn.execute(stmt).all()
    df = pl.DataFrame(rows, orient="row", schema={
        "series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64,
        "units": pl.Utf8, "dims_id": pl.Int64, "release": pl.Int64, "value_text": pl.Utf8})
    bound = pl.col("value_text").str.extract(r"^\s*[<>]=?\s*([-+]?[0-9]*\.?[0-9]+)\s*$")
    df = df.with_columns(pl.coalesce("value", bound.cast(pl.Float64))).drop("value_text")
    df = df.filter(pl.col("value").is_not_null())
    df = headline.combine(df.filter(pl.col("value").is_finite()), pairs, rules)
    unit = (df.group_by("series", "units").len()
            .sort("len", "units", descending=[True, False])
            .unique("series", keep="first").select("series", "units"))
    df = df.join(unit, on=["series", "units"], how="semi")
    return (df.sort("series", "area", "year", "dims_id").unique(["series", "area", "year"],
                                                                keep="first")
            .select(*(pl.col(c).cast(ty) for c, ty in OBS_SCHEMA.items()), "release")
            .sort("series", "area", "year"))
