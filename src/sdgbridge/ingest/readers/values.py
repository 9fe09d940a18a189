"""A publisher's own series as a long CSV: the values the Centre (or a roadmap's partners)
collect themselves, such as freight on a corridor or electricity interconnection capacity.

One row per value::

    series,country,year,value,units,source,footnote
    CA_CORRIDOR_FREIGHT,KAZ,2022,4.1,MT,Ministry of Transport,estimate

``series``, ``country`` (ISO 3166 alpha-3, or an M49 code), ``year`` and ``value`` are
required; ``publisher`` (a column, or the reader's ``publisher``), ``units``, ``source`` and
``footnote`` are optional. A roadmap's own series are read with their ``definitions``
(:mod:`sdgbridge.roadmaps.values`): then a row of a series the roadmap does not define, or
in other units than the definition's, is refused with its line. The values go through the
same validation, release and provenance as any ingest (:func:`sdgbridge.ingest.load.ingest`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sdgbridge.errors import Rejection
from sdgbridge.ingest.csvutil import csv_header, read_text_csv
from sdgbridge.ingest.model import GLOBAL_PUBLISHER, Batch, Reader, conform, conform_series
from sdgbridge.reference.geography import iso3_to_m49

REQUIRED = ("series", "country", "year", "value")
# Publishers whose series come from their own readers, never from a values file.
RESERVED = frozenset({GLOBAL_PUBLISHER, "SDSN"})


@dataclass(frozen=True)
class SeriesInfo:
    """A series defined elsewhere (a roadmap's ``series:``) that a values file fills."""

    publisher: str
    units: str
    description: str | None = None
    description_ru: str | None = None
    indicators: str | None = None  # "9.1.2,7.2.1"


class ValuesReader(Reader):
    name = "values"
    title = ("A publisher's own series, one value per row (series,country,year,value"
             "[,publisher,units,source,footnote])")

    def __init__(self, definitions: Mapping[str, SeriesInfo] | None = None,
                 publisher: str | None = None, what: str = "") -> None:
        self.definitions = dict(definitions or {})
        self.publisher = publisher.strip().upper() if publisher else None
        self.what = what  # e.g. "roadmap ca-eu-example", for messages

    @classmethod
    def handles(cls, path: Path) -> bool:
        return (path.is_file() and path.suffix.lower() == ".csv"
                and set(REQUIRED) <= csv_header(path))

    def files(self, path: Path) -> list[Path]:
        return [path]

    def default_source(self, path: Path) -> str:
        return f"{self.what or 'own series'} ({path.name})"

    def read(self, path: Path) -> Iterator[Batch]:
        df = read_text_csv(path, REQUIRED, "values")
        text = {c: (pl.col(c).fill_null("").str.strip_chars() if c in df.columns
                    else pl.lit("")) for c in ("series", "country", "year", "value",
                                               "publisher", "units", "source", "footnote")}
        df = df.select("_line", *(e.alias(c) for c, e in text.items()))
        rows, rejections = [], []
        m49 = iso3_to_m49()
        numeric = set(m49.values())
        for r in df.iter_rows(named=True):
            problem = self._check(r, m49, numeric)
            if problem is not None:
                rejections.append(Rejection(str(path), r["_line"], *problem))
                continue
            info = self.definitions.get(r["series"])
            country = r["country"].upper()
            rows.append({
                "series": r["series"], "area": m49.get(country, country.lstrip("0")),
                "publisher": info.publisher if info else (r["publisher"].upper()
                                                          or self.publisher),
                "period": r["year"], "value": r["value"], "dims": "",
                "units": r["units"] or (info.units if info else None),
                "source": r["source"] or None, "footnote": r["footnote"] or None,
                "_file": str(path), "_line": r["_line"]})
        obs = conform(pl.DataFrame(rows, schema={c: pl.Utf8 for c in rows[0]}) if rows
                      else pl.DataFrame())
        yield Batch(obs, self._series(obs), rejections=rejections)

    def _check(self, r: dict[str, str], m49: dict[str, str], numeric: set[str]
               ) -> tuple[str, str] | None:
        """(field, message) when the row cannot be read as one of the expected series."""
        if self.definitions:
            info = self.definitions.get(r["series"])
            if info is None:
                return ("series", f"'{r['series']}' is not a series {self.what or 'here'} "
                        f"defines ({', '.join(sorted(self.definitions))}); define it under "
                        "series: in the roadmap file first")
            if r["units"] and r["units"] != info.units:
                return ("units", f"'{r['units']}' differs from the series' units "
                        f"{info.units}; convert the value or leave units blank")
        else:
            publisher = r["publisher"].upper() or self.publisher
            if not publisher:
                return ("publisher", "no publisher: give the publisher's code (e.g. "
                        "SDG_CENTRE) in a publisher column")
            if publisher in RESERVED:
                return ("publisher", f"{publisher}'s series come from its own data; give "
                        "your own publisher code")
            if not r["units"]:
                return ("units", "no units: give the unit's code (e.g. PERCENT, MT)")
        country = r["country"].upper()
        if country not in m49 and country.lstrip("0") not in numeric:
            return ("country", f"'{r['country']}' is not a country: give its ISO 3166 "
                    "alpha-3 code (KGZ) or M49 code (417)")
        if not r["year"].isdigit() or len(r["year"]) != 4:
            return ("year", f"'{r['year']}' is not a year; write four digits (2022)")
        return None

    def _series(self, obs: pl.DataFrame) -> pl.DataFrame:
        used = obs.select(pl.col("series").alias("code"), "publisher").unique(
            maintain_order=True)
        rows = []
        for code, publisher in used.iter_rows():
            info = self.definitions.get(code)
            rows.append({"code": code, "publisher": publisher, "national": False,
                         "description": info.description if info else None,
                         "description_ru": info.description_ru if info else None,
                         "indicators": info.indicators if info else None})
        return conform_series(pl.DataFrame(rows, schema={
            "code": pl.Utf8, "publisher": pl.Utf8, "national": pl.Boolean,
            "description": pl.Utf8, "description_ru": pl.Utf8, "indicators": pl.Utf8}))
