"""UN ESCAP progress assessment: Current Status Index (CSI) and Anticipated Progress Index (API).

Sources, and how far each was read (``[V]`` read, ``[R]`` recalled or adapted, not read in
ESCAP's own formula text; URLs in ``params/escap.toml``; shared/docs/methods.md §1):

* ESCAP SDG Gateway, "Progress Assessment Methodology" (2026 edition) and the older dataviz
  "Technical notes". [V]: regional values are simple (unweighted) averages of country
  values (:func:`~sdgbridge.assessment.groups.group_values`); an indicator is used when
  two or more data points exist for *more than* 50 % of the group's countries and a
  quantitative target can be set (:func:`~sdgbridge.assessment.groups.select_indicators`);
  the CSI answers "how much progress since 2015" and is built in two steps, a
  per-indicator metric of the progress made "compared with the entire progress needed"
  from the base year to 2030, then combined into an average for the Goal; the API
  "measures the gap between the predicted indicator value and the target"; both are
  computed per sub-indicator (a series) and aggregated to indicator, target or Goal; the
  report shows the CSI per Goal and the API per target.
* UNECE technical notes (2022, 2023, 2026), which apply ESCAP's API and cite ESCAP's 2025
  report, Annex 1, pp. 55-59. [V]: the 2030 value comes from a *time-weighted linear
  regression* on all data from 2000 to the latest year, giving recent data more weight;
  for targets not achieved the API reports the gap between the target and the 2030
  projection *relative to the progress required between 2015 and 2030*.
* ESCAP Working Paper SD/WP/04 (2017), "Weighted extrapolation method": a time-related
  weighting system for extrapolation [V: abstract only; the formula was not readable].
* spalmas/SDG-MENARO (UNICEF MENARO, R), an adaptation, not ESCAP's code [V code]: weights
  ``w_i = (T - t_min) / (T - t_i)`` (``wreg()``, ``wgm()``); CS = (I_cur - I_0) / |TV - I_0|
  with "target met -> full score". Its ``wreg()`` takes the intercept from an unweighted
  fit; here both slope and intercept are weighted (proper weighted least squares).

Hence, per series × area (``b`` baseline, ``l`` latest observation, ``TV`` target,
``T`` = 2030; every observation before ``start_year`` (2000) or from ``T`` on is ignored):

* baseline: the ``base_year`` (2015) observation, else the nearest year with data (a tie
  goes to the later year), at most ``base_max_distance`` years away [R + sdgbridge];
* ``csi = min((x_l - x_b) / (TV - x_b), csi.cap)`` [R]; ``csi_expected = (t_l - t_b) /
  (T - t_b)``, the share of the period elapsed (ESCAP's "current year" line [R]);
  ``csi >= csi_expected`` -> expected progress made, ``csi <= csi.regression`` (0) ->
  regressed, else progress behind the expected level;
* ``projected_2030`` from the weighted least-squares line over the observations
  (``regression.weights``: "escap" as above [R], or "equal"); ``api = (projected_2030 -
  x_b) / (TV - x_b)`` [R], ``api_gap = max(1 - api, 0)`` [V in words];
  ``api >= api.on_track`` (1) -> maintain, ``api <= api.regression`` (0) -> reverse trend,
  else accelerate [R; the three categories' substance V];
* ``projected_2030_low`` / ``_high`` [sdgbridge's addition, for display; no part in the
  categories]: ``projected_2030 ∓ z·se``, ``z = regression.interval_z`` (1.96), where
  ``se² = s² (1/Σw + (T - t̄)² / Σw(t - t̄)²)`` is the variance of the fitted line's value
  at ``T`` and ``s² = Σw(y - ŷ)² / (n - 2)`` the weighted residual variance (weights as for
  the line; the result does not depend on their scale). This is the interval for the
  fitted line at 2030, not for a single new observation (under the "escap" weights a 2030
  observation would have infinite weight, so the two coincide; under "equal" a prediction
  interval would add ``s²``); ``z`` is the normal quantile, not Student's t, so with few
  points it is narrower than a t-interval. Null with fewer than three observations (no
  residual degrees of freedom) or wherever ``projected_2030`` is; zero width when the
  points lie on a line;
* limits [sdgbridge's, ``[projection]``; docs/progress.md "Projections"]: the projected
  value is held within the series' natural limits (0-100 % for a share no country has
  left, 0 for a count) before the API uses it; a displayed projection beyond
  ``max_multiple`` times the largest magnitude any country has had is withheld, and
  ``projection_note`` says which rule changed it;
* a relative target (``relative`` in the targets table, e.g. 0.5 for "halve") is
  ``TV = relative × x_b``, per series × area [R: ESCAP names relative targets among its
  target-setting rules; the baseline is this method's own];
* no target in the table (neither a number nor a relative one): ESCAP's regional benchmark,
  the mean of the region's best performers near the base year, from the shipped table
  (:mod:`sdgbridge.assessment.benchmarks`, ``[benchmark]`` in the params; [R] the exact
  best-performer rule); ``target_source`` says which rule set each target;
* target met at the baseline: ``TV - x_b`` has the wrong sign, so both indices are set to
  1 while the latest value (API: the projection, else the latest value) still meets the
  target (on track), else left null with the regression category; no target -> "No target
  value" (ESCAP would leave the indicator out); no baseline, or fewer than
  ``regression.min_points`` observations -> insufficient data.

``status``/``scale`` carry the API category (the forward-looking one, like UNSD's);
``csi_status``/``csi_scale`` the CSI category. Roll-ups (:func:`current_status_index`,
:func:`anticipated_progress`) average series -> indicator -> target -> Goal, each level the
unweighted mean of the level below [R: ESCAP's exact aggregation was not read]; series'
API values are capped at ``api.cap`` first. Configurable (``params``): base, target and
start years, the baseline distance, the weight rule, minimum points, the selection share,
every band edge and cap, the labels and the scale mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from sdgbridge.assessment.benchmarks import base_values, load_benchmarks, with_benchmarks
from sdgbridge.assessment.model import (
    RESULT_COLUMNS,
    SCALE,
    Method,
    area_target,
    bounded_projections,
    censored,
    code_key,
    read_params,
    target_directions,
)
from sdgbridge.errors import ConfigError

NAME = "escap"
#: Columns after :data:`~sdgbridge.assessment.model.RESULT_COLUMNS`.
EXTRA_COLUMNS = ("csi", "csi_expected", "csi_status", "csi_scale", "api", "api_gap", "slope",
                 "projected_2030_low", "projected_2030_high", "projection_note",
                 "target_source")
_PROJECTIONS = ("projected_2030", "projected_2030_low", "projected_2030_high")
_KEY = ["series", "area"]
_DEPTH = {"indicator": 3, "target": 2, "goal": 1}
_YEAR = pl.col("year").cast(pl.Float64)

#: Regression weight rules: target year -> weight of each observation (module docstring).
WEIGHTS: dict[str, Callable[[int], pl.Expr]] = {
    "escap": lambda t: (t - _YEAR.min().over(_KEY)) / (t - _YEAR),
    "equal": lambda t: pl.lit(1.0),
}


def load_params(name: str = "escap.toml") -> dict[str, Any]:
    """The method's parameters, from the package's ``assessment/params/`` folder."""
    return read_params(name)


def assess_escap(
    obs: pl.DataFrame, targets: pl.DataFrame, params: dict[str, Any] | None = None,
    benchmarks: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Assess every series × area of ``obs`` by ESCAP's CSI and API (module docstring).

    ``obs`` and ``targets`` follow :mod:`sdgbridge.assessment.model`; every series needs a
    ``targets`` row with its direction. Where ``params`` ``[benchmark] use`` is true, a
    series the table leaves without a target gets ESCAP's regional benchmark
    (:mod:`sdgbridge.assessment.benchmarks`): from ``benchmarks``, by default the shipped
    table. Returns ``RESULT_COLUMNS`` then :data:`EXTRA_COLUMNS`, one row per series ×
    area, sorted by series and area; ``target_source`` says where each target came from.
    """
    p = load_params() if params is None else params
    if p.get("benchmark", {}).get("use", False):
        benchmarks = load_benchmarks() if benchmarks is None else benchmarks
    else:
        benchmarks = None
    targets = with_benchmarks(targets, benchmarks)
    window = _window(obs, p)
    frame = (obs.select(_KEY).unique().join(_endpoints(window, p), on=_KEY, how="left")
             .join(_regression(window, p), on=_KEY, how="left")
             .join(target_directions(obs, targets), on="series", how="left")
             .join(targets.select("series", "target_source"), on="series", how="left"))
    # The API uses the projection held within the natural limits; the shown one is then
    # bounded from the raw value, so that projection_note can say what changed.
    raw = pl.col("projected_2030")
    held = censored(raw) if p["projection"]["censor_at_limits"] else raw
    frame = frame.with_columns(held.alias("projected_2030"), raw.alias("_raw"))
    frame = frame.with_columns(area_target()).with_columns(
        pl.when(pl.col("target").is_not_null()).then("target_source").alias("target_source")
    ).with_columns(_indices(p)).with_columns(
        *_statuses(p), api_gap=(1 - pl.col("api")).clip(lower_bound=0.0))
    frame = frame.with_columns(pl.col("_raw").alias("projected_2030")).with_columns(
        bounded_projections(p["projection"], _PROJECTIONS))
    return frame.with_columns(
        method=pl.lit(NAME), params_version=pl.lit(p["version"]),
        scale=_scale(p, "api", "status"), csi_scale=_scale(p, "csi", "csi_status"),
    ).select(*RESULT_COLUMNS, *EXTRA_COLUMNS).sort(_KEY)


