"""The indicator explorer (a series over time per country, by disaggregation, with its 2030
projection and target) and the choropleth map of the region for any series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sdgbridge.assessment.current import CurrentAssessment
from sdgbridge.errors import NotFound
from sdgbridge.query.observations import ObservationQuery, query_observations
from sdgbridge.reference.catalog import group_areas, series_names, series_table, titles
from sdgbridge.summary import HEADLINE_SERIES, is_headline
from sdgbridge.web.deps import EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.base import LangDep, MethodQ, render
from sdgbridge.web.pages.charts import area_style, line_chart
from sdgbridge.web.pages.maps import Shape, load_atlas, region_shapes
from sdgbridge.web.pages.progress import progress

router = APIRouter()
SeriesQ = Annotated[str | None, Query(description="Series code, e.g. EG_ACS_ELEC.")]
# ColorBrewer "YlGnBu", 5 classes (Cynthia Brewer, Mark Harrower and The Pennsylvania State
# University, colorbrewer2.org): light yellow to dark blue, apart from the sea's pale grey.
BLUES = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
DARK_CLASSES = 2  # the last classes take white labels


def _series_choices(engine: Engine, lang: str) -> list[dict[str, Any]]:
    """The loaded series, each with its ``label`` in ``lang`` and its picker ``value``: the
    code, or ``CODE|PUBLISHER`` for a national publisher's (so that choosing Tajstat's
    series in the list shows Tajstat's values, not UNSD's of the same code)."""
    df = series_table(engine).filter(pl.col("observations") > 0)
    names = series_names(engine, lang)
    return [{**c, "label": names.get((c["series"], c["publisher"]), c["description"] or ""),
             "value": c["series"] if c["publisher"] == "UNSD"
             else f"{c['series']}|{c['publisher']}"}
            for c in df.select("series", "publisher", "indicators", "description").to_dicts()]


def _split(series: str, publisher: str | None) -> tuple[str, str | None]:
    """A picker value ``CODE|PUBLISHER`` as the code and the publisher."""
    if "|" in series:
        code, _, named = series.partition("|")
        return code, named or publisher
    return series, publisher


def _selected(series: str, df: pl.DataFrame) -> str:
    """The picker value of the series shown (with its publisher when national)."""
    publisher = df["publisher"][0] if df.height else "UNSD"
    return series if publisher == "UNSD" else f"{series}|{publisher}"


def _default_series(choices: Sequence[dict[str, Any]]) -> str:
    codes = [c["series"] for c in choices]
    if not codes:
        raise NotFound("The store holds no series yet. Load data with `sdgbridge ingest` "
                       "(or `make demo`).")
    return next((s for s in HEADLINE_SERIES if s in codes), codes[0])


def _observations(engine: Engine, series: str, codes: Sequence[str],
                  publisher: str | None) -> pl.DataFrame:
    df = query_observations(engine, ObservationQuery(series=[series], areas=codes))
    publishers = df["publisher"].unique().sort().to_list()
    chosen = publisher if publisher in publishers else (
        "UNSD" if "UNSD" in publishers else (publishers or [None])[0])
    return df.filter(pl.col("publisher") == chosen) if chosen else df


def _dims_choices(df: pl.DataFrame) -> list[str]:
    keys = df["dims"].unique().sort().to_list()
    return sorted(keys, key=lambda k: (not is_headline(k), k))


def _main_units(df: pl.DataFrame) -> str | None:
    if df.height == 0:
        return None
    return str(df.group_by("units").len().sort("len", "units", descending=[True, False])
               ["units"][0])


def _lines(df: pl.DataFrame, names: dict[str, str], prog: CurrentAssessment | None,
           series: str) -> list[dict[str, Any]]:
    lines = []
    codes = list(names)  # the group's countries in their order: one colour each, always
    for (area,), part in df.filter(pl.col("value").is_not_null()).group_by(
            "area", maintain_order=True):
        pts = part.unique("year", keep="first", maintain_order=True).sort("year")
        colour, marker = area_style(str(area), codes)
        line = {"code": pts["iso3"][0] or str(area), "name": names.get(
            str(area), str(area)), "points": list(zip(pts["year"].to_list(),
                                                      pts["value"].to_list(), strict=True)),
                "colour": colour, "marker": marker}
        if prog is not None:
            row = prog.results.filter((pl.col("series") == series) & (pl.col("area") == area))
            if row.height and row["projected_2030"][0] is not None:
                r = row.row(0, named=True)
                line["projection"] = (r["latest_year"], r["latest_value"], r["projected_2030"])
                line["status"] = r["scale"]
        lines.append(line)
    return lines


def _target(prog: CurrentAssessment | None, series: str) -> float | None:
    if prog is None:
        return None
    found = prog.results.filter(pl.col("series") == series)["target"].drop_nulls()
    return float(found[0]) if found.len() else None


@router.get("/indicator", response_class=HTMLResponse)
def indicator(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
              kept: KeptDep, series: SeriesQ = None,
              area: Annotated[list[str] | None, Query(description="ISO3 or M49; repeat.")]
              = None, dims: Annotated[str | None, Query(description="Disaggregation key.")]
              = None, publisher: Annotated[str | None, Query()] = None,
              method: MethodQ = "unsd") -> HTMLResponse:
    countries = group_areas(engine, settings.default_group, lang)
    choices = _series_choices(engine, lang)
    series, publisher = _split(series or _default_series(choices), publisher)
    picked = _picked(countries, area, settings.default_group)
    df, keys, key, units = _shown(engine, series, [c["code"] for c in picked], publisher, dims)
    headline = is_headline(key) and (df.height == 0 or df["publisher"][0] == "UNSD")
    prog = progress(engine, kept, method, settings.default_group) if headline else None
    lines = _lines(df, {c["code"]: c["name"] for c in countries}, prog, series)
    target = _target(prog, series)
    return render(request, "indicator.html", series=series, choices=choices,
                  selected=_selected(series, df),
                  countries=countries, picked=[c["code"] for c in picked], dims=key,
                  dims_choices=keys, units=units, method=method, headline=headline,
                  chart=line_chart(lines, target) if lines else None, lines=lines,
                  target=target, table=_in_language(df, countries).select(
                      "area_name", "iso3", "period", "value_text", "units", "nature").to_dicts(),
                  indicator_titles=titles(engine, "indicator", lang),
                  info=_info(choices, series, df),
                  csv_url=_csv_url(series, [c["iso3"] for c in picked], df))


def _in_language(df: pl.DataFrame, countries: list[dict[str, Any]]) -> pl.DataFrame:
    """The observations with the countries named in the page's language."""
    names = {c["code"]: c["name"] for c in countries}
    return df.with_columns(pl.col("area").replace_strict(names, default=pl.col("area_name"),
                                                         return_dtype=pl.Utf8)
                           .alias("area_name"))


