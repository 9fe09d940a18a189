"""What the store holds, in a few frames: for `sdgbridge demo`, `sdgbridge status` and the web
home page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, func, select

from sdgbridge.db import tables as t
from sdgbridge.ingest.model import parse_dims
from sdgbridge.query.observations import ObservationQuery, query_observations
from sdgbridge.reference.geography import resolve_areas

# Headline series shown by default (UNSD SDG database codes): extreme poverty (1.1.1), safely
# managed drinking water (6.1.1), electricity (7.1.1), renewables share (7.2.1), energy
# intensity (7.3.1), real GDP per capita growth (8.1.1), 4G coverage (9.c.1).
HEADLINE_SERIES = ("SI_POV_DAY1", "SH_H2O_SAFE", "EG_ACS_ELEC", "EG_FEC_RNEW", "EG_EGY_PRIM",
                   "NY_GDP_PCAP", "IT_MOB_4GNTWK")
# Codes that mean "all" in the UNSD and SDMX code lists: a headline value has only these.
TOTAL_CODES = frozenset({"BOTHSEX", "ALLAGE", "ALLAREA", "_T", "_Z", "_X", "ALL", "TOTAL",
                         "NOTSPEC"})


@dataclass
class StoreSummary:
    observations: int
    series: int
    areas: int
    releases: int
    first_year: int | None
    last_year: int | None


def store_summary(engine: Engine, area_codes: Sequence[str] | None = None) -> StoreSummary:
    o = t.observation.c
    with engine.connect() as conn:
        stmt = select(func.count(), func.count(o.series_id.distinct()),
                      func.count(o.area_code.distinct()), func.min(o.year),
                      func.max(o.year)).where(o.superseded_by.is_(None))
        if area_codes:
            stmt = stmt.where(o.area_code.in_(list(area_codes)))
        n, s, a, y0, y1 = conn.execute(stmt).one()
        releases = conn.execute(select(func.count()).select_from(t.release)).scalar_one()
    return StoreSummary(n, s, a, releases, y0, y1)


def publisher_table(engine: Engine, area_codes: Sequence[str]) -> pl.DataFrame:
    """Per publisher (UNSD and the national offices): series, observations, areas, years of
    the current observations of ``area_codes`` and their sub-national areas."""
    o, s, a = t.observation.c, t.series.c, t.area.c
    stmt = (select(s.publisher, func.count(o.series_id.distinct()).label("series"),
                   func.count().label("observations"),
                   func.count(o.area_code.distinct()).label("areas"),
                   func.min(o.year).label("from"), func.max(o.year).label("to"))
            .select_from(t.observation.join(t.series, s.id == o.series_id)
                         .join(t.area, a.code == o.area_code))
            .where(o.superseded_by.is_(None),
                   (a.code.in_(list(area_codes)) | a.parent.in_(list(area_codes))))
            .group_by(s.publisher).order_by(s.publisher))
    with engine.connect() as conn:
        return pl.read_database(stmt, conn)


def is_headline(dims: str) -> bool:
    """True when every dimension of the key is at its total (``BOTHSEX``, ``ALLAREA``, ``_T``)."""
    return all(code in TOTAL_CODES for code in parse_dims(dims).values())


def headline_latest(engine: Engine, group: str, series: Sequence[str] = HEADLINE_SERIES,
                    publisher: str = "UNSD", with_years: bool = False) -> pl.DataFrame:
    """Latest headline value of each series for each area of ``group``, one row per series,
    from one publisher (by default the global database, comparable across countries).
    ``with_years``: each value's own year too, in a column ``year_<ISO3>``."""
    areas = resolve_areas(engine, [group])
    df = query_observations(engine, ObservationQuery(series=series, areas=areas,
                                                     publishers=[publisher]))
    if df.height == 0:
        return df
    keys = [k for k in df["dims"].unique().to_list() if is_headline(k)]
    df = df.filter(pl.col("dims").is_in(keys) & pl.col("value").is_not_null())
    df = df.filter(pl.col("year") == pl.col("year").max().over("series", "area"))
    df = df.unique(["series", "area"], keep="first", maintain_order=True)
    years = df.group_by("series").agg(pl.format("{}-{}", pl.col("year").min(),
                                                 pl.col("year").max()).alias("years"))
    wide = df.with_columns(pl.col("value").round(1).alias("cell")).pivot(
        on="iso3", index=["series", "units"], values="cell", aggregate_function="first")
    wide = wide.join(years, on="series")
    order = {c: i for i, c in enumerate(series)}
    iso = [c for c in _iso_order(engine, areas) if c in wide.columns]
    extra: list[str] = []
    if with_years:
        per = df.with_columns(("year_" + pl.col("iso3")).alias("col")).pivot(
            on="col", index="series", values="year", aggregate_function="first")
        wide = wide.join(per, on="series", how="left")
        extra = [f"year_{c}" for c in iso if f"year_{c}" in wide.columns]
    return wide.sort(pl.col("series").replace_strict(order, default=99)).select(
        "series", "units", *iso, "years", *extra)


def _iso_order(engine: Engine, areas: Sequence[str]) -> list[str]:
    with engine.connect() as conn:
        iso = dict(conn.execute(select(t.area.c.code, t.area.c.iso3)
                                .where(t.area.c.code.in_(list(areas)))).all())
    return sorted(iso[a] for a in areas if iso.get(a))
