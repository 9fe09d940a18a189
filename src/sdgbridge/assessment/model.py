"""The frames the assessment methods take and return.

Input ``obs``: one row per series × area × year (a single disaggregation already chosen,
normally the headline one), columns ``series`` (str), ``area`` (str), ``year`` (Int64),
``value`` (Float64, no nulls).

Input ``targets``: one row per series, columns ``series`` (str), ``direction`` (str:
``higher`` or ``lower`` is better), ``target`` (Float64, the 2030 value; null = no
quantitative target), ``source`` (str: where the target comes from), and optionally
``relative`` (Float64): a 2030 target set relative to the baseline ("halve" = 0.5, "reduce
by one third" = 2/3, "double" = 2), used where ``target`` is null. Each method turns it into
a value per series × area, ``relative × base_value``, with its own baseline
(:func:`area_target`), so ``target`` in the results is per series × area.

Output of a method: one row per series × area, columns :data:`RESULT_COLUMNS` (a method may
add its own columns after these), ``status`` in the method's own vocabulary and
``scale`` on the common four-step display scale (:data:`SCALE`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import polars as pl

from sdgbridge.errors import ConfigError

OBS_SCHEMA = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64}
TARGET_SCHEMA = {"series": pl.Utf8, "direction": pl.Utf8, "target": pl.Float64,
                 "source": pl.Utf8}
#: Optional column of ``targets``: the 2030 target as a multiple of the baseline value.
RELATIVE = "relative"
#: Optional columns of ``targets``: what a series can be. ``lower_limit`` and ``upper_limit``
#: are its natural limits (0 and 100 for a share that stays within them; 0 for a count or a
#: rate), ``max_magnitude`` the largest absolute value any country has recorded
#: (:mod:`sdgbridge.assessment.world`). Null = no such limit.
LIMITS = ("lower_limit", "upper_limit", "max_magnitude")
RESULT_COLUMNS = ("series", "area", "method", "params_version", "base_year", "base_value",
                  "latest_year", "latest_value", "n_points", "target", "direction",
                  "projected_2030", "status", "scale")
# The common display scale (domain.md): keep each method's own labels in ``status``.
SCALE = ("on track", "needs acceleration", "stagnating", "regressing", "insufficient data")
DIRECTIONS = ("higher", "lower")


#: ``assess(obs, targets, params)``: ``params`` as :meth:`Method.params` (None: the shipped).
Assess = Callable[[pl.DataFrame, pl.DataFrame, dict[str, Any] | None], pl.DataFrame]
#: A method's own aggregates of its results, given the series -> indicator ``links`` and
#: the parameters the run used.
Summary = Callable[[pl.DataFrame, pl.DataFrame, dict[str, Any]],
                   list[tuple[str, pl.DataFrame]]]


@dataclass(frozen=True)
class Method:
    """One progress-assessment method: its module declares it as ``METHOD``, and
    :data:`sdgbridge.assessment.methods.METHODS` lists it.

    ``assess(obs, targets)`` is the pure function over the frames above; its parameters are
    the shipped file ``params/<name>.toml`` (:meth:`params`, with their ``version``).
    ``worldwide``: the method's input is every country's data (SDSN normalises between
    percentiles over all countries); the results are then kept for the areas asked for.
    ``summary(results, links, params)``: the method's own headline aggregates as (title,
    frame) pairs, beside the common roll-up (None: none). ``censored``: the method reads a
    value published only beyond a bound (``<2.5``) as the bound. A method whose parameters
    name a ``profile`` (:mod:`sdgbridge.assessment.profiles`) also reads the profile's series.
    """

    name: str
    label: str
    assess: Assess
    worldwide: bool = False
    summary: Summary | None = None
    censored: bool = False

    @property
    def params_file(self) -> str:
        return f"{self.name}.toml"

    def params(self) -> dict[str, Any]:
        """The shipped parameter file, as data (it carries its ``version``)."""
        return read_params(self.params_file)


def target_directions(obs: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """``series, direction, target, relative`` and the :data:`LIMITS` for each series of
    ``obs``; refuses gaps and doubles. Optional columns the table lacks are null."""
    wanted = with_limits(with_relative(targets)).select(
        "series", "direction", pl.col("target", RELATIVE, *LIMITS).cast(pl.Float64))
    valid = wanted.filter(pl.col("direction").is_in(DIRECTIONS))
    missing = sorted(set(obs["series"].unique()) - set(valid["series"]))
    if missing:
        raise ConfigError(
            f"No direction for series {', '.join(missing)}. Add a row per series to the "
            "targets table with direction 'higher' or 'lower' (target may be empty)."
        )
    if valid["series"].is_duplicated().any():
        raise ConfigError("The targets table has more than one row for a series; keep one.")
    return valid


def with_relative(targets: pl.DataFrame) -> pl.DataFrame:
    """``targets`` with a ``relative`` column (all null when the table has none)."""
    if RELATIVE in targets.columns:
        return targets
    return targets.with_columns(pl.lit(None, pl.Float64).alias(RELATIVE))


def with_limits(targets: pl.DataFrame) -> pl.DataFrame:
    """``targets`` with the :data:`LIMITS` columns (null where the table has none)."""
    return targets.with_columns(pl.lit(None, pl.Float64).alias(c) for c in LIMITS
                                if c not in targets.columns)


def censored(projection: pl.Expr) -> pl.Expr:
    """``projection`` kept within the series' natural limits (``lower_limit``,
    ``upper_limit``; a null limit holds nothing back): a share projected past 100 % is
    100 %, a count projected below zero is 0 (docs/progress.md, "Projections")."""
    low, high = pl.col("lower_limit"), pl.col("upper_limit")
    x = pl.when(low.is_not_null() & (projection < low)).then(low).otherwise(projection)
    return pl.when(high.is_not_null() & (x > high)).then(high).otherwise(x)


def implausible(projection: pl.Expr, multiple: float) -> pl.Expr:
    """Whether ``projection`` lies beyond ``multiple`` times the largest magnitude the
    series has had in any country (``max_magnitude``): such a projection is withheld."""
    mag = pl.col("max_magnitude")
    return (mag.is_not_null() & (projection.abs() > multiple * mag)).fill_null(False)


def bounded_projections(projection: dict[str, Any], columns: Sequence[str]) -> list[pl.Expr]:
    """The displayed projections ``columns``: censored at the natural limits, withheld
    (null) beyond ``projection["max_multiple"]`` × the largest magnitude on record, with
    ``projection_note`` saying which rule changed ``projected_2030`` (null: neither).

    ``projection`` is a method's ``[projection]`` parameters (``censor_at_limits``,
    ``max_multiple``). Apply it last: a method's own measures (ratio, API) use the
    projection before withholding, so a status never rests on a value it does not show.
    """
    raw = pl.col(columns[0])
    censor = projection["censor_at_limits"]
    multiple = projection["max_multiple"]
    out = []
    for name in columns:
        x = censored(pl.col(name)) if censor else pl.col(name)
        out.append(pl.when(implausible(x, multiple)).then(None).otherwise(x).alias(name))
    shown = censored(raw) if censor else raw
    note = (pl.when(raw.is_null()).then(None)
            .when(implausible(shown, multiple))
            .then(pl.format("withheld: beyond {}× the largest value any country has had",
                            pl.lit(multiple).cast(pl.Int64)))
            .when(shown > raw).then(pl.format("raised to the lower limit {}", "lower_limit"))
            .when(shown < raw).then(pl.format("held at the upper limit {}", "upper_limit")))
    return [*out, note.alias("projection_note")]


def at_limit(value: pl.Expr, tol: float) -> pl.Expr:
    """Whether ``value`` sits at the series' natural limit on its good side (100 % of a
    share where higher is better, 0 where lower is better): nothing is left to gain, so a
    series there has met its target rather than stagnated."""
    good = pl.when(pl.col("direction") == "higher").then(pl.col("upper_limit")).otherwise(
        pl.col("lower_limit"))
    gap = pl.when(pl.col("direction") == "higher").then(good - value).otherwise(value - good)
    return (good.is_not_null() & (gap <= tol)).fill_null(False)


def area_target(base_value: pl.Expr | str = "base_value") -> pl.Expr:
    """The 2030 target of a series × area: the table's ``target``, else ``relative`` times
    the method's baseline value (null while either is null). Aliased ``target``."""
    base = pl.col(base_value) if isinstance(base_value, str) else base_value
    return pl.coalesce(pl.col("target"), pl.col(RELATIVE) * base).alias("target")


