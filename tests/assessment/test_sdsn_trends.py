"""SDSN's goal-level trend arrows, worked out by hand (module docstring of sdsn_trends)."""

from __future__ import annotations

import polars as pl
import pytest

from sdgbridge.assessment.methods.sdsn import load_params
from sdgbridge.assessment.methods.sdsn_trends import goal_trends


def results(rows: list[tuple[str, float, float, float, float, float]]) -> pl.DataFrame:
    """(series, base 2015, latest 2020, lower, upper, green) in area A."""
    return pl.DataFrame(
        [{"series": s, "area": "A", "base_year": 2015, "base_value": b, "latest_year": 2020,
          "latest_value": v, "lower": lo, "upper": up, "green": g, "n_points": 2,
          "pace_needed": (g - b) / 15} for s, b, v, lo, up, g in rows])


COUNTED = pl.DataFrame({"series": ["X", "Y"], "goal": [3, 3]})


def test_goal_pace_is_the_mean_of_its_series_score_paces() -> None:
    # X: bounds 0-100, 40 -> 50 in 5 years: 2 points a year; aims at 90: needs (90-40)/15.
    # Y: bounds 100 -> 0 (lower is better), 60 -> 55: scores 40 -> 45, 1 a year; aims at
    # 10 (score 90): needs (90-40)/15. Observed mean 1.5, needed mean 50/15 = 3.333…:
    # ratio 0.45 -> stagnating (between 0 and 0.5).
    out = goal_trends(results([("X", 40, 50, 0, 100, 90), ("Y", 60, 55, 100, 0, 10)]),
                      COUNTED, load_params()).row(0, named=True)
    assert out["pace_ratio"] == pytest.approx(1.5 / (50 / 15))
    assert (out["trend_key"], out["trend"], out["n_trend"]) == ("stagnating", "→", 2)


def test_goal_arrows_at_the_edges() -> None:
    p = load_params()
    # X alone, 40 -> 65 in 5 years = 5 a year; needed (90-40)/15 = 3.33: ratio 1.5 -> ↑
    up = goal_trends(results([("X", 40, 65, 0, 100, 90)]), COUNTED, p).row(0, named=True)
    assert up["trend_key"] == "on_track" and up["trend"] == "↑"
    # 40 -> 48.333…: 1.6667 a year = half the needed pace exactly -> ➚ (edge inclusive)
    mod = goal_trends(results([("X", 40, 40 + 25 / 3, 0, 100, 90)]), COUNTED, p)
    assert mod["trend_key"].item() == "moderate"
    # falling -> ↓; both series past their aim -> ↑ whatever the pace
    down = goal_trends(results([("X", 40, 30, 0, 100, 90)]), COUNTED, p)
    assert down["trend"].item() == "↓"
    kept = goal_trends(results([("X", 95, 92, 0, 100, 90), ("Y", 5, 8, 100, 0, 10)]),
                       COUNTED, p)
    assert kept["trend_key"].item() == "on_track"


def test_series_without_a_trend_leave_the_goal() -> None:
    short = results([("X", 40, 50, 0, 100, 90)]).with_columns(n_points=pl.lit(1))
    assert goal_trends(short, COUNTED, load_params()).is_empty()
