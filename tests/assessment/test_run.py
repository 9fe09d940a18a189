"""The assessment run on the store: read, method, roll-up (the commands:
``tests/cli/test_progress.py``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sdgbridge.assessment.run import assess, roll_up, series_indicators
from sdgbridge.errors import SdgBridgeError
from sdgbridge.ingest.load import ingest
from tests.helpers import SPECIMENS, derived_slice

SERIES = ("EG_ACS_ELEC", "SH_H2O_SAFE", "EG_FEC_RNEW", "SI_POV_DAY1")


@pytest.fixture
def loaded(engine, tmp_path: Path):
    ingest(engine, derived_slice(tmp_path / "s.csv", SERIES))
    return engine


def test_unsd_on_the_store(loaded) -> None:
    results = assess(loaded, "unsd", ["CARSDG"]).results
    assert set(results["series"]) == set(SERIES)
    kaz = results.filter((pl.col("series") == "EG_ACS_ELEC") & (pl.col("area") == "398"))
    # Kazakhstan: 100 % access to electricity in 2021 against the target of 100 (7.1).
    assert kaz.select("latest_year", "latest_value", "target", "status").row(0) == (
        2021, 100.0, 100.0, "On track or target met")
    assert results["params_version"].unique().to_list() == ["unsd-2026.2"]


def test_escap_on_the_store(loaded) -> None:
    results = assess(loaded, "escap", ["CARSDG"]).results
    kaz = results.filter((pl.col("series") == "EG_ACS_ELEC") & (pl.col("area") == "398"))
    assert kaz["scale"].item() == "on track"  # 100 % since 2021: the target is met
    assert set(results["params_version"]) == {"escap-2026.4"}


def test_sdsn_bounds_from_every_country_results_for_the_asked(loaded) -> None:
    results = assess(loaded, "sdsn", ["KAZ"]).results
    assert set(results["area"]) == {"398"}
    kaz = results.filter(pl.col("series") == "EG_ACS_ELEC").row(0, named=True)
    assert kaz["latest_value"] == 100.0 and kaz["scale"] == "on track"


def test_method_summaries(loaded) -> None:
    from sdgbridge.assessment.run import method_summary

    links = series_indicators(loaded)
    sdsn = dict(method_summary(assess(loaded, "sdsn", ["CARSDG"]), links))
    scores = next(v for k, v in sdsn.items() if k.startswith("SDSN goal scores"))
    assert {"goal", "area", "score", "rating"} <= set(scores.columns)
    assert scores["score"].drop_nulls().is_between(0, 100).all()
    escap = [t for t, _ in method_summary(assess(loaded, "escap", ["CARSDG"]), links)]
    assert escap == ["ESCAP Current Status Index per goal",
                     "ESCAP Anticipated Progress per target"]
    assert method_summary(assess(loaded, "unsd", ["KAZ"]), links) == []


def test_group_assessed_as_one_area(loaded) -> None:
    run = assess(loaded, "unsd", [], group="CARSDG")
    assert set(run.results["area"]) == {"CARSDG"}
    # EG_ACS_ELEC: all six countries report it from 2000 on, so it passes ESCAP's rule.
    assert "EG_ACS_ELEC" in run.results["series"].to_list()


def test_national_series_with_a_user_target_table(engine, tmp_path: Path) -> None:
    ingest(engine, SPECIMENS / "sdmx" / "kyrgyzstan_nsc")
    table = tmp_path / "targets.csv"
    table.write_text("series,direction,target,source\n"
                     "SI_POV_DAY1,lower,0,national plan (test)\n", encoding="utf-8")
    run = assess(engine, "unsd", ["KGZ"], targets=table, publisher="KG_NSC")
    row = run.results.row(0, named=True)
    assert (row["series"], row["area"], row["target"]) == ("SI_POV_DAY1", "417", 0.0)
    assert run.releases == [1]


def test_roll_up_counts_every_series_once(loaded) -> None:
    results = assess(loaded, "opensdg", ["KAZ", "KGZ"]).results
    goals = roll_up(results, series_indicators(loaded), "goal")
    assert goals["goal"].unique(maintain_order=True).to_list() == ["1", "6", "7"]
    seven = goals.filter((pl.col("goal") == "7") & (pl.col("area") == "398"))
    assert seven["coverage"].item() == 2  # EG_ACS_ELEC and EG_FEC_RNEW
    counted = seven.select(pl.sum_horizontal(pl.exclude("goal", "area", "coverage"))).item()
    assert counted == 2


def test_runs_are_stored_with_provenance_and_reproducible(loaded) -> None:
    from sdgbridge.assessment.store import results, runs, save

    first, second = (assess(loaded, "unsd", ["CARSDG"]) for _ in range(2))
    assert first.results_sha256 == second.results_sha256
    assert first.releases == [1] and first.params_version == "unsd-2026.2"
    run_id = save(loaded, first)
    stored = results(loaded, run_id)
    assert stored.height == first.results.height
    assert stored.select("series", "area", "status").rows() == \
        first.results.sort("series", "area").select("series", "area", "status").rows()
    listed = runs(loaded).row(0, named=True)
    assert (listed["method"], listed["rows"], listed["releases"]) == ("unsd", stored.height,
                                                                      "[1]")


def test_relative_target_and_headline_rules_on_the_store(loaded, tmp_path: Path) -> None:
    from sdgbridge.assessment.headline import rules_sha256

    table = tmp_path / "targets.csv"
    table.write_text("series,direction,target,source\n"
                     "SH_H2O_SAFE,higher,rel:1.2,a fifth more than the baseline (test)\n",
                     encoding="utf-8")
    rules = tmp_path / "headlines.csv"
    rules.write_text("series,dimension,codes,rule,reason\n"
                     "SH_H2O_SAFE,location,URBAN,reference,towns only (test)\n",
                     encoding="utf-8")
    shipped = assess(loaded, "unsd", ["KGZ"], targets=table)
    towns = assess(loaded, "unsd", ["KGZ"], targets=table, headlines=rules)
    for run in (shipped, towns):
        row = run.results.row(0, named=True)
        assert row["target"] == pytest.approx(1.2 * row["base_value"], rel=1e-12)
    assert shipped.params["headline_rules_sha256"] == rules_sha256()
    assert towns.params["headline_rules_sha256"] == rules_sha256(rules) != rules_sha256()
    # The urban series is another series of values than the national one.
    assert towns.results["base_value"].item() != shipped.results["base_value"].item()


def test_unknown_method_says_which_exist(loaded) -> None:
    with pytest.raises(SdgBridgeError) as err:
        assess(loaded, "magic", ["KAZ"])
    assert str(err.value) == "Unknown method 'magic'; choose one of escap, opensdg, sdsn, unsd."