def _window(obs: pl.DataFrame, p: dict[str, Any]) -> pl.DataFrame:
    """The observations the method uses: ``start_year <= year < target_year``."""
    if obs.select(pl.struct(*_KEY, "year").is_duplicated().any()).item():
        raise ValueError("obs has more than one value for a series × area × year; "
                         "choose one disaggregation before assessing.")
    year = pl.col("year")
    return obs.filter((year >= p["start_year"]) & (year < p["target_year"]))


def _endpoints(window: pl.DataFrame, p: dict[str, Any]) -> pl.DataFrame:
    """Baseline (nearest the base year, ties to the later year) and latest observation."""
    year = pl.col("year")
    near = base_values(window, p)
    last = window.group_by(_KEY).agg(
        latest_year=year.max(), latest_value=pl.col("value").sort_by("year").last(),
        n_points=pl.len().cast(pl.Int64))
    return last.join(near, on=_KEY, how="left")


def _regression(window: pl.DataFrame, p: dict[str, Any]) -> pl.DataFrame:
    """Weighted least-squares line per series × area: ``slope``, ``projected_2030``, range.

    ``slope = Σw(t - t̄)(y - ȳ) / Σw(t - t̄)²`` with weighted means ``t̄``, ``ȳ``;
    ``projected_2030 = ȳ + slope (T - t̄)``. Null below ``regression.min_points``.
    ``projected_2030_low`` / ``_high`` = ``projected_2030 ∓ z·se`` (module docstring).
    """
    target, rule = p["target_year"], p["regression"]["weights"]
    if rule not in WEIGHTS:
        raise ConfigError(f"params [regression] weights = {rule!r}; use one of "
                          f"{', '.join(sorted(WEIGHTS))}.")
    w = pl.col("w")

    def mean(e: pl.Expr) -> pl.Expr:
        return (w * e).sum().over(_KEY) / w.sum().over(_KEY)

    frame = window.with_columns(w=WEIGHTS[rule](target)).with_columns(
        tbar=mean(_YEAR), ybar=mean(pl.col("value")))
    tc, yc = _YEAR - pl.col("tbar"), pl.col("value") - pl.col("ybar")
    sxx, sxy = (w * tc**2).sum(), (w * tc * yc).sum()
    residual = yc - (sxy / sxx).over(_KEY) * tc
    fit = frame.group_by(_KEY).agg(
        sxx=sxx, sxy=sxy, sse=(w * residual**2).sum(), sw=w.sum(),
        tbar=pl.col("tbar").first(), ybar=pl.col("ybar").first(), n=pl.len())
    n, sxx_, tbar = pl.col("n"), pl.col("sxx"), pl.col("tbar")
    ok = (n >= p["regression"]["min_points"]) & (sxx_ > 0)
    slope = pl.when(ok).then(pl.col("sxy") / sxx_)
    projected = pl.col("ybar") + pl.col("slope") * (target - tbar)
    variance = pl.col("sse") / (n - 2) * (1 / pl.col("sw") + (target - tbar) ** 2 / sxx_)
    half = pl.when(ok & (n >= 3)).then(p["regression"]["interval_z"] * variance.sqrt())
    return fit.with_columns(slope=slope).with_columns(projected_2030=projected, half=half).select(
        *_KEY, "slope", "projected_2030",
        projected_2030_low=pl.col("projected_2030") - pl.col("half"),
        projected_2030_high=pl.col("projected_2030") + pl.col("half"))


