"""The world table: natural limits and percentiles of every country, shipped as data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sdgbridge.assessment.inputs import load_targets
from sdgbridge.assessment.world import (
    WORLD_COLUMNS,
    load_world,
    with_world_limits,
    world_from_observations,
    world_table,
    write_world,
)
from sdgbridge.errors import InputError

OBS = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64}


def test_limits_and_spread_hand_worked() -> None:
    rows = [("SH", a, 2020, v) for a, v in zip("ABCDEF", [10, 20, 30, 40, 50, 60], strict=True)]
    rows += [("SH", "A", 2010, 0.0),                      # older, not the latest
             ("GR", "A", 2020, -3.0), ("GR", "B", 2020, 7.0),  # a growth rate: negative
             ("BIG", "A", 2020, 150.0), ("CT", "A", 2020, 5e6)]
    obs = pl.DataFrame(rows, schema=OBS, orient="row")
    units = pl.DataFrame({"series": ["SH", "GR", "BIG", "CT"],
                          "units": ["PERCENT", "PERCENT", "PERCENT", "NUMBER"]})
    w = {r["series"]: r for r in world_from_observations(obs, units).iter_rows(named=True)}
    assert (w["SH"]["lower_limit"], w["SH"]["upper_limit"]) == (0.0, 100.0)
    assert (w["GR"]["lower_limit"], w["GR"]["upper_limit"]) == (None, None)
    assert (w["BIG"]["lower_limit"], w["BIG"]["upper_limit"]) == (0.0, None)  # a % above 100
    assert (w["CT"]["lower_limit"], w["CT"]["upper_limit"]) == (0.0, None)
    sh = w["SH"]
    assert sh["n_countries"] == 6 and sh["min"] == 0.0 and sh["max_magnitude"] == 60.0
    # latest values 10..60: linear 2.5th percentile at rank 0.025 * 5 = 0.125 -> 11.25
    assert sh["p2_5"] == pytest.approx(11.25) and sh["p97_5"] == pytest.approx(58.75)
    assert sh["top5_low"] == pytest.approx(30.0) and sh["top5_high"] == pytest.approx(40.0)
    assert w["GR"]["max_magnitude"] == 7.0


def test_shipped_table_is_the_whole_database() -> None:
    world = load_world()
    assert world.columns == list(WORLD_COLUMNS) and world.height > 500
    row = world.filter(pl.col("series") == "EG_ACS_ELEC").row(0, named=True)
    assert (row["lower_limit"], row["upper_limit"]) == (0.0, 100.0) and row["n_countries"] > 200
    # a growth rate is not bounded: its values are negative somewhere
    gdp = world.filter(pl.col("series") == "NY_GDP_PCAP").row(0, named=True)
    assert gdp["lower_limit"] is None and gdp["upper_limit"] is None and gdp["min"] < 0


def test_targets_table_limits_win_over_the_world_table() -> None:
    world = load_world()
    shipped = with_world_limits(load_targets(), world)
    assert shipped.filter(pl.col("series") == "EG_ACS_ELEC")["upper_limit"].item() == 100.0
    own = load_targets().with_columns(lower_limit=pl.lit(None, pl.Float64),
                                      upper_limit=pl.lit(5.0), max_magnitude=pl.lit(None,
                                                                                   pl.Float64))
    assert with_world_limits(own, world)["upper_limit"].unique().to_list() == [5.0]


def test_bad_world_file_says_how_to_remake_it(tmp_path: Path) -> None:
    bad = tmp_path / "world.csv"
    bad.write_text("# header\nseries,units\nS,PERCENT\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"world.csv: missing column\(s\) n_countries.*"
                                         r"sdgbridge world-table --out FILE"):
        load_world(bad)


def test_recomputed_from_a_store_round_trips(engine, tmp_path: Path) -> None:
    from sdgbridge.ingest.load import ingest

    ingest(engine, Path(__file__).parents[1] / "data" / "ddf")
    frame = world_table(engine)
    assert frame.height > 0 and set(frame.columns) == set(WORLD_COLUMNS)
    out = tmp_path / "world.csv"
    write_world(frame, out, source="test")
    assert out.read_text(encoding="utf-8").startswith("# sdgbridge world table:")
    back = load_world(out)
    assert back["series"].to_list() == frame["series"].to_list()
    assert back["max_magnitude"].to_list() == pytest.approx(frame["max_magnitude"].to_list(),
                                                            rel=1e-5)
