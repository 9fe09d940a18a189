"""SDR 2023's regional filling of missing goals from a shipped table
(``sdgbridge.assessment.methods.sdsn_regions``), worked by hand."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sdgbridge.assessment.methods.sdsn import index
from sdgbridge.assessment.methods.sdsn_regions import (
    load_means,
    regional_means,
    shipped_means,
    write_means,
)
from sdgbridge.assessment.profiles import load_profile
from sdgbridge.errors import ConfigError

GOALS = pl.DataFrame({"goal": [1, 14, 1, 1, 14, 1], "area": list("aabccd"),
                      "score": [80.0, 40.0, 60.0, 10.0, 90.0, 50.0],
                      "in_index": [True, True, True, False, False, True]})
REGIONS = pl.DataFrame({"area": list("abcd"), "region": ["R", "R", "R", "Q"]})


def by_area(frame: pl.DataFrame, column: str) -> dict[str, object]:
    return dict(zip(frame["area"], frame[column], strict=True))


def test_regional_means_hand_worked() -> None:
    got = regional_means(GOALS, REGIONS)
    # c has no Index (in_index false): it does not count. R, goal 1: (80 + 60) / 2 = 70 over
    # a and b; R, goal 14: a's 40 alone; Q, goal 1: d's 50.
    assert got.rows() == [("Q", 1, 50.0, 1), ("R", 1, 70.0, 2), ("R", 14, 40.0, 1)]


def test_index_fills_from_the_shipped_means_not_the_store() -> None:
    shipped = pl.DataFrame({"region": ["R", "R", "Q"], "goal": [1, 14, 1],
                            "score": [70.0, 55.0, 50.0]})
    got = index(GOALS, REGIONS, shipped)
    # b lacks goal 14 (landlocked, say): the shipped R mean 55, not a's 40 in the store:
    # (60 + 55) / 2 = 57.5. a has both: (80 + 40) / 2 = 60. d's region Q has no goal-14
    # mean: d keeps its own 50. c has no Index.
    assert by_area(got, "index") == pytest.approx({"a": 60.0, "b": 57.5, "d": 50.0})
    assert by_area(got, "n_imputed") == {"a": 0, "b": 1, "d": 0}
    assert by_area(got, "n_goals") == {"a": 2, "b": 1, "d": 1}


def test_means_file_round_trip_and_version(tmp_path: Path) -> None:
    out = tmp_path / "means.csv"
    frame = regional_means(GOALS, REGIONS)
    write_means(frame, out, "mine.3", source="a test")
    assert out.read_text().startswith("# sdgbridge regional goal means for profile mine.3 ")
    assert load_means(out, "mine.3").equals(frame)
    with pytest.raises(ConfigError, match="computed for profile mine.3, not mine.4"):
        load_means(out, "mine.4")


def test_shipped_profile_means() -> None:
    """The shipped table is for the shipped profile's version; the six countries are in
    SDR's 'E. Europe & C. Asia', whose goal-14 mean fills their (landlocked) goal 14."""
    prof = load_profile("sdr-2025")
    fill = shipped_means(prof)
    assert fill is not None
    regions, means = fill
    assert regions.height == 166 and regions["area"].is_unique().all()
    six = regions.filter(pl.col("area").is_in(["4", "398", "417", "762", "795", "860"]))
    assert set(six["region"]) == {"E. Europe & C. Asia"}
    assert means.filter((pl.col("region") == "E. Europe & C. Asia") & (pl.col("goal") == 14)
                        ).height == 1
    # No profile series for goals 10, 12, 13 and 17: no means, nothing filled there.
    assert not set(means["goal"]) & {10, 12, 13, 17}
    assert (means["n_countries"] >= 1).all()