def code_key(code: str) -> list[int]:
    """Goal, target and indicator codes in their natural order (2 < 16; 6.9 < 6.a)."""
    return [int(p) if p.isdecimal() else 100 + ord(p[0]) for p in code.split(".")]


def read_params(name: str) -> dict[str, Any]:
    """A method's shipped parameter file ``assessment/params/<name>``, as data."""
    text = files("sdgbridge.assessment").joinpath("params", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def middle_point(since: pl.Expr | None = None) -> dict[str, pl.Expr]:
    """Aggregations ``mid_year`` and ``mid_value`` for :func:`projection_range`.

    The middle observation is the ``(n - 1) // 2``-th (counting from 0, by year) of the
    ``n`` observations of a group where ``since`` holds (all of them when ``since`` is None).
    """
    year, value = pl.col("year"), pl.col("value")
    if since is not None:
        year, value = year.filter(since), value.filter(since)
    mid = (year.len() - 1) // 2
    return {"mid_year": year.sort().get(mid, null_on_oob=True),
            "mid_value": value.sort_by(year).get(mid, null_on_oob=True)}


def projection_range(target_year: int, *, compound: bool = True,
                     base_value: pl.Expr | None = None,
                     where: pl.Expr | None = None) -> list[pl.Expr]:
    """``projected_2030_low`` and ``_high``: the two-halves rule, shared by the methods.

    Needs the columns ``base_year``, ``base_value``, ``mid_year``, ``mid_value`` (see
    :func:`middle_point`), ``latest_year`` and ``latest_value``. The growth of each half of
    the series, baseline -> middle and middle -> latest, is carried from the latest value to
    ``target_year``, as the method carries its overall growth:

    * ``compound``: rate ``(x_end / x_start) ** (1 / (t_end - t_start)) - 1``, projection
      ``x_l * (1 + rate) ** (T - t_l)``; a half's rate is null unless ``x_end / x_start > 0``;
    * linear (``compound=False``): pace ``(x_end - x_start) / (t_end - t_start)``,
      projection ``x_l + pace * (T - t_l)``.

    A half's rate is also null unless its years advance, so with fewer than three
    observations (the middle is then the baseline) the interval is null. ``low`` and
    ``high`` are the smaller and the larger of the two projections. The overall log growth
    rate (compound) or pace (linear) from baseline to latest is the time-weighted mean of
    the two halves', and the projection is monotone in it, so the interval contains the
    method's own ``projected_2030`` whenever both exist. ``base_value`` replaces the
    baseline value in the rates (e.g. Open SDG's zero replacement); ``where`` (e.g. "the
    method's growth rate is defined") must hold too, else both columns are null.
    """
    x_b = pl.col("base_value") if base_value is None else base_value
    x_m, x_l = pl.col("mid_value"), pl.col("latest_value")
    t_b, t_m, t_l = pl.col("base_year"), pl.col("mid_year"), pl.col("latest_year")

    def rate(x0: pl.Expr, x1: pl.Expr, t0: pl.Expr, t1: pl.Expr) -> pl.Expr:
        if compound:
            return pl.when((t1 > t0) & (x1 / x0 > 0)).then((x1 / x0) ** (1 / (t1 - t0)) - 1)
        return pl.when(t1 > t0).then((x1 - x0) / (t1 - t0))

    def grow(r: pl.Expr) -> pl.Expr:
        if compound:
            return x_l * (1 + r) ** (target_year - t_l)
        return x_l + r * (target_year - t_l)

    first, second = grow(rate(x_b, x_m, t_b, t_m)), grow(rate(x_m, x_l, t_m, t_l))
    ok = first.is_not_null() & second.is_not_null() & first.is_finite() & second.is_finite()
    if where is not None:
        ok = ok & where.fill_null(False)
    return [pl.when(ok).then(pl.min_horizontal(first, second)).alias("projected_2030_low"),
            pl.when(ok).then(pl.max_horizontal(first, second)).alias("projected_2030_high")]
