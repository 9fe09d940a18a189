"""The ESCAP method (CSI, API, selection, group values, roll-ups): hand-worked cases.

Expected numbers are worked out here from the formulas in the module docstring of
``sdgbridge.assessment.methods.escap`` (exact fractions for the weighted regression), not
taken from the implementation.
"""

from __future__ import annotations

import copy
from fractions import Fraction as F
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdgbridge.assessment.methods.escap import (
    EXTRA_COLUMNS,
    anticipated_progress,
    assess_escap,
    current_status_index,
    load_params,
)
from sdgbridge.assessment.model import RESULT_COLUMNS
from sdgbridge.errors import ConfigError
from tests.helpers import make_obs, make_targets

# API categories (status) and CSI categories (csi_status), as in params/escap.toml.
MAINTAIN, ACCEL, REVERSE, INS, NO_TARGET = (
    "Maintain progress to achieve target", "Accelerate progress to achieve target",
    "Reverse trend to achieve target", "Insufficient data", "No target value")
EXPECTED, BEHIND, REGRESSED = ("Expected progress made",
                               "Progress made, but behind the expected level",
                               "Regressed since the base year")
OBS = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64}


def assess_one(points: dict[int, float], direction: str = "higher",
               target: float | None = None, params: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    result = assess_escap(make_obs(points), make_targets(direction, target), params)
    assert result.height == 1
    return result.row(0, named=True)


def wls_2030(points: dict[int, float]) -> tuple[F, F]:
    """Slope and 2030 value of the weighted least-squares line, in exact fractions.

    Weights w_i = (2030 - t_min) / (2030 - t_i); slope = Σw(t-t̄)(y-ȳ) / Σw(t-t̄)².
    """
    t_min = min(points)
    w = {t: F(2030 - t_min, 2030 - t) for t in points}
    total = sum(w.values())
    tbar = sum(w[t] * t for t in points) / total
    ybar = sum(w[t] * F(y) for t, y in points.items()) / total
    sxy = sum(w[t] * (t - tbar) * (F(y) - ybar) for t, y in points.items())
    sxx = sum(w[t] * (t - tbar) ** 2 for t in points)
    slope = sxy / sxx
    return slope, ybar + slope * (2030 - tbar)


# ── Hand-worked cases ───────────────────────────────────────────────────────


def test_hand_worked_higher_is_better() -> None:
    points = {2010: 40, 2015: 50, 2020: 56, 2025: 65}
    row = assess_one(points, "higher", 80)
    # weights 1, 4/3, 2, 4; t̄ = 2020.4, ȳ = 57.44; slope = 469/290; 2030 value = 2116/29
    slope, projected = wls_2030(points)
    assert (slope, projected) == (F(469, 290), F(2116, 29))  # 1.6172..., 72.9655...
    assert row["slope"] == pytest.approx(float(slope), rel=1e-12)
    assert row["projected_2030"] == pytest.approx(float(projected), rel=1e-12)
    api = (projected - 50) / (80 - 50)  # 0.7655: progress anticipated / needed 2015-2030
    assert row["api"] == pytest.approx(float(api), rel=1e-12)
    assert row["api_gap"] == pytest.approx(float(1 - api), rel=1e-12)
    assert (row["status"], row["scale"]) == (ACCEL, "needs acceleration")
    assert row["csi"] == pytest.approx((65 - 50) / (80 - 50), rel=1e-12)  # 0.5
    assert row["csi_expected"] == pytest.approx(10 / 15, rel=1e-12)  # 2015 -> 2025 of 2030
    assert (row["csi_status"], row["csi_scale"]) == (BEHIND, "needs acceleration")
    assert (row["base_year"], row["base_value"], row["latest_year"], row["latest_value"],
            row["n_points"]) == (2015, 50, 2025, 65, 4)
    assert (row["method"], row["params_version"]) == ("escap", load_params()["version"])


def test_hand_worked_lower_is_better() -> None:
    points = {2012: 30, 2015: 28, 2018: 25, 2021: 20}
    row = assess_one(points, "lower", 10)
    slope, projected = wls_2030(points)  # weights 1, 6/5, 3/2, 2
    assert (slope, projected) == (F(-227, 198), F(113, 11))  # -1.1465 a year; 10.27 in 2030
    assert row["projected_2030"] == pytest.approx(float(projected), rel=1e-12)
    api = (projected - 28) / (10 - 28)  # 65/66 = 0.985: just short of the target
    assert row["api"] == pytest.approx(float(api), rel=1e-12)
    assert (row["status"], row["scale"]) == (ACCEL, "needs acceleration")
    assert row["csi"] == pytest.approx(8 / 18, rel=1e-12)  # 28 -> 20 of 28 -> 10
    assert row["csi_expected"] == pytest.approx(6 / 15, rel=1e-12)
    assert row["csi_status"] == EXPECTED  # 0.444 >= 0.4


def test_weights_favour_recent_data() -> None:
    # Flat, then rising: the weighted line is steeper than the ordinary one.
    points = {2000: 10, 2005: 10, 2010: 10, 2020: 30}
    equal = copy.deepcopy(load_params())
    equal["regression"]["weights"] = "equal"
    weighted, ordinary = assess_one(points, "higher", 100), assess_one(points, "higher",
                                                                        100, equal)
    assert weighted["slope"] == pytest.approx(float(wls_2030(points)[0]), rel=1e-12)
    # Ordinary least squares by hand: t̄ = 2008.75, ȳ = 15, Sxy = 225, Sxx = 218.75.
    assert ordinary["slope"] == pytest.approx(225 / 218.75, rel=1e-12)
    assert weighted["slope"] > ordinary["slope"]


def test_unknown_weight_rule_is_refused() -> None:
    params = copy.deepcopy(load_params())
    params["regression"]["weights"] = "exponential"
    with pytest.raises(ConfigError, match="weights = 'exponential'"):
        assess_one({2015: 1, 2020: 2}, "higher", 5, params)


# ── Band edges, both sides ──────────────────────────────────────────────────
# Two points, 2015 and 2020: the line passes through both, so the 2030 value is exact:
# base 50, latest 55 -> 65. CSI = 5 / (TV - 50) against the expected share 5/15.

EDGES = [
    # latest, target, API status, CSI status
    (55, 65, MAINTAIN, EXPECTED),  # API = 1 exactly; CSI = 1/3 = the expected share
    (55, 65.01, ACCEL, BEHIND),  # just below both on-track edges
    (50.01, 80, ACCEL, BEHIND),  # just above the regression edge (API 0.001, CSI 0.0003)
    (50, 80, REVERSE, REGRESSED),  # API = CSI = 0: no progress counts as regression
    (49.99, 80, REVERSE, REGRESSED),
]


@pytest.mark.parametrize(("latest", "target", "api_status", "csi_status"), EDGES)
def test_band_edges_higher(latest: float, target: float, api_status: str,
                           csi_status: str) -> None:
    row = assess_one({2015: 50, 2020: latest}, "higher", target)
    assert row["projected_2030"] == pytest.approx(50 + 3 * (latest - 50), abs=1e-9)
    assert (row["status"], row["csi_status"]) == (api_status, csi_status)


@pytest.mark.parametrize(("latest", "target", "api_status", "csi_status"), EDGES)
def test_band_edges_lower_mirrored(latest: float, target: float, api_status: str,
                                   csi_status: str) -> None:
    # v -> 200 - v with lower is better: every ratio is the same.
    row = assess_one({2015: 150, 2020: 200 - latest}, "lower", 200 - target)
    assert (row["status"], row["csi_status"]) == (api_status, csi_status)


def test_scale_of_each_category() -> None:
    rows = [assess_one({2015: 50, 2020: v}, "higher", t) for v, t in ((55, 60), (51, 80),
                                                                     (45, 80))]
    assert [(r["scale"], r["csi_scale"]) for r in rows] == [
        ("on track", "on track"), ("needs acceleration", "needs acceleration"),
        ("regressing", "regressing")]


# ── Special cases ──────────────────────────────────────────────────────────


def test_no_target() -> None:
    row = assess_one({2015: 50, 2020: 55}, "higher", None)
    assert (row["status"], row["scale"], row["csi_status"], row["csi_scale"]) == (
        NO_TARGET, "insufficient data", NO_TARGET, "insufficient data")
    assert (row["csi"], row["api"], row["api_gap"]) == (None, None, None)
    assert row["projected_2030"] == pytest.approx(65, rel=1e-12)  # still shown


@pytest.mark.parametrize("points", [
    {2018: 40},  # one point: no trend, no progress since the baseline
    {2003: 30, 2009: 35},  # nothing within 5 years of 2015: no baseline
    {1990: 10, 1995: 20, 2030: 90},  # outside 2000 <= year < 2030
])
def test_insufficient_data(points: dict[int, float]) -> None:
    row = assess_one(points, "higher", 80)
    assert (row["status"], row["csi_status"], row["scale"]) == (INS, INS, "insufficient data")
    assert (row["csi"], row["api"]) == (None, None)


def test_years_outside_the_window_are_ignored() -> None:
    row = assess_one({1995: 0, 2015: 50, 2020: 55}, "higher", 80)
    assert (row["n_points"], row["projected_2030"]) == (2, pytest.approx(65, rel=1e-12))


@pytest.mark.parametrize(("points", "base_year"), [
    ({2012: 10, 2016: 20, 2020: 25}, 2016),  # nearest
    ({2013: 10, 2017: 20, 2020: 25}, 2017),  # tie: the later year
    ({2010: 10, 2021: 20, 2022: 25}, 2010),  # 5 years away is allowed
    ({2009: 10, 2021: 20, 2022: 25}, None),  # 6 is not
])
def test_baseline_is_the_nearest_year(points: dict[int, float], base_year: int | None) -> None:
    assert assess_one(points, "higher", 80)["base_year"] == base_year


@pytest.mark.parametrize("mirror", [False, True])
def test_target_met_at_baseline_and_lost(mirror: bool) -> None:
    # Met in 2015 (60 >= 50), not in 2020 (45): TV - base has the wrong sign, so no index.
    row = (assess_one({2015: 40, 2020: 55}, "lower", 50) if mirror
           else assess_one({2015: 60, 2020: 45}, "higher", 50))
    assert (row["csi"], row["api"], row["api_gap"]) == (None, None, None)
    assert (row["csi_status"], row["status"]) == (REGRESSED, REVERSE)


def test_target_met_at_baseline_uses_the_projection_for_the_api() -> None:
    # Met in 2015 (60 >= 50) and in 2020 (55), but the line reaches 45 in 2030.
    row = assess_one({2015: 60, 2020: 55}, "higher", 50)
    assert (row["csi"], row["csi_status"]) == (1.0, EXPECTED)
    assert (row["api"], row["api_gap"], row["status"]) == (None, None, REVERSE)
    held = assess_one({2015: 60, 2020: 62}, "higher", 50)
    assert (held["api"], held["api_gap"], held["status"]) == (1.0, 0.0, MAINTAIN)


def test_one_point_meeting_the_target_is_on_track() -> None:
    row = assess_one({2016: 90}, "higher", 80)
    assert (row["csi"], row["api"], row["status"], row["csi_status"]) == (
        1.0, 1.0, MAINTAIN, EXPECTED)


def test_target_met_at_latest_caps_the_csi() -> None:
    row = assess_one({2015: 50, 2020: 90}, "higher", 80)
    assert row["csi"] == 1.0  # (90 - 50) / 30 capped
    assert row["api"] == pytest.approx((50 + 3 * 40 - 50) / 30, rel=1e-12)  # uncapped
    assert (row["status"], row["api_gap"]) == (MAINTAIN, 0.0)


def test_frame_shape_many_series_and_areas() -> None:
    obs = pl.concat([make_obs({2015: 10, 2020: 12}, s, a) for s in "AB" for a in ("4", "860")])
    targets = pl.concat([make_targets("higher", 20.0, "A"), make_targets("lower", 5.0, "B")])
    result = assess_escap(obs, targets)
    assert result.columns == [*RESULT_COLUMNS, *EXTRA_COLUMNS]
    assert result.select("series", "area").rows() == [("A", "4"), ("A", "860"), ("B", "4"),
                                                      ("B", "860")]
    assert result["status"].to_list() == [ACCEL, ACCEL, REVERSE, REVERSE]


def test_a_series_without_direction_is_refused() -> None:
    with pytest.raises(ConfigError, match="No direction for series S"):
        assess_escap(make_obs({2015: 1, 2020: 2}), make_targets("higher", None, "OTHER"))


def test_two_values_for_one_year_are_refused() -> None:
    obs = pl.concat([make_obs({2015: 1, 2020: 2}), make_obs({2020: 3})])
    with pytest.raises(ValueError, match="more than one value"):
        assess_escap(obs, make_targets("higher", 5.0))


# ── Roll-ups ─────────────────────────────────────────────────────────────────

LINKS = pl.DataFrame({"series": ["A", "B", "C", "D", "E"],
                      "indicator": ["1.1.1", "1.1.1", "1.2.1", "10.1.1", "2.1.1"]})


def results(csi: list[float | None], api: list[float | None]) -> pl.DataFrame:
    return pl.DataFrame({"series": ["A", "B", "C", "D", "E"], "area": "398", "csi": csi,
                         "csi_expected": [0.5] * 5, "api": api},
                        schema={"series": pl.Utf8, "area": pl.Utf8, "csi": pl.Float64,
                                "csi_expected": pl.Float64, "api": pl.Float64})


def test_current_status_index_by_goal_is_a_mean_of_means() -> None:
    res = results([0.2, 0.4, -0.3, 0.6, None], [None] * 5)
    out = current_status_index(res, LINKS, "goal")
    assert out["goal"].to_list() == ["1", "10"]  # E has no CSI: goal 2 has nothing
    g1 = out.row(0, named=True)
    # goal 1 = mean(target 1.1 = mean(0.2, 0.4) = 0.3, target 1.2 = -0.3) = 0 (flat: 0.1)
    assert g1["csi"] == pytest.approx(0.0, abs=1e-12)
    assert g1["progress_made"] == pytest.approx((0.3 + 0) / 2, rel=1e-12)
    assert g1["regression"] == pytest.approx((0 - 0.3) / 2, rel=1e-12)
    assert (g1["coverage"], g1["csi_expected"], g1["status"], g1["scale"]) == (
        3, 0.5, REGRESSED, "regressing")
    g10 = out.row(1, named=True)
    assert (g10["csi"], g10["status"]) == (0.6, EXPECTED)  # 0.6 >= 0.5


def test_anticipated_progress_by_target_caps_each_series() -> None:
    res = results([None] * 5, [1.4, 0.6, -0.2, 1.0, None])
    out = anticipated_progress(res, LINKS, "target")
    assert out.select("target", "coverage").rows() == [("1.1", 2), ("1.2", 1), ("10.1", 1)]
    t11 = out.row(0, named=True)
    assert t11["api"] == pytest.approx((1.0 + 0.6) / 2, rel=1e-12)  # 1.4 capped at 1
    assert t11["api_gap"] == pytest.approx(0.2, rel=1e-12)
    assert out["status"].to_list() == [ACCEL, REVERSE, MAINTAIN]
    assert out["scale"].to_list() == ["needs acceleration", "regressing", "on track"]


def test_roll_up_to_indicator_and_unknown_level() -> None:
    res = results([0.2, 0.4, -0.3, 0.6, None], [1.4, 0.6, -0.2, 1.0, None])
    assert anticipated_progress(res, LINKS, "indicator")["indicator"].to_list() == [
        "1.1.1", "1.2.1", "10.1.1"]
    with pytest.raises(ConfigError, match="Unknown level 'country'"):
        current_status_index(res, LINKS, "country")


# ── Property ─────────────────────────────────────────────────────────────────

values = st.integers(min_value=0, max_value=1000).map(float)


@settings(max_examples=300, deadline=None)
@given(points=st.dictionaries(st.integers(2000, 2029), values, min_size=1, max_size=5),
       target=values, direction=st.sampled_from(["higher", "lower"]),
       factor=st.sampled_from([0.001, 0.1, 3.0, 7.7, 1000.0]))
def test_scaling_values_and_target_keeps_the_categories(
        points: dict[int, float], target: float, direction: str, factor: float) -> None:
    plain = assess_one(points, direction, target)
    scaled = assess_one({t: v * factor for t, v in points.items()}, direction,
                        target * factor)
    assert (scaled["status"], scaled["csi_status"]) == (plain["status"], plain["csi_status"])


# ── 2030 projection range (weighted least squares) ──────────────────────────


def wls_range(points: dict[int, float], z: float = 1.96) -> tuple[float, float]:
    """``projected_2030 ∓ z·se``: se² = s² (1/Σw + (T - t̄)²/Sxx), s² = Σw e² / (n - 2)."""
    t_min = min(points)
    w = {t: F(2030 - t_min, 2030 - t) for t in points}
    total = sum(w.values())
    tbar = sum(w[t] * t for t in points) / total
    sxx = sum(w[t] * (t - tbar) ** 2 for t in points)
    slope, projected = wls_2030(points)
    fitted = {t: projected + slope * (t - 2030) for t in points}
    s2 = sum(w[t] * (F(y) - fitted[t]) ** 2 for t, y in points.items()) / (len(points) - 2)
    se = float(s2 * (1 / total + (2030 - tbar) ** 2 / sxx)) ** 0.5
    return float(projected) - z * se, float(projected) + z * se


def test_projection_range_hand_worked() -> None:
    points = {2010: 40, 2015: 50, 2020: 56, 2025: 65}
    row = assess_one(points, "higher", 80)
    low, high = wls_range(points)
    assert row["projected_2030_low"] == pytest.approx(low, rel=1e-9)
    assert row["projected_2030_high"] == pytest.approx(high, rel=1e-9)
    assert row["projected_2030_low"] < row["projected_2030"] < row["projected_2030_high"]
    # A wider z from the params widens the range in proportion.
    params = copy.deepcopy(load_params())
    params["regression"]["interval_z"] = 3.0
    wide = assess_one(points, "higher", 80, params)
    assert wide["projected_2030_high"] - wide["projected_2030"] == pytest.approx(
        (high - row["projected_2030"]) * 3.0 / 1.96, rel=1e-9)


def test_projection_range_on_a_line_has_no_width() -> None:
    row = assess_one({2010: 10, 2015: 20, 2020: 30}, "higher", 100)
    assert row["projected_2030"] == pytest.approx(50, rel=1e-12)
    assert row["projected_2030_low"] == pytest.approx(50, rel=1e-9)
    assert row["projected_2030_high"] == pytest.approx(50, rel=1e-9)


@pytest.mark.parametrize("points", [{2015: 50, 2020: 60}, {2020: 60}, {1995: 1, 2015: 50,
                                                                      2020: 60}])
def test_projection_range_null_below_three_points(points: dict[int, float]) -> None:
    row = assess_one(points, "higher", 80)
    assert (row["projected_2030_low"], row["projected_2030_high"]) == (None, None)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(-500.0, 500.0), min_size=1, max_size=8),
       gap=st.integers(1, 3), weights=st.sampled_from(["escap", "equal"]))
def test_projection_range_contains_the_projection(values: list[float], gap: int,
                                                  weights: str) -> None:
    params = copy.deepcopy(load_params())
    params["regression"]["weights"] = weights
    row = assess_one({2005 + gap * i: v for i, v in enumerate(values)}, "higher", 600, params)
    low, mid, high = (row[k] for k in ("projected_2030_low", "projected_2030",
                                       "projected_2030_high"))
    if len(values) < 3:
        assert low is None and high is None
    else:
        assert low <= mid <= high
