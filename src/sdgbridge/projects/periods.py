"""Money by period: commitments, disbursements and expenditure per country and year (by
transaction date), budgets per year (by the budget period's start), in US dollars, with the
negative transactions counted and explained.

Every amount is a part of a transaction as :mod:`.flows` splits it over countries (a
multi-country project's disbursement goes to each country by its percentage), converted at
the yearly rate of :mod:`.money`. A negative transaction is not an error in IATI: it is a
reversal or correction of an earlier one (:data:`NEGATIVE_MEANING`), kept in the sums (so the
net flow is right) and counted apart so a reader sees why a year can go down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.errors import N_, SdgBridgeError
from sdgbridge.projects.flows import places_and_sectors, value_part
from sdgbridge.projects.money import load_rates, rate_year, with_usd
from sdgbridge.projects.visibility import shown

KINDS = {"2": "commitment", "3": "disbursement", "4": "expenditure"}
# What a negative amount of each IATI transaction type means (TransactionType code list).
NEGATIVE_MEANING = {
    "1": "incoming funds returned to the funder",
    "2": "a commitment reduced or cancelled (a de-commitment)",
    "3": "a reversal of an earlier disbursement (money returned, or a correction)",
    "4": "a correction of an earlier expenditure (a refund or a reversal)",
}
FIRST_YEAR, LAST_YEAR = 1990, 2100


@dataclass(frozen=True)
class Period:
    """Whole calendar years, ``start`` to ``end`` (both included)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (FIRST_YEAR <= self.start <= self.end <= LAST_YEAR):
            raise SdgBridgeError(N_("The period {start}-{end} is not a span of years: give a "
                                    "first year not after the last, both between 1990 and "
                                    "2100 (e.g. from=2020&to=2024)."),
                                 start=self.start, end=self.end)

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}–{self.end}"

    def years(self) -> pl.Expr:
        return pl.col("year").is_between(self.start, self.end)


def default_period(years: Sequence[int | None], span: int = 5) -> Period:
    """The last ``span`` years up to the latest year with money (this year when there is
    none)."""
    known = [y for y in years if y is not None and FIRST_YEAR <= y <= LAST_YEAR]
    last = max(known) if known else date.today().year
    return Period(max(FIRST_YEAR, last - span + 1), last)


def period_of(start: int | None, end: int | None, years: Sequence[int | None]) -> Period:
    """The period a user asked for (either end may be left out), else the default one."""
    if start is None and end is None:
        return default_period(years)
    known = [y for y in years if y is not None] or [date.today().year]
    return Period(start if start is not None else min(known),
                  end if end is not None else max(known))


def asked_period(start: int | None, end: int | None) -> Period | None:
    """The period a caller asked for with ``from``/``to`` (a missing end: 1990, or this
    year), or None when it asked for none (every year)."""
    if start is None and end is None:
        return None
    return period_of(start, end, [FIRST_YEAR, date.today().year])


def money_flows(engine: Engine, include_archived: bool = False) -> pl.DataFrame:
    """Each commitment, disbursement and expenditure, split over its countries: activity,
    organisation, type, year, country, ``value`` (the part, in its currency) and
    ``value_usd`` (empty where no rate), ``negative``. Sectors are summed away."""
    rows, _ = places_and_sectors(engine, include_archived)
    rows = rows.filter(pl.col("transaction_type").is_in(list(KINDS))).with_columns(
        value=value_part(), rate_year=rate_year())
    rows = (rows.group_by("iati_identifier", "transaction_seq", "reporting_org_ref",
                          "reporting_org", "transaction_type", "year", "country", "currency",
                          "rate_year", "value_date", "date")
            .agg(pl.col("value").sum()))
    return (with_usd(rows, load_rates())
            .with_columns(negative=pl.col("value") < 0)
            .select("iati_identifier", "transaction_seq", "reporting_org_ref",
                    "reporting_org", "transaction_type", "year", "country", "currency",
                    "value", "value_usd", "negative")
            .sort("iati_identifier", "transaction_seq", "country", nulls_last=True))


