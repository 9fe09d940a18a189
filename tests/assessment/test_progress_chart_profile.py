"""The shipped goal profile ``unsd-progress-chart``: every series of the target table has a
row, each counted row names its Progress Chart indicator and how it is known ([V] read in
the Technical Note, [R] inferred), and every series is in the UN Global SDG Database
2023-12 release or named in the profile's notes."""

from __future__ import annotations

import re

import polars as pl
import pytest

from sdgbridge.assessment.inputs import load_targets
from sdgbridge.assessment.profiles import load_profile, shipped
from tests.helpers import DDF

READ = ("1.1.1", "1.3.1", "2.1.2", "2.2.1", "3.1.2", "3.2.1", "3.3.3", "3.b.1")


@pytest.fixture(scope="module")
def chart() -> pl.DataFrame:
    assert "unsd-progress-chart" in shipped()
    return load_profile("unsd-progress-chart", method="unsd").series


def test_every_target_table_series_has_a_row(chart: pl.DataFrame) -> None:
    table = set(load_targets()["series"])
    assert table <= set(chart["series"])
    outside = chart.filter(~pl.col("series").is_in(list(table)))
    assert outside["counts"].all()  # only the Progress Chart's own series are added
    notes = load_profile("unsd-progress-chart").meta["notes"]
    assert all(code in notes for code in outside["series"])
    left = chart.filter(~pl.col("counts"))
    assert left["reason"].str.starts_with("not assessed in the Progress Chart 2022").all()


def test_counted_rows_name_their_indicator_and_basis(chart: pl.DataFrame) -> None:
    counted = chart.filter(pl.col("counts"))
    assert counted["ref"].str.contains(r"^\d+\.[\da-z]+\.\d+$").all()
    basis = {row["ref"]: re.match(r"\[([VR])\] indicator ([\w.]+),", row["reason"])
             for row in counted.iter_rows(named=True)}
    assert all(m is not None and m.group(2) == ref for ref, m in basis.items())
    assert sorted(ref for ref, m in basis.items() if m and m.group(1) == "V") == sorted(READ)
    assert counted.filter(pl.col("series") == "SH_ACS_DTP3")["ref"].item() == "3.b.1"
    assert len(basis) == 36 and counted.height == 38


@pytest.mark.shared_data  # skipped, saying why, without ../shared; an error in CI
def test_every_series_is_in_the_2023_12_release_or_noted(chart: pl.DataFrame) -> None:
    published = {p.name.split("--")[2] for p in DDF.glob("ddf--datapoints--*.csv")}
    missing = sorted(s for s in chart["series"] if s.lower() not in published)
    assert missing == ["SE_TOT_CPLR"]
    assert "SE_TOT_CPLR (4.1.2) is not in the store's 2023-12" in " ".join(
        load_profile("unsd-progress-chart").meta["notes"].split())
