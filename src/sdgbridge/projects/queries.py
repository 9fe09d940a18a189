"""Projects out of the store: listings, one project, its history, and the 3W matrix.

3W (who does what where): per reporting organisation × country × DAC sector × year, the
commitments (transaction type 2) and disbursements (type 3) and the number of projects.
Country and sector are read from the transaction (where the US Government files put them),
else from the activity. Values stay in their currency: the table shows the currency column.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound


def project_table(engine: Engine, country: str | None = None) -> pl.DataFrame:
    a, c, tr = t.iati_activity.c, t.iati_country.c, t.iati_transaction.c
    stmt = select(a.iati_identifier, a.reporting_org_name, a.title_en, a.status,
                  a.actual_start, a.actual_end).order_by(a.iati_identifier)
    if country:
        on_activity = select(c.iati_identifier).where(c.code == country)
        on_transaction = select(tr.iati_identifier).where(tr.country == country)
        stmt = stmt.where(a.iati_identifier.in_(on_activity.union(on_transaction)))
    with engine.connect() as conn:
        return pl.read_database(stmt, conn, infer_schema_length=None)


def project_history(engine: Engine, identifier: str) -> pl.DataFrame:
    ch = t.record_change.c
    with engine.connect() as conn:
        exists = conn.execute(select(t.iati_activity.c.iati_identifier).where(
            t.iati_activity.c.iati_identifier == identifier)).first()
        if exists is None:
            raise NotFound(f"No project {identifier!r}. `sdgbridge projects list` lists them.")
        return pl.read_database(select(ch.changed_at, ch.origin, ch.change, ch.details)
                                .where(ch.record_key == identifier).order_by(ch.id), conn,
                                infer_schema_length=None)


def three_w(engine: Engine) -> pl.DataFrame:
    """Organisation × country × DAC sector × year: commitments, disbursements, projects."""
    a, tr, c = t.iati_activity.c, t.iati_transaction.c, t.iati_country.c
    with engine.connect() as conn:
        df = pl.read_database(
            select(tr.iati_identifier, a.reporting_org_ref, a.reporting_org_name, tr.type,
                   tr.date, tr.value, tr.currency, tr.country, tr.sector_dac)
            .join(t.iati_activity, a.iati_identifier == tr.iati_identifier), conn,
            schema_overrides={"iati_identifier": pl.Utf8, "reporting_org_ref": pl.Utf8,
                              "reporting_org_name": pl.Utf8, "type": pl.Utf8, "date": pl.Utf8,
                              "value": pl.Float64, "currency": pl.Utf8, "country": pl.Utf8,
                              "sector_dac": pl.Utf8})
        activity_country = pl.read_database(select(c.iati_identifier, c.code), conn,
                                            schema_overrides={"iati_identifier": pl.Utf8,
                                                              "code": pl.Utf8})
    fallback = activity_country.unique("iati_identifier", keep="first").rename(
        {"code": "activity_country"})
    df = df.join(fallback, on="iati_identifier", how="left").with_columns(
        pl.coalesce("country", "activity_country").alias("country"),
        pl.col("date").str.slice(0, 4).cast(pl.Int64, strict=False).alias("year"))
    kinds = {"2": "commitment", "3": "disbursement"}
    return (df.filter(pl.col("type").is_in(list(kinds)))
            .group_by("reporting_org_ref", "reporting_org_name", "country", "sector_dac",
                      "year", "currency")
            .agg((pl.col("value").filter(pl.col("type") == "2").sum()).alias("commitment"),
                 (pl.col("value").filter(pl.col("type") == "3").sum()).alias("disbursement"),
                 pl.col("iati_identifier").n_unique().alias("projects"))
            .sort("reporting_org_ref", "country", "sector_dac", "year"))
