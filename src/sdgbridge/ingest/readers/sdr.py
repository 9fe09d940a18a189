"""SDSN's published Sustainable Development Report (SDR) scores, as CSV.

Two layouts, one row per country (ISO3 ``country_code``), scores 0-100, blank = no score:

* one edition's scores: ``country_code,country,region,overall_score,goal_1_score,…,
  goal_17_score`` (``sustainable_development_report_2023.csv``). The period is the edition's
  year: the ``edition`` option (``--edition 2023``), else the file name's one 4-digit year.
* the back-cast series: ``country_code,country,year,sdg_index_score,goal_1_score,…``
  (``sdg_index_2000-2022.csv``), one row per country and year.

Stored as publisher ``SDSN`` (never read by an assessment of UNSD data), units ``SCORE``,
linked to no indicator. Edition scores are series ``SDR_INDEX`` and ``SDR_GOAL_1`` …
``SDR_GOAL_17``; the back-cast ``SDR_TREND_INDEX`` and ``SDR_TREND_GOAL_1`` … (a release
replaces the current values of the (series, area) pairs it covers: with one code set, loading
one file would mark the other's values removed). ``region`` is kept in ``attrs``. SDSN's
country groups (``_World``, ``_OECD``, …) are declared as areas ``SDR_WORLD``, ``SDR_OECD``;
any other code that is not a known ISO3 code is a rejected row, with its line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl

from sdgbridge.errors import InputError, Rejection
from sdgbridge.ingest.csvutil import csv_header, read_text_csv
from sdgbridge.ingest.model import Batch, Reader, conform, conform_series
from sdgbridge.reference.geography import iso3_to_m49

PUBLISHER = "SDSN"
UNITS = "SCORE"
GOALS = range(1, 18)
INDEX_COLUMNS = ("overall_score", "sdg_index_score")  # edition file, back-cast file
SOURCE = "SDSN, Sustainable Development Report"
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def series_code(goal: int, trend: bool = False) -> str:
    """``SDR_INDEX`` (goal 0), ``SDR_GOAL_5``; ``SDR_TREND_…`` for the back-cast series."""
    prefix = "SDR_TREND_" if trend else "SDR_"
    return f"{prefix}INDEX" if goal == 0 else f"{prefix}GOAL_{goal}"


def series_goals() -> dict[str, int]:
    """Every SDR series code -> its goal (0 for the SDG Index)."""
    return {series_code(g, trend): g for trend in (False, True) for g in (0, *GOALS)}


class SdrReader(Reader):
    name = "sdr"
    title = ("SDSN Sustainable Development Report scores CSV (country_code,…,overall_score or "
             "sdg_index_score,goal_1_score,…)")

    def __init__(self, edition: int | str | None = None) -> None:
        self.edition = None if edition is None else str(edition).strip()

    @classmethod
    def handles(cls, path: Path) -> bool:
        if not (path.is_file() and path.suffix.lower() == ".csv"):
            return False
        columns = csv_header(path)
        return ({"country_code", "goal_1_score"} <= columns
                and any(c in columns for c in INDEX_COLUMNS))

    def files(self, path: Path) -> list[Path]:
        return [path]

    def default_source(self, path: Path) -> str:
        edition = self.edition
        if edition is None and path.is_file() and "year" not in csv_header(path):
            years = set(_YEAR.findall(path.stem))
            edition = years.pop() if len(years) == 1 else None
        return f"{_label(edition)} ({path.name})"

    def read(self, path: Path) -> Iterator[Batch]:
        df = read_text_csv(path, ("country_code",), "SDR scores")
        index = next((c for c in INDEX_COLUMNS if c in df.columns), None)
        if index is None or "goal_1_score" not in df.columns:
            raise InputError(f"{path}:1: not an SDR scores file: it needs the columns "
                             "country_code, goal_1_score and overall_score (one edition) or "
                             "year and sdg_index_score (the back-cast series).")
        trend = "year" in df.columns
        edition = self._edition(path) if not trend or self.edition else None
        if not trend:
            df = df.with_columns(pl.lit(edition).alias("year"))
        df, rejections, areas = _areas(df, path)
        scores = {index: series_code(0, trend)} | {
            f"goal_{g}_score": series_code(g, trend) for g in GOALS
            if f"goal_{g}_score" in df.columns}
        yield Batch(_observations(df, scores, _label(edition), path),
                    _series(scores.values(), trend),
                    areas, {"units": frozenset({UNITS})}, rejections)

    def _edition(self, path: Path) -> str:
        """The edition's year: the option, else the file name's one 4-digit year (the
        back-cast file's name holds its years, so it takes the option only)."""
        if self.edition is not None:
            return self._check_year(self.edition, path)
        years = sorted(set(_YEAR.findall(path.stem)))
        if len(years) != 1:
            found = f" ({', '.join(years)})" if years else ""
            raise InputError(f"{path}: cannot tell which SDR edition this is: the file name "
                             f"holds no single 4-digit year{found}. Pass the edition's year "
                             "with --edition, e.g. --edition 2023.")
        return years[0]

    @staticmethod
    def _check_year(edition: str, path: Path) -> str:
        if not re.fullmatch(r"\d{4}", edition):
            raise InputError(f"{path}: --edition {edition!r} is not a year; give the SDR "
                             "edition's year, e.g. --edition 2023.")
        return edition


def _observations(df: pl.DataFrame, scores: dict[str, str], source: str, path: Path
                  ) -> pl.DataFrame:
    """One observation per non-blank score cell, in file order."""
    attrs = (pl.struct("region").map_elements(_attrs_json, return_dtype=pl.Utf8)
             if "region" in df.columns else pl.lit(None, dtype=pl.Utf8))
    order = {c: i for i, c in enumerate(scores)}
    long = (df.with_columns(attrs.alias("attrs"))
            .unpivot(on=list(scores), index=["area", "year", "attrs", "_line"],
                     variable_name="column", value_name="value")
            .with_columns(pl.col("value").str.strip_chars())
            .filter(pl.col("value").is_not_null() & (pl.col("value") != "")))
    out = long.with_columns(
        pl.col("column").replace_strict(scores, return_dtype=pl.Utf8).alias("series"),
        pl.lit(PUBLISHER).alias("publisher"), pl.col("year").alias("period"),
        pl.lit("").alias("dims"), pl.lit(UNITS).alias("units"),
        pl.lit(source).alias("source"), pl.lit(str(path)).alias("_file"))
    return conform(out.sort(pl.col("_line").cast(pl.Int64),
                            pl.col("column").replace_strict(order, return_dtype=pl.Int64)))


def _label(edition: str | None) -> str:
    """``SDSN, Sustainable Development Report 2023`` (the edition, where known)."""
    return f"{SOURCE} {edition}" if edition else SOURCE


def _areas(df: pl.DataFrame, path: Path
           ) -> tuple[pl.DataFrame, list[Rejection], list[dict[str, object]]]:
    """Rows with their M49 ``area``; rows with unknown codes as rejections; SDSN's groups
    (codes starting with ``_``) as declared areas."""
    m49 = iso3_to_m49()
    code = pl.col("country_code").fill_null("").str.strip_chars()
    group = "SDR" + code.str.to_uppercase()
    df = df.with_columns(pl.when(code.str.starts_with("_")).then(group)
                         .otherwise(code.str.to_uppercase().replace_strict(m49, default=None))
                         .alias("area"))
    bad = df.filter(pl.col("area").is_null())
    rejections = [Rejection(str(path), line, "country_code",
                            f"unknown country code '{c}': not an ISO 3166 alpha-3 code the "
                            "store knows, nor an SDR group code (_World, _OECD, …)")
                  for line, c in bad.select("_line", "country_code").iter_rows()]
    name = pl.col("country") if "country" in df.columns else pl.lit(None, dtype=pl.Utf8)
    names = (df.filter(code.str.starts_with("_")).select("area", name.alias("name"))
             .unique("area", maintain_order=True).iter_rows())
    areas: list[dict[str, object]] = [
        {"code": a, "name_en": f"{n or a} (SDSN SDR group)", "kind": "aggregate",
         "source": "SDSN Sustainable Development Report"} for a, n in names]
    return df.filter(pl.col("area").is_not_null()), rejections, areas


def _series(codes: Iterable[str], trend: bool) -> pl.DataFrame:
    goals = series_goals()
    tail = ", SDR back-cast series" if trend else ""
    rows = [{"code": c, "publisher": PUBLISHER, "national": False, "indicators": None,
             "description": (f"SDSN SDG Index score (0-100){tail}" if goals[c] == 0 else
                             f"SDSN goal {goals[c]} score (0-100){tail}")}
            for c in codes]
    return conform_series(pl.DataFrame(rows, schema_overrides={"indicators": pl.Utf8}))


def _attrs_json(row: dict[str, str | None]) -> str | None:
    kept = {k: v.strip() for k, v in row.items() if v is not None and v.strip()}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else None
