"""SDSN Sustainable Development Report (SDR): SDG Index, Dashboards and Trend Dashboards.

What was read (URLs in ``params/sdsn.toml``). Of the SDR methods pages (2023 and 2024 at
dashboards.sdgindex.org/chapters/methodology, 2021 archive) only section A.1 was readable; of
Lafortune et al. (2018) "SDG Index and Dashboards: Detailed Methodological paper" and of
Schmidt-Traub et al. (2017) "National baselines for the SDGs assessed in the SDG Index and
Dashboards" (Nature Geoscience, nature.com/articles/ngeo2985), only the table of contents
and introduction. Two data sets filled the gap: SDSN's SDR 2025 codebook and indicator scores
(third-party copy, ``codebook_copy_url``) and the SDR 2023 scores in shared/data/sdr. Marks:
[V] verified here in text or by reproducing published numbers; [R] recalled (methods.md
§2.2), not re-read; [S] sdgbridge's own choice. Measured against SDR 2023 by
``scripts/sdr_compare.py`` (docs/progress.md, "SDSN index against SDR 2023").

* [V] Scores 0-100 are "a percentage towards optimal performance" (SDR 2023 A.1).
* [V] Each SDR indicator has an optimum (= 100), a lower bound (= 0), a green and a red
  threshold, a justification of the optimum ("SDG Target", "Leave no one behind",
  "Technical Optimum", "Average of best performers") and trend years, mostly "2015 - 20xx"
  (codebook). Score ``100 * (x - lower) / (optimum - lower)`` censored to [0, 100]
  (:func:`normalise`).
* [S] The profile (``profile`` in the params; default ``sdr-2025``,
  :mod:`sdgbridge.assessment.profiles`, :mod:`.sdsn_profile`): the UNSD series that measure
  what an SDR 2025 indicator measures, with the codebook's optimum, lower bound, green and
  red [V codebook], the goal each counts for and why it is in or out. Those series are
  scored on these fixed bounds, so a country's score does not depend on the other
  countries in the store (a region extract scores as the whole database: the tests). A
  value older than the profile's ``min_year`` (2015: the codebook's "Years used" start in
  2015 for 76 of 86 global indicators) is no score. Values published as ``<2.5`` or
  ``>95`` are read as the bound (``Method.censored``).
* [R] Fallback, for series outside the profile: lower = the 2.5th percentile of the
  country distribution (from the bad end [S]); upper = the target of the targets table when
  given, else SDSN's last step, the mean of the 5 best (``upper_rule = "top_mean"``, the
  default since sdsn-2025.1; ``"percentile"``: the 97.5th) [S]. These bounds depend on
  the countries in the input, so the method still reads every country (``worldwide``).
* [V] Goal score = mean of the goal's indicator scores; Index = mean of the goal scores:
  Denmark's 101 SDR 2025 indicator scores give its published Index 85.25660831847891 to all
  digits (a flat mean of the indicators gives 84.687). With a profile only its counted
  series enter, each for its profile goal; without one, every linked series, a series
  linked to two goals counting in both [S].
* [V] Goal 14 is left out for landlocked countries (no goal-14 score in SDR 2023 for
  exactly the 40 ranked countries of ``reference/data/landlocked.csv``).
* [V] A goal with no score (SDG 14 when landlocked, SDG 1 or 10 without data) enters the
  SDR 2023 Index as the mean of that goal over the ranked countries of the same SDR region:
  this reproduces all 166 ``overall_score`` values in shared/data/sdr to 1e-6 (the tests);
  :func:`index` does it when given ``regions``. [S] A profile with ``[impute]`` (sdr-2025
  has it) does it in its summary with SDR's regions (SDR 2023's ``region`` column, the
  grouping the [V] check used) and region × goal means shipped as data
  (:mod:`.sdsn_regions`), computed once from the whole UN Global SDG Database
  (``sdgbridge sdsn-regional-means``), so a region-only store gives the same Index.
  Goals 10, 12, 13 and 17 have no counted UNSD series in the profile: no country has a
  score, so there is no mean to fill them with, and the Index is the mean of the others.
* [V] No Index for a country "missing data on more than 20% of the indicators" (A.1). The
  rule is on the Index, not on goal scores: :func:`goal_scores` keeps every goal × area and
  flags the area (``in_index``); :func:`index` leaves it out. [S] "The indicators" = the
  profile's ``basket``: its counted series whose UNSD data from 2015 on cover at least 80 %
  of SDR's 166 countries ([R] SDR's own coverage criterion for an indicator; 30 of the 40
  counted series), less goal 14 for a landlocked country. Without a profile: every linked
  series of the results.
* [V] Dashboards are green / yellow / orange / red (A.1). [R] Yellow and orange split at the
  midpoint of the red and green thresholds; a goal's colour is the mean of its two worst
  indicators on a 0-4 scale (lower bound 0, red 1, midpoint 2, green 3, upper 4), green
  only if both are green (:func:`goal_dashboard`). Thresholds: the profile's (SDSN's,
  codebook); [S] elsewhere ``[thresholds]`` of the params if any, else green = the target,
  else ``green_position`` of the span; red sits ``red_position`` of the way from lower to
  green (medians of 45 codebook indicators).
  Edges are inclusive: a value at the green threshold is green, at the red one orange.
* [V] Trend Dashboards say whether a country is on track "based on past performance"
  (A.1); arrows ↑ ➚ → ↓ • (sdsna/sdgindex-data ``config.js``). [R] Linear annual pace
  since 2015 over the pace needed to reach the green threshold by 2030: ↑ >= 1 (or the
  threshold reached and kept), ➚ >= 0.5, → >= 0, ↓ below; the same as projecting the latest
  value to 2030. [S] Paces on raw values (the rescaling is linear: same ratio as on
  uncensored scores); base = first year from 2015; two points needed.
* [S] Relative targets (``relative`` in the targets table, e.g. 0.5 for "halve"): SDSN
  scores every country against the same bounds and thresholds [V A.1], which a target
  relative to each country's baseline cannot be; so the bounds and colours stay as above
  (no target for the series), and only the trend arrow measures the pace towards the area's
  own target ``relative × base_value`` instead of the green threshold (``goal``); that value
  is the result's ``target``.
* [S] ``projected_2030_low`` / ``_high`` (display only, as in UNSD): UNSD's two-halves rule
  (:func:`sdgbridge.assessment.model.projection_range`) on SDSN's *linear* paces: the latest
  value carried to 2030 at the pace of each half, base -> middle observation (the
  ``(n - 1) // 2``-th from 2015 on, counting from 0) and middle -> latest, i.e.
  ``x_l + pace_half * (2030 - t_l)``; the smaller and the larger of the two. The overall pace
  is the time-weighted mean of the halves', so the range contains ``projected_2030``. The
  displayed projections are held within the series' natural limits and withheld beyond
  ``[projection] max_multiple`` times the largest magnitude any country has had
  (``projection_note``; docs/progress.md "Projections"); the arrow rests on the paces. Null
  with fewer than three observations from 2015 on.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from sdgbridge.assessment.methods.sdsn_profile import (
    BOUND_COLUMNS,
    PROFILE_COLUMNS,
    profile,
    profile_bounds,
    with_profile_targets,
)
from sdgbridge.assessment.methods.sdsn_regions import shipped_means
from sdgbridge.assessment.methods.sdsn_trends import goal_trends
from sdgbridge.assessment.model import (
    LIMITS,
    RELATIVE,
    RESULT_COLUMNS,
    SCALE,
    Method,
    area_target,
    bounded_projections,
    middle_point,
    projection_range,
    read_params,
    target_directions,
)
from sdgbridge.assessment.profiles import Profile
from sdgbridge.errors import ConfigError
from sdgbridge.reference.landlocked import landlocked_areas

NAME = "sdsn"
#: Columns after :data:`~sdgbridge.assessment.model.RESULT_COLUMNS`.
EXTRA_COLUMNS = ("score", "lower", "upper", "green", "red", "band", "rating", "trend",
                 "pace", "pace_needed", "pace_ratio", "projected_2030_low",
                 "projected_2030_high", "profile_goal", "counts", "projection_note")
_PROJECTIONS = ("projected_2030", "projected_2030_low", "projected_2030_high")
GOAL_14 = 14  # left out for landlocked countries
ARROWS = ("on_track", "moderate", "stagnating")  # from the best; below: decreasing
COLOURS = ("green", "yellow", "orange")  # from the best; below: red
_KEY = ["series", "area"]
__all__ = ["BOUND_COLUMNS", "PROFILE_COLUMNS", "profile", "profile_bounds", "with_profile_targets"]


def load_params(name: str = "sdsn.toml") -> dict[str, Any]:
    """The method's parameters, from the package's ``assessment/params/`` folder."""
    params = read_params(name)
    if set(params["scale"]) != set(params["trend"]["labels"]) or not set(
            params["scale"].values()) <= set(SCALE):
        raise ConfigError(f"{name}: [scale] must map each key of [trend.labels] to one of "
                          f"{', '.join(SCALE)}.")
    return params


def latest(obs: pl.DataFrame) -> pl.DataFrame:
    """The latest observation per series × area: ``series, area, year, value``."""
    return obs.group_by(_KEY).agg(pl.col("year", "value").sort_by("year").last())


def bounds_from_data(obs: pl.DataFrame, targets: pl.DataFrame,
                     params: dict[str, Any] | None = None) -> pl.DataFrame:
    """Bounds and colour thresholds per series (:data:`BOUND_COLUMNS`), in raw units.

    ``lower`` (score 0) = the ``lower_percentile`` of the latest values of *all* areas in
    ``obs``, from the bad end; ``upper`` (score 100) = the target, else the percentile from
    the good end (or SDSN's top-n mean). ``green`` and ``red``: ``[thresholds]`` of the
    params, else the target / positions of ``[colour]`` (module docstring). The percentiles
    only mean what SDSN's do when ``obs`` covers (nearly) all countries.
    """
    p = load_params() if params is None else params
    b = p["bounds"]
    if b["upper_rule"] not in ("percentile", "top_mean"):
        raise ConfigError(f"[bounds] upper_rule {b['upper_rule']!r}: use 'percentile' or "
                          "'top_mean'.")
    lo, hi = b["lower_percentile"] / 100, b["upper_percentile"] / 100
    values = latest(obs).join(target_directions(obs, targets), on="series")
    good = pl.when(pl.col("direction") == "higher").then(pl.col("value")).otherwise(
        -pl.col("value"))  # larger = better, whatever the direction
    sign = pl.when(pl.col("direction") == "higher").then(1.0).otherwise(-1.0)
    stats = values.with_columns(good=good, sign=sign).group_by("series").agg(
        pl.col("direction", "target", "sign").first(),
        worst=pl.col("good").quantile(lo, "linear"),
        best_pct=pl.col("good").quantile(hi, "linear"),
        best_top=pl.col("good").sort(descending=True).head(b["top_n"]).mean())
    best = pl.col("best_top" if b["upper_rule"] == "top_mean" else "best_pct")
    frame = stats.with_columns(lower=pl.col("worst") * pl.col("sign"),
                               upper=pl.coalesce("target", best * pl.col("sign")))
    return _thresholds(frame, p).select(BOUND_COLUMNS).sort("series")


def _thresholds(frame: pl.DataFrame, p: dict[str, Any]) -> pl.DataFrame:
    """``green`` and ``red``: SDSN's per-series values where known, else the [colour] rule."""
    c = p["colour"]
    given = pl.DataFrame(
        [{"series": s, "green_given": float(t["green"]), "red_given": float(t["red"])}
         for s, t in p.get("thresholds", {}).items()],
        schema={"series": pl.Utf8, "green_given": pl.Float64, "red_given": pl.Float64})
    lower, upper = pl.col("lower"), pl.col("upper")
    green_rule = pl.coalesce("target", lower + c["green_position"] * (upper - lower))
    frame = frame.join(given, on="series", how="left").with_columns(
        green=pl.coalesce("green_given", green_rule))
    return frame.with_columns(red=pl.coalesce(
        "red_given", lower + c["red_position"] * (pl.col("green") - lower)))


def normalise(obs_latest: pl.DataFrame, bounds: pl.DataFrame) -> pl.DataFrame:
    """``obs_latest`` with ``score`` = ``100 * (value - lower) / (upper - lower)`` in [0, 100].

    ``bounds`` has ``series``, ``lower`` (worst, score 0) and ``upper`` (best, score 100);
    for a lower-is-better series ``upper < lower`` and the same formula holds. Values past a
    bound are censored to 0 or 100. Where the bounds coincide there is no spread to score
    on: 100 for a value equal to them, else 0.
    """
    frame = obs_latest.join(bounds.select("series", "lower", "upper"), on="series",
                            how="left")
    return frame.with_columns(score=_score(pl.col("value")))


def _score(x: pl.Expr) -> pl.Expr:
    """Censored 0-100 score of ``x`` between the ``lower`` and ``upper`` columns."""
    return _raw_score(x).clip(0.0, 100.0)


def _raw_score(x: pl.Expr) -> pl.Expr:
    """Uncensored score; a zero span scores 100 where ``x`` equals the bound, else 0."""
    lower, upper = pl.col("lower"), pl.col("upper")
    flat = pl.when(x == upper).then(100.0).otherwise(0.0)
    return pl.when(upper == lower).then(flat).otherwise(100 * ((x - lower) / (upper - lower)))


def assess_sdsn(obs: pl.DataFrame, targets: pl.DataFrame,
                params: dict[str, Any] | None = None,
                prof: Profile | None = None) -> pl.DataFrame:
    """Score, dashboard colour and trend arrow of every series × area of ``obs``.

    ``obs`` and ``targets`` follow :mod:`sdgbridge.assessment.model`. A series of the
    profile (``prof``, else the one ``params`` names) is scored on its fixed bounds, and
    only on a value from its ``min_year`` on (else no score: grey); any other series on
    bounds from ``obs`` itself (:func:`bounds_from_data`). ``status`` is SDSN's trend label,
    ``rating`` the colour, ``trend`` the arrow symbol; ``scale`` maps the trend to
    ``model.SCALE``; ``profile_goal`` and ``counts`` say where the series counts.
    """
    p = load_params() if params is None else params
    prof = profile(p) if prof is None else prof
    targets = with_profile_targets(targets, prof)
    ends = _endpoints(obs, p["base_year"])  # refuses duplicates before anything else
    relative = target_directions(obs, targets).select("series", RELATIVE, *LIMITS)
    bounds = profile_bounds(bounds_from_data(obs, targets, p), prof, p)
    frame = ends.join(bounds, on="series", how="left").join(
        relative, on="series", how="left").with_columns(area_target())
    goal = pl.when(pl.col(RELATIVE).is_not_null()).then("target").otherwise("green")
    fresh = pl.col("min_year").is_null() | (pl.col("latest_year") >= pl.col("min_year"))
    frame = frame.with_columns(score=pl.when(fresh).then(_score(pl.col("latest_value"))),
                               band=pl.when(fresh).then(_band(p)), goal=goal)
    frame = frame.with_columns(rating=_colour(pl.col("band"), p), **_pace(p["target_year"]))
    frame = frame.with_columns(_arrow(p).alias("arrow_key"))
    t = p["trend"]
    return frame.with_columns(
        method=pl.lit(NAME), params_version=pl.lit(p["version"]),
        status=pl.col("arrow_key").replace_strict(t["labels"], return_dtype=pl.Utf8),
        trend=pl.col("arrow_key").replace_strict(t["symbols"], return_dtype=pl.Utf8),
        scale=pl.col("arrow_key").replace_strict(p["scale"], return_dtype=pl.Utf8),
    ).with_columns(bounded_projections(p["projection"], _PROJECTIONS)).select(
        *RESULT_COLUMNS, *EXTRA_COLUMNS).sort(_KEY)


def _endpoints(obs: pl.DataFrame, base_year: int) -> pl.DataFrame:
    """Latest observation (any year), base and middle observation (from ``base_year``)."""
    if obs.select(pl.struct(*_KEY, "year").is_duplicated().any()).item():
        raise ValueError("obs has more than one value for a series × area × year; "
                         "choose one disaggregation before assessing.")
    since = pl.col("year") >= base_year
    year, value = pl.col("year").sort(), pl.col("value").sort_by("year")
    return obs.group_by(_KEY).agg(
        latest_year=year.last(), latest_value=value.last(),
        base_year=year.filter(year >= base_year).first(),
        base_value=value.filter(year >= base_year).first(), **middle_point(since),
        n_points=since.sum().cast(pl.Int64))


def _band(p: dict[str, Any]) -> pl.Expr:
    """Dashboard value 0-4: lower bound 0, red 1, red/green midpoint 2, green 3, upper 4.

    Piecewise linear on the score, as the sum of four segments each worth 0 to 1; thresholds
    past a bound are moved onto it; a segment narrower than ``edge_tolerance`` is a step.
    """
    tol = p["edge_tolerance"]
    s, g = _score(pl.col("latest_value")), _score(pl.col("green"))
    r = pl.min_horizontal(_score(pl.col("red")), g)
    m = (r + g) / 2
    knots = [pl.lit(0.0), r, m, g, pl.lit(100.0)]
    return pl.sum_horizontal(_segment(s, lo, hi, tol) for lo, hi in zip(knots, knots[1:],
                                                                           strict=False))


def _segment(s: pl.Expr, lo: pl.Expr, hi: pl.Expr, tol: float) -> pl.Expr:
    """How much of the segment ``lo``-``hi`` the score ``s`` covers, from 0 to 1."""
    step = (s >= hi - tol).cast(pl.Float64)
    return pl.when(hi - lo > tol).then(((s - lo) / (hi - lo)).clip(0.0, 1.0)).otherwise(step)


def _colour(band: pl.Expr, p: dict[str, Any]) -> pl.Expr:
    """Colour of a 0-4 dashboard value: lower edges of ``[colour]``, inclusive; null -> grey."""
    c, tol = p["colour"], p["edge_tolerance"]
    expr = pl.when(band.is_null()).then(pl.lit("grey")).otherwise(pl.lit("red"))
    for key in reversed(COLOURS):  # built inside out, so green is tested first
        expr = pl.when(band >= c[key] - tol).then(pl.lit(key)).otherwise(expr)
    return expr


def _pace(target_year: int) -> dict[str, pl.Expr]:
    """Observed and needed linear annual change, their ratio, the 2030 projection and its
    range (the two-halves rule on linear paces, module docstring)."""
    t_b, x_b = pl.col("base_year"), pl.col("base_value")
    t_l, x_l = pl.col("latest_year"), pl.col("latest_value")
    pace = pl.when(t_l > t_b).then((x_l - x_b) / (t_l - t_b))
    needed = (pl.col("goal") - x_b) / (target_year - t_b)
    low, high = projection_range(target_year, compound=False, where=pace.is_not_null())
    return {"pace": pace, "pace_needed": needed,
            "pace_ratio": pl.when(needed != 0).then(pace / needed),
            "projected_2030": x_l + pace * (target_year - t_l),
            "projected_2030_low": low, "projected_2030_high": high}


def _meets_green(column: str) -> pl.Expr:
    """Whether ``column`` is at or past the trend's goal (the green threshold, or the
    area's relative target), in the series' direction."""
    value, green = pl.col(column), pl.col("goal")
    return pl.when(pl.col("direction") == "higher").then(value >= green).otherwise(
        value <= green)


def _arrow(p: dict[str, Any]) -> pl.Expr:
    """Trend key, first match wins: too few points; green reached and kept; green lost
    since the base year; else the pace ratio banded at ``[trend]`` (below 0: decreasing)."""
    t, tol = p["trend"], p["edge_tolerance"]
    expr = pl.lit("decreasing")
    for key in reversed(ARROWS):
        expr = pl.when(pl.col("pace_ratio") >= t[key] - tol).then(pl.lit(key)).otherwise(expr)
    short = pl.col("n_points").fill_null(0) < p["min_points"]
    return (pl.when(short | pl.col("pace").is_null()).then(pl.lit("insufficient"))
            .when(_meets_green("latest_value")).then(pl.lit("on_track"))
            .when(_meets_green("base_value")).then(pl.lit("decreasing"))
            .otherwise(expr))


def _goals(links: pl.DataFrame) -> pl.DataFrame:
    """``series, goal`` (Int64): ``links`` as it is when it has a ``goal`` column (e.g. a
    profile's counted series), else from its ``indicator`` column (``1.2.1`` → goal 1)."""
    if "goal" in links.columns:
        return links.select("series", pl.col("goal").cast(pl.Int64)).unique()
    goal = pl.col("indicator").str.split(".").list.first().cast(pl.Int64)
    return links.select("series", goal.alias("goal")).unique()


def _not_landlocked_14(landlocked: frozenset[str]) -> pl.Expr:
    """False for goal 14 of a landlocked area (SDSN gives those no goal-14 score)."""
    return ~((pl.col("goal") == GOAL_14) & pl.col("area").is_in(list(landlocked)))


def goal_scores(results: pl.DataFrame, links: pl.DataFrame,
                params: dict[str, Any] | None = None, *, basket: pl.DataFrame | None = None,
                landlocked: frozenset[str] = frozenset()) -> pl.DataFrame:
    """Mean normalised score per goal × area, with coverage and the 20 %-missing flag.

    ``results``: ``series, area, score`` (e.g. :func:`assess_sdsn`); ``links``: ``series,
    goal`` or ``series, indicator``. A series serving two goals counts in each. ``basket``
    (``series, goal``): the indicators the missing-data rule counts (default: every linked
    series of ``results``); ``missing_share`` = share of the area's basket without a score;
    ``in_index`` = ``missing_share <= [missing] max_share`` (SDR: no Index otherwise).
    ``landlocked`` areas get no goal-14 score, and goal-14 series leave their basket.
    """
    p = load_params() if params is None else params
    goals = _goals(links)
    linked = results.select(*_KEY, "score").join(goals, on="series").filter(
        _not_landlocked_14(landlocked))
    basket = goals.join(linked.select("series").unique(), on="series") if basket is None \
        else _goals(basket)
    n_all = basket["series"].n_unique()
    n_14 = basket.filter(pl.col("goal") == GOAL_14)["series"].n_unique()
    size = pl.when(pl.col("area").is_in(list(landlocked))).then(n_all - n_14).otherwise(n_all)
    scored = linked.filter(pl.col("score").is_not_null())
    present = scored.join(basket.select("series").unique(), on="series").group_by(
        "area").agg(n=pl.col("series").n_unique()).with_columns(
        missing_share=1 - pl.col("n") / size).drop("n")
    expected = goals.group_by("goal").agg(
        n_expected=pl.col("series").n_unique().cast(pl.Int64))
    scores = scored.group_by("goal", "area").agg(
        score=pl.col("score").mean(), n_series=pl.len().cast(pl.Int64))
    limit = p["missing"]["max_share"] + p["edge_tolerance"]
    return (scores.join(expected, on="goal").join(present, on="area", how="left")
            .with_columns(pl.col("missing_share").fill_null(1.0))
            .with_columns(in_index=pl.col("missing_share") <= limit).sort("goal", "area"))


def index(goals: pl.DataFrame, regions: pl.DataFrame | None = None,
          means: pl.DataFrame | None = None) -> pl.DataFrame:
    """SDG Index per area: the mean of its goal scores (``area, index, n_goals, n_imputed``).

    ``goals``: ``goal, area, score`` (:func:`goal_scores`, or published goal scores). Areas
    with ``in_index`` false (when the column is there) get no Index. With ``regions``
    (``area, region``) a goal an area lacks is filled, as in SDR 2023, with the mean of that
    goal over the Index areas of its region (module docstring): the mean of ``means``
    (``region, goal, score``: a shipped table, :mod:`.sdsn_regions`) when given, else of
    ``goals`` itself.
    """
    frame = goals.select("goal", "area", "score", *(
        ["in_index"] if "in_index" in goals.columns else []))
    if "in_index" in frame.columns:
        frame = frame.filter(pl.col("in_index")).drop("in_index")
    frame = frame.with_columns(imputed=pl.lit(False))
    if regions is not None:
        frame = _impute_regional(frame, regions, means)
    return frame.group_by("area").agg(
        index=pl.col("score").mean(), n_goals=(~pl.col("imputed")).sum().cast(pl.Int64),
        n_imputed=pl.col("imputed").sum().cast(pl.Int64)).sort("area")


def _impute_regional(frame: pl.DataFrame, regions: pl.DataFrame,
                     means: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add each missing goal × area, scored with the goal's mean over the area's region
    (from ``means`` when given, else from ``frame``)."""
    areas = frame.select("area").unique().join(regions.select("area", "region"), on="area")
    table = (frame.join(areas, on="area").group_by("region", "goal").agg(
        regional=pl.col("score").mean()) if means is None
        else means.select("region", "goal", regional="score"))
    grid = areas.join(table, on="region")
    gaps = grid.join(frame, on=["area", "goal"], how="anti")
    filled = gaps.select("goal", "area", score=pl.col("regional"), imputed=pl.lit(True))
    return pl.concat([frame, filled])


def goal_dashboard(results: pl.DataFrame, links: pl.DataFrame,
                   params: dict[str, Any] | None = None,
                   landlocked: frozenset[str] = frozenset()) -> pl.DataFrame:
    """Goal colour per goal × area from the goal's two worst indicators (module docstring).

    ``results``: ``series, area, band`` (:func:`assess_sdsn`); ``links`` as for
    :func:`goal_scores`. The colour comes from the mean of the two lowest 0-4 values, but is
    green only if both are green. Returns ``goal, area, band, rating, label, worst_series,
    n_series``; a goal with one indicator uses that one; no goal 14 for ``landlocked``.
    """
    p = load_params() if params is None else params
    linked = results.select(*_KEY, "band").join(_goals(links), on="series").filter(
        pl.col("band").is_not_null() & _not_landlocked_14(landlocked))
    two = pl.col("band").sort().head(2)
    worst = linked.group_by("goal", "area").agg(
        band=two.mean(), floor=two.min(), n_series=pl.len().cast(pl.Int64),
        worst_series=pl.col("series").sort_by("band", "series").head(2).str.join(","))
    rating = _colour(pl.col("band"), p)
    green_floor = p["colour"]["green"] - p["edge_tolerance"]
    capped = pl.when((rating == "green") & (pl.col("floor") < green_floor)).then(
        pl.lit("yellow")).otherwise(rating)
    labels = p["colour"]["labels"]
    return worst.with_columns(rating=capped).with_columns(
        label=pl.col("rating").replace_strict(labels, return_dtype=pl.Utf8)).select(
        "goal", "area", "band", "rating", "label", "worst_series", "n_series").sort("goal", "area")


def summary(results: pl.DataFrame, links: pl.DataFrame,
            params: dict[str, Any] | None = None) -> list[tuple[str, pl.DataFrame]]:
    """SDSN's goal scores with their dashboard colours and trend arrows
    (:mod:`.sdsn_trends`), and the index.

    With a profile (the run's ``params`` name one): the goals are the profile's, only its
    counted series enter, the missing-data basket is its counted series, and landlocked
    countries get no goal 14. Without one: ``links`` (series -> indicator), every series.
    """
    p = load_params() if params is None else params
    prof = profile(p)
    if prof is None:
        goals = goal_scores(results, links, p)
        colours = goal_dashboard(results, links, p)
    else:
        counted, land = prof.counted(), landlocked_areas()
        goals = goal_scores(results, counted, p, basket=prof.basket(), landlocked=land)
        colours = goal_dashboard(results, counted, p, land)
    fill = None if prof is None else shipped_means(prof)
    trends = goal_trends(results, _goals(links) if prof is None else prof.counted(), p)
    return [("SDSN goal scores (0-100), dashboard colours and trends",
             goals.join(colours.select("goal", "area", "rating"), on=["goal", "area"],
                        how="left").join(trends.select("goal", "area", "trend", "trend_key"),
                                         on=["goal", "area"], how="left")),
            ("SDSN index (mean of goal scores; none where over 20 % is missing)",
             index(goals) if fill is None else index(goals, *fill))]


# Profile series are scored on fixed bounds; the others between percentiles over all
# countries, so the input is every country's data.
METHOD = Method(NAME, "SDSN trends", assess_sdsn, worldwide=True, summary=summary,
                censored=True)
