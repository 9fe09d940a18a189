"""US-dollar amounts from the yearly rate table: the table's checks, the conversion rule
(value-date year, else the transaction's year), and the USD columns of 3W and the flat
export. The rates in the hand-made tables below are test values, not published ones."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from sdgbridge.errors import InputError
from sdgbridge.projects.coordination import money_by_target
from sdgbridge.projects.money import load_rates, missing_rates, rate_year, with_usd
from sdgbridge.projects.queries import three_w
from sdgbridge.projects.sdg import flat_export
from tests.helpers import import_specimens

HEADER = "currency,year,units_per_usd,source\n"


def test_the_shipped_table_covers_the_shared_files() -> None:
    rates = load_rates()
    assert rates.columns == ["currency", "year", "units_per_usd", "source"]
    usd = rates.filter(pl.col("currency") == "USD")
    assert usd["year"].to_list() == list(range(2006, 2025))
    assert usd["units_per_usd"].unique().to_list() == [1.0]
    # The Federal Reserve's G.5A annual averages (2012-2015, 2017-2023); the euro, the pound
    # and the Australian and New Zealand dollars are published in US dollars per unit.
    eur = dict(rates.filter(pl.col("currency") == "EUR").select("year", "units_per_usd")
               .iter_rows())
    assert eur[2020] == pytest.approx(1 / 1.1410, rel=1e-6)
    assert 2016 not in eur  # the 2016 release was not at hand: not guessed
    assert rates.filter(pl.col("currency") == "KRW", pl.col("year") == 2020)[
        "units_per_usd"].item() == 1180.5554
    assert rates.filter(pl.col("currency") != "USD")["source"].str.contains(
        "federalreserve.gov/releases/g5a/").all()


@pytest.mark.parametrize(("body", "message"), [
    ("EURO,2020,0.9,x\n", "line 2: currency 'EURO' is not an ISO 4217 code"),
    ("EUR,20,0.9,x\n", "line 2: year '20' is not a year"),
    ("EUR,2020,0,x\n", "line 2: units_per_usd '0' is not a number above 0"),
    ("EUR,2020,1e3,x\n", "line 2: units_per_usd '1e3' is not a number above 0"),
    ("EUR,2020,0.9,\n", "line 2: source is empty"),
    ("EUR,2020,0.9\n", "line 2: 3 fields, expected 4"),
    ("EUR,2020,0.9,x\n\nEUR,2020,0.8,y\n", "line 4: EUR 2020 repeats line 2"),
])
def test_bad_rate_tables_name_the_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_rates(path)
    assert str(err.value).startswith(f"{path}, {message}")


def test_wrong_header(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("currency,year,rate\nEUR,2020,0.9\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: the columns are currency, year, rate; write "
                                         "them as currency, year, units_per_usd, source"):
        load_rates(path)


def test_conversion_uses_the_value_date_year(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(HEADER + "EUR,2020,0.5,test\nEUR,2021,0.25,test\nUSD,2021,1,identity\n",
                    encoding="utf-8")
    df = pl.DataFrame({
        "currency": ["EUR", "EUR", "EUR", "USD", "KZT", None],
        "value_date": ["2020-12-31", None, "2019-01-01", "2021-03-01", "2021-01-01", None],
        "date": ["2021-01-05", "2021-06-30", "2020-01-01", "2021-03-01", "2021-01-01",
                 "2021-01-01"],
        "value": [100.0, 100.0, 100.0, 7.0, 1000.0, 5.0]}).with_columns(rate_year())
    out = with_usd(df, load_rates(path))
    assert out["value_usd"].to_list() == [200.0, 400.0, None, 7.0, None, None]
    assert out["usd_rate"].to_list() == [0.5, 0.25, None, 1.0, None, None]
    assert missing_rates(df, load_rates(path)).rows() == [("EUR", 2019, 1), ("KZT", 2021, 1)]


def test_three_w_and_flat_in_usd(engine: Engine, tmp_path: Path) -> None:
    import_specimens(engine, "usda-kazakhstan.xml", "usda-tajikistan.xml")
    w = three_w(engine)
    assert w.height > 0 and w["currency"].unique().to_list() == ["USD"]
    for kind in ("commitment", "disbursement"):  # USD at the identity rate: equal sums
        assert w[f"{kind}_usd"].to_list() == w[kind].to_list()
    flat = flat_export(engine)
    assert flat["value_usd"].to_list() == flat["value"].to_list()
    per_tx = flat.group_by("iati_identifier", "transaction_seq").agg(
        pl.col("value_share_usd").sum(), pl.col("value_usd").first())
    assert per_tx["value_share_usd"].to_list() == pytest.approx(per_tx["value_usd"].to_list())

    # A table without the busiest year: its money has no USD sum, the rest keeps its own.
    year = pl.coalesce("value_date", "date").str.slice(0, 4).cast(pl.Int64)
    gap = flat.select(year.mode().first()).item()
    path = tmp_path / "rates.csv"
    path.write_text(HEADER + "".join(f"USD,{y},1,identity\n" for y in range(2006, 2025)
                                     if y != gap), encoding="utf-8")
    partial = three_w(engine, rates=load_rates(path))
    flat_partial = flat_export(engine, rates=load_rates(path))
    years_gap = flat_partial.filter(year == gap)
    assert years_gap.height > 0 and years_gap["value_usd"].null_count() == years_gap.height
    assert flat_partial["value_usd"].null_count() == years_gap.height
    assert partial["disbursement_usd"].null_count() > 0
    assert partial["disbursement"].null_count() == 0
    iso = {"AF": "4", "KZ": "398", "KG": "417", "TJ": "762", "UZ": "860"}
    full, short = money_by_target(flat, iso), money_by_target(flat_partial, iso)
    assert full["other_currency_rows"].unique().to_list() == [0]
    assert short["other_currency_rows"].unique().to_list() == [
        years_gap.filter(pl.col("target").is_not_null()
                          & pl.col("country").is_in(list(iso))).height]
