"""Overlaps worth a coordinator's look: projects of *different* organisations in the same
country and SDG target, at the same time, that describe similar work, across languages;
and the records that are one publisher's versions of the same activity, shown as such.

The candidates are :func:`~sdgbridge.projects.overlaps.overlaps` at similarity 0 (same
recipient country and SDG target, dates that meet), one row per pair of projects (their
shared countries and targets listed). A pair is kept when its organisations differ and
its texts are similar by either measure:

* ``similarity``: the cosine of the two projects' multilingual sentence embeddings (titles
  and descriptions; :mod:`sdgbridge.knowledge.embed`, the knowledge base's embedder, which
  matches an English text with a Russian one); at least :data:`MIN_EMBEDDING`;
* ``text_similarity``: the TF-IDF cosine of the same texts (shared words); at least
  :data:`MIN_TFIDF`.

Measured on 72 pairs labelled by hand (``tests/data/overlaps``): of the labelled pairs this
rule keeps, the share a coordinator would look at (an overlap, or one activity published by
two organisations) is its precision; ``tests/projects/test_overlap_review.py`` computes it
and the closing note of issue 15 reports it.

Two records with the same title (case and spacing aside) by different organisations are
``kind`` "versions" (a funder and its implementer publishing one grant), not "overlap". The
same publisher's records of one activity (same title, same country and target, dates that
meet) are listed by :func:`publisher_versions` and never as overlaps.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.kept import NOTHING_KEPT, Keeper
from sdgbridge.projects.overlaps import _TEXT, _drop_templates, org_key, overlaps
from sdgbridge.projects.periods import money_flows
from sdgbridge.projects.visibility import reader_class, shown

MIN_EMBEDDING = 0.7  # sentence-embedding cosine from which two projects' texts are alike
MIN_TFIDF = 0.5  # TF-IDF cosine from which they share enough words
TEXT_CHARS = 1000  # of each project's titles and descriptions, embedded
REVIEW_COLUMNS = ("a", "b", "kind", "similarity", "text_similarity", "countries", "targets",
                  "overlap_start", "overlap_end", "a_title", "b_title", "a_org", "b_org",
                  "a_org_name", "b_org_name", "a_value_usd", "b_value_usd")
_VECTORS: dict[tuple[str, str], np.ndarray] = {}  # (embedder, sha256 of text) -> vector
_LOCK = threading.Lock()


def _texts(engine: Engine, ids: list[str], template_repeats: int = 25) -> pl.DataFrame:
    """Each project's title, text (titles and descriptions, less the templates written for
    ``template_repeats`` projects or more: the US redaction notices, budget-line
    boilerplate; see :mod:`.overlaps`), organisation key and name."""
    a = t.iati_activity.c
    cols = ("iati_identifier", *_TEXT, "reporting_org_ref", "reporting_org_name")
    with engine.connect() as conn:
        df = pl.read_database(select(*(a[c] for c in cols)).where(shown()), conn,
                              schema_overrides={c: pl.Utf8 for c in cols})
    df = _drop_templates(df, template_repeats).filter(pl.col("iati_identifier").is_in(ids))
    out = []
    for r in df.iter_rows(named=True):
        title = r["title_en"] or r["title_ru"] or r["title_other"] or ""
        text = "\n".join(r[c] for c in _TEXT if r[c])[:TEXT_CHARS]
        out.append({"iati_identifier": r["iati_identifier"], "title": title, "text": text,
                    "org": org_key(r["reporting_org_ref"], r["reporting_org_name"], {}) or "",
                    "org_name": r["reporting_org_name"] or r["reporting_org_ref"] or ""})
    return pl.DataFrame(out, schema={"iati_identifier": pl.Utf8, "title": pl.Utf8,
                                     "text": pl.Utf8, "org": pl.Utf8, "org_name": pl.Utf8})


def embed_texts(embedder: Any, texts: list[str]) -> np.ndarray:
    """Unit vectors of ``texts``, each text embedded once per process and embedder."""
    keys = [(embedder.name, hashlib.sha256(x.encode()).hexdigest()) for x in texts]
    with _LOCK:
        todo = sorted({k: x for k, x in zip(keys, texts, strict=True)
                       if k not in _VECTORS}.items())
    if todo:
        vectors = embedder.embed([x for _, x in todo])
        with _LOCK:
            _VECTORS.update({k: v for (k, _), v in zip(todo, vectors, strict=True)})
    with _LOCK:
        return np.stack([_VECTORS[k] for k in keys]) if keys else np.zeros((0, 1))


def _norm(title: str) -> str:
    return " ".join(title.casefold().split())


def review_overlaps(engine: Engine, embedder: Any, *, min_embedding: float = MIN_EMBEDDING,
                    min_tfidf: float = MIN_TFIDF, candidates: pl.DataFrame | None = None
                    ) -> pl.DataFrame:
    """The pairs of different organisations' projects worth a look (:data:`REVIEW_COLUMNS`;
    see the module docstring), the most similar first. ``candidates``: the output of
    :func:`~sdgbridge.projects.overlaps.overlaps` at similarity 0, when already made."""
    found = overlaps(engine, min_similarity=0.0) if candidates is None else candidates
    pairs = (found.group_by("a", "b").agg(
        pl.col("country").unique().sort().alias("countries"),
        pl.col("target").unique().sort().alias("targets"),
        pl.col("overlap_start").min(), pl.col("overlap_end").max(),
        pl.col("similarity").max().alias("text_similarity")))
    ids = sorted(set(pairs["a"]) | set(pairs["b"]))
    texts = _texts(engine, ids)
    info = {r["iati_identifier"]: r for r in texts.iter_rows(named=True)}
    pairs = pairs.filter(pl.col("a").is_in(list(info)), pl.col("b").is_in(list(info)))
    pairs = pairs.filter(pl.struct("a", "b").map_elements(
        lambda r: info[r["a"]]["org"] != info[r["b"]]["org"], return_dtype=pl.Boolean))
    with_text = [i for i in ids if i in info and len(info[i]["text"].strip()) >= 20]
    vectors = embed_texts(embedder, [info[i]["text"] for i in with_text])
    row = {ident: n for n, ident in enumerate(with_text)}
    sims = [float(vectors[row[a]] @ vectors[row[b]]) if a in row and b in row else 0.0
            for a, b in pairs.select("a", "b").iter_rows()]
    pairs = pairs.with_columns(similarity=pl.Series(sims, dtype=pl.Float64))
    kept = pairs.filter((pl.col("similarity") >= min_embedding)
                        | (pl.col("text_similarity") >= min_tfidf))

    def field(side: str, name: str) -> pl.Expr:
        return pl.col(side).map_elements(lambda k: info[k][name], return_dtype=pl.Utf8)

    same_title = field("a", "title").map_elements(_norm, return_dtype=pl.Utf8) == field(
        "b", "title").map_elements(_norm, return_dtype=pl.Utf8)
    spent = _spent(engine, sorted(set(kept["a"]) | set(kept["b"])))

    def money(side: str) -> pl.Expr:
        return pl.col(side).replace_strict(spent, default=None, return_dtype=pl.Float64)

    return (kept.with_columns(
        a_value_usd=money("a"), b_value_usd=money("b"),
        a_title=field("a", "title"), b_title=field("b", "title"),
        a_org=field("a", "org"), b_org=field("b", "org"),
        a_org_name=field("a", "org_name"), b_org_name=field("b", "org_name"),
        kind=pl.when(same_title & (field("a", "title") != "")).then(pl.lit("versions"))
        .otherwise(pl.lit("overlap")))
        .sort(["similarity", "text_similarity", "a", "b"],
              descending=[True, True, False, False])
        .select(REVIEW_COLUMNS))


def _spent(engine: Engine, ids: list[str]) -> dict[str, float]:
    """Each project's disbursements and expenditure in US dollars, over all its years and
    countries (:func:`~sdgbridge.projects.periods.money_flows`)."""
    if not ids:
        return {}
    flows = money_flows(engine).filter(pl.col("iati_identifier").is_in(ids),
                                       pl.col("transaction_type").is_in(["3", "4"]))
    return dict(flows.group_by("iati_identifier").agg(pl.col("value_usd").sum()).iter_rows())


def publisher_versions(engine: Engine, candidates: pl.DataFrame | None = None
                       ) -> pl.DataFrame:
    """One publisher's records of the same activity: pairs of its projects with the same
    title in the same country and target at the same time, grouped (``group`` = the first
    identifier), with how many records each group holds."""
    found = overlaps(engine, min_similarity=0.0) if candidates is None else candidates
    same = found.filter(pl.col("same_org")).select("a", "b").unique()
    ids = sorted(set(same["a"]) | set(same["b"]))
    info = {r["iati_identifier"]: r for r in _texts(engine, ids).iter_rows(named=True)}
    links = [(a, b) for a, b in same.iter_rows()
             if a in info and b in info and info[a]["title"]
             and _norm(info[a]["title"]) == _norm(info[b]["title"])]
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members = sorted({x for pair in links for x in pair})
    rows = [{"group": root(x), "iati_identifier": x, "title": info[x]["title"],
             "org_name": info[x]["org_name"]} for x in members]
    df = pl.DataFrame(rows, schema={"group": pl.Utf8, "iati_identifier": pl.Utf8,
                                    "title": pl.Utf8, "org_name": pl.Utf8})
    return df.with_columns(records=pl.len().over("group")).sort(
        ["records", "group", "iati_identifier"], descending=[True, False, False])


def overlaps_to_review(engine: Engine, embedder: Any, kept: Keeper = NOTHING_KEPT
                       ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`review_overlaps` and :func:`publisher_versions` of the projects the current
    reader may see, kept until the projects change (per class of reader, like the other
    frames of the projects)."""
    def both(engine: Engine, _reader: str, _embedder: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        candidates = overlaps(engine, min_similarity=0.0)
        return (review_overlaps(engine, embedder, candidates=candidates),
                publisher_versions(engine, candidates))

    return kept.get(engine, "overlaps to review", both, reader_class(), embedder.name,
                    on=("projects",))
