"""UNSD "SDG Report" progress assessment (trend to target), for all series × areas at once.

Source of every formula: UN Statistics Division, *The Sustainable Development Goals Report
2026: Technical Note for Progress Assessment* (URL and numbers in ``params/unsd.toml``), as
summarised in shared/docs/methods.md §3. The independent peer implementation is
``undata.analysis.progress`` (undata 0.4.3); tests/assessment/test_unsd.py checks that the
two agree on real data.

Per series × area, with ``b`` the baseline observation (the base year, 2015, or the first
later year with data), ``l`` the latest observation and ``T`` the target year (2030):

* ``cagr = (x_l / x_b) ** (1 / (t_l - t_b)) - 1``; undefined when a value is <= 0;
* ``projected_2030 = x_l * (1 + cagr) ** (T - t_l)`` (wherever cagr is defined, also
  without a target, for display; undata projects only with a target);
* with a target: ``ratio = (projected_2030 - x_b) / (target - x_b)``, banded at
  0.95 / 0.50 / 0.10 / 0 (on track / moderate / marginal / stagnation, below: regression);
* without one: ``cagr`` (times -1 when lower is better) banded at 2 % / 1.25 % / 0.5 % / 0.

A relative target (``relative`` in the targets table: "halve" = 0.5) is ``relative × x_b``,
the baseline above, per series × area (:func:`~sdgbridge.assessment.model.area_target`).

Special cases, first match wins (:func:`_status`):

1. no observation from the base year on, or the latest year less than
   ``min_years_since_baseline`` after the baseline year -> insufficient data;
2. target met at the baseline -> on track while the latest value still meets it, else
   regression (the note's rule for a baseline equal to the target; undata reads it so too);
3. target met at the latest year -> on track ("or target met" in the label). With a
   defined cagr the ratio is >= 1 here anyway; this rule only matters when a value is <= 0,
   where undata says insufficient data instead (see the tests);
4. cagr undefined (a value <= 0) -> insufficient data, as undata does ("growth rate
   undefined"): the method has no trend to project or to band;
5. the bands above.

Rule 3 also covers a series without a target whose latest value sits at its natural limit
on the good side (100 % of a share where higher is better, 0 where lower is better): it has
nothing left to gain, so it is "on track or target met", not "stagnation"
(:func:`~sdgbridge.assessment.model.at_limit`; sdgbridge's reading of "target met").

Limits (sdgbridge's, ``[projection]`` in the parameters; docs/progress.md "Projections"):
the projection is held within the series' natural limits (a share no country has reported
outside 0-100 % stays there; a count stays at or above 0) before the ratio uses it, so a
status never rests on an impossible value; the bands give the same status either way when
the target lies within the limits. A displayed projection beyond ``max_multiple`` (10)
times the largest magnitude any country has had is withheld (null), and
``projection_note`` says which rule changed ``projected_2030``.

Uncertainty interval (sdgbridge's addition, not in the note): ``projected_2030_low`` and
``_high`` are the 2030 projections from the latest value at the growth rates of the two
halves of the series, baseline -> middle observation and middle -> latest (middle = the
``(n - 1) // 2``-th observation from the base year on, counting from 0). The overall log
growth rate is the time-weighted mean of the two halves', so the interval contains
``projected_2030``. Null with fewer than three observations or a value <= 0. The rule is
shared with Open SDG and SDSN: :func:`sdgbridge.assessment.model.projection_range`. A crude
range for display: on short, noisy series it is very wide; it plays no part in the status.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from sdgbridge.assessment.model import (
    RESULT_COLUMNS,
    SCALE,
    Method,
    area_target,
    at_limit,
    bounded_projections,
    censored,
    middle_point,
    projection_range,
    read_params,
    target_directions,
)
from sdgbridge.errors import ConfigError

NAME = "unsd"
#: Columns after :data:`~sdgbridge.assessment.model.RESULT_COLUMNS`.
EXTRA_COLUMNS = ("cagr", "ratio", "projected_2030_low", "projected_2030_high",
                 "projection_note")
_PROJECTIONS = ("projected_2030", "projected_2030_low", "projected_2030_high")
#: Band keys of ``params`` from the best down; below the last one: ``regression``.
BANDS = ("on_track", "moderate", "marginal", "stagnation")
_KEY = ["series", "area"]


def load_params(name: str = "unsd.toml") -> dict[str, Any]:
    """The method's parameters, from the package's ``assessment/params/`` folder."""
    return read_params(name)


def assess_unsd(
    obs: pl.DataFrame, targets: pl.DataFrame, params: dict[str, Any] | None = None
) -> pl.DataFrame:
    """Assess every series × area of ``obs`` by the UNSD trend-to-target method.

    ``obs`` and ``targets`` follow :mod:`sdgbridge.assessment.model`; every series of
    ``obs`` needs a ``targets`` row with its direction (``target`` may be null). Returns
    one row per series × area: ``RESULT_COLUMNS`` then :data:`EXTRA_COLUMNS`, ``status``
    in UNSD's own labels (``params["labels"]``), sorted by series and area.
    """
    p = load_params() if params is None else params
    frame = _endpoints(obs, p["base_year"]).join(target_directions(obs, targets), on="series",
                                                 how="left")
    frame = frame.with_columns(area_target(), cagr=_rate("base", "latest"))
    frame = frame.with_columns(_projections(p)).with_columns(
        ratio=_ratio(p["projection"]["censor_at_limits"]))
    frame = frame.with_columns(status=_status(p)).with_columns(
        bounded_projections(p["projection"], _PROJECTIONS))
    return frame.with_columns(
        method=pl.lit(NAME), params_version=pl.lit(p["version"]), scale=_scale(p)
    ).select(*RESULT_COLUMNS, *EXTRA_COLUMNS).sort(_KEY)


def _endpoints(obs: pl.DataFrame, base_year: int) -> pl.DataFrame:
    """Baseline, middle and latest observation per series × area (methods.md §3).

    Baseline = the first year from ``base_year`` on; ``n_points`` counts the observations
    from ``base_year`` on (those the assessment rests on). Series × areas with data only
    before ``base_year`` get a row with nulls and ``n_points`` 0.
    """
    if obs.select(pl.struct(*_KEY, "year").is_duplicated().any()).item():
        raise ValueError("obs has more than one value for a series × area × year; "
                         "choose one disaggregation before assessing.")
    year, value = pl.col("year").sort(), pl.col("value").sort_by("year")
    found = obs.filter(pl.col("year") >= base_year).group_by(_KEY).agg(
        base_year=year.first(), base_value=value.first(), **middle_point(),
        latest_year=year.last(), latest_value=value.last(),
        n_points=pl.len().cast(pl.Int64),
    )
    keys = obs.select(_KEY).unique()
    return keys.join(found, on=_KEY, how="left").with_columns(pl.col("n_points").fill_null(0))


def _rate(start: str, end: str) -> pl.Expr:
    """Compound annual growth rate from ``start`` to ``end`` (methods.md §3 "CAGR").

    ``(x_end / x_start) ** (1 / (t_end - t_start)) - 1``; null where a value is <= 0 or
    the years do not advance (the rate is undefined there, as in undata's ``cagr``).
    """
    x0, x1 = pl.col(f"{start}_value"), pl.col(f"{end}_value")
    t0, t1 = pl.col(f"{start}_year"), pl.col(f"{end}_year")
    defined = (x0 > 0) & (x1 > 0) & (t1 > t0)
    return pl.when(defined).then((x1 / x0) ** (1 / (t1 - t0)) - 1)


def _projections(p: dict[str, Any]) -> list[pl.Expr]:
    """``projected_2030 = x_l * (1 + cagr) ** (T - t_l)`` (methods.md §3), and the interval.

    The interval is :func:`~sdgbridge.assessment.model.projection_range` (module
    docstring), where ``cagr`` is defined, so ``low <= projected <= high``. The limits
    apply later: in the ratio (:func:`_ratio`) and to the displayed values.
    """
    target_year = p["target_year"]
    years_left = target_year - pl.col("latest_year")
    projected = pl.col("latest_value") * (1 + pl.col("cagr")) ** years_left
    return [projected.alias("projected_2030"),
            *projection_range(target_year, where=pl.col("cagr").is_not_null())]


def _ratio(censor: bool) -> pl.Expr:
    """``(projected_2030 - base) / (target - base)`` (methods.md §3); null without a target.

    With ``censor`` the projection is first held within the series' natural limits
    (module docstring, "Limits"). Also null when the target is met at the baseline: the
    status is then set by rule 2, and with ``target - base`` of the wrong sign the ratio
    would read backwards (undata does not compute it there either).
    """
    gap = pl.col("target") - pl.col("base_value")
    projected = censored(pl.col("projected_2030")) if censor else pl.col("projected_2030")
    return pl.when(~_meets("base_value")).then((projected - pl.col("base_value")) / gap)


def _meets(column: str) -> pl.Expr:
    """Whether ``column`` meets the target, in the series' direction."""
    value, target = pl.col(column), pl.col("target")
    return pl.when(pl.col("direction") == "higher").then(value >= target).otherwise(
        value <= target)


def _status(p: dict[str, Any]) -> pl.Expr:
    """UNSD status label: the special cases in the module docstring's order, then the bands."""
    label = {key: pl.lit(text) for key, text in p["labels"].items()}
    span = pl.col("latest_year") - pl.col("base_year")
    short = pl.col("base_year").is_null() | (span < p["min_years_since_baseline"])
    has_target = pl.col("target").is_not_null()
    sign = pl.when(pl.col("direction") == "lower").then(-1.0).otherwise(1.0)
    still = pl.when(_meets("latest_value")).then(label["on_track"]).otherwise(
        label["regression"])
    tol = p["edge_tolerance"]
    return (
        pl.when(short).then(label["insufficient"])
        .when(has_target & _meets("base_value")).then(still)
        .when(has_target & _meets("latest_value")).then(label["on_track"])
        .when(~has_target & at_limit(pl.col("latest_value"), tol)).then(label["on_track"])
        .when(pl.col("cagr").is_null()).then(label["insufficient"])
        .when(has_target).then(_banded(pl.col("ratio"), p["ratio_bands"], label, tol))
        .otherwise(_banded(pl.col("cagr") * sign, p["cagr_bands"], label, tol))
    )


def _banded(measure: pl.Expr, edges: dict[str, float], label: dict[str, pl.Expr],
            tol: float) -> pl.Expr:
    """The band of ``measure``: each band's lower edge is inclusive (methods.md §3).

    A measure within ``tol`` below an edge counts as on it (float noise, see the params).
    """
    expr = label["regression"]
    for key in reversed(BANDS):  # built inside out, so the best band is tested first
        expr = pl.when(measure >= edges[key] - tol).then(label[key]).otherwise(expr)
    return expr


def _scale(p: dict[str, Any]) -> pl.Expr:
    """The common display scale (``model.SCALE``) for each UNSD label."""
    mapping = {p["labels"][key]: step for key, step in p["scale"].items()}
    unknown = set(mapping.values()) - set(SCALE)
    if unknown:
        raise ConfigError(f"params [scale] uses {sorted(unknown)}; use one of {list(SCALE)}.")
    return pl.col("status").replace_strict(mapping, return_dtype=pl.Utf8)


METHOD = Method(NAME, "UNSD trend to target", assess_unsd)
