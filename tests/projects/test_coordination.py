"""Money against progress: the join of the flat IATI export with an assessment."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sdgbridge.assessment.run import assess, roll_up, series_indicators
from sdgbridge.ingest.load import ingest
from sdgbridge.projects.coordination import money_by_target, money_vs_progress
from sdgbridge.projects.sdg import flat_export
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
    rolled = pl.DataFrame({
        "target": ["1.1", "2.1", "3.1", "4.1"], "area": ["398"] * 4, "coverage": [1] * 4,
        "on track": [1, 0, 0, 1], "needs acceleration": [0] * 4, "stagnating": [0, 1, 0, 0],
        "regressing": [0, 0, 1, 0], "insufficient data": [0] * 4})
    money = pl.DataFrame({"area": ["398"] * 3, "target": ["1.1", "3.1", "4.1"],
                          "disbursement": [100.0, 50.0, 1.0], "commitment": [0.0] * 3,
                          "projects": [3, 2, 1], "other_currency_rows": [0] * 3})
    out = money_vs_progress(rolled, money)
    assert dict(out.select("target", "flag").iter_rows()) == {
        "1.1": "on track, much support", "2.1": "off track, little support",
        "3.1": None, "4.1": None}
