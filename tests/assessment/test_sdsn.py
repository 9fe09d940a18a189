"""The SDSN (SDR) method: hand-worked cases, edges, properties, and SDSN's published scores.

Expected numbers are worked out here from the formulas in the module docstring of
``sdgbridge.assessment.methods.sdsn``, not taken from the implementation.

Published data: ``shared/data/sdr`` holds SDR 2023 *goal* and *overall* scores per country
(and a back-cast of both), but no indicator-level raw values or normalised indicator scores.
So normalisation and the goal-score aggregation cannot be checked against SDR 2023 here;
the goal → Index step can, and :func:`test_sdr_2023_index_from_goal_scores` checks it on all
166 ranked countries.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sdgbridge.assessment.methods.sdsn import (
    EXTRA_COLUMNS,
    assess_sdsn,
    bounds_from_data,
    goal_dashboard,
    goal_scores,
    index,
    load_params,
    normalise,
)
from sdgbridge.assessment.model import RESULT_COLUMNS, SCALE
from sdgbridge.errors import ConfigError

SDR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sdr"
ON, MOD, STAG, DEC, NONE = ("On track or maintaining SDG achievement", "Moderately improving",
                            "Stagnating", "Decreasing", "Trend information unavailable")
OBS = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64}


def make_obs(data: dict[tuple[str, str], dict[int, float]]) -> pl.DataFrame:
    """``{(series, area): {year: value}}`` as an ``obs`` frame."""
    rows = [(s, a, y, float(v)) for (s, a), points in data.items() for y, v in points.items()]
    return pl.DataFrame(rows, schema=OBS, orient="row")


def make_targets(*rows: tuple[str, str, float | None]) -> pl.DataFrame:
    return pl.DataFrame([(s, d, t, "test") for s, d, t in rows], orient="row",
                        schema={"series": pl.Utf8, "direction": pl.Utf8, "target": pl.Float64,
                                "source": pl.Utf8})


def params_with(thresholds: dict[str, dict[str, float]] | None = None,
                **bounds: Any) -> dict[str, Any]:
    """The shipped params with other ``[thresholds]`` and ``[bounds]`` values."""
    p = copy.deepcopy(load_params())
    if thresholds is not None:
        p["thresholds"] = thresholds
    p["bounds"].update(bounds)
    return p


def by_area(frame: pl.DataFrame, column: str) -> dict[str, Any]:
    return dict(zip(frame["area"], frame[column], strict=True))


# ── Normalisation and bounds ────────────────────────────────────────────────


def test_normalise_hand_worked() -> None:
    bounds = pl.DataFrame({"series": ["up", "down", "flat"], "lower": [20.0, 100.0, 5.0],
                           "upper": [80.0, 0.0, 5.0]})
    latest = pl.DataFrame({"series": ["up"] * 5 + ["down"] * 2 + ["flat"] * 2,
                           "area": list("abcdefghi"),
                           "value": [50.0, 35.0, 80.0, 95.0, 10.0, 25.0, 130.0, 5.0, 4.0]})
    got = by_area(normalise(latest, bounds), "score")
    # 100 * (50 - 20) / 60 = 50; (35 - 20) / 60 = 25 %; above / below the bounds censored.
    assert got == pytest.approx({"a": 50, "b": 25, "c": 100, "d": 100, "e": 0,
                                 # lower is better: 100 * (25 - 100) / (0 - 100) = 75
                                 "f": 75, "g": 0,
                                 # bounds coincide: no spread to score on
                                 "h": 100, "i": 0})


def test_bounds_percentiles_hand_worked() -> None:
    # Only the latest values count: the 2010 values would change every percentile.
    obs = make_obs({("S", a): {2010: 1000.0, 2020: v}
                    for a, v in zip("abcde", [10, 20, 30, 40, 50], strict=True)})
    # Linear interpolation on 5 sorted values: position 0.025 * 4 = 0.1 -> 10 + 0.1 * 10 = 11;
    # 0.975 * 4 = 3.9 -> 40 + 0.9 * 10 = 49. The upper percentile is no longer the default
    # (sdsn-2025.1: SDSN's top-5 mean), so it is asked for here.
    pct = params_with(upper_rule="percentile")
    up = bounds_from_data(obs, make_targets(("S", "higher", None)), pct).row(0, named=True)
    assert (up["lower"], up["upper"]) == pytest.approx((11, 49))
    green = 11 + 0.836 * (49 - 11)
    assert (up["green"], up["red"]) == pytest.approx((green, 11 + 0.667 * (green - 11)))
    down = bounds_from_data(obs, make_targets(("S", "lower", None)), pct).row(0, named=True)
    assert (down["lower"], down["upper"]) == pytest.approx((49, 11))
    # The default: the mean of the 5 best, here all five: (10 + 20 + 30 + 40 + 50) / 5 = 30.
    top = bounds_from_data(obs, make_targets(("S", "higher", None))).row(0, named=True)
    assert (top["lower"], top["upper"]) == pytest.approx((11, 30))
    target = bounds_from_data(obs, make_targets(("S", "higher", 60.0))).row(0, named=True)
    assert (target["lower"], target["upper"], target["green"]) == pytest.approx((11, 60, 60))
    assert target["red"] == pytest.approx(11 + 0.667 * (60 - 11))


def test_bounds_top_mean_and_given_thresholds() -> None:
    obs = make_obs({("S", a): {2020: v} for a, v in zip("abcde", [10, 20, 30, 40, 50],
                                                         strict=True)})
    p = params_with({"S": {"green": 45.0, "red": 25.0}}, upper_rule="top_mean", top_n=2)
    up = bounds_from_data(obs, make_targets(("S", "higher", None)), p).row(0, named=True)
    assert (up["upper"], up["green"], up["red"]) == pytest.approx((45, 45, 25))  # (50+40)/2
    down = bounds_from_data(obs, make_targets(("S", "lower", None)), p).row(0, named=True)
    assert down["upper"] == pytest.approx(15)  # the two best when lower is better: 10, 20


# ── Indicator level: hand-worked, colour edges, trend edges ────────────────

# Two anchor areas at 0 put the 2.5th percentile (the lower bound) at exactly 0 for up to 41
# areas; the target 100 is the upper bound, so a score equals the value.
ANCHORS = {("S", "z1"): {2015: 0.0, 2020: 0.0}, ("S", "z2"): {2015: 0.0, 2020: 0.0}}
EDGES = params_with({"S": {"green": 80.0, "red": 40.0}})  # midpoint 60


def assess_areas(points: dict[str, dict[int, float]], direction: str = "higher",
                 target: float = 100.0, params: dict[str, Any] = EDGES) -> pl.DataFrame:
    obs = make_obs(ANCHORS | {("S", area): p for area, p in points.items()})
    result = assess_sdsn(obs, make_targets(("S", direction, target)), params)
    return result.filter(~pl.col("area").is_in(["z1", "z2"]))


def test_assess_hand_worked() -> None:
    row = assess_areas({"a": {2015: 50, 2018: 52, 2020: 70}}).row(0, named=True)
    assert (row["lower"], row["upper"], row["score"]) == pytest.approx((0, 100, 70))
    assert row["band"] == pytest.approx(2.5)  # halfway between the midpoint 60 and green 80
    assert row["rating"] == "yellow"
    # Pace (70 - 50) / 5 = 4 a year; needed (80 - 50) / 15 = 2; ratio 2.
    assert (row["pace"], row["pace_needed"], row["pace_ratio"]) == pytest.approx((4, 2, 2))
    assert row["projected_2030"] == pytest.approx(70 + 4 * 10)
    assert (row["status"], row["trend"], row["scale"]) == (ON, "↑", "on track")
    assert (row["base_year"], row["base_value"], row["latest_year"], row["n_points"]) == (
        2015, 50, 2020, 3)
    assert (row["method"], row["params_version"]) == ("sdsn", "sdsn-2025.1")


@pytest.mark.parametrize(("value", "band", "colour"), [
    (100, 4.0, "green"), (90, 3.5, "green"), (80, 3.0, "green"), (79.99, 2.9995, "yellow"),
    (70, 2.5, "yellow"), (60, 2.0, "yellow"), (59.99, 1.9995, "orange"), (40, 1.0, "orange"),
    (39.99, 39.99 / 40, "red"), (20, 0.5, "red"), (0, 0.0, "red"),
])
def test_colour_edges(value: float, band: float, colour: str) -> None:
    """0-4 scale: lower 0, red 40 -> 1, midpoint 60 -> 2, green 80 -> 3, upper 100 -> 4."""
    row = assess_areas({"a": {2020: value}}).row(0, named=True)
    assert row["band"] == pytest.approx(band)
    assert row["rating"] == colour


def test_colour_lower_is_better() -> None:
    """Mirror image: target 0 is best, green 20, red 60 (midpoint 40), lower bound 100."""
    p = params_with({"S": {"green": 20.0, "red": 60.0}})
    obs = make_obs({("S", "z1"): {2020: 100.0}, ("S", "z2"): {2020: 100.0},
                    ("S", "a"): {2020: 30.0}, ("S", "b"): {2020: 20.0}})
    got = assess_sdsn(obs, make_targets(("S", "lower", 0.0)), p)
    assert by_area(got, "band")["a"] == pytest.approx(2.5)
    assert by_area(got, "rating") == {"a": "yellow", "b": "green", "z1": "red", "z2": "red"}


@pytest.mark.parametrize(("points", "status"), [
    ({2015: 50, 2020: 60}, ON),          # pace 2 = needed 2: ratio 1 (edge)
    ({2015: 50, 2020: 59.99}, MOD),      # ratio 0.999
    ({2015: 50, 2020: 55}, MOD),         # ratio 0.5 (edge)
    ({2015: 50, 2020: 54.99}, STAG),     # ratio 0.499
    ({2015: 50, 2020: 50}, STAG),        # ratio 0 (edge)
    ({2015: 50, 2020: 49.99}, DEC),      # ratio below 0
    ({2015: 50, 2020: 85}, ON),          # green reached
    ({2015: 85, 2020: 81}, ON),          # falling, but green kept: maintaining
    ({2015: 85, 2020: 79}, DEC),         # green lost since 2015
    ({2020: 50}, NONE),                  # one point
    ({2010: 40, 2014: 50}, NONE),        # nothing from 2015 on
    ({2016: 50, 2021: 60}, MOD),         # base 2016: needed 30 / 14 > pace 2
])
def test_trend_edges(points: dict[int, float], status: str) -> None:
    assert assess_areas({"a": points})["status"].to_list() == [status]


def test_trend_lower_is_better() -> None:
    """Green 25 from 55 in 2015: needed -2 a year; 45 in 2020 is -2 a year: on track."""
    p = params_with({"S": {"green": 25.0, "red": 60.0}})
    obs = make_obs({("S", "a"): {2015: 55.0, 2020: 45.0}, ("S", "b"): {2015: 55.0, 2020: 50.0},
                    ("S", "c"): {2015: 55.0, 2020: 56.0}})
    got = by_area(assess_sdsn(obs, make_targets(("S", "lower", 0.0)), p), "status")
    assert got == {"a": ON, "b": MOD, "c": DEC}


def test_output_columns_and_scale() -> None:
    result = assess_areas({"a": {2015: 50, 2020: 55}, "b": {2020: 1}})
    assert result.columns == [*RESULT_COLUMNS, *EXTRA_COLUMNS]
    assert set(result["scale"]) <= set(SCALE)


def test_refuses_missing_direction_and_duplicates() -> None:
    obs = make_obs({("S", "a"): {2015: 1.0, 2020: 2.0}})
    with pytest.raises(ConfigError, match="No direction for series S"):
        assess_sdsn(obs, make_targets(("T", "higher", None)))
    with pytest.raises(ValueError, match="more than one value"):
        assess_sdsn(obs.vstack(obs), make_targets(("S", "higher", None)))
    with pytest.raises(ConfigError, match="upper_rule 'best'"):
        bounds_from_data(obs, make_targets(("S", "higher", None)), params_with(upper_rule="best"))


# ── Goal level: aggregation, the 20 %-missing rule, the two-worst rule ─────

LINKS = pl.DataFrame({"series": ["A", "B", "C", "D", "D"],
                      "indicator": ["1.1.1", "1.2.1", "2.1.1", "3.1.1", "3.2.1"]})


def scores(rows: list[tuple[str, str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"series": pl.Utf8, "area": pl.Utf8, "score": pl.Float64},
                        orient="row")


def test_goal_scores_and_index_hand_worked() -> None:
    results = scores([("A", "x", 100), ("B", "x", 50), ("C", "x", 20), ("D", "x", 60)])
    goals = goal_scores(results, LINKS)
    assert dict(zip(goals["goal"], goals["score"], strict=True)) == pytest.approx(
        {1: 75, 2: 20, 3: 60})  # D serves two indicators of goal 3: counted once
    assert goals["n_series"].to_list() == [2, 1, 1]
    got = index(goals).row(0, named=True)
    assert got["index"] == pytest.approx((75 + 20 + 60) / 3)  # not the flat mean 57.5
    assert (got["n_goals"], got["n_imputed"]) == (3, 0)


def test_missing_data_rule() -> None:
    """Basket of 5 series: 4 scored = 20 % missing (kept); 3 scored = 40 % (no Index)."""
    links = pl.DataFrame({"series": list("ABCDE"),
                          "indicator": ["1.1.1", "1.2.1", "2.1.1", "2.2.1", "3.1.1"]})
    results = scores([("A", "ok", 10), ("B", "ok", 20), ("C", "ok", 30), ("D", "ok", 40),
                      ("E", "ok", None), ("A", "thin", 50), ("C", "thin", 70),
                      ("E", "thin", 90)])
    goals = goal_scores(results, links)
    flags = goals.group_by("area").agg(pl.col("missing_share", "in_index").first())
    assert dict(zip(flags["area"], flags["missing_share"], strict=True)) == pytest.approx(
        {"ok": 0.2, "thin": 0.4})
    assert by_area(flags, "in_index") == {"ok": True, "thin": False}
    assert goals.filter(pl.col("area") == "thin")["score"].to_list() == [50, 70, 90]
    assert index(goals)["area"].to_list() == ["ok"]
    assert index(goals)["index"].to_list() == pytest.approx([(15 + 35) / 2])


def test_index_regional_imputation_hand_worked() -> None:
    goals = pl.DataFrame({"goal": [1, 2, 1, 2, 1, 1], "area": list("aabbcd"),
                          "score": [80.0, 60.0, 70.0, 40.0, 90.0, 30.0]})
    regions = pl.DataFrame({"area": list("abcd"), "region": ["R", "R", "R", "Q"]})
    got = index(goals, regions)
    # c lacks goal 2: R's mean of goal 2 is (60 + 40) / 2 = 50. d is alone in Q, with no
    # goal-2 score to borrow: it keeps the mean of what it has.
    assert by_area(got, "index") == pytest.approx({"a": 70, "b": 55, "c": 70, "d": 30})
    assert by_area(got, "n_imputed") == {"a": 0, "b": 0, "c": 1, "d": 0}


def bands(rows: list[tuple[str, float | None]], goal: str = "1") -> pl.DataFrame:
    links = pl.DataFrame({"series": [s for s, _ in rows],
                          "indicator": [f"{goal}.{i}.1" for i in range(1, len(rows) + 1)]})
    results = pl.DataFrame({"series": [s for s, _ in rows], "area": "x",
                            "band": [b for _, b in rows]}, schema_overrides={"band": pl.Float64})
    return goal_dashboard(results, links)


@pytest.mark.parametrize(("rows", "band", "colour", "worst"), [
    ([("A", 3.5), ("B", 3.2), ("C", 3.9)], 3.35, "green", "B,A"),
    # two worst average 3.15, but one is yellow: green only if both are green
    ([("A", 3.9), ("B", 3.8), ("C", 2.5)], 3.15, "yellow", "C,B"),
    # the mean of all four (2.475) would be yellow; the two worst make it red
    ([("A", 4.0), ("B", 4.0), ("C", 0.5), ("D", 1.4)], 0.95, "red", "C,D"),
    ([("A", 2.0), ("B", 0.0), ("C", 3.0)], 1.0, "orange", "B,A"),   # edge: 1 is orange
    ([("A", 3.0), ("B", 1.0)], 2.0, "yellow", "B,A"),               # edge: 2 is yellow
    ([("A", 2.5), ("B", None)], 2.5, "yellow", "A"),                # one indicator with data
])
def test_two_worst_rule(rows: list[tuple[str, float | None]], band: float, colour: str,
                        worst: str) -> None:
    got = bands(rows).row(0, named=True)
    assert got["band"] == pytest.approx(band)
    assert (got["rating"], got["worst_series"]) == (colour, worst)


# ── Properties ──────────────────────────────────────────────────────────────

values = st.lists(st.floats(1.0, 1000.0), min_size=3, max_size=8)


@settings(max_examples=60, deadline=None)
@given(values, st.floats(0.01, 100.0), st.one_of(st.none(), st.floats(1.0, 1000.0)),
       st.sampled_from(["higher", "lower"]))
def test_scaling_leaves_scores_unchanged(latest: list[float], c: float, target: float | None,
                                         direction: str) -> None:
    obs = make_obs({("S", f"a{i}"): {2015: v * 0.9, 2021: v} for i, v in enumerate(latest)})
    scaled = obs.with_columns(pl.col("value") * c)
    scaled_target = None if target is None else target * c
    # The percentile rule: with equal values the top-5 mean may miss them by a rounding
    # error and flip the zero-span case (score 100 or 0), which is not what is tested here.
    pct = params_with(upper_rule="percentile")
    base = assess_sdsn(obs, make_targets(("S", direction, target)), pct)
    other = assess_sdsn(scaled, make_targets(("S", direction, scaled_target)), pct)
    for column in ("score", "band", "pace_ratio"):
        assert other[column].to_list() == pytest.approx(base[column].to_list(), rel=1e-9,
                                                        abs=1e-9)
    away = (base["band"] - base["band"].round(0)).abs() > 1e-6
    assert other.filter(away)["rating"].to_list() == base.filter(away)["rating"].to_list()


@settings(max_examples=60, deadline=None)
@given(values, st.floats(0.01, 100.0))
def test_normalise_scaling(latest: list[float], c: float) -> None:
    frame = pl.DataFrame({"series": "S", "area": [f"a{i}" for i in range(len(latest))],
                          "value": latest})
    lo, hi = min(latest), max(latest)
    assume(hi > lo)
    bounds = pl.DataFrame({"series": ["S"], "lower": [lo], "upper": [hi]})
    scaled_bounds = bounds.with_columns(pl.col("lower", "upper") * c)
    one = normalise(frame, bounds)["score"].to_list()
    two = normalise(frame.with_columns(pl.col("value") * c), scaled_bounds)["score"].to_list()
    assert two == pytest.approx(one, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(values)
def test_reversing_direction_mirrors_scores(latest: list[float]) -> None:
    assume(max(latest) - min(latest) > 1e-3)  # without a spread there is nothing to mirror
    obs = make_obs({("S", f"a{i}"): {2020: v} for i, v in enumerate(latest)})
    frame = obs.select("series", "area", "value")
    # The percentile bounds mirror each other; the top-5 mean (the default) of up to five
    # values is their mean whichever way is better, so it has no mirror image.
    pct = params_with(upper_rule="percentile")
    up = normalise(frame, bounds_from_data(obs, make_targets(("S", "higher", None)), pct))
    down = normalise(frame, bounds_from_data(obs, make_targets(("S", "lower", None)), pct))
    mirrored = [100 - s for s in up.sort("area")["score"]]
    assert down.sort("area")["score"].to_list() == pytest.approx(mirrored, abs=1e-6)


# ── SDSN's published SDR 2023 scores ────────────────────────────────────────


@pytest.mark.shared_data
def test_sdr_2023_index_from_goal_scores() -> None:
    """SDR 2023 overall scores = mean of 17 goal scores, a missing goal (SDG 14 for landlocked
    countries, SDG 1 or 10 without data) filled with its regional mean over the ranked
    countries. All 166 reproduce; the plain mean of the goals present only where none is
    missing (107 countries), e.g. KGZ: 74.974 by the plain mean, 74.405 published."""
    wide = pl.read_csv(SDR / "sustainable_development_report_2023.csv")
    goals = wide.unpivot([f"goal_{g}_score" for g in range(1, 18)], index="country_code",
                         variable_name="goal", value_name="score").filter(
        pl.col("score").is_not_null()).select(
        pl.col("goal").str.extract(r"(\d+)").cast(pl.Int64), area="country_code", score="score")
    regions = wide.select(area="country_code", region="region")
    published = wide.select(area="country_code", published="overall_score")
    got = index(goals, regions).join(published, on="area")
    assert got.height == 166
    assert (got["index"] - got["published"]).abs().max() < 1e-6
    plain = index(goals).join(published, on="area").filter(
        (pl.col("index") - pl.col("published")).abs() < 1e-6)
    assert plain.height == 107
    focus = by_area(got.filter(pl.col("area").is_in(["KGZ", "KAZ", "UZB", "TJK", "TKM",
                                                      "AFG"])), "index")
    assert focus == pytest.approx({"KGZ": 74.41, "KAZ": 71.65, "UZB": 71.15, "TJK": 69.19,
                                   "TKM": 68.47, "AFG": 49.01}, abs=0.005)


# ── 2030 projection range (two-halves rule on linear paces) ─────────────────


def test_projection_range_hand_worked() -> None:
    # From 2015 on: 50, 52, 70, 71; middle = the (4 - 1) // 2 = 1st: 2018. 2012 is ignored.
    points = {2012: 10, 2015: 50, 2018: 52, 2020: 70, 2021: 71}
    row = assess_areas({"a": points}).row(0, named=True)
    pace, first, second = (71 - 50) / 6, (52 - 50) / 3, (71 - 52) / 3
    assert row["projected_2030"] == pytest.approx(71 + pace * 9)
    assert row["projected_2030_low"] == pytest.approx(71 + first * 9)
    assert row["projected_2030_high"] == pytest.approx(71 + second * 9)
    assert row["projected_2030_low"] <= row["projected_2030"] <= row["projected_2030_high"]


def test_projection_range_lower_is_better() -> None:
    row = assess_areas({"a": {2015: 50, 2017: 40, 2020: 38}}, "lower", 0.0).row(0, named=True)
    first, second = (40 - 50) / 2, (38 - 40) / 3
    assert row["projected_2030_low"] == pytest.approx(38 + first * 10)
    assert row["projected_2030_high"] == pytest.approx(38 + second * 10)


@pytest.mark.parametrize("points", [{2015: 50, 2020: 70}, {2010: 20, 2014: 30, 2015: 50,
                                                           2020: 70}, {2020: 70}])
def test_projection_range_null_below_three_points(points: dict[int, float]) -> None:
    row = assess_areas({"a": points}).row(0, named=True)
    assert (row["projected_2030_low"], row["projected_2030_high"]) == (None, None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-500.0, 500.0), min_size=1, max_size=8))
def test_projection_range_contains_the_projection(values: list[float]) -> None:
    row = assess_areas({"a": {2015 + i: v for i, v in enumerate(values)}}).row(0, named=True)
    low, mid, high = (row[k] for k in ("projected_2030_low", "projected_2030",
                                       "projected_2030_high"))
    if len(values) < 3:
        assert low is None and high is None
    else:
        slack = 1e-9 * max(abs(low), abs(high), 1.0)
        assert low - slack <= mid <= high + slack
