"""The observation model every reader produces, and what a reader is (:class:`Reader`).

A reader yields :class:`Batch` objects. ``Batch.observations`` is a Polars frame whose
columns are :data:`OBS_COLUMNS`, all strings (``pl.Utf8``) exactly as the source wrote them,
nulls where the source has nothing:

================  =========================================================================
``series``        series code (``SI_POV_DAY1``; national codes such as ``_L_KZ_010101_1A``)
``publisher``     who publishes the series: ``UNSD`` for the global database, or the national
                  statistical office (``KAZSTAT``, ``KG_NSC``, ``TAJSTAT``). A national series
                  never merges with the global one of the same code.
``area``          area code: M49 without leading zeros (``398``), or a national sub-area code
``period``        time period as written (``2015``; ``2010-2012`` where the source has ranges)
``value``         the value text as written (``12.5``, ``<0.5``, ``NaN``, ``N``)
``dims``          the dimensions, canonical: ``name=code`` pairs joined by ``;``, sorted by
                  name, totals left out where the source leaves them blank (see
                  :func:`dims_key`); ``""`` when the observation has no dimension
``units``         unit of measure code (``PERCENT``, ``PT``); part of the observation key
``unit_mult``, ``nature``, ``obs_status``, ``time_detail``, ``lower_bound``, ``upper_bound``,
``source``, ``footnote``: attributes
``attrs``         any other attributes, as a JSON object text
``_file``, ``_line``: where the row came from (a line number, or an XML element path), for
                  messages
================  =========================================================================

``Batch.series`` describes the series met (code, publisher, description, description_ru,
national, indicators: a comma-separated list of indicator codes); ``Batch.areas`` names
areas the store may not know (aggregates, sub-national areas); ``Batch.codelists`` gives, per
observation column or dimension name, the codes the source declares, so that an unknown
code is rejected with its line. ``Batch.rejections`` lists rows the reader itself could not
read (a wrong field count): they count as rejected like rows failing validation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import polars as pl

from sdgbridge.errors import Rejection

OBS_COLUMNS: tuple[str, ...] = (
    "series", "publisher", "area", "period", "value", "dims", "units", "unit_mult", "nature",
    "obs_status", "time_detail", "lower_bound", "upper_bound", "source", "footnote", "attrs",
    "_file", "_line",
)
SERIES_COLUMNS: tuple[str, ...] = (
    "code", "publisher", "description", "description_ru", "national", "indicators",
)
OBS_SCHEMA = {c: pl.Utf8 for c in OBS_COLUMNS}
SERIES_SCHEMA = {c: (pl.Boolean if c == "national" else pl.Utf8) for c in SERIES_COLUMNS}
# The attributes compared to decide whether a re-ingested observation changed.
ATTRIBUTES: tuple[str, ...] = (
    "unit_mult", "nature", "obs_status", "time_detail", "lower_bound", "upper_bound",
    "source", "footnote", "attrs",
)
GLOBAL_PUBLISHER = "UNSD"
# The nature code list of the UNSD SDG database (SDG API "Nature"; SDMX CL_NATURE adds R, NA).
NATURE_CODES = frozenset({"C", "CA", "E", "G", "M", "N", "NA", "NOTSPEC", "R", "CM", "_X", "_Z"})


@dataclass
class Batch:
    """What a reader yields: observations plus what they refer to."""

    observations: pl.DataFrame
    series: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SERIES_SCHEMA))
    areas: list[dict[str, object]] = field(default_factory=list)
    codelists: dict[str, frozenset[str]] = field(default_factory=dict)
    # Rows the reader could not turn into observations (e.g. a wrong field count).
    rejections: list[Rejection] = field(default_factory=list)


class Reader(ABC):
    """Reads one kind of input into :class:`Batch` objects. Each reader declares what it
    handles (``handles(path)``), in the manner of the sdmx library's readers; the built-in
    ones are listed in :data:`sdgbridge.ingest.readers.READERS`."""

    name: ClassVar[str]  # used with --format
    title: ClassVar[str]  # one line for `sdgbridge formats`
    # Whether a release may read only the changed files (:mod:`sdgbridge.ingest.incremental`):
    # the reader then implements ``scope`` and ``read_files``.
    incremental: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def handles(cls, path: Path) -> bool:
        """True when ``path`` (a file or a folder) is in this reader's format."""

    @abstractmethod
    def files(self, path: Path) -> list[Path]:
        """The files that make up the input (their checksums identify the release)."""

    @abstractmethod
    def read(self, path: Path) -> Iterator[Batch]:
        """Yield batches of observations; raise InputError for input that cannot be read."""

    def expected_batches(self, path: Path, only: frozenset[Path] | None = None) -> int:
        """How many batches ``read`` (or ``read_files(path, only)``) will yield (for progress
        bars)."""
        return len(only if only is not None else self.files(path))

    def scope(self, file: Path) -> str | None:
        """For incremental releases: the group of a data file (its path inside the input),
        such that files of different groups never hold observations of the same (series,
        area) pair; None for a file every data file depends on (a code list, the series'
        descriptions)."""
        raise NotImplementedError(f"the {self.name} reader reads whole inputs only")

    def read_files(self, path: Path, only: frozenset[Path]) -> Iterator[Batch]:
        """``read``, restricted to the data files ``only`` (with the files they depend on)."""
        raise NotImplementedError(f"the {self.name} reader reads whole inputs only")

    def default_source(self, path: Path) -> str:
        return path.name


