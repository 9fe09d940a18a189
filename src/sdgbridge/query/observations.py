"""Observations back out of the store: by goal, target, indicator or series; areas or groups;
years; dimension filters; latest value per area; as of any release.

Results are Polars frames in the flat layout users ask for: one row per observation with the
series, its indicators, the area (M49, ISO3, name), the period, the value (number and the
source text), units, every dimension as its own column, the attributes and the release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl
from sqlalchemy import ColumnElement, Connection, Engine, and_, func, or_, select

from sdgbridge.db import tables as t
from sdgbridge.db.values import render_value
from sdgbridge.errors import SdgBridgeError, UnknownCode, UnknownRelease, UnknownSeries
from sdgbridge.ingest.model import ATTRIBUTES, parse_dims
from sdgbridge.reference.geography import resolve_areas


@dataclass
class ObservationQuery:
    """What to select. Empty fields select everything."""

    goals: Sequence[str] = ()
    targets: Sequence[str] = ()
    indicators: Sequence[str] = ()
    series: Sequence[str] = ()
    publishers: Sequence[str] = ()
    areas: Sequence[str] = ()  # M49, ISO3 or group codes
    year_from: int | None = None
    year_to: int | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)  # name -> code; "" = total
    headline: bool = False  # only observations without any dimension
    latest: bool = False  # the latest period per series, area, dimensions and units
    as_of: int | None = None  # release id


def _series_ids(conn: Connection, q: ObservationQuery) -> list[int] | None:
    if not (q.goals or q.targets or q.indicators or q.series or q.publishers):
        return None
    q = _framework_codes(conn, q)
    s, si = t.series.c, t.series_indicator.c
    stmt = select(s.id).select_from(t.series.outerjoin(t.series_indicator,
                                                       si.series_id == s.id))
    ind = si.indicator
    conds: list[ColumnElement[bool]] = []
    if q.series:
        conds.append(s.code.in_(list(q.series)))
    if q.indicators:
        conds.append(ind.in_(list(q.indicators)))
    if q.targets:
        conds.append(or_(*[ind.like(f"{tg}.%") for tg in q.targets]))
    if q.goals:
        conds.append(or_(*[ind.like(f"{g}.%") for g in q.goals]))
    stmt = stmt.where(and_(*conds)) if conds else stmt
    if q.publishers:
        stmt = stmt.where(s.publisher.in_(list(q.publishers)))
    ids = sorted(set(conn.execute(stmt).scalars()))
    if q.series and not ids:
        raise UnknownSeries(list(q.series))
    return ids


def _framework_codes(conn: Connection, q: ObservationQuery) -> ObservationQuery:
    """``q`` with its goal, target and indicator codes as the store writes them (``1.A`` ->
    ``1.a``); :class:`UnknownCode` for one that neither the SDG framework nor the data's
    indicators know (where the store holds the framework): it would match nothing."""
    asked = {"goals": (q.goals, [t.goal.c.code]),
             "targets": (q.targets, [t.target.c.code, t.indicator.c.target]),
             "indicators": (q.indicators, [t.indicator.c.code])}
    if not any(codes for codes, _ in asked.values()) or conn.execute(
            select(func.count()).select_from(t.goal)).scalar_one() == 0:
        return q
    found: dict[str, list[str]] = {}
    unknown = []
    for kind, (codes, columns) in asked.items():
        if not codes:
            continue
        wanted = [c.lower() for c in codes]
        known: dict[str, str] = {}
        for column in columns:
            known.update((c.lower(), c) for c in conn.execute(
                select(column).distinct().where(func.lower(column).in_(wanted))).scalars())
        found[kind] = [known[c.lower()] for c in codes if c.lower() in known]
        unknown += [f"{kind[:-1]} {c}" for c in codes if c.lower() not in known]
    if unknown:
        raise UnknownCode(unknown)
    return replace(q, goals=found.get("goals", q.goals),
                   targets=found.get("targets", q.targets),
                   indicators=found.get("indicators", q.indicators))


def validity(conn: Connection, as_of: int | None):
    """The condition for observations current now, or as of release ``as_of``."""
    o = t.observation.c
    if as_of is None:
        return o.superseded_by.is_(None)
    if conn.execute(select(t.release.c.id).where(t.release.c.id == as_of)).scalar() is None:
        raise UnknownRelease(as_of)
    return and_(o.release_id <= as_of, or_(o.superseded_by.is_(None), o.superseded_by > as_of))


def _indicator_lists(conn: Connection, ids: list[int] | None = None) -> dict[int, str]:
    """Series id -> its indicators, comma-separated (of the series ``ids``, or all)."""
    si = t.series_indicator.c
    stmt = select(si.series_id, si.indicator)
    rows = conn.execute(stmt if ids is None else stmt.where(si.series_id.in_(ids)))
    out: dict[int, list[str]] = {}
    for sid, ind in rows:
        out.setdefault(sid, []).append(ind)
    return {k: ",".join(sorted(v, key=_code_order)) for k, v in out.items()}


def _code_order(code: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdecimal() else p for p in code.split("."))


def query_observations(engine: Engine, q: ObservationQuery) -> pl.DataFrame:
    """Run ``q``; a frame with one row per observation (see module docstring)."""
    o, s, a, d = t.observation.c, t.series.c, t.area.c, t.dimension_set.c
    # Resolved before this connection is taken: one connection per call at a time, so that
    # many concurrent calls cannot exhaust the pool while each waits for a second one.
    areas = resolve_areas(engine, q.areas) if q.areas else None
    with engine.connect() as conn:
        ids = _series_ids(conn, q)
        stmt = (select(s.code.label("series"), s.publisher, o.series_id,
                       o.area_code.label("area"), a.iso3, a.name_en.label("area_name"),
                       o.period, o.year, o.value, o.value_text, o.units, d.key.label("dims"),
                       *[getattr(o, c) for c in ATTRIBUTES], o.release_id.label("release"))
                .select_from(t.observation.join(t.series, s.id == o.series_id)
                             .join(t.dimension_set, d.id == o.dims_id)
                             .outerjoin(t.area, a.code == o.area_code))
                .where(validity(conn, q.as_of)))
        if ids is not None:
            stmt = stmt.where(o.series_id.in_(ids))
        if areas is not None:
            stmt = stmt.where(o.area_code.in_(areas))
        if q.year_from is not None:
            stmt = stmt.where(o.year >= q.year_from)
        if q.year_to is not None:
            stmt = stmt.where(o.year <= q.year_to)
        if q.headline:
            stmt = stmt.where(d.key == "")
        df = pl.read_database(stmt, conn, schema_overrides=_SCHEMA)
        indicators = _indicator_lists(conn, ids)
    df = df.with_columns(pl.col("series_id").replace_strict(
        indicators, default=None, return_dtype=pl.Utf8).alias("indicators")).drop("series_id")
    df = _filter_dims(df, q.dimensions)
    if q.latest:
        df = df.filter(pl.col("year") == pl.col("year").max().over(
            "series", "publisher", "area", "dims", "units"))
    return _finish(df)


# Every column typed, so that an empty answer has the same columns and types as any other.
_SCHEMA = {"series_id": pl.Int64, "year": pl.Int64, "release": pl.Int64, "value": pl.Float64,
           "lower_bound": pl.Float64, "upper_bound": pl.Float64,
           **{c: pl.Utf8 for c in ("series", "publisher", "area", "iso3", "area_name", "period",
                                   "value_text", "units", "dims", "unit_mult", "nature",
                                   "obs_status", "time_detail", "source", "footnote",
                                   "attrs")}}


def _filter_dims(df: pl.DataFrame, wanted: Mapping[str, str]) -> pl.DataFrame:
    if not wanted or df.height == 0:
        return df
    keys = df["dims"].unique().to_list()
    keep = [k for k in keys if all(parse_dims(k).get(n, "") == v for n, v in wanted.items())]
    return df.filter(pl.col("dims").is_in(keep))


def _finish(df: pl.DataFrame) -> pl.DataFrame:
    """Add the display value and one column per dimension; order rows and columns."""
    df = df.with_columns(pl.coalesce(pl.col("value_text"), render_value("value"))
                         .alias("value_text"))
    names = sorted({n for k in df["dims"].unique().to_list() for n in parse_dims(k)})
    dims = [pl.col("dims").str.extract(f"(?:^|;){n}=([^;]*)").alias(n) for n in names]
    df = df.with_columns(dims)
    front = ["series", "publisher", "indicators", "area", "iso3", "area_name", "period", "year",
             "value", "value_text", "units", *names]
    rest = [c for c in df.columns if c not in front and c != "dims"]
    return df.select(*front, *rest, "dims").sort("series", "publisher", "area", "dims",
                                                 "units", "year", "period")


def diff_releases(engine: Engine, a: int, b: int, q: ObservationQuery | None = None
                  ) -> pl.DataFrame:
    """Values added, changed or removed between the state as of release ``a`` and ``b``."""
    if a == b:
        raise SdgBridgeError(f"Releases {a} and {b} are the same: give two different release "
                             "ids (`sdgbridge releases` lists them).")
    base = q or ObservationQuery()
    key = ["series", "publisher", "area", "period", "dims", "units"]
    old = query_observations(engine, replace(base, as_of=a)).select(*key, "value_text")
    new = query_observations(engine, replace(base, as_of=b)).select(*key, "value_text")
    joined = old.join(new, on=key, how="full", coalesce=True, suffix="_b", nulls_equal=True)
    change = (pl.when(pl.col("value_text").is_null()).then(pl.lit("added"))
              .when(pl.col("value_text_b").is_null()).then(pl.lit("removed"))
              .when(pl.col("value_text") != pl.col("value_text_b")).then(pl.lit("changed"))
              .otherwise(None))
    return (joined.with_columns(change.alias("change"))
            .filter(pl.col("change").is_not_null())
            .rename({"value_text": f"value_{a}", "value_text_b": f"value_{b}"})
            .select("change", *key, f"value_{a}", f"value_{b}").sort(key))


def release_table(engine: Engine) -> pl.DataFrame:
    """The releases with their counts, newest first."""
    r = t.release.c
    with engine.connect() as conn:
        files = select(func.count()).where(t.release_file.c.release_id == r.id).scalar_subquery()
        stmt = select(r.id, r.source, r.reader, r.created_at, files.label("files"),
                      r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_unchanged,
                      r.rows_superseded, r.rows_removed, r.rows_repeated, r.partial, r.fingerprint,
                      r.location).order_by(r.id.desc())
        return pl.read_database(stmt, conn)
