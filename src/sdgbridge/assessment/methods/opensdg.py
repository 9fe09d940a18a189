"""Open SDG / Statistics Canada progress measure, vectorised over series × area.

Source: Open SDG, *Progress Measurement Methodology for the Sustainable Development Goals*
(``open-sdg/open-sdg`` ``docs/progress-methodology.md`` @26d2e38, summarised in
shared/docs/methods.md §4). Where that text shows a formula only as an image, the reference
implementation ``open-sdg/sdg-build`` ``sdg/ProgressMeasure.py`` was read to confirm it.
Parameters (years, bands, labels): ``params/opensdg.toml``.

For each series × area, from the base year t0 (2015, or the first later year with data) to
the latest year ti with data:

* ``CAGR = (y_i / y_0) ** (1 / (t_i - t_0)) - 1`` (doc, "Methodology");
* with a target y_T for t_T = 2030: ``CAGR_T = (y_T / y_0) ** (1 / (t_T - t_0)) - 1`` and
  ``R = s * d * CAGR / |CAGR_T|``, banded at 95 % / 60 % / 0 (doc, "Indicators with
  quantitative targets"); "Target achieved" first, whenever the latest value is at or past the
  target in the desired direction, whatever the trend (doc, "Aggregated progress status");
* without a target: ``s * d * CAGR`` banded at 1.5 %·C / 0.5 %·C / 0 (doc, "Indicators
  without quantitative targets").

A relative target (``relative`` in the targets table, e.g. 0.5 for "halve") is ``relative ×
y_0`` per series × area (sdgbridge's addition; :func:`sdgbridge.assessment.model.area_target`).

``d`` is +1 when higher is better and −1 when lower is better; ``s`` is −1 for a series with
negative values ("If all values are negative, the desired direction of progress is flipped").
A zero base or target value is replaced by 0.001 ("Special considerations for the base value
and the target value"). "Unable to assess" ("Minimum data requirements"): fewer than two years
with data from t0, values of both signs since t0, or no row for the series in ``targets``.

``projected_2030`` is not part of Open SDG: it is the latest value carried to the target year
at the observed CAGR ("assuming that the current trends are maintained"), for display.
``projected_2030_low`` and ``_high`` (also sdgbridge's, for display) are UNSD's two-halves
range, :func:`sdgbridge.assessment.model.projection_range`: the latest value carried to 2030
at the CAGR of each half of the series from t0 (t0 -> middle observation, the
``(n - 1) // 2``-th from t0 counting from 0, and middle -> latest), the smaller and the larger
of the two; t0's value zero-replaced as for the CAGR. The overall CAGR's log is the
time-weighted mean of the halves', so the range contains ``projected_2030``. Null wherever
the CAGR is, with fewer than three years with data from t0, or when the middle value is zero
or of another sign.

Limits (sdgbridge's, ``[projection]`` in the parameters; docs/progress.md "Projections"): the
displayed projections are held within the series' natural limits and withheld beyond
``max_multiple`` times the largest magnitude any country has had (``projection_note`` says
which rule applied); they play no part in the status. Without a ``limit`` column in
``targets``, a share bounded at 100 % where higher is better (``upper_limit``, from the world
table) is the natural limit that scales the no-target bands through C, as the doc intends
("indicators near a natural limit, e.g. 100 %"): a series that has reached 100 % is on track,
not stagnating.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl

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
    with_limits,
    with_relative,
)
from sdgbridge.errors import ConfigError

Params = dict[str, Any]
KEYS = ("series", "area")
BANDS = ("on_track", "acceleration", "limited")
EXTRA_COLUMNS = ("cagr", "ratio", "scaling", "projected_2030_low", "projected_2030_high",
                 "projection_note")
_PROJECTIONS = ("projected_2030", "projected_2030_low", "projected_2030_high")


def load_params(path: Path | None = None) -> Params:
    """The method's parameters: the shipped ``params/opensdg.toml`` unless ``path`` is given."""
    if path is None:
        text = files("sdgbridge.assessment").joinpath("params/opensdg.toml").read_text("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    params = tomllib.loads(text)
    labels, scale = params["labels"], params["scale"]
    if set(labels) != set(scale) or not set(scale.values()) <= set(SCALE):
        raise ConfigError(f"{path or 'opensdg.toml'}: [scale] must map each key of [labels] "
                          f"to one of {', '.join(SCALE)}.")
    return params


def _endpoints(obs: pl.DataFrame, base_year: int) -> pl.DataFrame:
    """Base point (first year >= ``base_year``) and latest point of each series × area."""
    since = pl.col("year") >= base_year
    recent = pl.col("value").filter(since)
    return obs.sort(*KEYS, "year").group_by(KEYS, maintain_order=True).agg(
        base_year=pl.col("year").filter(since).first(),
        base_value=recent.first(),
        **middle_point(since),
        latest_year=pl.col("year").last(),
        latest_value=pl.col("value").last(),
        n_points=since.sum().cast(pl.Int64),
        sign=pl.when((recent < 0).any()).then(-1).otherwise(1),
        mixed=(recent > 0).any() & (recent < 0).any(),
    )


def _with_targets(ends: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Each series × area with its direction, target and (optional) natural ``limit``; a
    relative target is ``relative × y0`` (the base value as published, before the zero
    replacement)."""
    limit = ["limit"] if "limit" in targets.columns else []
    df = ends.join(with_limits(with_relative(targets)).select(
        "series", "direction", "target", RELATIVE, *LIMITS, *limit), on="series", how="left")
    direction = pl.col("direction")
    d = pl.when(direction == "higher").then(1).when(direction == "lower").then(-1)
    # No limit column: a share bounded at 100 % where higher is better has that limit.
    natural = pl.when(direction == "higher").then(pl.col("upper_limit"))
    return df.with_columns(area_target(), d=d,
                           **({} if limit else {"limit": natural.cast(pl.Float64)}))


def _growth(value: pl.Expr, years: pl.Expr, base: pl.Expr) -> pl.Expr:
    """Compound annual growth rate (doc, "Methodology"): ``(y / y0) ** (1 / years) - 1``."""
    return ((value / base) ** (1 / years) - 1).fill_nan(None)


def _nonzero(value: pl.Expr, params: Params) -> pl.Expr:
    """A zero base or target value replaced by ±0.001 (doc, "Special considerations")."""
    return pl.when(value == 0).then(pl.col("sign") * params["zero_replacement"]).otherwise(value)


def _scaling(params: Params) -> pl.Expr:
    """The threshold scaling factor C; 1 (the default) unless the series has a ``limit``.

    Doc, "Indicators without quantitative targets": C = 1 − (y0/lim)^a below the limit and the
    mirror image 1 − ((2·lim − y0)/lim)^a above it, 1 from 2·lim on; a = 4.44 (sdg-build).
    """
    y0, lim = pl.col("base_value").abs(), pl.col("limit").abs()
    a = params["scaling"]["limit_exponent"]
    near = (pl.when(y0 >= 2 * lim).then(1.0)
            .when(y0 <= lim).then(1 - (y0 / lim) ** a)
            .otherwise(1 - ((2 * lim - y0) / lim) ** a))
    return (pl.when(pl.col("target").is_not_null()).then(None)
            .when(pl.col("limit").is_null()).then(pl.lit(params["scaling"]["default"]))
            .otherwise(near))


def _achieved() -> pl.Expr:
    """Latest value (from t0 on) at or past the target in the desired direction."""
    latest, target = pl.col("latest_value"), pl.col("target")
    reached = (pl.when(pl.col("d") == 1).then(latest >= target)
               .when(pl.col("d") == -1).then(latest <= target))
    return (pl.col("n_points") >= 1) & reached.fill_null(False)


def _with_measures(df: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Add ``cagr``, ``ratio`` (R), ``progress`` (the banded value), ``achieved``, ``scaling``."""
    y0 = _nonzero(pl.col("base_value"), params)
    valid = (pl.col("n_points") >= params["min_points"]) & ~pl.col("mixed")
    span = pl.col("latest_year") - pl.col("base_year")
    df = df.with_columns(
        cagr=pl.when(valid).then(_growth(pl.col("latest_value"), span, y0)),
        cagr_t=_growth(_nonzero(pl.col("target"), params),
                       params["target_year"] - pl.col("base_year"), y0),
        achieved=_achieved(), scaling=_scaling(params))
    sd = pl.col("sign") * pl.col("d")
    ratio = (sd * pl.col("cagr") / pl.col("cagr_t").abs()).fill_nan(None)
    return df.with_columns(ratio=ratio).with_columns(
        progress=pl.when(pl.col("target").is_not_null()).then("ratio")
        .otherwise(sd * pl.col("cagr")))


def _edges(params: Params) -> list[pl.Expr]:
    """Lower band edges: R's with a target, CAGR's (edges > 0 times C) without one."""
    has_target = pl.col("target").is_not_null()
    edges = []
    for key in BANDS:
        on_r, on_cagr = params["target_bands"][key], params["cagr_bands"][key]
        cagr_edge = pl.col("scaling") * on_cagr if on_cagr > 0 else pl.lit(on_cagr)
        edges.append(pl.when(has_target).then(pl.lit(on_r)).otherwise(cagr_edge))
    return edges


def status_expr(params: Params) -> pl.Expr:
    """The Open SDG label from ``achieved``, ``progress`` and the band edges (inclusive)."""
    labels, tol = params["labels"], params["edge_tolerance"]
    progress = pl.col("progress")
    expr = (pl.when(pl.col("achieved")).then(pl.lit(labels["target_achieved"]))
            .when(progress.is_null()).then(pl.lit(labels["insufficient"])))
    for key, edge in zip(BANDS, _edges(params), strict=True):
        expr = expr.when(progress >= edge - tol).then(pl.lit(labels[key]))
    return expr.otherwise(pl.lit(labels["deterioration"]))


def _finish(df: pl.DataFrame, params: Params) -> pl.DataFrame:
    """The result frame: :data:`RESULT_COLUMNS`, then :data:`EXTRA_COLUMNS`."""
    to_scale = {params["labels"][k]: v for k, v in params["scale"].items()}
    years_left = params["target_year"] - pl.col("latest_year")
    interval = projection_range(params["target_year"], where=pl.col("cagr").is_not_null(),
                                base_value=_nonzero(pl.col("base_value"), params))
    return df.with_columns(*interval).with_columns(
        method=pl.lit(params["method"]), params_version=pl.lit(params["version"]),
        projected_2030=pl.col("latest_value") * (1 + pl.col("cagr")) ** years_left,
        scale=pl.col("status").replace_strict(to_scale, return_dtype=pl.Utf8),
    ).with_columns(bounded_projections(params["projection"], _PROJECTIONS)).select(
        *RESULT_COLUMNS, *EXTRA_COLUMNS).sort(KEYS)


def assess_opensdg(obs: pl.DataFrame, targets: pl.DataFrame,
                   params: Params | None = None) -> pl.DataFrame:
    """Assess every series × area in ``obs`` by the Open SDG progress measure.

    ``obs`` and ``targets`` follow :mod:`sdgbridge.assessment.model`; ``targets`` may carry an
    optional ``limit`` column (a natural limit such as 100 %, which shrinks the no-target
    bands through C). Returns one row per series × area, sorted by series and area.
    """
    params = params or load_params()
    df = _with_targets(_endpoints(obs, params["base_year"]), targets)
    df = _with_measures(df, params).with_columns(status=status_expr(params))
    return _finish(df, params)


METHOD = Method("opensdg", "Open SDG (Statistics Canada)", assess_opensdg)