def _meets(value: pl.Expr, slack: pl.Expr | float = 0.0) -> pl.Expr:
    """Whether ``value`` meets the target (within ``slack``), in the series' direction."""
    target = pl.col("target")
    return pl.when(pl.col("direction") == "higher").then(value >= target - slack).otherwise(
        value <= target + slack)


def _ahead(p: dict[str, Any]) -> pl.Expr:
    """Whether the 2030 projection (else the latest value) meets the target.

    The projection is computed, so float noise must not decide "met": it counts as met
    within ``edge_tolerance`` times the size of the values (sdgbridge's addition).
    """
    value = pl.coalesce("projected_2030", "latest_value")
    size = pl.max_horizontal(value.abs(), pl.col("target").abs(), pl.col("base_value").abs())
    return _meets(value, p["edge_tolerance"] * size)


def _indices(p: dict[str, Any]) -> list[pl.Expr]:
    """``csi``, ``csi_expected`` and ``api`` (module docstring)."""
    base, need = pl.col("base_value"), pl.col("target") - pl.col("base_value")
    span = pl.col("latest_year") - pl.col("base_year")
    met_base, ahead = _meets(base), _ahead(p)
    csi = pl.when(span > 0).then(((pl.col("latest_value") - base) / need)
                                 .clip(upper_bound=p["csi"]["cap"]))
    api = (pl.col("projected_2030") - base) / need
    return [
        pl.when(met_base).then(pl.when(_meets(pl.col("latest_value"))).then(1.0))
        .otherwise(csi).alias("csi"),
        pl.when(span > 0).then(span / (p["target_year"] - pl.col("base_year")))
        .alias("csi_expected"),
        pl.when(met_base).then(pl.when(ahead).then(1.0)).otherwise(api).alias("api"),
    ]


