"""Open SDG / Statistics Canada progress measure: hand-worked cases, every band edge.

Expected numbers are worked out here from the formulas of the methodology document
(open-sdg/open-sdg docs/progress-methodology.md; shared/docs/methods.md §4), not read back
from the code under test:  CAGR = (y_i/y_0)^(1/(t_i−t_0)) − 1,
CAGR_T = (y_T/y_0)^(1/(2030−t_0)) − 1,  R = s·d·CAGR/|CAGR_T|.

(Named ``test_opensdg_progress`` because ``tests/ingest/test_opensdg.py`` already takes the
module name ``test_opensdg`` in this package-less test tree.)
"""

from __future__ import annotations

import copy

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sdgbridge.assessment.methods.opensdg import assess_opensdg, load_params
from sdgbridge.assessment.model import OBS_SCHEMA, RESULT_COLUMNS, SCALE, TARGET_SCHEMA

PARAMS = load_params()
TA, ON, ACC, LIM, DET, NA = ("Target achieved", "On track",
                             "Progress made but acceleration needed", "Limited progress",
                             "Deterioration", "Unable to assess")
EPS = 1e-6  # relative step either side of a band edge, far above float noise


def obs(points: list[tuple[int, float]], series: str = "S", area: str = "KAZ") -> pl.DataFrame:
    return pl.DataFrame([(series, area, y, v) for y, v in points], schema=OBS_SCHEMA,
                        orient="row")


def targets(direction: str = "higher", target: float | None = None, series: str = "S",
            **extra: object) -> pl.DataFrame:
    row = {"series": series, "direction": direction, "target": target, "source": "test"}
    return pl.DataFrame([row | extra], schema=TARGET_SCHEMA | {k: pl.Float64 for k in extra})


def one(points: list[tuple[int, float]], direction: str = "higher",
        target: float | None = None, params: dict | None = None,
        **extra: object) -> dict:
    result = assess_opensdg(obs(points), targets(direction, target, **extra), params)
    assert result.height == 1
    return result.row(0, named=True)


def with_c(c: float) -> dict:
    params = copy.deepcopy(PARAMS)
    params["scaling"]["default"] = c
    return params


# --- parameters and output shape -------------------------------------------------------

def test_params_are_the_documented_ones():
    assert PARAMS["version"] == "opensdg-2"
    assert (PARAMS["base_year"], PARAMS["target_year"], PARAMS["min_points"]) == (2015, 2030, 2)
    assert PARAMS["target_bands"] == {"on_track": 0.95, "acceleration": 0.60, "limited": 0.0}
    assert PARAMS["cagr_bands"] == {"on_track": 0.015, "acceleration": 0.005, "limited": 0.0}
    assert PARAMS["scaling"]["default"] == 1.0
    assert list(PARAMS["labels"].values()) == [TA, ON, ACC, LIM, DET, NA]
    assert set(PARAMS["scale"].values()) <= set(SCALE)


def test_output_columns_and_types():
    result = assess_opensdg(obs([(2015, 100.0), (2017, 121.0)]), targets())
    assert result.columns == [*RESULT_COLUMNS, "cagr", "ratio", "scaling",
                              "projected_2030_low", "projected_2030_high", "projection_note"]
    assert result.schema["base_year"] == pl.Int64 and result.schema["n_points"] == pl.Int64
    assert result.row(0, named=True)["method"] == "opensdg"
    assert result.row(0, named=True)["params_version"] == "opensdg-2"


def test_empty_input_gives_empty_result():
    result = assess_opensdg(obs([]), targets())
    assert result.height == 0 and result.columns[: len(RESULT_COLUMNS)] == list(RESULT_COLUMNS)


# --- hand-worked cases ------------------------------------------------------------------

def test_with_target_hand_worked():
    row = one([(2014, 1.0), (2015, 100.0), (2016, 104.0), (2017, 121.0)], target=200.0)
    cagr = (121 / 100) ** (1 / 2) - 1            # 0.1
    cagr_t = (200 / 100) ** (1 / 15) - 1         # 0.04729
    assert row["cagr"] == pytest.approx(0.1)
    assert row["ratio"] == pytest.approx(cagr / cagr_t)  # 2.11 >= 0.95
    assert row["status"] == ON and row["scale"] == "on track"
    assert (row["base_year"], row["base_value"], row["latest_year"], row["latest_value"],
            row["n_points"]) == (2015, 100.0, 2017, 121.0, 3)
    assert row["projected_2030"] == pytest.approx(121 * 1.1 ** 13)
    assert row["scaling"] is None


