"""Which UN entities work on which SDG targets in each country: the question UN INFO asks of
a UN country team, answered from the partners' projects.

A UN entity works on a target in a country when it reports a project there with money on
that target, or takes part in one (funding, accountable, extending or implementing) that
another organisation reports. Entities are recognised by their IATI organisation identifier
(:func:`sdgbridge.projects.overlaps.is_un`, or ``un_entity`` set in the registry); country
and target are those of the flat export (:func:`sdgbridge.projects.sdg.flat_export`: the
transaction's country, else the activity's; targets declared or inferred from sectors).
The money is the project's disbursements and expenditure (UN entities mostly report the
latter) on that target in that country over the period: it shows
the size of the work the entity is part of, and is not split between the entities of one
project (so it does not add up across entities).
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.projects.overlaps import is_un, org_key
from sdgbridge.projects.periods import Period
from sdgbridge.projects.visibility import shown

COLUMNS = ("country", "target", "entity", "entity_name", "projects", "as_reporter",
           "value_usd")


def _entities(engine: Engine) -> pl.DataFrame:
    """Activity × UN entity (key, name, role) of the activities a reader may see."""
    a, p, o = t.iati_activity.c, t.iati_participant.c, t.organisation.c
    with engine.connect() as conn:
        reporters = conn.execute(select(a.iati_identifier, a.reporting_org_ref,
                                        a.reporting_org_name).where(shown())).all()
        parts = conn.execute(select(p.iati_identifier, p.ref, p.name).join(
            t.iati_activity, a.iati_identifier == p.iati_identifier).where(shown())).all()
        registry = set(conn.execute(select(o.ref).where(o.un_entity.is_not(None),
                                                        o.ref.is_not(None))).scalars())
    rows = []
    for ident, ref, name in reporters:
        key = org_key(ref, None, {})
        if key and (is_un(key) or key in registry):
            rows.append((ident, key, name, True))
    for ident, ref, name in parts:
        key = org_key(ref, None, {})
        if key and (is_un(key) or key in registry):
            rows.append((ident, key, name, False))
    return pl.DataFrame(rows, schema={"iati_identifier": pl.Utf8, "entity": pl.Utf8,
                                      "name": pl.Utf8, "reporter": pl.Boolean}, orient="row")


def _joined(engine: Engine, flat: pl.DataFrame, countries: list[str] | None,
            period: Period | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Activity × country × target × UN entity with the money, and the entities' names."""
    entities = _entities(engine)
    names = (entities.drop_nulls("name").group_by("entity", "name").len()
             .sort(["entity", "len", "name"], descending=[False, True, False])
             .unique("entity", keep="first").select("entity", entity_name="name"))
    rows = flat.filter(pl.col("country").is_not_null(), pl.col("target").is_not_null())
    if countries is not None:
        rows = rows.filter(pl.col("country").is_in(countries))
    if period is not None:
        rows = rows.filter(period.years())
    money = rows.group_by("iati_identifier", "country", "target").agg(
        pl.col("value_share_usd").filter(pl.col("transaction_type").is_in(["3", "4"])).sum()
        .alias("value_usd"))
    per_activity = entities.group_by("iati_identifier", "entity").agg(
        pl.col("reporter").any())
    return money.join(per_activity, on="iati_identifier"), names


def un_entities_by_target(engine: Engine, flat: pl.DataFrame, countries: list[str] | None = None,
                          period: Period | None = None) -> pl.DataFrame:
    """Per country (ISO alpha-2), SDG target and UN entity: its projects there (how many it
    reports itself) and their money on the target in US dollars (:data:`COLUMNS`), largest
    first within each country and target. ``flat`` is the flat export."""
    joined, names = _joined(engine, flat, countries, period)
    return (joined.group_by("country", "target", "entity").agg(
        pl.col("iati_identifier").n_unique().alias("projects"),
        pl.col("iati_identifier").filter(pl.col("reporter")).n_unique().alias("as_reporter"),
        pl.col("value_usd").sum())
        .join(names, on="entity", how="left")
        .with_columns(pl.col("entity_name").fill_null(pl.col("entity")))
        .sort(["country", "target", "value_usd", "entity"],
              descending=[False, False, True, False])
        .select(COLUMNS))


def _target_key(code: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 100 + ord(p[0]) for p in code.split("."))


def un_entities_by_country(engine: Engine, flat: pl.DataFrame,
                           countries: list[str] | None = None, period: Period | None = None
                           ) -> pl.DataFrame:
    """Per country and UN entity: the SDG targets it works on there (framework order), its
    projects and their money on those targets (US dollars), largest first."""
    joined, names = _joined(engine, flat, countries, period)
    return (joined.group_by("country", "entity").agg(
        pl.col("target").unique().alias("targets"),
        pl.col("iati_identifier").n_unique().alias("projects"),
        pl.col("value_usd").sum())
        .with_columns(pl.col("targets").map_elements(
            lambda s: sorted(s, key=_target_key), return_dtype=pl.List(pl.Utf8)))
        .join(names, on="entity", how="left")
        .with_columns(pl.col("entity_name").fill_null(pl.col("entity")))
        .sort(["country", "value_usd", "entity"], descending=[False, True, False])
        .select("country", "entity", "entity_name", "targets", "projects", "value_usd"))
