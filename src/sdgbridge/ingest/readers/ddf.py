"""The DDF / frictionless data package of the UN Global SDG Indicators Database.

Layout (open-numbers ``ddf--unstats--sdg_indicators``): ``ddf--concepts--continuous.csv``
lists the series (``name`` = UNSD SeriesCode, ``goal``/``target``/``indicator``, comma-separated
for series serving several indicators); ``ddf--entities--<dim>.csv`` map each dimension's
lower-case DDF id to the UNSD code (``bothsex`` -> ``BOTHSEX``); one
``ddf--datapoints--<series>--by--<dim>--…--year.csv`` file per series holds the values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from sdgbridge.errors import InputError
from sdgbridge.ingest.csvutil import read_text_csv
from sdgbridge.ingest.model import GLOBAL_PUBLISHER, Batch, conform, conform_series, dims_key
from sdgbridge.ingest.registry import Reader, register

# DDF columns that are attributes (or the key) in the SDG API, not dimensions.
ATTRIBUTE_COLUMNS = {"units": "units", "nature": "nature", "observation_status": "obs_status"}
KEY_COLUMNS = {"geo_area", "year"}


@register
class DdfReader(Reader):
    name = "ddf"
    title = "DDF data package of the UN Global SDG Indicators Database (open-numbers layout)"

    @classmethod
    def handles(cls, path: Path) -> bool:
        return path.is_dir() and (path / "ddf--concepts--continuous.csv").exists()

    def files(self, path: Path) -> list[Path]:
        return sorted(p for p in path.glob("ddf--*.csv")) + [
            p for p in [path / "datapackage.json"] if p.exists()]

    def default_source(self, path: Path) -> str:
        meta = path / "datapackage.json"
        if meta.exists():
            info = json.loads(meta.read_text(encoding="utf-8"))
            return f"UN Global SDG Database (DDF {info.get('version', path.name)})"
        return f"UN Global SDG Database (DDF {path.name})"

    def read(self, path: Path) -> Iterator[Batch]:
        concepts = read_text_csv(path / "ddf--concepts--continuous.csv",
                                 ["concept", "name", "indicator"], "DDF concepts")
        entities = self._entities(path)
        series = self._series(concepts)
        codelists = {dim: frozenset(m.values()) for dim, m in entities.items()}
        codelists = {ATTRIBUTE_COLUMNS.get(d, d): v for d, v in codelists.items()}
        areas = [{"code": c, "name_en": n, "kind": "other", "source": "UNSD SDG database"}
                 for c, n in entities.get("geo_area", {}).items()]
        names = dict(zip(concepts["concept"], concepts["name"], strict=True))
        for i, file in enumerate(sorted(path.glob("ddf--datapoints--*--by--*.csv"))):
            concept = file.name.split("--")[2]
            if concept not in names:
                raise InputError(f"{file}: series {concept!r} is not listed in "
                                 "ddf--concepts--continuous.csv; the package is incomplete.")
            obs = self._datapoints(file, concept, names[concept], entities)
            # Series and areas travel with the first batch only.
            yield (Batch(obs, series, areas, codelists) if i == 0
                   else Batch(obs, codelists=codelists))

    @staticmethod
    def _entities(path: Path) -> dict[str, dict[str, str]]:
        out = {}
        for file in sorted(path.glob("ddf--entities--*.csv")):
            dim = file.stem.split("--")[2]
            df = read_text_csv(file, [dim, "name"], "DDF entity")
            out[dim] = dict(zip(df[dim], df["name"], strict=True))
        return out

    @staticmethod
    def _series(concepts: pl.DataFrame) -> pl.DataFrame:
        return conform_series(concepts.select(
            pl.col("name").alias("code"),
            pl.lit(GLOBAL_PUBLISHER).alias("publisher"),
            pl.col("description"),
            pl.lit(False).alias("national"),
            pl.col("indicator").str.replace_all(r"\s+", "").alias("indicators"),
        ))

    @staticmethod
    def _datapoints(file: Path, concept: str, code: str,
                    entities: dict[str, dict[str, str]]) -> pl.DataFrame:
        df = read_text_csv(file, ["geo_area", "year", concept], "DDF datapoints")
        dims = [c for c in df.columns if c not in KEY_COLUMNS | {concept, "_line"}]
        # Resolve DDF ids to UNSD codes; an id missing from its entity file stays as it is and
        # is then rejected by the validator as an unknown code, with its line.
        mapped = [pl.col(d).replace(entities.get(d, {})) for d in dims]
        df = df.with_columns(mapped).rename({d: ATTRIBUTE_COLUMNS[d] for d in dims
                                             if d in ATTRIBUTE_COLUMNS})
        dim_cols = [d for d in dims if d not in ATTRIBUTE_COLUMNS]
        return conform(df.with_columns(
            pl.lit(code).alias("series"),
            pl.lit(GLOBAL_PUBLISHER).alias("publisher"),
            pl.col("geo_area").alias("area"),
            pl.col("year").alias("period"),
            pl.col(concept).alias("value"),
            dims_key(dim_cols).alias("dims"),
            pl.lit(str(file)).alias("_file"),
        ))