def test_base_year_is_first_year_from_2015_when_2015_is_missing():
    row = one([(2013, 50.0), (2014, 60.0), (2016, 80.0), (2019, 100.0)])
    assert (row["base_year"], row["base_value"], row["n_points"]) == (2016, 80.0, 2)
    assert row["cagr"] == pytest.approx((100 / 80) ** (1 / 3) - 1)  # 0.0772 >= 0.015
    assert row["status"] == ON


def test_without_target_hand_worked():
    row = one([(2015, 200.0), (2020, 204.0)])
    cagr = (204 / 200) ** (1 / 5) - 1            # 0.00397: 0 <= CAGR < 0.5 %
    assert row["cagr"] == pytest.approx(cagr)
    assert row["ratio"] is None and row["scaling"] == 1.0
    assert row["status"] == LIM and row["scale"] == "stagnating"


def test_lower_is_better_with_target():
    row = one([(2015, 100.0), (2017, 81.0)], "lower", target=20.0)
    cagr = 0.81 ** 0.5 - 1                       # -0.1
    cagr_t = 0.2 ** (1 / 15) - 1                 # -0.1016
    assert row["ratio"] == pytest.approx(-1 * cagr / abs(cagr_t))  # 0.984
    assert row["status"] == ON


def test_lower_is_better_with_target_moving_away():
    row = one([(2015, 100.0), (2020, 110.0)], "lower", target=50.0)
    cagr = 1.1 ** 0.2 - 1
    cagr_t = 0.5 ** (1 / 15) - 1
    assert row["ratio"] == pytest.approx(-cagr / abs(cagr_t))  # -0.42
    assert row["status"] == DET and row["scale"] == "regressing"


def test_target_below_base_but_higher_is_better():
    # Base already past the target, latest fell below it: |CAGR_T| keeps R's sign the trend's.
    row = one([(2015, 100.0), (2020, 85.0)], "higher", target=90.0)
    cagr, cagr_t = 0.85 ** 0.2 - 1, 0.9 ** (1 / 15) - 1
    assert row["ratio"] == pytest.approx(cagr / abs(cagr_t)) and row["ratio"] < 0
    assert row["status"] == DET


@pytest.mark.parametrize(("direction", "latest", "expected"), [
    ("lower", 90.0, ACC),     # CAGR −1.05 %: falling is progress, 0.5 % ≤ 1.05 % < 1.5 %
    ("lower", 110.0, DET),    # CAGR +0.96 %: rising is deterioration
    ("higher", 90.0, DET),    # the same fall when higher is better
])
def test_lower_is_better_without_target_is_mirrored(direction, latest, expected):
    row = one([(2015, 100.0), (2025, latest)], direction)
    cagr = (latest / 100) ** (1 / 10) - 1        # 90: −0.01048; 110: +0.00958
    assert row["cagr"] == pytest.approx(cagr)
    progress = (-1 if direction == "lower" else 1) * cagr
    assert (0.005 <= progress < 0.015) == (expected == ACC)
    assert row["status"] == expected


# --- every band edge, both sides ----------------------------------------------------------

R_EDGES = [(0.95, ON, ACC), (0.60, ACC, LIM)]


@pytest.mark.parametrize(("edge", "above", "below"), R_EDGES)
@pytest.mark.parametrize("side", [+1, -1])
def test_ratio_band_edges(edge, above, below, side):
    r = edge * (1 + side * EPS)
    cagr_t = 2 ** (1 / 15) - 1                   # target 200 from 100 in 2015
    latest = 100 * (1 + r * cagr_t) ** 5         # 2020 value that gives that R
    row = one([(2015, 100.0), (2020, latest)], target=200.0)
    assert row["ratio"] == pytest.approx(r, rel=1e-9)
    assert row["status"] == (above if side > 0 else below)


@pytest.mark.parametrize(("r", "expected"), [(0.0, LIM), (EPS, LIM), (-EPS, DET)])
def test_ratio_zero_edge(r, expected):
    cagr_t = 2 ** (1 / 15) - 1
    latest = 100.0 if r == 0 else 100 * (1 + r * cagr_t) ** 5
    row = one([(2015, 100.0), (2020, latest)], target=200.0)
    assert row["ratio"] == pytest.approx(r, abs=1e-12)
    assert row["status"] == expected


CAGR_EDGES = [(0.015, ON, ACC), (0.005, ACC, LIM)]


@pytest.mark.parametrize("c", [1.0, 0.5])
@pytest.mark.parametrize(("edge", "above", "below"), CAGR_EDGES)
@pytest.mark.parametrize("side", [+1, -1])
def test_cagr_band_edges_scaled_by_c(c, edge, above, below, side):
    g = edge * c * (1 + side * EPS)              # C shrinks only the edges above zero
    row = one([(2015, 100.0), (2020, 100 * (1 + g) ** 5)], params=with_c(c))
    assert row["cagr"] == pytest.approx(g, rel=1e-9)
    assert row["scaling"] == c
    assert row["status"] == (above if side > 0 else below)


