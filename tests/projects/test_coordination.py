"""Money against progress: the join of the flat IATI export with an assessment, on the
store as a whole; and the partners and funders of the 3W table."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from sdgbridge.assessment.run import assess, roll_up, series_indicators
from sdgbridge.ingest.load import ingest
from sdgbridge.kept import Keeper
from sdgbridge.projects.coordination import (
    funders_by_country,
    money_against_progress,
    money_by_target,
    money_vs_progress,
    partners_in,
    projects_frame,
)
from sdgbridge.projects.queries import three_w
from sdgbridge.projects.sdg import flat_export, load_mapping
from sdgbridge.reference.catalog import iso2_to_m49
from tests.helpers import derived_slice, import_specimens


def test_money_against_progress_on_real_data(engine, tmp_path: Path) -> None:
    import_specimens(engine, "usda-kazakhstan.xml", "usda-tajikistan.xml")
    ingest(engine, derived_slice(tmp_path / "s.csv", ("SN_ITK_DEFC", "AG_PRD_ORTIND",
                                                      "SH_STA_STNT")))
    rolled = roll_up(assess(engine, "unsd", ["CARSDG"]).results, series_indicators(engine),
                     "target")
    flat = flat_export(engine)
    iso = {"KZ": "398", "KG": "417", "TJ": "762", "TM": "795", "UZ": "860", "AF": "4"}
    money = money_by_target(flat, iso)
    assert money.height > 0
    # Every sum is the flat export's disbursement rows for the same country and target.
    back = {v: k for k, v in iso.items()}
    for area, target, disbursed in money.select("area", "target", "disbursement").rows():
        rows = flat.filter((pl.col("country") == back[area]) & (pl.col("target") == target)
                           & (pl.col("transaction_type") == "3")
                           & (pl.col("currency") == "USD"))
        assert disbursed == pytest.approx(rows["value_share"].sum())
    table = money_vs_progress(rolled, money)
    assert set(table["area"]) <= {"398", "417", "762", "795", "860", "4"}
    assert {"status", "disbursement", "projects", "flag"} <= set(table.columns)
    flagged = table.filter(pl.col("flag") == "off track, little support")
    assert flagged["status"].is_in(["stagnating", "regressing"]).all()


def test_flags_follow_the_rule() -> None:
    # Two countries, USD 10 million each, 20 in the region. 398 puts 90 % of its money on
    # 1.1, the region 45 % (ratio 2.0); 417 puts 2 % on 3.1, the region 5 % (ratio 0.4);
    # 2.1 gets nothing in 398; 417's 60 % on 2.1 is twice the region's 30 %.
    targets = ["1.1", "2.1", "3.1", "4.1"]
    rolled = pl.DataFrame({
        "target": targets * 2, "area": ["398"] * 4 + ["417"] * 4, "coverage": [1] * 8,
        "on track": [1, 0, 0, 1, 1, 0, 0, 0], "needs acceleration": [0] * 8,
        "stagnating": [0, 1, 0, 0, 0, 1, 1, 0], "regressing": [0, 0, 1, 0, 0, 0, 0, 1],
        "insufficient data": [0] * 8})
    money = pl.DataFrame({
        "area": ["398"] * 3 + ["417"] * 3, "target": ["1.1", "3.1", "4.1", "2.1", "3.1", "4.1"],
        "disbursement": [9e6, 0.8e6, 0.2e6, 6e6, 0.2e6, 3.8e6],
        "commitment": [0.0] * 6, "projects": [3, 2, 1, 4, 1, 2],
        "other_currency_rows": [0] * 6})
    out = money_vs_progress(rolled, money)
    flags = {(a, t): f for a, t, f in out.select("area", "target", "flag").iter_rows()}
    assert flags == {
        ("398", "1.1"): "on track, much support",
        ("398", "2.1"): "off track, little support",  # nothing disbursed
        ("398", "3.1"): None, ("398", "4.1"): None,
        ("417", "1.1"): None,  # on track, nothing disbursed: not a gap of need
        ("417", "2.1"): None,  # stagnating, but 60 % of its money (ratio 2.0)
        ("417", "3.1"): "off track, little support",
        ("417", "4.1"): None}
    ratio = dict(out.filter(pl.col("area") == "417").select("target", "support_ratio")
                 .iter_rows())
    assert ratio["3.1"] == pytest.approx((0.2 / 10) / (1.0 / 20))
    assert ratio["2.1"] == pytest.approx(2.0)


@pytest.fixture
def kazakhstan(engine: Engine, tmp_path: Path) -> Engine:
    """The slice of three series, and USDA's projects in Kazakhstan (specimens)."""
    import_specimens(engine, "usda-kazakhstan.xml")
    ingest(engine, derived_slice(tmp_path / "s.csv", ("SN_ITK_DEFC", "AG_PRD_ORTIND",
                                                      "SH_STA_STNT")))
    return engine


def test_money_against_progress_runs_the_pipeline(kazakhstan: Engine) -> None:
    engine, kept = kazakhstan, Keeper()
    table = money_against_progress(engine, "unsd", ["CARSDG"], kept=kept)
    rolled = roll_up(assess(engine, "unsd", ["CARSDG"]).results, series_indicators(engine),
                     "target")
    expected = money_vs_progress(rolled, money_by_target(flat_export(engine),
                                                         iso2_to_m49(engine)))
    assert table.equals(expected) and table["disbursement"].sum() > 0
    assert money_against_progress(engine, "unsd", ["CARSDG"], kept=kept) is table  # kept
    flagged = money_against_progress(engine, "unsd", ["CARSDG"], only_flagged=True)
    assert flagged.equals(expected.filter(pl.col("flag").is_not_null()))
    assert set(money_against_progress(engine, "unsd", ["KAZ"])["area"]) == {"398"}


def test_partners_and_funders_read_the_3w(kazakhstan: Engine) -> None:
    w3 = three_w(kazakhstan)
    usd = w3.filter((pl.col("country") == "KZ") & (pl.col("currency") == "USD"))
    partners = partners_in(w3, "KZ")
    assert partners["disbursement"].sum() == pytest.approx(usd["disbursement"].sum())
    assert partners["disbursement"].to_list() == sorted(partners["disbursement"], reverse=True)
    names = dict(load_mapping().unique("dac_code", keep="first")
                 .select("dac_code", "dac_name").iter_rows())
    assert partners["sector"].to_list() == [names.get(c or "", "")
                                            for c in partners["sector_dac"]]
    assert partners_in(w3, "TJ").height == 0
    totals, cells = funders_by_country(w3, ["KZ", "TJ"], top=1)
    assert totals.height == 1 and set(cells["country"]) == {"KZ"}
    assert totals["disbursement"][0] == pytest.approx(
        cells.group_by("reporting_org_name").agg(pl.col("disbursement").sum())
        ["disbursement"].max())
    assert projects_frame(kazakhstan, three_w, Keeper()).equals(w3)
