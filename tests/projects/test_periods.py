"""Money by period on the real IATI files: per country and year it equals the 3W table's
sums, negative transactions are counted and explained, budgets are counted once per period
(a revised budget replacing the original)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy import Engine, insert

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import SdgBridgeError
from sdgbridge.projects.periods import (
    NEGATIVE_MEANING,
    Period,
    budgets_by_year,
    default_period,
    money_by_year,
    money_flows,
    negative_transactions,
    period_of,
)
from sdgbridge.projects.queries import three_w
from sdgbridge.projects.service import import_files
from tests.helpers import SHARED

SIX = ["KZ", "KG", "TJ", "TM", "UZ", "AF"]


def test_periods() -> None:
    assert str(Period(2020, 2024)) == "2020–2024" and str(Period(2021, 2021)) == "2021"
    assert default_period([2006, 2019, None, 2024]) == Period(2020, 2024)
    this_year = date.today().year
    assert default_period([]) == Period(this_year - 4, this_year)  # a store without money
    assert period_of(2018, None, [2006, 2023]) == Period(2018, 2023)
    assert period_of(None, 2010, [2006, 2023]) == Period(2006, 2010)
    with pytest.raises(SdgBridgeError, match="The period 2024-2020 is not a span of years"):
        Period(2024, 2020)
    with pytest.raises(SdgBridgeError, match="between 1990 and 2100"):
        Period(1066, 2020)


@pytest.fixture
def both(engine: Engine, settings: Settings) -> Engine:
    import_files(engine, settings, [SHARED / "iati" / "activities", SHARED / "iati" / "dportal"])
    return engine


@pytest.mark.shared_data
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_money_by_year_is_the_3w_per_country_and_year(both: Engine) -> None:
    flows = money_flows(both)
    period = Period(2015, 2024)
    by_year = money_by_year(flows, SIX, period)
    w = (three_w(both).filter(pl.col("country").is_in(SIX), period.years())
         .group_by("country", "year").agg(pl.col("disbursement_usd", "commitment_usd",
                                                 "expenditure_usd").sum()))
    joined = by_year.join(w, on=["country", "year"], suffix="_3w")
    assert joined.height == by_year.height == w.height
    for kind in ("disbursement", "commitment", "expenditure"):
        assert (joined[f"{kind}_usd"] - joined[f"{kind}_usd_3w"]).abs().max() < 0.01
    assert by_year["year"].min() >= 2015 and by_year["year"].max() <= 2024
    assert set(by_year["country"]) == set(SIX)
    # The EC's euros are converted (2017-2023 rates), not left out.
    ec = flows.filter(pl.col("currency") == "EUR", pl.col("year").is_between(2017, 2021))
    assert ec.height > 0 and ec["value_usd"].null_count() == 0


@pytest.mark.shared_data
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_negative_transactions_are_explained(both: Engine) -> None:
    flows = money_flows(both)
    negative = negative_transactions(flows)
    assert set(negative["transaction_type"]) <= set(NEGATIVE_MEANING)
    disbursed = negative.filter(pl.col("transaction_type") == "3").row(0, named=True)
    assert disbursed["meaning"].startswith("a reversal of an earlier disbursement")
    assert disbursed["transactions"] > 0 and disbursed["value_usd"] < 0
    # They stay in the sums: the net equals positives plus negatives.
    by_year = money_by_year(flows, SIX)
    assert by_year["negative_transactions"].sum() == flows.filter(
        pl.col("negative"), pl.col("country").is_in(SIX), pl.col("year").is_not_null()).height


def test_a_revised_budget_replaces_the_original(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.iati_activity), [{
            "iati_identifier": "XM-1", "reporting_org_ref": "XM", "content_sha256": "x",
            "archived": False, "visibility": "public"}])
        conn.execute(insert(t.iati_country), [
            {"iati_identifier": "XM-1", "code": "KZ", "percentage": 75.0},
            {"iati_identifier": "XM-1", "code": "KG", "percentage": 25.0}])
        conn.execute(insert(t.iati_budget), [
            {"iati_identifier": "XM-1", "seq": 0, "type": "1", "period_start": "2021-01-01",
             "value": 100.0, "currency": "USD"},
            {"iati_identifier": "XM-1", "seq": 1, "type": "2", "period_start": "2021-01-01",
             "value": 80.0, "currency": "USD"},
            {"iati_identifier": "XM-1", "seq": 2, "type": "1", "period_start": "2022-01-01",
             "value": 40.0, "currency": "EUR", "value_date": "2022-01-01"}])
    out = budgets_by_year(engine)
    rows = {(r["country"], r["year"]): r["budget_usd"] for r in out.iter_rows(named=True)}
    assert rows[("KZ", 2021)] == pytest.approx(60.0)
    assert rows[("KG", 2021)] == pytest.approx(20.0)
    assert rows[("KZ", 2022)] == pytest.approx(30.0 / (1 / 1.0534))
    assert budgets_by_year(engine, ["KG"], Period(2022, 2022))["budget_usd"].to_list() == [
        pytest.approx(10.0 * 1.0534)]
