"""SDG tagging: which goals and targets a text concerns, with a confidence and the passages.

Built only from openly available material (see docs/knowledge.md for the sources and figures):

* a **goal classifier**: softmax regression on sentence embeddings, trained by
  ``scripts/train_sdg_classifier.py`` on the SDG framework texts, Aurora's target descriptions,
  the SIRIS keyword phrases, the TU Berlin Q&U SDG sentences and IATI project descriptions
  weakly labelled through their DAC sectors; its weights ship per embedder in ``data/``, with
  the goal threshold and keyword weight chosen by cross-validation on those texts;
* **keyword queries**: Aurora v5 (per target) and SIRIS (per goal), compiled to regular
  expressions by ``scripts/build_sdg_queries.py`` into ``data/sdg_queries.csv``;
* **target similarity**: a passage's cosine similarity to each target's wording and to its
  indicators' wordings (the best of them), from the framework CSVs.

A passage's goal score is the classifier's probability plus ``keyword`` per matching query
(at most two per system); a goal is tagged when the score reaches ``goal``. Its targets are
those whose similarity reaches ``target``, whose Aurora query matches, or that are the
passage's nearest target. A document takes, per
goal and target, its best passage's score, and keeps the passages that pass, best first.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from sdgbridge.errors import InputError
from sdgbridge.knowledge.embed import Embedder, get_embedder
from sdgbridge.reference.framework import PACKAGED_FRAMEWORK

DATA = Path(__file__).parent / "data"
GOALS = 17
MAX_PASSAGE = 800  # characters per passage when the caller gives none
EVIDENCE = 3  # passages kept per tag


@dataclass(frozen=True)
class Thresholds:
    goal: float  # passage goal score (probability + keyword bonus) needed to tag its goal
    target: float  # cosine similarity to a target's texts needed to tag the target
    keyword: float = 0.1  # added to a goal's score per matching query, at most 2 per system


# Used only when a classifier file stores no thresholds of its own (each shipped file does:
# ``goal`` and ``keyword`` cross-validated on the training texts, ``target`` fitted on the Q&U
# sentences; see scripts/train_sdg_classifier.py). None of them was chosen on the benchmark.
FALLBACK = Thresholds(goal=0.12, target=0.0)
SYSTEMS = ("aurora_v5", "siris")  # keyword systems, in the order of ``keyword_counts``


@dataclass(frozen=True)
class SdgTag:
    goal: int
    target: str | None  # target code like "6.1", or None for a goal-level tag
    score: float  # confidence 0..1
    passages: tuple[str, ...]  # the passages that carry it, best first
    source: str = "model"  # "model" | "user"


@dataclass(frozen=True)
class Framework:
    """English texts of the targets (and their indicators) and goals, for prototypes."""

    targets: list[str]  # target codes, framework order
    target_texts: list[str]
    prototype_texts: list[str]  # target titles, then indicator titles
    prototype_target: np.ndarray  # index into ``targets`` of each prototype
    goal_texts: list[str]

    @classmethod
    def read(cls, folder: Path) -> Framework:
        targets = _rows(folder / "sdg_targets.csv")
        indicators = _rows(folder / "sdg_indicators.csv")
        goals = _rows(folder / "sdg_goals.csv")
        codes = [r["id"] for r in targets]
        index = {c: i for i, c in enumerate(codes)}
        ind = [(r["title_en"], index[r["id"].rsplit(".", 1)[0]]) for r in indicators
               if r["id"].rsplit(".", 1)[0] in index]
        texts = [r["title_en"] for r in targets]
        return cls(codes, texts, texts + [t for t, _ in ind],
                   np.array(list(range(len(codes))) + [i for _, i in ind]),
                   [f"{r['short_en']}: {r['title_en']}" for r in goals])


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise InputError(
            f"{path}: SDG framework file not found. Give framework_dir= the folder with "
            "sdg_goals.csv, sdg_targets.csv and sdg_indicators.csv (the package ships them "
            "in sdgbridge/reference/data)."
        )
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "id" not in rows[0] or "title_en" not in rows[0]:
        raise InputError(f"{path}: expected columns id and title_en; is this an SDG file?")
    return rows


def default_framework_dir() -> Path:
    """The framework files shipped with the package."""
    return PACKAGED_FRAMEWORK


# ---- keyword queries ------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    system: str
    goal: int
    target: str | None
    anchors: tuple[str, ...]  # a matching text holds one of these words ("pref*": a prefix)
    regex: re.Pattern[str]


def load_queries(path: Path = DATA / "sdg_queries.csv") -> list[Query]:
    with open(path, encoding="utf-8", newline="") as f:
        return [Query(r["system"], int(r["goal"]), r["target"] or None,
                      tuple(r["anchors"].split()), re.compile(r["regex"], re.IGNORECASE))
                for r in csv.DictReader(f)]


def _word_keys(text: str) -> set[str]:
    words = set(re.findall(r"\w+", text.lower()))
    return words | {w[:k] + "*" for w in words for k in range(3, len(w) + 1)}


def query_hits(queries: Sequence[Query], text: str) -> list[Query]:
    """The queries that match ``text`` (anchors first, so most are skipped cheaply)."""
    keys = _word_keys(text)
    return [q for q in queries if not keys.isdisjoint(q.anchors) and q.regex.search(text)]


def keyword_counts(queries: Sequence[Query], texts: Sequence[str]
                   ) -> tuple[np.ndarray, list[set[str]]]:
    """Matching queries per text, system (``SYSTEMS`` order) and goal: (n, 2, 17); and the
    targets the matching queries name, per text."""
    counts = np.zeros((len(texts), len(SYSTEMS), GOALS), dtype=np.int32)
    targets: list[set[str]] = []
    for i, text in enumerate(texts):
        matched = query_hits(queries, text)
        for q in matched:
            counts[i, SYSTEMS.index(q.system), q.goal - 1] += 1
        targets.append({q.target for q in matched if q.target})
    return counts, targets


def goal_scores(probabilities: np.ndarray, counts: np.ndarray, keyword: float) -> np.ndarray:
    """Classifier probability + ``keyword`` per matching query (at most 2 per system), capped
    at 1: (n, 17)."""
    bonus = keyword * np.minimum(counts, 2).sum(axis=1)
    return np.minimum(probabilities + bonus, 1.0)


def mean_balanced_accuracy(probabilities: np.ndarray, counts: np.ndarray, goals: np.ndarray,
                           threshold: float, keyword: float) -> float:
    """Per goal, the balanced accuracy of "goal predicted" against "the text's goal" (mean of
    the rates on the goal's texts and on the others), averaged over the goals."""
    predicted = goal_scores(probabilities, counts, keyword) >= threshold
    truth = goals[:, None] == np.arange(1, GOALS + 1)
    tpr = (predicted & truth).sum(axis=0) / np.maximum(truth.sum(axis=0), 1)
    tnr = (~predicted & ~truth).sum(axis=0) / np.maximum((~truth).sum(axis=0), 1)
    return float(np.mean((tpr + tnr) / 2))


# ---- goal classifier ------------------------------------------------------------------

@dataclass(frozen=True)
class GoalClassifier:
    """Softmax regression over the 17 goals on centred embeddings."""

    weights: np.ndarray  # (dim, 17)
    bias: np.ndarray  # (17,)
    centre: np.ndarray  # (dim,)
    target_threshold: float
    goal_threshold: float | None = None  # cross-validated when trained by the script
    keyword: float | None = None

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.centre) @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, weights=self.weights.astype(np.float32),
                            bias=self.bias.astype(np.float32),
                            centre=self.centre.astype(np.float32),
                            target_threshold=np.float32(self.target_threshold),
                            **{k: np.float32(v)  # type: ignore[arg-type]  # stubs: **kwds
                               for k, v in (("goal_threshold", self.goal_threshold),
                                            ("keyword", self.keyword)) if v is not None})

    @classmethod
    def load(cls, path: Path) -> GoalClassifier:
        with np.load(path) as z:
            extra = {k: float(z[k]) for k in ("goal_threshold", "keyword") if k in z}
            return cls(z["weights"], z["bias"], z["centre"], float(z["target_threshold"]),
                       **extra)


