"""Listings of the reference data and series, as frames for the CLI and the web layer, and
the look-ups of names and titles in a language (areas from the M49 table, goals, targets
and indicators from the official translations in ``framework_title``)."""

from __future__ import annotations

import re
from typing import Any, Literal

import polars as pl
from sqlalchemy import Engine, Select, func, select

from sdgbridge.assessment.model import code_key
from sdgbridge.db import tables as t
from sdgbridge.errors import InputError, NotFound, SdgBridgeError, UnknownArea
from sdgbridge.reference.framework import FRAMEWORK_LANGUAGES
from sdgbridge.reference.geography import resolve_areas

Kind = Literal["goal", "target"]


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
    stmt = select(g.code, g.name_en, g.name_ru, g.kind, g.m49, size.label("areas")
                  ).order_by(g.kind, g.code)
    with engine.connect() as conn:
        return pl.read_database(stmt, conn, schema_overrides={"m49": pl.Utf8,
                                                              "name_ru": pl.Utf8})


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


def framework_listing(engine: Engine, goal: str | None = None, lang: str = "en",
                    levels: tuple[str, ...] = FRAMEWORK_LEVELS) -> pl.DataFrame:
    """The framework as its document lists it: each target followed by its indicators
    (``level``), with the title in ``lang`` (one of the framework's eight languages)."""
    unknown = sorted(set(levels) - set(FRAMEWORK_LEVELS))
    if unknown or lang not in FRAMEWORK_LANGUAGES:
        raise InputError(f"--level {', '.join(unknown)}: choose target or indicator." if unknown
                         else f"--lang {lang!r}: choose one of {', '.join(FRAMEWORK_LANGUAGES)}.")
    if goal is not None and goal not in goal_codes(engine):
        raise InputError(f"No SDG goal {goal!r}: the goals are 1 to 17.")
    ft = t.framework_title.c
    stmt = (select(ft.code, ft.kind.label("level"), ft.title)
            .where(ft.lang == lang, ft.kind.in_(levels)))
    if goal:
        stmt = stmt.where(ft.code.startswith(f"{goal}."))
    with engine.connect() as conn:
        return _in_code_order(pl.read_database(stmt, conn, schema_overrides={"title": pl.Utf8}))


def framework_table(engine: Engine, kind: Kind, goal: str | None, lang: str) -> pl.DataFrame:
    """Goals or targets (of ``goal``) with their official titles in ``lang``: ``code``,
    ``title`` and ``short`` (goals) or ``goal`` (targets), in code order."""
    ft = t.framework_title.c
    with engine.connect() as conn:
        langs = set(conn.execute(select(ft.lang).distinct()).scalars())
        if lang not in langs:
            raise SdgBridgeError(f"No SDG titles in language {lang!r}; the store has "
                                 f"{', '.join(sorted(langs)) or 'none (run sdgbridge init)'}.")
        if goal is not None and conn.execute(select(t.goal.c.code).where(
                t.goal.c.code == goal)).first() is None:
            raise NotFound(f"No goal {goal!r}: goals are numbered 1 to 17.")
        df = pl.read_database(_framework_statement(kind, goal, lang), conn,
                              schema_overrides={"title": pl.Utf8, "short": pl.Utf8})
    order = df["code"].map_elements(code_key, return_dtype=pl.List(pl.Int64))
    return df.with_columns(order.alias("_o")).sort("_o").drop("_o")


def _framework_statement(kind: Kind, goal: str | None, lang: str) -> Select[Any]:
    ft = t.framework_title.c
    table = t.goal if kind == "goal" else t.target
    title = select(ft.title).where(ft.kind == kind, ft.code == table.c.code, ft.lang == lang)
    cols = [table.c.code, title.scalar_subquery().label("title")]
    if kind == "goal":
        short = select(ft.short).where(ft.kind == kind, ft.code == table.c.code,
                                       ft.lang == lang)
        stmt = select(*cols, short.scalar_subquery().label("short"))
        return stmt.where(table.c.code == goal) if goal else stmt
    stmt = select(*cols, t.target.c.goal)
    return stmt.where(t.target.c.goal == goal) if goal else stmt


