"""Listings of the reference data and series, as frames for the CLI and the web layer."""

from __future__ import annotations

import re

import polars as pl
from sqlalchemy import Engine, func, select

from sdgbridge.db import tables as t
from sdgbridge.errors import InputError
from sdgbridge.reference.framework import FRAMEWORK_LANGUAGES
from sdgbridge.reference.geography import resolve_areas


def area_table(engine: Engine, group: str | None = None) -> pl.DataFrame:
    a = t.area.c
    stmt = select(a.code, a.iso3, a.iso2, a.name_en, a.name_ru, a.kind, a.parent
                  ).order_by(a.name_en)
    if group:
        stmt = stmt.where(a.code.in_(resolve_areas(engine, [group])))
    with engine.connect() as conn:
        return pl.read_database(stmt, conn, schema_overrides={"iso3": pl.Utf8, "iso2": pl.Utf8,
                                                              "name_ru": pl.Utf8,
                                                              "parent": pl.Utf8})


def group_table(engine: Engine) -> pl.DataFrame:
    g, m = t.area_group.c, t.group_member.c
    size = select(func.count()).where(m.group_code == g.code).scalar_subquery()
    stmt = select(g.code, g.name_en, g.kind, g.m49, size.label("areas")).order_by(g.kind,
                                                                                  g.code)
    with engine.connect() as conn:
        return pl.read_database(stmt, conn, schema_overrides={"m49": pl.Utf8})


def series_table(engine: Engine, goal: str | None = None) -> pl.DataFrame:
    s, si, o = t.series.c, t.series_indicator.c, t.observation.c
    counts = (select(o.series_id, func.count().label("observations"),
                     func.count(o.area_code.distinct()).label("areas"),
                     func.min(o.year).label("first_year"), func.max(o.year).label("last_year"))
              .where(o.superseded_by.is_(None)).group_by(o.series_id).subquery())
    stmt = (select(s.code.label("series"), s.publisher, s.national, s.description,
                   counts.c.observations, counts.c.areas, counts.c.first_year,
                   counts.c.last_year, s.id)
            .outerjoin(counts, counts.c.series_id == s.id).order_by(s.code, s.publisher))
    with engine.connect() as conn:
        df = pl.read_database(stmt, conn, schema_overrides={"description": pl.Utf8})
        links = pl.read_database(select(si.series_id.label("id"), si.indicator), conn)
    inds = links.group_by("id").agg(pl.col("indicator").sort().str.join(",").alias("indicators"))
    df = df.join(inds, on="id", how="left").drop("id")
    if goal:
        df = df.filter(pl.col("indicators").str.contains(f"(^|,){re.escape(goal)}\\."))
    return df.select("series", "publisher", "indicators", *[c for c in df.columns if c not in
                                                           ("series", "publisher",
                                                            "indicators")])


def indicator_table(engine: Engine, goal: str | None = None, lang: str = "en") -> pl.DataFrame:
    i, ft = t.indicator.c, t.framework_title.c
    title = (select(ft.title).where(ft.kind == "indicator", ft.code == i.code, ft.lang == lang)
             .scalar_subquery())
    stmt = select(i.code, i.target, i.same_as, i.in_framework, title.label("title"))
    if goal:
        stmt = stmt.where(i.goal == goal)
    with engine.connect() as conn:
        df = pl.read_database(stmt, conn, schema_overrides={"same_as": pl.Utf8,
                                                            "title": pl.Utf8})
    return _in_code_order(df)


def _in_code_order(df: pl.DataFrame) -> pl.DataFrame:
    """Rows by SDG code as the framework lists them: 6.1, 6.1.1, 6.2, ..., 6.a, 6.a.1."""
    order = df["code"].map_elements(lambda c: tuple(int(p) if p.isdigit() else 1000 + ord(p[0])
                                                    for p in c.split(".")),
                                    return_dtype=pl.List(pl.Int64))
    return df.with_columns(order.alias("_o")).sort("_o").drop("_o")


FRAMEWORK_LEVELS = ("target", "indicator")


def framework_table(engine: Engine, goal: str | None = None, lang: str = "en",
                    levels: tuple[str, ...] = FRAMEWORK_LEVELS) -> pl.DataFrame:
    """The framework as its document lists it: each target followed by its indicators
    (``level``), with the title in ``lang`` (one of the framework's eight languages)."""
    unknown = sorted(set(levels) - set(FRAMEWORK_LEVELS))
    if unknown or lang not in FRAMEWORK_LANGUAGES:
        raise InputError(f"--level {', '.join(unknown)}: choose target or indicator." if unknown
                         else f"--lang {lang!r}: choose one of {', '.join(FRAMEWORK_LANGUAGES)}.")
    if goal is not None and goal not in _goal_codes(engine):
        raise InputError(f"No SDG goal {goal!r}: the goals are 1 to 17.")
    ft = t.framework_title.c
    stmt = (select(ft.code, ft.kind.label("level"), ft.title)
            .where(ft.lang == lang, ft.kind.in_(levels)))
    if goal:
        stmt = stmt.where(ft.code.startswith(f"{goal}."))
    with engine.connect() as conn:
        return _in_code_order(pl.read_database(stmt, conn, schema_overrides={"title": pl.Utf8}))


def _goal_codes(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(t.goal.c.code)).scalars())
