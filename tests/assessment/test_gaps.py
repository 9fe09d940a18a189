"""Data gaps per area × series, and their roll-up to indicator, target and goal."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sdgbridge.assessment.gaps import data_gaps, gap_summary
from sdgbridge.assessment.model import OBS_SCHEMA

OBS = pl.DataFrame([
    ("S1", "KAZ", 2012, 1.0), ("S1", "KAZ", 2016, 2.0), ("S1", "KAZ", 2020, 3.0),
    ("S2", "KGZ", 2022, 4.0),
    ("S3", "KAZ", 2014, 5.0),
    ("S9", "KAZ", 2023, 6.0),            # not expected: ignored
    ("S1", "UZB", 2021, 7.0),            # area not asked for: ignored
], schema=OBS_SCHEMA, orient="row")

GAP_SCHEMA = {"area": pl.Utf8, "series": pl.Utf8, "has_data": pl.Boolean,
              "n_points": pl.Int64, "first_year": pl.Int64, "latest_year": pl.Int64,
              "years_since_latest": pl.Int64}

MAPPING = pl.DataFrame({"series": ["S1", "S2", "S3", "S2"],
                        "indicator": ["1.1.1", "1.2.1", "2.1.1", "1.1.1"]})


def table(rows: list[tuple], schema: dict) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def summary_schema(level: str) -> dict:
    return {"area": pl.Utf8, level: pl.Utf8, "n_series": pl.Int64, "n_with_data": pl.Int64,
            "share_with_data": pl.Float64, "n_recent": pl.Int64, "share_recent": pl.Float64,
            "n_points": pl.Int64}


def test_data_gaps_reference_year_defaults_to_latest_in_obs():
    gaps = data_gaps(OBS, ["S1", "S2", "S3"], ["KAZ", "KGZ"])   # reference year 2023
    assert_frame_equal(gaps, table([
        ("KAZ", "S1", True, 2, 2012, 2020, 3),
        ("KAZ", "S2", False, 0, None, None, None),
        ("KAZ", "S3", True, 0, 2014, 2014, 9),
        ("KGZ", "S1", False, 0, None, None, None),
        ("KGZ", "S2", True, 1, 2022, 2022, 1),
        ("KGZ", "S3", False, 0, None, None, None),
    ], GAP_SCHEMA))


def test_data_gaps_since_and_reference_year():
    gaps = data_gaps(OBS, ["S1"], ["KAZ"], since=2010, reference_year=2025)
    assert_frame_equal(gaps, table([("KAZ", "S1", True, 3, 2012, 2020, 5)], GAP_SCHEMA))


def test_data_gaps_counts_years_not_rows():
    twice = pl.concat([OBS, OBS])
    assert data_gaps(twice, ["S1"], ["KAZ"])["n_points"].to_list() == [2]


def test_data_gaps_on_empty_obs():
    gaps = data_gaps(OBS.clear(), ["S1"], ["KAZ"])
    assert_frame_equal(gaps, table([("KAZ", "S1", False, 0, None, None, None)], GAP_SCHEMA))


@pytest.fixture
def gaps() -> pl.DataFrame:
    return data_gaps(OBS, ["S1", "S2", "S3"], ["KAZ", "KGZ"])


def test_gap_summary_by_indicator(gaps):
    # 1.1.1 rests on S1 and S2; recent = latest >= 2023 − 3 = 2020.
    assert_frame_equal(gap_summary(gaps, MAPPING, "indicator"), table([
        ("KAZ", "1.1.1", 2, 1, 0.5, 1, 0.5, 2),
        ("KAZ", "1.2.1", 1, 0, 0.0, 0, 0.0, 0),
        ("KAZ", "2.1.1", 1, 1, 1.0, 0, 0.0, 0),   # S3: data only from 2014
        ("KGZ", "1.1.1", 2, 1, 0.5, 1, 0.5, 1),
        ("KGZ", "1.2.1", 1, 1, 1.0, 1, 1.0, 1),
        ("KGZ", "2.1.1", 1, 0, 0.0, 0, 0.0, 0),
    ], summary_schema("indicator")))


def test_gap_summary_by_goal_counts_each_series_once(gaps):
    # S2 serves 1.1.1 and 1.2.1, both in goal 1: counted once there.
    assert_frame_equal(gap_summary(gaps, MAPPING, "goal"), table([
        ("KAZ", "1", 2, 1, 0.5, 1, 0.5, 2),
        ("KAZ", "2", 1, 1, 1.0, 0, 0.0, 0),
        ("KGZ", "1", 2, 1, 0.5, 1, 0.5, 1),
        ("KGZ", "2", 1, 0, 0.0, 0, 0.0, 0),
    ], summary_schema("goal")))


def test_gap_summary_by_target_with_a_stricter_recency(gaps):
    # recent_years=1: latest >= 2022 only (KGZ S2); KAZ S1 (2020) is no longer recent.
    assert_frame_equal(gap_summary(gaps, MAPPING, "target", recent_years=1), table([
        ("KAZ", "1.1", 2, 1, 0.5, 0, 0.0, 2),
        ("KAZ", "1.2", 1, 0, 0.0, 0, 0.0, 0),
        ("KAZ", "2.1", 1, 1, 1.0, 0, 0.0, 0),
        ("KGZ", "1.1", 2, 1, 0.5, 1, 0.5, 1),
        ("KGZ", "1.2", 1, 1, 1.0, 1, 1.0, 1),
        ("KGZ", "2.1", 1, 0, 0.0, 0, 0.0, 0),
    ], summary_schema("target")))


def test_gap_summary_rejects_unknown_level(gaps):
    with pytest.raises(ValueError, match="indicator, target or goal"):
        gap_summary(gaps, MAPPING, "area")  # type: ignore[arg-type]