def _picked(countries: list[dict[str, Any]], area: list[str] | None, group: str
            ) -> list[dict[str, Any]]:
    """The countries asked for by ISO3 or M49 code (all when none is)."""
    picked = [c for c in countries if not area or c["iso3"] in area or c["code"] in area]
    if area and not picked:
        raise NotFound(f"None of {', '.join(area)} is a country of {group}; choose among "
                       "the check boxes.")
    return picked


def _shown(engine: Engine, series: str, codes: Sequence[str], publisher: str | None,
           dims: str | None) -> tuple[pl.DataFrame, list[str], str, str | None]:
    """The observations shown: of one publisher, one disaggregation (``dims`` when the
    series has it, else the first) and its main units; with the disaggregations there are,
    the one shown and the units."""
    df = _observations(engine, series, codes, publisher)
    keys = _dims_choices(df)
    key = dims if dims in keys else (keys[0] if keys else "")
    df = df.filter(pl.col("dims") == key)
    units = _main_units(df)
    return (df.filter(pl.col("units") == units) if units is not None else df), keys, key, units


def _info(choices: Sequence[dict[str, Any]], series: str, df: pl.DataFrame
          ) -> dict[str, Any] | None:
    publisher = df["publisher"][0] if df.height else "UNSD"
    found = [c for c in choices if c["series"] == series]
    return next((c for c in found if c["publisher"] == publisher), found[0] if found else None)