def train_goal_classifier(x: np.ndarray, goals: np.ndarray, *, l2: float = 1e-4,
                          epochs: int = 1000, rate: float = 2.0,
                          sample_weight: np.ndarray | None = None) -> GoalClassifier:
    """Full-batch gradient descent on the (weighted) cross-entropy (goals 1..17).
    Deterministic."""
    sw = np.ones(len(x)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    sw = (sw / sw.sum())[:, None]
    centre = x.mean(axis=0)
    xc = (x - centre).astype(np.float64)
    onehot = np.eye(GOALS)[goals - 1]
    w, b = np.zeros((x.shape[1], GOALS)), np.zeros(GOALS)
    for _ in range(epochs):
        z = xc @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        grad = sw * (p - onehot)
        w -= rate * (xc.T @ grad + l2 * w)
        b -= rate * grad.sum(axis=0)
    return GoalClassifier(w.astype(np.float32), b.astype(np.float32),
                          centre.astype(np.float32), 0.0)


def classifier_path(embedder_name: str) -> Path:
    return DATA / f"goal_classifier_{embedder_name}.npz"


# ---- the tagger -----------------------------------------------------------------------

def split_passages(text: str, max_chars: int = MAX_PASSAGE) -> list[str]:
    """Paragraphs, cut at sentence ends into passages of at most ``max_chars`` (roughly)."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        current = ""
        for sent in re.split(r"(?<=[.!?…])\s+", " ".join(para.split())):
            if current and len(current) + len(sent) + 1 > max_chars:
                out.append(current)
                current = ""
            current = f"{current} {sent}".strip()
        if current:
            out.append(current)
    return out


class SdgTagger:
    """Tags texts with SDG goals and targets; one per embedder (building it embeds ~420
    framework texts)."""

    def __init__(self, embedder: Embedder | None = None, *,
                 framework_dir: Path | None = None) -> None:
        self.embedder = embedder or get_embedder("auto")
        self.framework = Framework.read(framework_dir or default_framework_dir())
        self.targets: list[str] = self.framework.targets
        self.queries = load_queries()
        self.classifier = self._classifier()
        clf = self.classifier
        self.thresholds = Thresholds(
            FALLBACK.goal if clf.goal_threshold is None else clf.goal_threshold,
            clf.target_threshold,
            FALLBACK.keyword if clf.keyword is None else clf.keyword)
        self.target_threshold = self.thresholds.target

    def _classifier(self) -> GoalClassifier:
        path = classifier_path(self.embedder.name)
        if path.exists():
            clf = GoalClassifier.load(path)
            if clf.weights.shape[0] == self.embedder.dim:
                return clf
        return self._fit_on_framework()

    def _fit_on_framework(self) -> GoalClassifier:
        """No shipped weights for this embedder: train on the framework texts alone."""
        fw = self.framework
        texts = fw.prototype_texts + fw.goal_texts
        goals = np.array([int(self.targets[i].split(".")[0]) for i in fw.prototype_target]
                         + list(range(1, GOALS + 1)))
        clf = train_goal_classifier(self.embedder.embed(texts), goals, epochs=300)
        return GoalClassifier(clf.weights, clf.bias, clf.centre, 0.5)

    @cached_property
    def _prototypes(self) -> np.ndarray:
        return self.embedder.embed(self.framework.prototype_texts)

    def target_scores(self, passages: Sequence[str]) -> np.ndarray:
        """(n_passages, 169): best cosine similarity of each passage to each target's
        wording or its indicators' wordings; columns in ``self.targets`` order."""
        return self._target_scores(self.embedder.embed(passages))

    def _target_scores(self, x: np.ndarray) -> np.ndarray:
        sims = x @ self._prototypes.T
        out = np.full((len(x), len(self.targets)), -1.0, dtype=np.float32)
        np.maximum.at(out.T, self.framework.prototype_target, sims.T)
        return out

    def _goal_scores(self, passages: Sequence[str]) -> tuple[np.ndarray, np.ndarray,
                                                              list[set[str]]]:
        """Goal scores (n, 17), the embeddings, and the Aurora targets hit, per passage."""
        x = self.embedder.embed(passages)
        counts, hits = keyword_counts(self.queries, passages)
        probs = self.classifier.probabilities(x).astype(np.float64)
        return goal_scores(probs, counts, self.thresholds.keyword), x, hits

    def goals(self, texts: Sequence[str]) -> list[set[int]]:
        """The predicted goals of each text (a goal passes in any of the text's passages)."""
        split = [split_passages(t) or [t] for t in texts]
        scores, _, _ = self._goal_scores([p for ps in split for p in ps])
        out, start = [], 0
        for ps in split:
            best = scores[start : start + len(ps)].max(axis=0)
            out.append({int(g) + 1 for g in np.flatnonzero(best >= self.thresholds.goal)})
            start += len(ps)
        return out

    def tag(self, text: str, *, passages: Sequence[str] | None = None) -> list[SdgTag]:
        """Goal and target tags of a text, best first; ``passages`` default to paragraphs
        and sentences of ``text`` cut to about 800 characters."""
        items = list(passages) if passages is not None else split_passages(text)
        items = [p for p in items if p.strip()]
        if not items:
            return []
        scores, x, hits = self._goal_scores(items)
        sims = self._target_scores(x)
        tags = []
        for g in np.flatnonzero(scores.max(axis=0) >= self.thresholds.goal):
            tags.append(self._tag(int(g) + 1, None, scores[:, g], self.thresholds.goal, items))
            tags.extend(self._target_tags(int(g) + 1, scores[:, g], sims, hits, items))
        return sorted(tags, key=lambda t: (-t.score, t.goal, t.target or ""))

    def _target_tags(self, goal: int, goal_scores: np.ndarray, sims: np.ndarray,
                     hits: list[set[str]], items: list[str]) -> list[SdgTag]:
        """Targets of a tagged goal, per passage on that goal: those reaching the target
        threshold, those an Aurora query hits, and the passage's nearest target of all 169
        when it lies in this goal."""
        on_goal = goal_scores >= self.thresholds.goal
        nearest = sims.argmax(axis=1)
        out = []
        for j, code in enumerate(self.targets):
            if not code.startswith(f"{goal}."):
                continue
            hit = np.array([code in h for h in hits])
            chosen = on_goal & (hit | (sims[:, j] >= self.thresholds.target) | (nearest == j))
            if chosen.any():
                conf = _target_confidence(sims[:, j], self.thresholds.target, hit)
                out.append(self._tag(goal, code, np.where(chosen, conf, -1.0), 0.0, items))
        return out

    @staticmethod
    def _tag(goal: int, target: str | None, col: np.ndarray, threshold: float,
             items: list[str]) -> SdgTag:
        order = [i for i in np.argsort(-col, kind="stable") if col[i] >= threshold]
        return SdgTag(goal, target, round(float(min(1.0, col[order[0]])), 4),
                      tuple(items[i] for i in order[:EVIDENCE]))


def _target_confidence(sims: np.ndarray, threshold: float, hit: np.ndarray) -> np.ndarray:
    """Up to 0.5 below the threshold (in proportion), 0.5 to 1 above it; a query hit adds
    0.25."""
    below = 0.5 * np.clip(sims / max(threshold, 1e-6), 0.0, 1.0)
    above = 0.5 + 0.5 * np.clip((sims - threshold) / max(1e-6, 1.0 - threshold), 0.0, 1.0)
    return np.clip(np.where(sims >= threshold, above, below) + 0.25 * hit, 0.0, 1.0)
