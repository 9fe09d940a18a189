"""What a projection can be: natural limits, the plausibility bound, "target met" at a limit.

Every expected number is worked out by hand below from the method's formula (the module
docstrings) and the rule in docs/progress.md, "Projections".
"""

from __future__ import annotations

import polars as pl
import pytest

from sdgbridge.assessment.methods.escap import assess_escap
from sdgbridge.assessment.methods.opensdg import assess_opensdg
from sdgbridge.assessment.methods.unsd import assess_unsd

OBS = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64}


def obs(points: dict[int, float], series: str = "S") -> pl.DataFrame:
    return pl.DataFrame([(series, "A", y, float(v)) for y, v in points.items()], schema=OBS,
                        orient="row")


def targets(direction: str = "higher", target: float | None = None,
            lower: float | None = None, upper: float | None = None,
            magnitude: float | None = None) -> pl.DataFrame:
    return pl.DataFrame({"series": ["S"], "direction": [direction], "target": [target],
                         "source": ["test"], "lower_limit": [lower], "upper_limit": [upper],
                         "max_magnitude": [magnitude]},
                        schema_overrides={c: pl.Float64 for c in (
                            "target", "lower_limit", "upper_limit", "max_magnitude")})


def one(frame: pl.DataFrame) -> dict[str, object]:
    assert frame.height == 1
    return frame.row(0, named=True)


def test_unsd_share_projected_past_100_is_held_there() -> None:
    # 50 % in 2015, 72 % in 2017: cagr = (72/50)^(1/2) - 1 = 0.2; 72 * 1.2^13 = 769.9 %.
    row = one(assess_unsd(obs({2015: 50, 2017: 72}), targets(lower=0, upper=100)))
    assert row["cagr"] == pytest.approx(0.2)
    assert row["projected_2030"] == 100.0
    assert row["projection_note"] == "held at the upper limit 100.0"
    # without the limit the same data project to 72 * 1.2 ** 13
    free = one(assess_unsd(obs({2015: 50, 2017: 72}), targets()))
    assert free["projected_2030"] == pytest.approx(72 * 1.2**13)
    assert free["projection_note"] is None
    # the status is the same either way: cagr 20 % >= 2 % is on track
    assert row["status"] == free["status"] == "On track or target met"


def test_unsd_ratio_uses_the_held_projection() -> None:
    # target 100, base 50: held projection 100 -> ratio (100 - 50) / (100 - 50) = 1 exactly.
    row = one(assess_unsd(obs({2015: 50, 2017: 72}), targets(target=100, lower=0, upper=100)))
    assert row["ratio"] == pytest.approx(1.0)
    assert row["status"] == "On track or target met"


def test_unsd_projection_beyond_ten_times_the_record_is_withheld() -> None:
    # 1 -> 1953 in six years: cagr = 1953^(1/6) - 1, projected 1953^(15/6) = 1.7e8, far
    # beyond 10 × 2,000 (the largest value any country has had, here): withheld.
    row = one(assess_unsd(obs({2015: 1, 2021: 1953}), targets(
        direction="lower", lower=0, magnitude=2000)))
    assert row["projected_2030"] is None
    assert row["projected_2030_low"] is None and row["projected_2030_high"] is None
    assert str(row["projection_note"]).startswith("withheld: beyond 10×")
    assert row["status"] == "Regression"  # the status rests on the growth rate, not on it
    # 19,999 would be shown: 10 × 2000 = 20,000 is the edge
    kept = one(assess_unsd(obs({2015: 100, 2020: 200}), targets(magnitude=2000)))
    assert kept["projected_2030"] == pytest.approx(200 * 2**2)  # cagr 2^(1/5)-1 over 10 y
    assert kept["projection_note"] is None


def test_unsd_share_at_100_without_target_is_target_met_not_stagnation() -> None:
    row = one(assess_unsd(obs({2015: 100, 2020: 100}), targets(lower=0, upper=100)))
    assert row["cagr"] == 0.0
    assert row["status"] == "On track or target met"
    # the same flat series without a known limit stagnates (cagr 0 is in [0, 0.5 %))
    assert one(assess_unsd(obs({2015: 100, 2020: 100}), targets()))["status"] == "Stagnation"
    # lower is better: a share at 0 has met it too
    low = one(assess_unsd(obs({2015: 0.0, 2020: 0.0}), targets("lower", lower=0, upper=100)))
    assert low["status"] == "On track or target met"
    # 99.9 is not at the limit: cagr 0 there is stagnation
    near = one(assess_unsd(obs({2015: 99.9, 2020: 99.9}), targets(lower=0, upper=100)))
    assert near["status"] == "Stagnation"


def test_unsd_minimum_span_one_year_after_the_baseline() -> None:
    # the technical note: two years with data from 2015 on; one year is insufficient
    assert one(assess_unsd(obs({2016: 5}), targets()))["status"] == "Insufficient data"
    assert one(assess_unsd(obs({2014: 4, 2016: 5}), targets()))["status"] == \
        "Insufficient data"
    two = one(assess_unsd(obs({2016: 5, 2017: 6}), targets()))
    assert two["status"] == "On track or target met" and two["cagr"] == pytest.approx(0.2)


def test_escap_regression_below_zero_is_held_at_zero() -> None:
    # equal spacing, "escap" weights (T - t_min)/(T - t): 2015 -> 15/15 = 1, 2020 -> 15/10
    # = 1.5; the line through (2015, 10) and (2020, 5) is exact: slope -1, 2030 -> -5.
    row = one(assess_escap(obs({2015: 10, 2020: 5}), targets("lower", target=2, lower=0)))
    assert row["slope"] == pytest.approx(-1.0)
    assert row["projected_2030"] == 0.0
    assert row["projection_note"] == "raised to the lower limit 0.0"
    # API on the held value: (0 - 10) / (2 - 10) = 1.25 -> maintain
    assert row["api"] == pytest.approx(1.25)
    assert row["status"] == "Maintain progress to achieve target"


def test_opensdg_limit_from_the_share_bound_makes_100_on_track() -> None:
    # no target, 100 -> 100: C = 1 - (100/100)^4.44 = 0, edges 1.5 % × 0 = 0: cagr 0 is on
    # track; without the limit C = 1 and cagr 0 is limited progress.
    row = one(assess_opensdg(obs({2015: 100, 2020: 100}), targets(lower=0, upper=100)))
    assert row["scaling"] == pytest.approx(0.0)
    assert row["status"] == "On track"
    free = one(assess_opensdg(obs({2015: 100, 2020: 100}), targets()))
    assert free["scaling"] == 1.0 and free["status"] == "Limited progress"
    # a lower-is-better share gets no limit from the bound (C needs a positive limit)
    low = one(assess_opensdg(obs({2015: 10, 2020: 9}), targets("lower", lower=0, upper=100)))
    assert low["scaling"] == 1.0