def _csv_url(series: str, iso3: Sequence[str], df: pl.DataFrame) -> str:
    query = {"series": series, "areas": ",".join(iso3), "format": "csv", "limit": 10000}
    if df.height:
        query["publisher"] = df["publisher"][0]
    return f"/api/v1/observations?{urlencode(query)}"


# ---- map ----------------------------------------------------------------------------------

def classes(values: Sequence[float], n: int = len(BLUES)) -> list[tuple[float, float]]:
    """``n`` equal intervals from the smallest to the largest value (one when all equal)."""
    lo, hi = min(values), max(values)
    if hi == lo:
        return [(lo, hi)]
    step = (hi - lo) / n
    return [(lo + i * step, hi if i == n - 1 else lo + (i + 1) * step) for i in range(n)]


def class_of(value: float, bounds: Sequence[tuple[float, float]]) -> int:
    return next((i for i, (_, hi) in enumerate(bounds) if value <= hi), len(bounds) - 1)


def _map_values(engine: Engine, series: str, codes: Sequence[str], year: int | None,
                publisher: str | None = None) -> pl.DataFrame:
    df = _observations(engine, series, codes, publisher)
    keys = [k for k in _dims_choices(df) if is_headline(k)]
    df = df.filter(pl.col("dims").is_in(keys[:1]) & pl.col("value").is_not_null())
    df = df.filter(pl.col("units") == _main_units(df)) if df.height else df
    if year is not None:
        df = df.filter(pl.col("year") == year)
    df = df.filter(pl.col("year") == pl.col("year").max().over("area"))
    return df.unique("area", keep="first", maintain_order=True)


@router.get("/map", response_class=HTMLResponse)
def region_map(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
               series: SeriesQ = None, year: Annotated[int | None, Query(
                   ge=1900, le=2100, description="Year (default: each country's latest).")]
               = None, publisher: Annotated[str | None, Query()] = None) -> HTMLResponse:
    countries = group_areas(engine, settings.default_group, lang)
    choices = _series_choices(engine, lang)
    series, publisher = _split(series or _default_series(choices), publisher)
    codes = [c["code"] for c in countries]
    df = _map_values(engine, series, codes, year, publisher)
    values = {r["area"]: r for r in df.to_dicts()}
    bounds = classes([r["value"] for r in values.values()]) if values else []
    inside, around, size = region_shapes(tuple(codes))
    names = {c["code"]: c for c in countries}
    return render(request, "map.html", series=series, choices=choices, year=year,
                  selected=_selected(series, df),
                  old_before=date.today().year - settings.old_after_years,
                  shapes=_coloured(inside, names, values, bounds), around=around, size=size,
                  bounds=bounds, palette=BLUES, dark=len(BLUES) - DARK_CLASSES,
                  units=_main_units(df), atlas_version=load_atlas().version,
                  indicator_titles=titles(engine, "indicator", lang),
                  info=_info(choices, series, df),
                  rows=sorted(values.values(), key=lambda r: names[r["area"]]["name"]),
                  names=names)


def _coloured(inside: Sequence[Shape], names: dict[str, dict[str, Any]],
              values: dict[str, dict[str, Any]], bounds: Sequence[tuple[float, float]]
              ) -> list[dict[str, Any]]:
    """The region's shapes, each with its area, its row of values and its class (None
    without a value)."""
    return [{"shape": s, "area": names[s.code], "row": values.get(s.code),
             "cls": class_of(values[s.code]["value"], bounds) if s.code in values else None}
            for s in inside]
