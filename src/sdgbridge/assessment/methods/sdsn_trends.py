"""SDSN's goal-level trend arrows (the Trend Dashboards' goal column).

[R] (shared/docs/methods.md §2.2, recalled, not re-read) a goal's trend aggregates its
indicators' trends as the trajectory of the goal's normalised score, with the indicator
arrows' thresholds. [S] sdgbridge's reading, in the units the goal score is in:

* each counted series with a trend (a baseline from 2015 and a later latest value; the
  same series the indicator arrows rest on) gives its score at the baseline and at the
  latest year, on the profile's bounds, and the score of the value its arrow aims at (the
  green threshold, or the area's relative target);
* the goal's observed pace is the mean over those series of ``(score_latest -
  score_base) / (t_latest - t_base)`` and the needed pace the mean of ``(score_goal -
  score_base) / (2030 - t_base)``; their ratio is banded at ``[trend]`` like an indicator's
  (↑ >= 1, ➚ >= 0.5, → >= 0, ↓ below);
* every series at or past its goal at the latest year -> ↑ (maintaining achievement); no
  series with a trend -> • (information unavailable).
"""

from __future__ import annotations

from typing import Any

import polars as pl

_KEY = ["goal", "area"]
ARROWS = ("on_track", "moderate", "stagnating")


def _score(x: pl.Expr) -> pl.Expr:
    """0-100 score of ``x`` between the ``lower`` (0) and ``upper`` (100) columns."""
    lower, upper = pl.col("lower"), pl.col("upper")
    return pl.when(upper != lower).then((100 * (x - lower) / (upper - lower)).clip(0.0, 100.0))


def goal_trends(results: pl.DataFrame, counted: pl.DataFrame, params: dict[str, Any],
                target_year: int = 2030) -> pl.DataFrame:
    """``goal, area, trend_key, trend, trend_label, pace_ratio, n_trend`` per goal × area.

    ``results``: the sdsn method's (``base_year, base_value, latest_year, latest_value,
    lower, upper, pace_needed, green, n_points``); ``counted``: ``series, goal`` of the
    series that count (the profile's)."""
    t, tol = params["trend"], params["edge_tolerance"]
    t_b, t_l = pl.col("base_year"), pl.col("latest_year")
    aim = pl.coalesce(pl.col("base_value") + pl.col("pace_needed") * (target_year - t_b),
                      pl.col("green"))
    frame = results.join(counted, on="series").filter(
        (pl.col("n_points").fill_null(0) >= params["min_points"]) & (t_l > t_b)
        & pl.col("lower").is_not_null())
    frame = frame.with_columns(
        s_base=_score(pl.col("base_value")), s_latest=_score(pl.col("latest_value")),
        s_aim=_score(aim))
    frame = frame.with_columns(
        observed=(pl.col("s_latest") - pl.col("s_base")) / (t_l - t_b),
        needed=(pl.col("s_aim") - pl.col("s_base")) / (target_year - t_b),
        kept=pl.col("s_latest") >= pl.col("s_aim") - tol)
    goals = frame.group_by(_KEY).agg(
        observed=pl.col("observed").mean(), needed=pl.col("needed").mean(),
        all_kept=pl.col("kept").all(), n_trend=pl.len().cast(pl.Int64))
    ratio = pl.when(pl.col("needed").abs() > tol).then(pl.col("observed") / pl.col("needed"))
    banded = pl.lit("decreasing")
    for arrow in reversed(ARROWS):
        banded = pl.when(pl.col("pace_ratio") >= t[arrow] - tol).then(pl.lit(arrow)).otherwise(
            banded)
    key = (pl.when(pl.col("all_kept")).then(pl.lit("on_track"))
           .when(pl.col("pace_ratio").is_null()).then(pl.lit("insufficient"))
           .otherwise(banded))
    out = goals.with_columns(pace_ratio=ratio).with_columns(trend_key=key)
    return out.with_columns(
        trend=pl.col("trend_key").replace_strict(t["symbols"], return_dtype=pl.Utf8),
        trend_label=pl.col("trend_key").replace_strict(t["labels"], return_dtype=pl.Utf8),
    ).select(*_KEY, "trend_key", "trend", "trend_label", "pace_ratio", "n_trend").sort(_KEY)
