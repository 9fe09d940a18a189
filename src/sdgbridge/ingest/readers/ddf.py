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
from sdgbridge.ingest.csvutil import check_text_csv, read_text_csv
from sdgbridge.ingest.model import (
    GLOBAL_PUBLISHER,
    Batch,
    Reader,
    conform,
    conform_series,
    dims_key,
)

# DDF columns that are attributes (or the key) in the SDG API, not dimensions.
ATTRIBUTE_COLUMNS = {"units": "units", "nature": "nature", "observation_status": "obs_status"}
KEY_COLUMNS = {"geo_area", "year"}
DATAPOINTS = "ddf--datapoints--"


class DdfReader(Reader):
    name = "ddf"
    title = "DDF data package of the UN Global SDG Indicators Database (open-numbers layout)"
    incremental = True  # one series per datapoints file: a release reads the changed ones

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

    def scope(self, file: Path) -> str | None:
        """A datapoints file's series (a series split over files by dimensions is one
        group); None for the concepts, entities and ``datapackage.json``."""
        if not file.name.startswith(DATAPOINTS):
            return None
        return file.name.removeprefix(DATAPOINTS).partition("--by--")[0]

    def read(self, path: Path) -> Iterator[Batch]:
        return self.read_files(path, None)

    def read_files(self, path: Path, only: frozenset[Path] | None) -> Iterator[Batch]:
        if not (path / "ddf--concepts--continuous.csv").is_file():
            raise InputError(f"{path}: not a DDF data package (no ddf--concepts--continuous.csv "
                             "in it); check the path, or --format.")
        concepts = read_text_csv(path / "ddf--concepts--continuous.csv",
                                 ["concept", "name", "indicator"], "DDF concepts")
        entities = self._entities(path)
        series = self._series(concepts)
        codelists = {dim: frozenset(m.values()) for dim, m in entities.items()}
        codelists = {ATTRIBUTE_COLUMNS.get(d, d): v for d, v in codelists.items()}
        areas: list[dict[str, object]] = [
            {"code": c, "name_en": n, "kind": "other", "source": "UNSD SDG database"}
                 for c, n in entities.get("geo_area", {}).items()]
        names = dict(zip(concepts["concept"], concepts["name"], strict=True))
        groups: dict[tuple[str, ...], list[Path]] = {}
        for file in sorted(path.glob(f"{DATAPOINTS}*--by--*.csv")):
            if only is not None and file not in only:
                continue
            groups.setdefault(self._check(file, names), []).append(file)
        # The files with the same dimensions are scanned as one (Polars reads them in one go)
        # and their codes resolved once per group: far faster than file by file.
        for i, (dims, group) in enumerate(groups.items()):
            obs = self._resolve(self._collect(group, dims, names), dims, entities)
            # Series and areas travel with the first batch only.
            yield (Batch(obs, series, areas, codelists) if i == 0
                   else Batch(obs, codelists=codelists))

    def expected_batches(self, path: Path, only: frozenset[Path] | None = None) -> int:
        return len({f.name.split("--by--")[1] for f in path.glob(f"{DATAPOINTS}*--by--*")
                    if only is None or f in only})

    @staticmethod
    def _check(file: Path, names: dict[str, str]) -> tuple[str, ...]:
        """The dimension columns of a datapoints file, after checking its name and header."""
        concept, _, rest = file.name.removeprefix("ddf--datapoints--").partition("--by--")
        if concept not in names:
            raise InputError(f"{file}: series {concept!r} is not listed in "
                             "ddf--concepts--continuous.csv; the package is incomplete.")
        columns = tuple(rest.removesuffix(".csv").split("--"))
        found = tuple(check_text_csv(file, ["geo_area", "year", concept], "DDF datapoints"))
        if found != (*columns, concept):
            raise InputError(f"{file}:1: the header ({', '.join(found)}) does not match the "
                             f"file name (expected {', '.join((*columns, concept))}).")
        return tuple(c for c in columns if c not in KEY_COLUMNS)

    @staticmethod
    def _collect(files: list[Path], dims: tuple[str, ...], names: dict[str, str]
                 ) -> pl.DataFrame:
        columns = [*(c for c in _file_columns(files[0]) if c != "value"), "value"]
        series = {str(f): names[f.name.split("--")[2]] for f in files}
        try:
            df = pl.scan_csv(files, infer_schema=False, new_columns=columns,
                             include_file_paths="_file", encoding="utf8").collect()
        except (pl.exceptions.ComputeError, UnicodeDecodeError):
            for f in files:
                read_text_csv(f, (), "DDF datapoints")  # names the broken file and line
            raise
        return df.with_columns(
            (pl.int_range(pl.len()).over("_file") + 2).cast(pl.Utf8).alias("_line"),
            pl.col("_file").replace_strict(series, return_dtype=pl.Utf8).alias("series"),
            pl.col("geo_area").alias("area"), pl.col("year").alias("period"))

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
    def _resolve(df: pl.DataFrame, dims: tuple[str, ...],
                 entities: dict[str, dict[str, str]]) -> pl.DataFrame:
        # Resolve DDF ids to UNSD codes; an id missing from its entity file stays as it is and
        # is then rejected by the validator as an unknown code, with its line.
        df = df.with_columns(pl.col(d).replace(entities.get(d, {})) for d in dims)
        df = df.rename({d: ATTRIBUTE_COLUMNS[d] for d in dims if d in ATTRIBUTE_COLUMNS})
        dim_cols = [d for d in dims if d not in ATTRIBUTE_COLUMNS]
        return conform(df.with_columns(pl.lit(GLOBAL_PUBLISHER).alias("publisher"),
                                       dims_key(dim_cols).alias("dims")))


def _file_columns(file: Path) -> list[str]:
    """Column names of a datapoints file from its name: the dimensions, then ``value``."""
    rest = file.name.partition("--by--")[2].removesuffix(".csv")
    return [*rest.split("--"), "value"]