def titles(engine: Engine, kind: str, lang: str) -> dict[str, str]:
    """Code -> official title of the goals (their short titles), targets or indicators in
    ``lang`` (English where the translation is missing)."""
    ft = t.framework_title.c
    with engine.connect() as conn:
        rows = conn.execute(select(ft.code, ft.lang, ft.title, ft.short).where(
            ft.kind == kind, ft.lang.in_(["en", lang]))).all()
    found: dict[str, str] = {}
    for code, row_lang, title, short in sorted(rows, key=lambda r: r.lang != "en"):
        if row_lang == lang or code not in found:
            found[code] = (short if kind == "goal" and short else title)
    return found


def series_names(engine: Engine, lang: str) -> dict[tuple[str, str], str]:
    """(series code, publisher) -> the series' name in ``lang``: its own (the source's
    description, or its Russian one); in Russian, where the series has none, the official
    Russian title of the first indicator it serves (the framework's); else the English
    description."""
    s, si = t.series.c, t.series_indicator.c
    with engine.connect() as conn:
        rows = conn.execute(select(s.id, s.code, s.publisher, s.description,
                                   s.description_ru)).all()
        links = conn.execute(select(si.series_id, si.indicator)).all()
    first: dict[int, str] = {}
    for sid, indicator in sorted(links, key=lambda r: (r[0], code_key(r[1]))):
        first.setdefault(sid, indicator)
    indicator_titles = titles(engine, "indicator", lang) if lang != "en" else {}
    found = {}
    for sid, code, publisher, description, description_ru in rows:
        if lang == "ru" and description_ru:
            name = description_ru
        elif lang != "en" and sid in first and first[sid] in indicator_titles:
            name = indicator_titles[first[sid]]
        else:
            name = description or code
        found[(code, publisher)] = name
    return found


def goal_codes(engine: Engine) -> list[str]:
    """The goals' codes, 1 to 17."""
    with engine.connect() as conn:
        codes = conn.execute(select(t.goal.c.code)).scalars().all()
    return sorted(codes, key=int)


def _name(row: Any, lang: str) -> str:
    return str(row.name_ru if lang == "ru" and row.name_ru else row.name_en)


def group_areas(engine: Engine, group: str, lang: str) -> list[dict[str, Any]]:
    """The areas of ``group``: ``code``, ``iso3`` (the code when it has none), ``iso2`` and
    ``name`` in ``lang``, by name."""
    a = t.area.c
    with engine.connect() as conn:
        rows = conn.execute(select(a.code, a.iso3, a.iso2, a.name_en, a.name_ru)
                            .where(a.code.in_(resolve_areas(engine, [group])))).all()
    out = [{"code": r.code, "iso3": r.iso3 or r.code, "iso2": r.iso2, "name": _name(r, lang)}
           for r in rows]
    return sorted(out, key=lambda r: r["name"])


def area_entry(engine: Engine, token: str, lang: str) -> dict[str, Any]:
    """One area by M49 or ISO3 code: as :func:`group_areas` gives it, with its ``kind``;
    :class:`UnknownArea` when there is none."""
    a = t.area.c
    with engine.connect() as conn:
        r = conn.execute(select(a.code, a.iso3, a.iso2, a.name_en, a.name_ru, a.kind)
                         .where((a.code == token) | (a.iso3 == token.upper()))).first()
    if r is None:
        raise UnknownArea([token])
    return {"code": r.code, "iso3": r.iso3 or r.code, "iso2": r.iso2, "kind": r.kind,
            "name": _name(r, lang)}


def area_names(engine: Engine, lang: str) -> dict[str, str]:
    """Area code -> name in ``lang`` (English where there is no Russian one), every area."""
    df = area_table(engine)
    names = df["name_ru"] if lang == "ru" else df["name_en"]
    return dict(zip(df["code"], names.fill_null(df["name_en"]), strict=True))


def with_area_names(engine: Engine, df: pl.DataFrame, lang: str = "en") -> pl.DataFrame:
    """``df`` with ``area_name`` (in ``lang``) after its ``area`` column of area codes; a code
    that names no area (a group assessed as one area) keeps itself as its name."""
    names = pl.col("area").replace_strict(area_names(engine, lang), default=pl.col("area"),
                                          return_dtype=pl.Utf8)
    at = df.columns.index("area") + 1
    return df.with_columns(names.alias("area_name")).select(
        *df.columns[:at], "area_name", *df.columns[at:])


def iso2_to_m49(engine: Engine) -> dict[str, str]:
    """ISO 3166 alpha-2 -> M49 code, the areas that have one (IATI names countries so)."""
    return dict(area_table(engine).drop_nulls("iso2").select("iso2", "code").iter_rows())