def _statuses(p: dict[str, Any]) -> list[pl.Expr]:
    """``status`` (API category) and ``csi_status``: special cases first, then the bands."""
    tol = p["edge_tolerance"]

    def category(index: str, value: pl.Expr, on_track: pl.Expr, still: pl.Expr) -> pl.Expr:
        label = {key: pl.lit(text) for key, text in p["labels"][index].items()}
        return (pl.when(pl.col("target").is_null()).then(label["no_target"])
                .when(pl.col("base_value").is_null()).then(label["insufficient"])
                .when(_meets(pl.col("base_value")))
                .then(pl.when(still).then(label["on_track"]).otherwise(label["regression"]))
                .when(value.is_null()).then(label["insufficient"])
                .otherwise(_banded(value, on_track, p[index]["regression"], label, tol)))

    return [
        category("api", pl.col("api"), pl.lit(p["api"]["on_track"]), _ahead(p)).alias("status"),
        category("csi", pl.col("csi"), pl.col("csi_expected"),
                 _meets(pl.col("latest_value"))).alias("csi_status"),
    ]


def _banded(value: pl.Expr, on_track: pl.Expr, regression: float,
            label: dict[str, pl.Expr], tol: float) -> pl.Expr:
    """On track from ``on_track`` up (inclusive), regression at ``regression`` and below.

    A value within ``tol`` of an edge counts as on it (float noise, see the params).
    """
    return (pl.when(value >= on_track - tol).then(label["on_track"])
            .when(value > regression + tol).then(label["progress"])
            .otherwise(label["regression"]))


def _scale(p: dict[str, Any], index: str, column: str) -> pl.Expr:
    """The common display scale (``model.SCALE``) for each label of ``index``."""
    mapping = {p["labels"][index][key]: step for key, step in p["scale"].items()}
    unknown = set(mapping.values()) - set(SCALE)
    if unknown:
        raise ConfigError(f"params [scale] uses {sorted(unknown)}; use one of {list(SCALE)}.")
    return pl.col(column).replace_strict(mapping, return_dtype=pl.Utf8)


