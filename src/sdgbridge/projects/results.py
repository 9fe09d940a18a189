"""IATI result indicators linked to SDG indicators, and so to the series that measure them.

Pure functions over frames (the store is read by :func:`sdgbridge.projects.queries.
project_results`). An indicator's link is, in this order:

* ``declared``: the publisher gave ``reference vocabulary="9"``, which the IATI
  IndicatorVocabulary code list defines as "UN Sustainable Development Goals (SDG)
  Indicators"; its code (``6.1.1``, also written ``SDG 6.1.1`` or ``6.1.1.``) names the SDG
  indicator. A code the loaded SDG framework does not have is ``declared-unknown``, with the
  code as given; it is not replaced by a guess.
* ``inferred``: no SDG reference, and the indicator's title is similar enough to the English
  title of an SDG indicator: the TF-IDF cosine (terms as in :mod:`.overlaps`: words less stop
  words, plus word bigrams; weight (1 + ln tf) × idf) is at least ``min_similarity``
  (:data:`MIN_SIMILARITY` by default). The idf is fitted on the SDG indicator titles alone
  (the unique indicators of the framework), so a similarity does not change when other
  projects are added; a word no SDG title has counts with the highest idf. The best match
  wins; on a tie, the lower indicator code.
* nothing (``sdg_link`` empty) otherwise.

An indicator listed under several targets (1.5.1 = 11.5.1 = 13.1.1) is one indicator: its
series are those recorded under any of its codes (``series_indicator``).
"""

from __future__ import annotations

import math
import re
from collections import Counter

import polars as pl

from sdgbridge.projects.overlaps import tokens

SDG_INDICATOR_VOCABULARY = "9"  # IATI IndicatorVocabulary code list (non-embedded)
MIN_SIMILARITY = 0.5
LINK_COLUMNS = {"iati_identifier": pl.Utf8, "result_seq": pl.Int64, "indicator_seq": pl.Int64,
                "sdg_indicator": pl.Utf8, "sdg_link": pl.Utf8, "similarity": pl.Float64}
_SDG_CODE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2}|[a-z])\.(\d{1,2})(?!\d|\.\d)",
                       re.IGNORECASE)
Vector = dict[str, float]


def sdg_code(text: str | None) -> str | None:
    """The SDG indicator code in ``text`` (``"SDG 6.A.1."`` → ``"6.a.1"``), else None."""
    match = _SDG_CODE.search(text or "")
    return None if match is None else ".".join(
        (match[1].lstrip("0") or "0", match[2].lower(), match[3].lstrip("0") or "0"))


def _code_key(code: str) -> tuple[tuple[int, str], ...]:
    """Indicator codes in their natural order (1.2.1 < 1.10.1 < 1.a.1)."""
    return tuple((int(p), "") if p.isdecimal() else (1000, p) for p in code.split("."))


class TitleIndex:
    """TF-IDF vectors of the SDG indicator titles, to score other titles against."""

    def __init__(self, titles: dict[str, str]) -> None:
        counts = {code: Counter(tokens(text)) for code, text in titles.items()}
        df = Counter(term for c in counts.values() for term in c)
        self.n = len(counts)
        self.idf = {term: math.log((1 + self.n) / (1 + d)) + 1 for term, d in df.items()}
        self.vectors = {code: self.vector(c) for code, c in sorted(
            counts.items(), key=lambda item: _code_key(item[0]))}

    def vector(self, counts: Counter[str]) -> Vector:
        unseen = math.log(1 + self.n) + 1  # idf of a term no SDG title has (df = 0)
        weights = {term: (1 + math.log(tf)) * self.idf.get(term, unseen)
                   for term, tf in sorted(counts.items())}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {term: w / norm for term, w in weights.items()} if norm else {}

    def best(self, title: str | None) -> tuple[str | None, float]:
        """The SDG indicator whose title is nearest ``title``, with the cosine (0 if none)."""
        query = self.vector(Counter(tokens(title or "")))
        best: tuple[str | None, float] = (None, 0.0)
        for code, vec in self.vectors.items():
            score = min(1.0, sum(query[t] * vec[t] for t in sorted(query.keys() & vec.keys())))
            if score > best[1]:
                best = (code, score)
        return best


def link_indicators(indicators: pl.DataFrame, refs: pl.DataFrame, framework: pl.DataFrame,
                    min_similarity: float = MIN_SIMILARITY) -> pl.DataFrame:
    """One row per SDG link of each result indicator (see the module docstring).

    ``indicators``: iati_identifier, result_seq, seq, title; ``refs``: iati_identifier,
    result_seq, indicator_seq, vocabulary, code; ``framework``: code, title, same_as (the
    indicator table). Returns :data:`LINK_COLUMNS`; indicators without a link have no row."""
    known = set(framework["code"])
    declared = refs.filter(pl.col("vocabulary") == SDG_INDICATOR_VOCABULARY)
    rows: list[tuple[object, ...]] = []
    for ident, rseq, iseq, code in declared.select(
            "iati_identifier", "result_seq", "indicator_seq", "code").iter_rows():
        found = sdg_code(code)
        rows.append((ident, rseq, iseq, found if found in known else code,
                     "declared" if found in known else "declared-unknown", None))
    with_reference = {(r[0], r[1], r[2]) for r in rows}
    index = TitleIndex(dict(framework.filter(pl.col("same_as").is_null())
                            .select("code", "title").iter_rows()))
    for ident, rseq, iseq, title in indicators.select(
            "iati_identifier", "result_seq", "seq", "title").iter_rows():
        if (ident, rseq, iseq) in with_reference:
            continue
        code, score = index.best(title)
        if code is not None and score >= min_similarity:
            rows.append((ident, rseq, iseq, code, "inferred", round(score, 4)))
    return pl.DataFrame(rows, schema=LINK_COLUMNS, orient="row").unique(maintain_order=True)


def with_series(links: pl.DataFrame, framework: pl.DataFrame,
                series: pl.DataFrame) -> pl.DataFrame:
    """``links`` plus ``series``: the codes of the series of each linked SDG indicator,
    joined by ", " (empty when none). ``framework``: code, same_as (the indicator table);
    ``series``: indicator, series (series_indicator joined to the series codes)."""
    canon = framework.select("code", canon=pl.coalesce("same_as", "code"))
    per_canon = (series.join(canon, left_on="indicator", right_on="code", how="left")
                 .with_columns(pl.coalesce("canon", "indicator").alias("canon"))
                 .group_by("canon").agg(pl.col("series").unique().sort().str.join(", ")))
    return (links.join(canon, left_on="sdg_indicator", right_on="code", how="left")
            .with_columns(pl.coalesce("canon", "sdg_indicator").alias("canon"))
            .join(per_canon, on="canon", how="left").drop("canon"))