@pytest.mark.parametrize("c", [1.0, 0.5])
@pytest.mark.parametrize(("g", "expected"), [(0.0, LIM), (EPS, LIM), (-EPS, DET)])
def test_cagr_zero_edge_is_not_scaled(c, g, expected):
    row = one([(2015, 100.0), (2020, 100 * (1 + g) ** 5)], params=with_c(c))
    assert row["status"] == expected


@pytest.mark.parametrize(("side", "expected"), [(+1, ON), (-1, ACC)])
def test_cagr_edge_mirrored_for_lower_is_better(side, expected):
    g = -0.015 * (1 + side * EPS)                # falling 1.5 % a year is on track
    row = one([(2015, 100.0), (2020, 100 * (1 + g) ** 5)], "lower")
    assert row["status"] == expected


def test_c_half_moves_one_percent_growth_up_a_band():
    points = [(2015, 100.0), (2020, 100 * 1.01 ** 5)]          # CAGR 1 %
    assert one(points, params=with_c(1.0))["status"] == ACC    # 0.5 % <= 1 % < 1.5 %
    assert one(points, params=with_c(0.5))["status"] == ON     # 1 % >= 0.75 %


# --- target achieved ----------------------------------------------------------------------

@pytest.mark.parametrize(("direction", "points", "target"), [
    ("higher", [(2015, 100.0), (2020, 95.0)], 90.0),   # achieved despite the fall
    ("higher", [(2015, 80.0), (2020, 90.0)], 90.0),    # exactly at the target
    ("lower", [(2015, 50.0), (2022, 30.0)], 30.0),
    ("lower", [(2015, 10.0), (2022, 12.0)], 15.0),     # below target though rising
    ("higher", [(2016, 5.0)], 4.0),                    # one point from 2015 on is enough
])
def test_target_achieved(direction, points, target):
    row = one(points, direction, target)
    assert row["status"] == TA and row["scale"] == "on track"


def test_target_met_only_before_2015_is_not_assessed():
    row = one([(2012, 5.0), (2014, 6.0)], "higher", 4.0)
    assert row["status"] == NA and row["base_year"] is None and row["n_points"] == 0


# --- insufficient data --------------------------------------------------------------------

@pytest.mark.parametrize("points", [
    [(2015, 100.0)],                             # one point
    [(2010, 90.0), (2014, 95.0), (2018, 100.0)],  # one point from 2015 on
    [(2012, 90.0), (2014, 95.0)],                # none from 2015 on
    [(2015, 5.0), (2018, -2.0), (2020, 3.0)],    # values of both signs
])
def test_unable_to_assess(points):
    row = one(points, target=200.0)
    assert row["status"] == NA and row["scale"] == "insufficient data"
    assert row["cagr"] is None and row["ratio"] is None


def test_series_without_target_row_is_not_assessed():
    result = assess_opensdg(obs([(2015, 1.0), (2020, 2.0)], series="X"), targets(series="S"))
    assert result.row(0, named=True)["status"] == NA


# --- special values -----------------------------------------------------------------------

def test_zero_base_replaced_by_0_001():
    row = one([(2015, 0.0), (2020, 1.0)])
    assert row["base_value"] == 0.0
    assert row["cagr"] == pytest.approx((1 / 0.001) ** (1 / 5) - 1)
    assert row["status"] == ON


def test_zero_target_replaced_by_0_001():
    row = one([(2015, 10.0), (2020, 5.0)], "lower", 0.0)
    cagr, cagr_t = 0.5 ** 0.2 - 1, (0.001 / 10) ** (1 / 15) - 1
    assert row["ratio"] == pytest.approx(-cagr / abs(cagr_t))  # 0.28
    assert row["status"] == LIM


@pytest.mark.parametrize(("latest", "expected"), [(-121.0, DET), (-81.0, ON)])
def test_negative_values_flip_direction(latest, expected):
    row = one([(2015, -100.0), (2017, latest)], "higher")
    assert row["status"] == expected     # −100 → −121 is lower, hence worse


def test_limit_scaling_factor():
    c = 1 - (90 / 100) ** 4.44                   # base 90 % of a 100 % limit
    row = one([(2015, 90.0), (2020, 90 * 1.01 ** 5)], limit=100.0)
    assert row["scaling"] == pytest.approx(c)    # 0.374: 1 % ≥ 1.5 %·C = 0.56 %
    assert row["status"] == ON


@pytest.mark.parametrize(("latest", "expected"), [(100.0, ON), (99.0, DET)])
def test_base_at_the_limit(latest, expected):
    row = one([(2015, 100.0), (2020, latest)], limit=100.0)
    assert row["scaling"] == 0.0 and row["status"] == expected


