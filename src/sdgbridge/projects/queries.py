"""Projects out of the store: listings, one project, its history, and the 3W matrix.

3W (who does what where): per reporting organisation × country × DAC sector × year, the
commitments (transaction type 2), disbursements (type 3) and expenditure (type 4) and the
number of projects. Country and sector are read from the transaction (where the US
Government files put them), else from the activity, split by its percentages
(:mod:`.flows`). Values stay in their currency (the currency column), and in US dollars.

Archived projects are left out unless ``include_archived`` (then an ``archived`` column
says which are).

Results: :func:`project_results`, each result indicator with its periods and its link to an
SDG indicator and series (:mod:`.results`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, select

from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound
from sdgbridge.projects.flows import places_and_sectors, value_part
from sdgbridge.projects.iati.export import stored_frame
from sdgbridge.projects.money import load_rates, rate_year, with_usd
from sdgbridge.projects.results import MIN_SIMILARITY, link_indicators, with_series
from sdgbridge.projects.store import CHILDREN
from sdgbridge.projects.visibility import shown


def project_table(engine: Engine, country: str | None = None,
                  include_archived: bool = False) -> pl.DataFrame:
    a, c, tr = t.iati_activity.c, t.iati_country.c, t.iati_transaction.c
    columns = [a.iati_identifier, a.reporting_org_name, a.title_en, a.status, a.actual_start,
               a.actual_end, *([a.archived] if include_archived else [])]
    stmt = select(*columns).order_by(a.iati_identifier).where(shown(include_archived))
    if country:
        on_activity = select(c.iati_identifier).where(c.code == country)
        on_transaction = select(tr.iati_identifier).where(tr.country == country)
        stmt = stmt.where(a.iati_identifier.in_(on_activity.union(on_transaction)))
    with engine.connect() as conn:
        return pl.read_database(stmt, conn, infer_schema_length=None)


def project_history(engine: Engine, identifier: str) -> pl.DataFrame:
    """The changes of one project (record type ``activity``), oldest first: never another
    record's that has the same key (an organisation's ref, with its contacts)."""
    ch = t.record_change.c
    with engine.connect() as conn:
        exists = conn.execute(select(t.iati_activity.c.iati_identifier).where(
            t.iati_activity.c.iati_identifier == identifier, shown(True))).first()
        if exists is None:
            raise NotFound(f"No project {identifier!r}. `sdgbridge projects list` lists them.")
        return pl.read_database(select(ch.changed_at, ch.origin, ch.change, ch.details)
                                .where(ch.record_type == "activity", ch.record_key == identifier)
                                .order_by(ch.id), conn,
                                infer_schema_length=None)


def project_detail(engine: Engine, identifier: str) -> dict[str, Any] | None:
    """One project as stored: ``project`` (the activity row) and ``children`` (its
    countries, regions, sectors, SDG tags, participants, transactions, budgets, documents
    … as lists of rows without the identifier); None when there is no such project."""
    a = t.iati_activity
    with engine.connect() as conn:
        row = conn.execute(select(a).where(a.c.iati_identifier == identifier, shown(True))
                           ).mappings().first()
        if row is None:
            return None
        children = {kind: [_plain(r) for r in conn.execute(
            select(table).where(table.c.iati_identifier == identifier)).mappings()]
            for kind, table in CHILDREN.items()}
    return {"project": _plain(row), "children": children}


def _plain(row: Any) -> dict[str, Any]:
    """A row as a dict with plain ``str`` keys; the identifier kept on the activity only."""
    return {str(k): v for k, v in row.items() if k != "iati_identifier"} | (
        {"iati_identifier": row["iati_identifier"]} if "content_sha256" in row else {})


KINDS = {"2": "commitment", "3": "disbursement", "4": "expenditure"}


def three_w(engine: Engine, include_archived: bool = False,
            rates: pl.DataFrame | None = None) -> pl.DataFrame:
    """Organisation × country × DAC sector × year × currency: commitments, disbursements,
    expenditure and projects, each transaction split over its countries and sectors as
    :mod:`.flows` splits it (so a country's total is the direct sum over the files); and
    the three in US dollars (:mod:`.money`, the shipped rates unless ``rates``), empty for
    a row whose sums hold an amount the rate table cannot convert. Money for a region only
    (no country) has an empty country."""
    rows, _ = places_and_sectors(engine, include_archived)
    df = with_usd(rows.filter(pl.col("transaction_type").is_in(list(KINDS)))
                  .with_columns(value=value_part(), rate_year=rate_year()),
                  load_rates() if rates is None else rates)
    kind = pl.col("transaction_type")
    return (df.group_by("reporting_org_ref", reporting_org_name="reporting_org",
                        country="country", sector_dac="sector_dac", year="year",
                        currency="currency")
            .agg(*[pl.col("value").filter(kind == code).sum().alias(name)
                   for code, name in KINDS.items()],
                 pl.col("iati_identifier").n_unique().alias("projects"),
                 *[_usd_sum(code).alias(f"{name}_usd") for code, name in KINDS.items()])
            # Every group key, so the order (and the API's pages) is the same on every run.
            .sort("reporting_org_ref", "country", "sector_dac", "year", "reporting_org_name",
                  "currency", nulls_last=True))


def _usd_sum(kind: str) -> pl.Expr:
    """The US-dollar sum of the transactions of ``kind``; empty when one lacks a rate."""
    usd = pl.col("value_usd").filter(pl.col("transaction_type") == kind)
    return pl.when(usd.is_null().any()).then(None).otherwise(usd.sum())


RESULT_COLUMNS = ("iati_identifier", "result_seq", "result_type", "result_title",
                  "indicator_seq", "indicator_title", "measure", "ascending", "baseline_year",
                  "baseline_value", "period_start", "period_end", "target_value",
                  "actual_value", "sdg_indicator", "sdg_link", "similarity", "series")
_RESULT_KINDS = {"results": t.iati_result, "indicators": t.iati_result_indicator,
                 "indicator_refs": t.iati_indicator_reference, "periods": t.iati_result_period}


def project_results(engine: Engine, identifiers: Sequence[str] | None = None, *,
                    min_similarity: float = MIN_SIMILARITY,
                    include_archived: bool = False) -> pl.DataFrame:
    """The results of the projects (all, or ``identifiers``): one row per result indicator
    and period (one row for an indicator without periods), with its SDG indicator, how it
    was linked (declared or inferred, :mod:`.results`) and the global series measuring it.
    Archived projects are left out of the listing of all unless ``include_archived``."""
    ids = None if identifiers is None else list(dict.fromkeys(identifiers))
    with engine.connect() as conn:
        if ids is not None:
            _check_projects(conn, ids)
        frames = {kind: stored_frame(conn, table, kind, ids)
                  for kind, table in _RESULT_KINDS.items()}
        if ids is None and not include_archived:
            frames = _without_archived(conn, frames)
        framework, series = _sdg_reference(conn)
    links = with_series(link_indicators(frames["indicators"], frames["indicator_refs"],
                                        framework, min_similarity), framework, series)
    return _result_rows(frames, links)


def _check_projects(conn: Connection, ids: list[str]) -> None:
    a = t.iati_activity.c
    found = {r[0] for r in conn.execute(select(a.iati_identifier).where(
        a.iati_identifier.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"No project {', '.join(map(repr, missing))}. `sdgbridge projects "
                       "list` lists them.")


def _without_archived(conn: Connection, frames: dict[str, pl.DataFrame]
                      ) -> dict[str, pl.DataFrame]:
    a = t.iati_activity.c
    archived = [r[0] for r in conn.execute(select(a.iati_identifier).where(~shown()))]
    return {k: df.filter(~pl.col("iati_identifier").is_in(archived))
            for k, df in frames.items()}


def _sdg_reference(conn: Connection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The SDG indicators (code, English title, same_as) and the global series measuring
    them (indicator, series); national series are left out (a national platform's series
    may mean something else under the same number)."""
    i, s, si = t.indicator.c, t.series.c, t.series_indicator.c
    framework = pl.DataFrame(
        [tuple(r) for r in conn.execute(select(i.code, i.title_en, i.same_as)
                                        .where(i.in_framework).order_by(i.code))],
        schema={"code": pl.Utf8, "title": pl.Utf8, "same_as": pl.Utf8}, orient="row")
    series = pl.DataFrame(
        [tuple(r) for r in conn.execute(
            select(si.indicator, s.code).join(t.series, s.id == si.series_id)
            .where(s.national.is_(False)))],
        schema={"indicator": pl.Utf8, "series": pl.Utf8}, orient="row")
    return framework, series


def _result_rows(frames: dict[str, pl.DataFrame], links: pl.DataFrame) -> pl.DataFrame:
    keys = ["iati_identifier", "result_seq", "indicator_seq"]
    per_indicator = links.group_by(keys, maintain_order=True).agg(
        pl.col("sdg_indicator").str.join(", "), pl.col("sdg_link").unique(
            maintain_order=True).str.join(", "), pl.col("similarity").max(),
        pl.col("series").drop_nulls().str.join(", "))
    results = frames["results"].select("iati_identifier", result_seq="seq",
                                       result_type="type", result_title="title")
    periods = frames["periods"].drop("seq")
    return (frames["indicators"].rename({"seq": "indicator_seq", "title": "indicator_title"})
            .join(results, on=["iati_identifier", "result_seq"], how="left")
            .join(periods, on=keys, how="left")
            .join(per_indicator, on=keys, how="left")
            .with_columns(pl.col("series").replace("", None))
            .select(RESULT_COLUMNS).sort([*keys, "period_start"], nulls_last=True))
