"""A profile's figures: one country, or the region (the members of a group), as the
Centre sends it to a ministry, a donor or a dialogue.

Everything comes from the store's published figures, through the same library functions as
the pages and the API, so a profile agrees with them for the same run:

* the snapshot: per goal, the status counts by the current assessment of each method (the
  published run where there is one, else assessed now, and the profile says which), SDSN's
  goal scores, dashboard colours and index where the sdsn method computes them, and how many
  assessed series moved toward their target since the baseline;
* per goal: the assessed series with their latest value and year, unit, status, 2030
  projection and target; the headline values of the key series for a trend chart; the
  indicators with no data (by name); the partners and the money disbursed on the goal
  (IATI); related practices of the knowledge base;
* the sources: the data releases read, the methods' parameter versions, and the date the
  profile stands at: the newest data release's, so the same store gives the same profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select

from sdgbridge.assessment.charts import dominant
from sdgbridge.assessment.current import CurrentAssessment, current_assessment, target_gaps
from sdgbridge.assessment.figures import counted_links, shares
from sdgbridge.assessment.gaps import gap_summary
from sdgbridge.assessment.inputs import assessment_input
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.model import SCALE, code_key
from sdgbridge.assessment.run import series_indicators
from sdgbridge.db import tables as t
from sdgbridge.kept import NOTHING_KEPT, Keeper
from sdgbridge.knowledge.search import list_documents
from sdgbridge.knowledge.store import SearchFilters
from sdgbridge.projects.coordination import projects_frame
from sdgbridge.projects.sdg import flat_export
from sdgbridge.reference.catalog import area_entry, group_areas, titles

GOALS = tuple(str(g) for g in range(1, 18))
CHARTED = 2  # key series charted per goal
KEY_INDICATORS = 6  # key indicators listed per goal
PRACTICES = 3  # related practices per goal
PARTNERS = 5  # partners per goal


@dataclass
class Profile:
    """What a profile shows (see the module docstring). ``area`` is the country's
    :func:`~sdgbridge.reference.catalog.area_entry`, or for the region ``{"code": group,
    "name": …, "kind": "group"}``; ``members`` its countries."""

    area: dict[str, Any]
    members: list[dict[str, Any]]
    lang: str
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    sdsn: dict[str, Any] = field(default_factory=dict)
    goals: list[dict[str, Any]] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    stands_at: datetime | None = None


def country_profile(engine: Engine, code: str, group: str, lang: str = "en",
                    kept: Keeper = NOTHING_KEPT) -> Profile:
    """The profile of the country ``code`` (ISO3 or M49), assessed with the areas of
    ``group`` (the pages' default group) as every page of the store does."""
    area = area_entry(engine, code, lang)
    return _profile(engine, area, [area], group, lang, kept)


def region_profile(engine: Engine, group: str, lang: str = "en",
                   kept: Keeper = NOTHING_KEPT) -> Profile:
    """The profile of the group's countries together: their statuses summed per goal,
    SDSN's scores per country, the money of all of them."""
    members = group_areas(engine, group, lang)
    with engine.connect() as conn:
        row = conn.execute(select(t.area_group.c.name_en, t.area_group.c.name_ru).where(
            t.area_group.c.code == group)).first()
    name = (row.name_ru if lang == "ru" and row and row.name_ru else
            row.name_en if row else group)
    area = {"code": group, "iso3": None, "iso2": None, "kind": "group", "name": name}
    return _profile(engine, area, members, group, lang, kept)


def _profile(engine: Engine, area: dict[str, Any], members: list[dict[str, Any]],
             group: str, lang: str, kept: Keeper) -> Profile:
    codes = [m["code"] for m in members]
    prof = Profile(area, members, lang)
    assessments = {m: current_assessment(engine, m, [group], kept=kept) for m in METHODS}
    for name, ca in assessments.items():
        prof.methods[name] = _method_part(ca, codes)
    prof.sdsn = _sdsn_part(assessments["sdsn"], codes)
    unsd = assessments["unsd"]
    gaps = kept.get(engine, "profile gaps", _gaps, tuple(codes), on=("releases",))
    money = _money(engine, members, kept)
    names = {"goal": titles(engine, "goal", lang), "indicator": titles(engine, "indicator",
                                                                       lang)}
    assessed = tuple(sorted(unsd.results.filter(pl.col("area").is_in(codes))["series"]
                            .unique().to_list()))
    values = kept.get(engine, "profile values", _values, assessed, tuple(codes),
                      on=("releases",))
    for goal in GOALS:
        rows, more = _series_rows(unsd, values, codes, goal, names["indicator"])
        prof.goals.append({
            "goal": goal, "title": names["goal"].get(goal, ""),
            "statuses": {m: p["goals"].get(goal) for m, p in prof.methods.items()},
            "series": rows, "more_series": more,
            "charts": _charts(unsd, values, codes, rows),
            "gaps": [{**g, "title": names["indicator"].get(g["indicator"], "")}
                     for g in gaps.get(goal, [])],
            "money": money.get(goal, {"disbursed": 0.0, "projects": 0, "partners": []}),
            "practices": _practices(engine, codes, goal)})
    used = sorted({r for ca in assessments.values() for r in _releases_of(ca, codes)})
    prof.releases = _release_rows(engine, used)
    prof.stands_at = max((r["created_at"] for r in prof.releases), default=None)
    return prof


def _method_part(ca: CurrentAssessment, codes: list[str]) -> dict[str, Any]:
    """Per goal: the series counts per status step over ``codes``, the most numerous step,
    how many series were assessed; and where the figures come from."""
    rolled = ca.rolled("goal").filter(pl.col("area").is_in(codes))
    goals: dict[str, dict[str, Any]] = {}
    if rolled.height:
        summed = rolled.group_by("goal").agg(
            pl.col(s).sum() for s in SCALE if s in rolled.columns)
        summed = summed.with_columns(pl.col("goal").alias("area"))
        for row in shares(_with_coverage(summed)).iter_rows(named=True):
            counts = {s: int(row[s]) for s in SCALE if row.get(s)}
            goals[str(row["goal"])] = {"status": dominant(row), "counts": counts,
                                       "assessed": int(row["assessed"])}
    res = ca.results.filter(pl.col("area").is_in(codes))
    toward = _toward(res)
    return {"method": ca.method, "params_version": ca.params_version, "run_id": ca.run_id,
            "published_at": ca.published_at, "goals": goals, "toward": toward}


def _with_coverage(summed: pl.DataFrame) -> pl.DataFrame:
    steps = [s for s in SCALE if s in summed.columns]
    return summed.with_columns(pl.sum_horizontal(steps).alias("coverage"))


def _toward(res: pl.DataFrame) -> dict[str, int]:
    """How many assessed series with a numeric target moved toward it from the baseline to
    the latest value, of how many."""
    need = {"base_value", "latest_value", "target"}
    if not need <= set(res.columns):
        return {"toward": 0, "of": 0}
    usable = res.filter(pl.col("base_value").is_not_null() & pl.col("latest_value").is_not_null()
                        & pl.col("target").is_not_null()
                        & (pl.col("latest_year") > pl.col("base_year")))
    closer = ((pl.col("latest_value") - pl.col("target")).abs()
              < (pl.col("base_value") - pl.col("target")).abs())
    return {"toward": int(usable.filter(closer).height), "of": int(usable.height)}


def _sdsn_part(ca: CurrentAssessment, codes: list[str]) -> dict[str, Any]:
    """SDSN's goal scores (with dashboard colour and trend) and index per area, where the
    sdsn method computes them."""
    found: dict[str, Any] = {"goals": {}, "index": {}}
    for title, frame in ca.summary():
        if "area" not in frame.columns:
            continue
        rows = frame.filter(pl.col("area").is_in(codes)).to_dicts()
        if "index" in frame.columns:
            found["index"] = {r["area"]: r for r in rows}
        elif "goal" in frame.columns:
            for r in rows:
                found["goals"].setdefault(str(r["goal"]), {})[r["area"]] = r
        del title
    return found


def _series_rows(ca: CurrentAssessment, values: pl.DataFrame, codes: list[str], goal: str,
                 indicator_titles: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """The goal's key indicators: per indicator its key series (the most areas with a
    status, then the most points), at most :data:`KEY_INDICATORS` of them in the framework's
    order, one row per series × area; and how many assessed series are left out. Only the
    series the goal statuses count (the shipped goal profile: not, e.g., raw counts of
    disaster victims, which measure no progress)."""
    links = counted_links(ca.links).filter(pl.col("indicator").str.starts_with(f"{goal}."))
    first = links.group_by("series").agg(pl.col("indicator").sort_by(
        pl.col("indicator").map_elements(code_key, return_dtype=pl.List(pl.Int64))).first())
    units = values.select("series", "units").unique("series")
    res = ca.results.filter(pl.col("area").is_in(codes)).join(first, on="series").join(
        units, on="series", how="left")
    if not res.height:
        return [], 0
    rank = (res.group_by("indicator", "series").agg(
        (pl.col("scale") != "insufficient data").sum().alias("with_status"),
        pl.col("n_points").sum().alias("points"))
        .sort(["indicator", "with_status", "points", "series"],
              descending=[False, True, True, False])
        .unique("indicator", keep="first", maintain_order=True))
    key = sorted(rank.iter_rows(named=True), key=lambda r: code_key(r["indicator"]))
    chosen = [r["series"] for r in key[:KEY_INDICATORS]]
    rows = res.filter(pl.col("series").is_in(chosen)).select(
        "series", "indicator", "area", "status", "scale", "units", "base_year", "base_value",
        "latest_year", "latest_value", "projected_2030", "target").to_dicts()
    for r in rows:
        r["title"] = indicator_titles.get(r["indicator"], "")
    left = res.select("series").unique().height - len(chosen)
    return sorted(rows, key=lambda r: (code_key(r["indicator"]), r["series"], r["area"])), left


def _values(engine: Engine, assessed: tuple[str, ...], codes: tuple[str, ...]
            ) -> pl.DataFrame:
    """The headline values of the ``assessed`` series for ``codes`` (for the charts), with
    each series' main units."""
    series = list(assessed)
    if not series:
        return pl.DataFrame(schema={"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64,
                                    "value": pl.Float64, "units": pl.Utf8})
    o, se = t.observation.c, t.series.c
    with engine.connect() as conn:
        units = pl.DataFrame(conn.execute(
            select(se.code, o.units, func.count()).join(t.series, se.id == o.series_id)
            .where(se.code.in_(series), se.publisher == "UNSD", o.area_code.in_(codes),
                   o.superseded_by.is_(None)).group_by(se.code, o.units)).all(),
            schema={"series": pl.Utf8, "units": pl.Utf8, "n": pl.Int64}, orient="row")
    main = units.sort(["series", "n", "units"], descending=[False, True, False]).unique(
        "series", keep="first").drop("n")
    return assessment_input(engine, codes, series).select(
        "series", "area", "year", "value").join(main, on="series", how="left")


def _charts(ca: CurrentAssessment, values: pl.DataFrame, codes: list[str],
            rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Charts of the goal's key series (``rows``: :func:`_series_rows`), those with the most
    areas with a status first, then the most points: per series, each area's points,
    projection to 2030 and the target."""
    series = list(dict.fromkeys(r["series"] for r in rows))
    res = ca.results.filter(pl.col("area").is_in(codes), pl.col("series").is_in(series))
    if not res.height:
        return []
    ranked = res.group_by("series").agg(
        (pl.col("scale") != "insufficient data").sum().alias("with_status"),
        pl.col("n_points").sum().alias("points")).sort(
        ["with_status", "points", "series"], descending=[True, True, False])
    indicator = {r["series"]: r["indicator"] for r in rows}
    charts = []
    for code in ranked["series"].head(CHARTED).to_list():
        chosen = res.filter(pl.col("series") == code)
        lines = []
        for r in chosen.sort("area").iter_rows(named=True):
            pts = values.filter(pl.col("series") == code, pl.col("area") == r["area"]
                                ).sort("year")
            if pts.height >= 2:
                lines.append({"area": r["area"], "points": list(pts.select("year", "value")
                                                                .iter_rows()),
                              "projection": (r["latest_year"], r["latest_value"],
                                             r["projected_2030"])})
        units = values.filter(pl.col("series") == code)["units"]
        target = chosen["target"].drop_nulls()
        if lines:
            charts.append({"series": code, "indicator": indicator[code], "lines": lines,
                           "units": units[0] if units.len() else None,
                           "target": float(target[0]) if target.len() and
                           target.n_unique() == 1 else None})
    return charts


def _gaps(engine: Engine, codes: tuple[str, ...]) -> dict[str, list[dict[str, str]]]:
    """Per goal, the indicators of the target table with no value for any of ``codes``
    (``no data``), and those whose newest value is more than three years older than the
    newest of the data (``old``)."""
    summary = gap_summary(target_gaps(engine, list(codes)), series_indicators(engine),
                          "indicator")
    per = summary.group_by("indicator").agg(pl.col("n_with_data").sum(),
                                            pl.col("n_recent").sum())
    found: dict[str, list[dict[str, str]]] = {}
    for r in sorted(per.iter_rows(named=True), key=lambda r: code_key(r["indicator"])):
        kind = "no data" if not r["n_with_data"] else "old" if not r["n_recent"] else None
        if kind:
            found.setdefault(r["indicator"].split(".")[0], []).append(
                {"indicator": r["indicator"], "kind": kind})
    return found


def _money(engine: Engine, members: list[dict[str, Any]], kept: Keeper
           ) -> dict[str, dict[str, Any]]:
    """Per goal: USD disbursed in the members (IATI, transaction type 3, the goal's share
    of each transaction), the projects and the largest partners."""
    iso2 = [m["iso2"] for m in members if m.get("iso2")]
    flat = projects_frame(engine, flat_export, kept)
    rows = flat.filter(pl.col("country").is_in(iso2), pl.col("goal").is_not_null())
    if not rows.height:
        return {}
    paid = rows.filter(pl.col("transaction_type") == "3")
    per_goal = rows.group_by("goal").agg(pl.col("iati_identifier").n_unique().alias("projects"))
    money = paid.group_by("goal").agg(pl.col("value_share_usd").sum().alias("disbursed"))
    orgs = (paid.group_by("goal", "reporting_org").agg(
        pl.col("value_share_usd").sum().alias("disbursed"))
        .sort(["goal", "disbursed", "reporting_org"], descending=[False, True, False]))
    found: dict[str, dict[str, Any]] = {}
    for r in per_goal.join(money, on="goal", how="left").iter_rows(named=True):
        top = orgs.filter(pl.col("goal") == r["goal"]).head(PARTNERS)
        found[str(r["goal"])] = {"projects": r["projects"], "disbursed": r["disbursed"] or 0.0,
                                 "partners": top.select("reporting_org", "disbursed").to_dicts()}
    return found


def _practices(engine: Engine, codes: list[str], goal: str) -> list[dict[str, Any]]:
    docs = list_documents(engine, SearchFilters(countries=tuple(codes), goals=(int(goal),)))
    return docs.sort(["year", "id"], descending=[True, False], nulls_last=True).head(
        PRACTICES).select("id", "title", "organisation", "year", "language").to_dicts()


def _releases_of(ca: CurrentAssessment, codes: list[str]) -> set[int]:
    if ca.releases:
        return set(ca.releases)
    if "release" in ca.results.columns:
        return set(ca.results.filter(pl.col("area").is_in(codes))["release"].drop_nulls())
    return set()


def _release_rows(engine: Engine, ids: list[int]) -> list[dict[str, Any]]:
    r = t.release.c
    with engine.connect() as conn:
        rows = conn.execute(select(r.id, r.source, r.created_at).order_by(r.id)).all() \
            if not ids else conn.execute(select(r.id, r.source, r.created_at).where(
                r.id.in_(ids)).order_by(r.id)).all()
    return [{"id": x.id, "source": x.source, "created_at": x.created_at} for x in rows]