def conform(df: pl.DataFrame) -> pl.DataFrame:
    """Add the missing observation columns as nulls, cast all to strings, order them."""
    missing = [pl.lit(None, dtype=pl.Utf8).alias(c) for c in OBS_COLUMNS if c not in df.columns]
    return df.with_columns(missing).select(pl.col(c).cast(pl.Utf8) for c in OBS_COLUMNS)


def conform_lazy(lf: pl.LazyFrame) -> pl.LazyFrame:
    """:func:`conform` for a lazy frame."""
    names = lf.collect_schema().names()
    missing = [pl.lit(None, dtype=pl.Utf8).alias(c) for c in OBS_COLUMNS if c not in names]
    return lf.with_columns(missing).select(pl.col(c).cast(pl.Utf8) for c in OBS_COLUMNS)


def conform_series(df: pl.DataFrame) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in SERIES_SCHEMA.items()
               if c not in df.columns]
    return df.with_columns(missing).select(pl.col(c).cast(t) for c, t in SERIES_SCHEMA.items())


def dims_key(columns: list[str]) -> pl.Expr:
    """A Polars expression building the canonical ``dims`` key from dimension columns.

    ``columns`` are the dimension column names (already the canonical lower-case names); a
    null or empty cell is left out of the key.
    """
    if not columns:
        return pl.lit("", dtype=pl.Utf8)
    parts = [
        pl.when(pl.col(c).is_null() | (pl.col(c) == ""))
        .then(pl.lit(None, dtype=pl.Utf8))
        .otherwise(pl.lit(f"{c}=") + pl.col(c))
        for c in sorted(columns)
    ]
    return pl.concat_str(parts, separator=";", ignore_nulls=True).fill_null("")


def parse_dims(key: str) -> dict[str, str]:
    """``"age=15-24;sex=FEMALE"`` -> ``{"age": "15-24", "sex": "FEMALE"}``."""
    if not key:
        return {}
    return dict(part.split("=", 1) for part in key.split(";"))


def canonical_dimension(name: str) -> str:
    """Dimension names as stored: lower case, words joined by ``_`` (``Type of skill`` ->
    ``type_of_skill``, ``SEX`` -> ``sex``)."""
    return "_".join(name.strip().lower().replace("-", " ").split())
