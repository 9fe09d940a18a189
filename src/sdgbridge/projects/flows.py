"""Where each transaction's money goes: every IATI transaction split over its countries
(or regions) and its DAC sectors, the parts adding up to the transaction's value.

A transaction's own recipient country or region and its own sector count whole (100 %);
otherwise it takes its activity's countries and regions, and its activity's DAC sectors,
each with its published percentage (scaled to sum to 100; equal parts when some are
missing), as the IATI Standard asks. The SDG export (:mod:`.sdg`), the 3W table
(:mod:`.queries`) and the money by year (:mod:`.periods`) all start from these rows, so
their totals agree with each other and with a direct sum over the files.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import ColumnElement, Connection, Engine, select, true

from sdgbridge.db import tables as t
from sdgbridge.projects.visibility import readable, shown


def value_part(value: str = "value") -> pl.Expr:
    """A row's part of its transaction's ``value``: × its country's and its sector's
    percentages (the rows of one transaction add up to its value)."""
    return (pl.col(value) * pl.col("country_percentage") / 100
            * pl.col("sector_percentage") / 100)


def places_and_sectors(engine: Engine, include_archived: bool = False
                       ) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """One row per transaction × country or region × DAC sector, with
    ``country_percentage`` and ``sector_percentage`` (see the module docstring), and the
    activities' own countries, regions, sectors and tags (by kind). Archived projects are
    left out unless ``include_archived``; what the reader may not see always is."""
    with engine.connect() as conn:
        tr = _transactions(conn, include_archived)
        sub = _activity_level(conn, include_archived)
    return _split_sectors(_split_places(tr, sub), sub["sectors"]), sub


def _live(identifier: ColumnElement[str], include_archived: bool) -> ColumnElement[bool]:
    """The condition on an activity identifier that keeps its rows in the export."""
    a = t.iati_activity.c
    condition = shown(include_archived)
    if include_archived and readable() is None:
        return true()
    return identifier.in_(select(a.iati_identifier).where(condition))


def _activity_level(conn: Connection, include_archived: bool) -> dict[str, pl.DataFrame]:
    """The activities' own countries, regions, sectors and tags."""
    out = {}
    for kind, table in (("countries", t.iati_country), ("regions", t.iati_region),
                        ("sectors", t.iati_sector), ("tags", t.iati_tag)):
        schema = {c.name: pl.Float64 if c.name == "percentage" else pl.Utf8
                  for c in table.columns}
        out[kind] = pl.read_database(
            select(table).where(_live(table.c.iati_identifier, include_archived)), conn,
            schema_overrides=schema)
    return out


def _transactions(conn: Connection, include_archived: bool) -> pl.DataFrame:
    """Every transaction with its activity's reporting organisation and its year."""
    a, tr = t.iati_activity.c, t.iati_transaction.c
    stmt = (select(tr.iati_identifier, tr.seq.label("transaction_seq"), a.reporting_org_ref,
                   a.reporting_org_name.label("reporting_org"),
                   tr.type.label("transaction_type"), tr.date, tr.value_date, tr.currency,
                   tr.value,
                   tr.country, tr.region, tr.sector_dac)
            .join(t.iati_activity, a.iati_identifier == tr.iati_identifier)
            .where(_live(a.iati_identifier, include_archived)))
    text = ("iati_identifier", "reporting_org_ref", "reporting_org", "transaction_type",
            "date", "value_date", "currency", "country", "region", "sector_dac")
    df = pl.read_database(stmt, conn, schema_overrides={
        **{c: pl.Utf8 for c in text}, "transaction_seq": pl.Int64, "value": pl.Float64})
    return df.with_columns(
        year=pl.col("date").str.slice(0, 4).cast(pl.Int64, strict=False))


def _percentages() -> pl.Expr:
    """Each row's percentage of its activity: as published, scaled so they sum to 100;
    equal parts when any is missing or they sum to 0."""
    pct, key = pl.col("percentage"), "iati_identifier"
    usable = pct.is_not_null().all().over(key) & (pct.sum().over(key) > 0)
    return pl.when(usable).then(pct * 100 / pct.sum().over(key)) \
        .otherwise(100 / pl.len().over(key))


def _split_places(tr: pl.DataFrame, sub: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Transactions with a country or region keep it (100 %); the others take their
    activity's countries and regions, one row each, with its percentage."""
    own = tr.filter(pl.col("country").is_not_null() | pl.col("region").is_not_null()) \
        .with_columns(country_percentage=pl.lit(100.0))
    places = pl.concat([
        sub["countries"].select("iati_identifier", country="code", region=pl.lit(None, pl.Utf8),
                                percentage="percentage"),
        sub["regions"].select("iati_identifier", country=pl.lit(None, pl.Utf8),
                              region=pl.when(pl.col("vocabulary") == "1").then("code")
                              .otherwise(pl.format("{}:{}", "vocabulary", "code")),
                              percentage="percentage")])
    places = places.with_columns(country_percentage=_percentages()).drop("percentage")
    rest = tr.filter(pl.col("country").is_null() & pl.col("region").is_null()) \
        .drop("country", "region")
    spread = rest.join(places, on="iati_identifier", how="left", maintain_order="left") \
        .with_columns(pl.col("country_percentage").fill_null(100.0))
    return pl.concat([own, spread.select(own.columns)])


def _split_sectors(rows: pl.DataFrame, sectors: pl.DataFrame) -> pl.DataFrame:
    """Transactions with a DAC sector keep it (100 %); the others take their activity's
    DAC sectors (vocabulary 1, else the 3-digit vocabulary 2) with their percentages."""
    own = rows.filter(pl.col("sector_dac").is_not_null()) \
        .with_columns(sector_percentage=pl.lit(100.0))
    dac = sectors.filter(pl.col("vocabulary").is_in(["1", "2"]))
    dac = dac.filter(pl.col("vocabulary") == pl.col("vocabulary").min().over("iati_identifier"))
    dac = dac.select("iati_identifier", sector_dac="code",
                     sector_percentage=_percentages())
    spread = rows.filter(pl.col("sector_dac").is_null()).drop("sector_dac") \
        .join(dac, on="iati_identifier", how="left", maintain_order="left") \
        .with_columns(pl.col("sector_percentage").fill_null(100.0))
    return pl.concat([own, spread.select(own.columns)])