def current_status_index(results: pl.DataFrame, links: pl.DataFrame, level: str = "goal",
                         params: dict[str, Any] | None = None) -> pl.DataFrame:
    """CSI per ``level`` × area (ESCAP's step 2; by default per Goal, as in the report).

    Means (series -> indicator -> target -> Goal) of ``csi``, of ``progress_made``
    (``csi`` floored at 0), of ``regression`` (``csi`` capped at 0) and of
    ``csi_expected``; ``status`` bands the mean ``csi`` against the mean expected share.
    ``links``: ``series``, ``indicator`` pairs. ``coverage``: series with a CSI.
    """
    p = load_params() if params is None else params
    df = results.filter(pl.col("csi").is_not_null()).with_columns(
        progress_made=pl.col("csi").clip(lower_bound=0.0),
        regression=pl.col("csi").clip(upper_bound=0.0))
    out = _roll_up(df, links, level, ["csi", "csi_expected", "progress_made", "regression"])
    label = {key: pl.lit(text) for key, text in p["labels"]["csi"].items()}
    status = _banded(pl.col("csi"), pl.col("csi_expected"), p["csi"]["regression"], label,
                     p["edge_tolerance"])
    return out.with_columns(status=status).with_columns(scale=_scale(p, "csi", "status"))


def anticipated_progress(results: pl.DataFrame, links: pl.DataFrame, level: str = "target",
                         params: dict[str, Any] | None = None) -> pl.DataFrame:
    """API per ``level`` × area (by default per target, ESCAP's dashboard).

    Means (series -> indicator -> target -> Goal) of ``api`` capped at ``api.cap``;
    ``api_gap = max(1 - api, 0)``; ``status`` bands the mean like a series' API.
    """
    p = load_params() if params is None else params
    df = results.filter(pl.col("api").is_not_null()).with_columns(
        pl.col("api").clip(upper_bound=p["api"]["cap"]))
    out = _roll_up(df, links, level, ["api"])
    label = {key: pl.lit(text) for key, text in p["labels"]["api"].items()}
    status = _banded(pl.col("api"), pl.lit(p["api"]["on_track"]), p["api"]["regression"],
                     label, p["edge_tolerance"])
    return out.with_columns(api_gap=(1 - pl.col("api")).clip(lower_bound=0.0),
                            status=status).with_columns(scale=_scale(p, "api", "status"))


def _roll_up(df: pl.DataFrame, links: pl.DataFrame, level: str,
             columns: list[str]) -> pl.DataFrame:
    """Unweighted means of ``columns``, level by level up to ``level``, with coverage."""
    if level not in _DEPTH:
        raise ConfigError(f"Unknown level {level!r}; choose one of {', '.join(_DEPTH)}.")
    df = df.join(links.select("series", "indicator").unique(), on="series", how="inner")
    coverage = df.with_columns(_prefix("indicator", _DEPTH[level]).alias(level)).group_by(
        level, "area").agg(coverage=pl.col("series").n_unique())
    frame, below = df, "indicator"
    for name, depth in _DEPTH.items():
        frame = frame.with_columns(_prefix(below, depth).alias(name)).group_by(
            name, "area").agg(pl.col(columns).mean())
        below = name
        if name == level:
            break
    out = frame.join(coverage, on=[level, "area"]).select(level, "area", "coverage", *columns)
    order = pl.col(level).map_elements(code_key, return_dtype=pl.List(pl.Int64))
    return out.with_columns(order.alias("_o")).sort("_o", "area").drop("_o")


def _prefix(column: str, depth: int) -> pl.Expr:
    """The first ``depth`` parts of a dotted code (6.1.1 -> 6.1 -> 6)."""
    return pl.col(column).str.split(".").list.slice(0, depth).list.join(".")


def summary(results: pl.DataFrame, links: pl.DataFrame,
            params: dict[str, Any] | None = None) -> list[tuple[str, pl.DataFrame]]:
    """ESCAP's Current Status Index per goal and Anticipated Progress per target (the
    run's ``params`` are not needed: the indices follow from the results)."""
    return [("ESCAP Current Status Index per goal", current_status_index(results, links)),
            ("ESCAP Anticipated Progress per target", anticipated_progress(results, links))]


METHOD = Method(NAME, "ESCAP progress", assess_escap, summary=summary)