def test_many_series_and_areas_at_once():
    frame = pl.concat([obs([(2015, 100.0), (2017, 121.0)], "A", "KAZ"),
                       obs([(2015, 100.0), (2020, 90.0)], "A", "KGZ"),
                       obs([(2015, 100.0), (2017, 81.0)], "B", "KAZ")])
    tgt = pl.concat([targets("higher", None, "A"), targets("lower", 20.0, "B")])
    result = assess_opensdg(frame, tgt)
    assert result.select("series", "area", "status").rows() == [
        ("A", "KAZ", ON), ("A", "KGZ", DET), ("B", "KAZ", ON)]


# --- property: units do not matter ----------------------------------------------------------

EDGES = [0.95, 0.60, 0.0, 0.015, 0.005]


@st.composite
def cases(draw):
    years = draw(st.lists(st.integers(2010, 2024), min_size=1, max_size=6, unique=True))
    values = draw(st.lists(st.floats(0.01, 1e4), min_size=len(years), max_size=len(years)))
    target = draw(st.none() | st.floats(0.01, 1e4))
    return list(zip(years, values, strict=True)), target, draw(st.sampled_from(["higher",
                                                                                 "lower"]))


@settings(max_examples=150, deadline=None)
@given(case=cases(), k=st.floats(1e-3, 1e3))
def test_scaling_values_and_target_keeps_status(case, k):
    points, target, direction = case
    row = one(points, direction, target)
    d = 1 if direction == "higher" else -1
    progress = row["ratio"] if target is not None else (None if row["cagr"] is None
                                                        else d * row["cagr"])
    # Away from the edges, where a last-bit rounding difference could decide.
    assume(progress is None or all(abs(progress - e) > 1e-7 for e in EDGES))
    assume(target is None or abs(row["latest_value"] - target) > 1e-9 * target)
    scaled = one([(y, v * k) for y, v in points], direction,
                 None if target is None else target * k)
    assert scaled["status"] == row["status"]


# --- 2030 projection range (UNSD's two-halves rule) --------------------------------------

def test_projection_range_hand_worked():
    # t0 = 2015 (2012 ignored), middle = the (4 - 1) // 2 = 1st from t0: 2017.
    row = one([(2012, 70.0), (2015, 80.0), (2017, 100.0), (2019, 104.0), (2020, 110.0)],
              target=150.0)
    cagr = (110 / 80) ** (1 / 5) - 1
    first, second = (100 / 80) ** (1 / 2) - 1, (110 / 100) ** (1 / 3) - 1
    assert row["projected_2030"] == pytest.approx(110 * (1 + cagr) ** 10, rel=1e-12)
    assert row["projected_2030_low"] == pytest.approx(110 * (1 + second) ** 10, rel=1e-12)
    assert row["projected_2030_high"] == pytest.approx(110 * (1 + first) ** 10, rel=1e-12)
    assert row["projected_2030_low"] <= row["projected_2030"] <= row["projected_2030_high"]


def test_projection_range_negative_values():
    # All negative: the ratios are positive; low and high are the smaller and larger value.
    row = one([(2015, -10.0), (2016, -8.0), (2018, -7.0)], direction="lower")
    first, second = (8 / 10) - 1, (7 / 8) ** (1 / 2) - 1
    ends = sorted([-7 * (1 + first) ** 12, -7 * (1 + second) ** 12])
    assert [row["projected_2030_low"], row["projected_2030_high"]] == pytest.approx(ends)
    assert row["projected_2030_low"] <= row["projected_2030"] <= row["projected_2030_high"]


@pytest.mark.parametrize("points", [
    [(2015, 80.0), (2020, 110.0)],                  # two points from t0
    [(2010, 50.0), (2014, 60.0), (2015, 80.0), (2020, 110.0)],  # two from t0
    [(2015, 80.0)],
    [(2010, 80.0), (2012, 90.0)],                   # nothing from t0
])
def test_projection_range_null_below_three_points(points):
    row = one(points, target=150.0)
    assert (row["projected_2030_low"], row["projected_2030_high"]) == (None, None)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(0.5, 500.0), min_size=1, max_size=8),
       sign=st.sampled_from([1.0, -1.0]), direction=st.sampled_from(["higher", "lower"]))
def test_projection_range_contains_the_projection(values, sign, direction):
    row = one([(2015 + i, sign * v) for i, v in enumerate(values)], direction)
    if len(values) < 3:
        assert row["projected_2030_low"] is None and row["projected_2030_high"] is None
    else:
        low, mid, high = (row[k] for k in ("projected_2030_low", "projected_2030",
                                           "projected_2030_high"))
        slack = 1e-9 * max(abs(low), abs(high), abs(mid))
        assert low - slack <= mid <= high + slack
