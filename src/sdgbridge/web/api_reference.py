"""Goals and targets with their official titles in one language, for ``/goals`` and
``/targets`` (the indicators come from :func:`sdgbridge.reference.catalog.indicator_table`).

A candidate for :mod:`sdgbridge.reference.catalog`, next to ``indicator_table``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import polars as pl
from fastapi import Query
from sqlalchemy import Engine, select

from sdgbridge.assessment.model import code_key
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound, SdgBridgeError

Lang = Annotated[str, Query(description="Language of the titles: en, ru, de, kk, ky, tg, tk, "
                            "uk (those loaded with the framework).", pattern="^[a-z]{2}$")]
Kind = Literal["goal", "target"]


def framework_titles(engine: Engine, kind: Kind, goal: str | None, lang: str) -> pl.DataFrame:
    """``code``, ``title`` and ``short`` (goals) or ``goal`` (targets), in code order."""
    ft = t.framework_title.c
    with engine.connect() as conn:
        langs = set(conn.execute(select(ft.lang).distinct()).scalars())
        if lang not in langs:
            raise SdgBridgeError(f"No SDG titles in language {lang!r}; the store has "
                                 f"{', '.join(sorted(langs)) or 'none (run sdgbridge init)'}.")
        if goal is not None and conn.execute(select(t.goal.c.code).where(
                t.goal.c.code == goal)).first() is None:
            raise NotFound(f"No goal {goal!r}: goals are numbered 1 to 17.")
        df = pl.read_database(_statement(kind, goal, lang), conn,
                              schema_overrides={"title": pl.Utf8, "short": pl.Utf8})
    order = df["code"].map_elements(code_key, return_dtype=pl.List(pl.Int64))
    return df.with_columns(order.alias("_o")).sort("_o").drop("_o")


def _statement(kind: Kind, goal: str | None, lang: str):
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