def money_by_year(flows: pl.DataFrame, countries: Sequence[str] | None = None,
                  period: Period | None = None) -> pl.DataFrame:
    """Per country (ISO alpha-2) and year: commitments, disbursements and expenditure in US
    dollars (net of reversals), the projects and publishers, the negative transactions and
    their sum, and the amounts left out for want of a rate (``unconverted``)."""
    df = flows.filter(pl.col("country").is_not_null() & pl.col("year").is_not_null())
    if countries is not None:
        df = df.filter(pl.col("country").is_in(list(countries)))
    if period is not None:
        df = df.filter(period.years())
    kind = pl.col("transaction_type")
    return (df.group_by("country", "year").agg(
        *[pl.col("value_usd").filter(kind == code).sum().alias(f"{name}_usd")
          for code, name in KINDS.items()],
        pl.col("iati_identifier").n_unique().alias("projects"),
        pl.col("reporting_org_ref").n_unique().alias("publishers"),
        pl.col("negative").sum().alias("negative_transactions"),
        pl.col("value_usd").filter(pl.col("negative")).sum().alias("negative_usd"),
        pl.col("value_usd").is_null().sum().alias("unconverted"))
        .sort("country", "year"))


def negative_transactions(flows: pl.DataFrame, period: Period | None = None,
                          countries: Sequence[str] | None = None) -> pl.DataFrame:
    """The negative amounts by type, with what each means (:data:`NEGATIVE_MEANING`)."""
    df = flows.filter(pl.col("negative"))
    if countries is not None:
        df = df.filter(pl.col("country").is_in(list(countries)))
    if period is not None:
        df = df.filter(period.years())
    return (df.group_by("transaction_type").agg(
        pl.len().alias("transactions"), pl.col("value_usd").sum().alias("value_usd"),
        pl.col("iati_identifier").n_unique().alias("projects"))
        .with_columns(kind=pl.col("transaction_type").replace_strict(KINDS, default=None),
                      meaning=pl.col("transaction_type").replace_strict(
                          NEGATIVE_MEANING, default=None))
        .sort("transaction_type"))


def budgets_by_year(engine: Engine, countries: Sequence[str] | None = None,
                    period: Period | None = None, include_archived: bool = False
                    ) -> pl.DataFrame:
    """Budgets per country and year (the budget period's start), in US dollars, split over
    the activity's countries by their percentages; where a project publishes a revised
    budget (type 2) for a period, it replaces the original (type 1) for that period."""
    b, c = t.iati_budget.c, t.iati_country.c
    live = b.iati_identifier.in_(
        select(t.iati_activity.c.iati_identifier).where(shown(include_archived)))
    with engine.connect() as conn:
        budgets = pl.read_database(
            select(b.iati_identifier, b.type, b.period_start, b.value, b.currency,
                   b.value_date).where(live), conn,
            schema_overrides={"iati_identifier": pl.Utf8, "type": pl.Utf8,
                              "period_start": pl.Utf8, "value": pl.Float64,
                              "currency": pl.Utf8, "value_date": pl.Utf8})
        places = pl.read_database(select(c.iati_identifier, c.code, c.percentage), conn,
                                  schema_overrides={"iati_identifier": pl.Utf8,
                                                    "code": pl.Utf8, "percentage": pl.Float64})
    revised = budgets.filter(pl.col("type") == "2").select("iati_identifier", "period_start")
    kept = pl.concat([budgets.filter(pl.col("type") == "2"),
                      budgets.filter(pl.col("type") != "2").join(
                          revised, on=["iati_identifier", "period_start"], how="anti")])
    pct = pl.col("percentage")
    usable = pct.is_not_null().all().over("iati_identifier") & (
        pct.sum().over("iati_identifier") > 0)
    places = places.with_columns(share=pl.when(usable).then(
        pct / pct.sum().over("iati_identifier")).otherwise(
        1 / pl.len().over("iati_identifier")))
    df = kept.join(places, on="iati_identifier", how="inner").with_columns(
        value=pl.col("value") * pl.col("share"), country=pl.col("code"),
        year=pl.col("period_start").str.slice(0, 4).cast(pl.Int64, strict=False),
        rate_year=rate_year("value_date", "period_start"))
    df = with_usd(df, load_rates())
    if countries is not None:
        df = df.filter(pl.col("country").is_in(list(countries)))
    if period is not None:
        df = df.filter(period.years())
    return (df.group_by("country", "year").agg(
        pl.col("value_usd").sum().alias("budget_usd"),
        pl.col("iati_identifier").n_unique().alias("projects"),
        pl.col("value_usd").is_null().sum().alias("unconverted"))
        .sort("country", "year"))
