"""The UNSD SDG API CSV layout (``/v1/sdg/Series/DataCSV`` and the SDG database download).

Columns: ``Goal,Target,Indicator,SeriesCode,SeriesDescription,GeoAreaCode,GeoAreaName,
TimePeriod,Value`` and optional ``Time_Detail, TimeCoverage, UpperBound, LowerBound,
BasePeriod, Source, GeoInfoUrl, FootNote``; then attributes (``Units``, ``Nature``,
``Observation Status``, ``Reporting Type``, ``Unit multiplier``) and dimension columns
(``Sex``, ``Age``, ``Location``, …). The API writes attribute and dimension names in square
brackets (``[Sex]``); files rebuilt from other layouts often drop them; both are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from sdgbridge.errors import InputError
from sdgbridge.ingest.csvutil import read_text_csv
from sdgbridge.ingest.model import (
    GLOBAL_PUBLISHER,
    NATURE_CODES,
    Batch,
    Reader,
    canonical_dimension,
    conform,
    conform_series,
    dims_key,
)

REQUIRED = ("SeriesCode", "GeoAreaCode", "TimePeriod", "Value")
# SDG API column -> observation column.
MAPPED = {
    "SeriesCode": "series", "GeoAreaCode": "area", "TimePeriod": "period", "Value": "value",
    "Units": "units", "Nature": "nature", "Observation Status": "obs_status",
    "Time_Detail": "time_detail", "UpperBound": "upper_bound", "LowerBound": "lower_bound",
    "Source": "source", "FootNote": "footnote", "Unit multiplier": "unit_mult",
    "Unit Multiplier": "unit_mult",
}
# Columns about the series or the area (kept in the series and area tables), or other
# attributes kept in ``attrs``.
SERIES_INFO = {"Goal", "Target", "Indicator", "SeriesDescription", "GeoAreaName"}
OTHER_ATTRIBUTES = {"TimeCoverage", "BasePeriod", "GeoInfoUrl", "Reporting Type"}


class SdgApiReader(Reader):
    name = "sdg_api"
    title = "UNSD SDG API / SDG database CSV (Goal,Target,Indicator,SeriesCode,…,Value,…)"

    @classmethod
    def handles(cls, path: Path) -> bool:
        if not (path.is_file() and path.suffix.lower() == ".csv"):
            return False
        with path.open("rb") as fh:
            head = fh.readline().decode("utf-8", "replace")
        columns = {c.strip().strip('"[]') for c in head.strip().split(",")}
        return all(c in columns for c in REQUIRED)

    def files(self, path: Path) -> list[Path]:
        return [path]

    def default_source(self, path: Path) -> str:
        return f"UNSD SDG database CSV ({path.name})"

    def read(self, path: Path) -> Iterator[Batch]:
        df = read_text_csv(path, (), "SDG API CSV")
        df = df.rename({c: c.strip().strip("[]") for c in df.columns})
        missing = [c for c in REQUIRED if c not in df.columns]
        if missing:
            raise InputError(f"{path}:1: not an SDG API CSV file: missing column(s) "
                             f"{', '.join(missing)}. Check the format (`sdgbridge formats`).")
        yield Batch(self._observations(df, path), self._series(df), self._areas(df),
                    {"nature": NATURE_CODES})

    @staticmethod
    def _observations(df: pl.DataFrame, path: Path) -> pl.DataFrame:
        known = set(MAPPED) | SERIES_INFO | OTHER_ATTRIBUTES | {"_line"}
        dims = {c: canonical_dimension(c) for c in df.columns if c not in known}
        others = [c for c in OTHER_ATTRIBUTES if c in df.columns]
        attrs = (pl.struct(others).map_elements(_attrs_json, return_dtype=pl.Utf8)
                 if others else pl.lit(None, dtype=pl.Utf8))
        out = df.rename({c: n for c, n in dims.items()}).with_columns(
            [pl.col(c).alias(MAPPED[c]) for c in df.columns if c in MAPPED]
            + [dims_key(list(dims.values())).alias("dims"), attrs.alias("attrs"),
               pl.lit(GLOBAL_PUBLISHER).alias("publisher"), pl.lit(str(path)).alias("_file")])
        return conform(out)

    @staticmethod
    def _series(df: pl.DataFrame) -> pl.DataFrame:
        cols = [pl.col("SeriesCode").alias("code")]
        if "SeriesDescription" in df.columns:
            cols.append(pl.col("SeriesDescription").alias("description"))
        if "Indicator" in df.columns:
            cols.append(pl.col("Indicator").str.replace_all(r"\s+", "").alias("indicators"))
        out = df.select(cols).unique("code", keep="first", maintain_order=True)
        return conform_series(out.with_columns(pl.lit(GLOBAL_PUBLISHER).alias("publisher"),
                                               pl.lit(False).alias("national")))

    @staticmethod
    def _areas(df: pl.DataFrame) -> list[dict[str, object]]:
        if "GeoAreaName" not in df.columns:
            return []
        pairs = df.select("GeoAreaCode", "GeoAreaName").unique("GeoAreaCode").iter_rows()
        return [{"code": c, "name_en": n, "kind": "other", "source": "UNSD SDG database"}
                for c, n in pairs if c and n]


def _attrs_json(row: dict[str, str | None]) -> str | None:
    kept = {k: v for k, v in row.items() if v not in (None, "")}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else None
