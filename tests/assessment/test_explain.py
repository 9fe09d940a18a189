"""The rule that decided each status, read back from a method's results (hand-worked)."""

from __future__ import annotations

import polars as pl
import pytest

from sdgbridge.assessment.explain import RULES, decided_by, rule_numbers
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.methods.escap import assess_escap
from sdgbridge.assessment.methods.opensdg import assess_opensdg
from sdgbridge.assessment.methods.unsd import assess_unsd

OBS = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64}


def obs(rows: list[tuple[str, dict[int, float]]]) -> pl.DataFrame:
    return pl.DataFrame([(s, "A", y, float(v)) for s, pts in rows for y, v in pts.items()],
                        schema=OBS, orient="row")


def targets(rows: list[tuple[str, str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame([(s, d, t, "test") for s, d, t in rows], orient="row",
                        schema={"series": pl.Utf8, "direction": pl.Utf8,
                                "target": pl.Float64, "source": pl.Utf8})


CASES = [  # series, points, direction, target
    ("SHORT", {2016: 5.0}, "higher", 10.0),           # one year since 2015
    ("BASE", {2015: 12.0, 2020: 11.0}, "higher", 10.0),  # met at the baseline
    ("LATEST", {2015: 8.0, 2020: 11.0}, "higher", 10.0),  # met at the latest year
    ("ZERO", {2015: 0.0, 2020: 3.0}, "higher", 10.0),   # a zero value: no growth rate
    ("RATIO", {2015: 4.0, 2020: 5.0}, "higher", 10.0),  # ratio bands
    ("GROW", {2015: 4.0, 2020: 5.0}, "higher", None),   # no target: growth bands
    ("FULL", {2015: 100.0, 2020: 100.0}, "higher", None),  # at the natural limit
]
LIMITS = pl.DataFrame({"series": ["FULL"], "lower_limit": [0.0], "upper_limit": [100.0]})


def test_unsd_rules_in_the_methods_order() -> None:
    data = obs([(s, p) for s, p, _, _ in CASES])
    res = decided_by(assess_unsd(data, targets([(s, d, t) for s, _, d, t in CASES])), LIMITS)
    rule = dict(zip(res["series"], res["rule"], strict=True))
    assert rule == {"SHORT": "too_few_years", "BASE": "target_met_at_base",
                    "LATEST": "target_met", "ZERO": "growth_undefined", "RATIO": "ratio",
                    "GROW": "growth", "FULL": "at_limit"}
    # without the limits the flat series is banded on its growth (0 %: stagnation)
    again = decided_by(assess_unsd(data, targets([(s, d, t) for s, _, d, t in CASES])))
    assert again.filter(pl.col("series") == "FULL")["rule"].item() == "growth"


def test_opensdg_and_escap_rules() -> None:
    data = obs([(s, p) for s, p, _, _ in CASES if s in ("SHORT", "LATEST", "RATIO", "GROW")])
    table = targets([(s, d, t) for s, _, d, t in CASES if s in ("SHORT", "LATEST", "RATIO",
                                                                  "GROW")])
    o = dict(decided_by(assess_opensdg(data, table)).select("series", "rule").iter_rows())
    assert o == {"SHORT": "too_few_years", "LATEST": "target_met", "RATIO": "ratio",
                 "GROW": "growth"}
    e = dict(decided_by(assess_escap(data, table)).select("series", "rule").iter_rows())
    # ESCAP: the one-year series has no regression line and no CSI span: too few
    assert e == {"SHORT": "too_few_years", "LATEST": "api", "RATIO": "api",
                 "GROW": "no_target"}


def test_sdsn_goal_is_the_green_threshold_or_the_relative_target() -> None:
    # base 2015 value 40, pace needed 2 a year -> the arrow aims at 40 + 2 * 15 = 70
    frame = pl.DataFrame({"method": ["sdsn"], "series": ["S"], "area": ["A"],
                          "scale": ["stagnating"], "direction": ["higher"],
                          "base_year": [2015], "base_value": [40.0], "latest_value": [50.0],
                          "pace_needed": [2.0], "green": [90.0]})
    out = decided_by(frame).row(0, named=True)
    assert out["goal"] == pytest.approx(70.0) and out["rule"] == "pace"
    kept = decided_by(frame.with_columns(latest_value=pl.lit(71.0))).row(0, named=True)
    assert kept["rule"] == "green_kept"


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_has_rules_and_edges(method: str) -> None:
    assert RULES[method]
    edges = rule_numbers(method, METHODS[method].params())
    assert edges and all(isinstance(v, float) for v in edges.values())


def test_mixed_methods_are_refused() -> None:
    two = pl.DataFrame({"method": ["unsd", "sdsn"], "series": ["S", "S"]})
    with pytest.raises(ValueError, match="one known method"):
        decided_by(two)
