"""Train the SDG tagger's goal classifier for one embedder and choose its thresholds by
cross-validation on the training texts; store both in the package.

Training texts, each labelled with one goal (all openly licensed; none from the benchmark):

* the English goal, target and indicator texts (``text/sdg_framework``; open-sdg/sdg-translations,
  MIT; UN wording, A/RES/71/313);
* the Aurora v5 target-and-indicator descriptions (``text/keyword_queries/
  aurora_v5_query_lines.csv``; doi:10.5281/zenodo.3817445, CC BY 4.0), one per distinct text;
* the SIRIS Academic keyword phrases (``text/keyword_queries/text2sdg/siris_queries.csv``,
  column ``keyword``; doi:10.5281/zenodo.3567769, CC BY 4.0);
* the TU Berlin Quality & Usability SDG sentences (``text/supplementary/qu_sdg_sentences.csv``;
  amrayach/Quality_and_usability_SDG_project, Apache-2.0);
* **weak labels**: the IATI activity titles and descriptions of ``iati/activities`` (US
  Government publishers, CC0), each labelled with the goal its DAC sectors give through the
  project's DAC → SDG mapping (``projects/data/dac_sdg.csv``), kept only when one goal takes at
  least ``DOMINANT`` of the mapped money shares. These count ``IATI_WEIGHT`` each in training.

The goal threshold and the keyword weight are chosen by 5-fold cross-validation over the
passage-like texts (Q&U sentences and IATI descriptions): for each fold the classifier is
trained on everything else, and the pair that maximises the per-goal balanced accuracy of
"is this goal predicted" (averaged over the 17 goals, as the benchmark averages per SDG) on the
held-out folds wins. The target threshold is fitted on the Q&U sentences alone: the lowest
similarity at which a sentence's best target lies in its own goal for >= 80% of those above.

    python scripts/train_sdg_classifier.py --embedder usem3 [--data ../shared/data] [--cache DIR]

Writes ``src/sdgbridge/knowledge/data/goal_classifier_<embedder>.npz``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from lxml import etree

from sdgbridge.knowledge.embed import get_embedder
from sdgbridge.knowledge.tagging import (
    GOALS,
    Framework,
    GoalClassifier,
    classifier_path,
    keyword_counts,
    load_queries,
    mean_balanced_accuracy,
    train_goal_classifier,
)
from sdgbridge.projects.sdg import load_mapping

ROOT = Path(__file__).resolve().parents[1]
PRECISION = 0.8
DOMINANT = 0.6  # share of an IATI text's mapped sector money its goal must take
IATI_WEIGHT = 0.5  # weak labels count half
FOLDS = 5
HELD_OUT = ("qu", "iati")  # the passage-like sources the thresholds are validated on
GOAL_GRID = np.round(np.arange(0.06, 0.42, 0.02), 2)
KEYWORD_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)

Part = tuple[list[str], list[int]]


def read(path: Path, text: str, goal: str) -> Part:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r[text] for r in rows], [int(r[goal].removeprefix("SDG-")) for r in rows]


def aurora_descriptions(path: Path) -> Part:
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            seen.setdefault(r["target_and_indicator_text"].strip(), int(r["sdg"]))
    return list(seen), list(seen.values())


def dac_goals() -> dict[str, dict[int, float]]:
    """DAC code -> {goal: share}; goal 0 holds the share with no SDG."""
    out: dict[str, dict[int, float]] = defaultdict(dict)
    for r in load_mapping().iter_rows(named=True):
        goal = int(r["goal"]) if r["goal"] else 0
        out[r["dac_code"]][goal] = out[r["dac_code"]].get(goal, 0.0) + r["share"]
    return out


def _narratives(el: etree._Element, tag: str) -> str:
    return " ".join(" ".join((n.text or "").split()) for n in el.findall(f"{tag}/narrative"))


def _sector_goals(act: etree._Element, mapping: dict[str, dict[int, float]]) -> dict[int, float]:
    shares: dict[int, float] = defaultdict(float)
    sectors = [s for s in act.findall("sector") + act.findall("transaction/sector")
               if s.get("vocabulary", "1") == "1"]
    for s in sectors:
        code = s.get("code", "")
        goals = mapping.get(code) or mapping.get(code[:3]) or {}
        for g, share in goals.items():
            shares[g] += share / len(sectors)
    return shares


def iati_texts(folder: Path) -> Part:
    """Title + description of each activity with a dominant DAC-derived goal (texts deduped,
    their sector shares summed)."""
    mapping = dac_goals()
    by_text: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for path in sorted(folder.rglob("*.xml")):
        for act in etree.parse(str(path)).iter("iati-activity"):
            text = f"{_narratives(act, 'title')}. {_narratives(act, 'description')}".strip(" .")
            if len(text.split()) < 5:
                continue
            for g, share in _sector_goals(act, mapping).items():
                by_text[text][g] += share
    texts, goals = [], []
    for text, shares in by_text.items():
        total = sum(shares.values())
        goal = max((g for g in shares if g), key=lambda g: shares[g], default=0)
        if goal and shares[goal] >= DOMINANT * total:
            texts.append(text)
            goals.append(goal)
    return texts, goals


def corpus(data: Path) -> dict[str, Part]:
    fw = data / "text" / "sdg_framework"
    kq = data / "text" / "keyword_queries"
    return {
        "goals": read(fw / "sdg_goals.csv", "title_en", "id"),
        "targets": read(fw / "sdg_targets.csv", "title_en", "goal"),
        "indicators": read(fw / "sdg_indicators.csv", "title_en", "goal"),
        "aurora": aurora_descriptions(kq / "aurora_v5_query_lines.csv"),
        "siris": read(kq / "text2sdg" / "siris_queries.csv", "keyword", "sdg"),
        "qu": read(data / "text/supplementary/qu_sdg_sentences.csv", "text", "sdg"),
        "iati": iati_texts(data / "iati" / "activities"),
    }


def features(emb_name: str, parts: dict[str, Part], cache: Path | None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings and keyword counts (n, 2, 17) of every text, from ``cache`` if it holds
    exactly these texts."""
    texts = [t for ts, _ in parts.values() for t in ts]
    file = cache / f"sdg_training_{emb_name}.npz" if cache else None
    if file and file.exists():
        with np.load(file, allow_pickle=False) as z:
            if z["texts"].tolist() == texts:
                return z["x"], z["counts"]
    started = time.perf_counter()
    x = get_embedder(emb_name).embed(texts)
    counts, _ = keyword_counts(load_queries(), texts)
    print(f"embedded and matched {len(texts)} texts in {time.perf_counter() - started:.0f} s")
    if file:
        file.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(file, texts=np.array(texts), x=x, counts=counts)
    return x, counts


def sample_weights(parts: dict[str, Part]) -> np.ndarray:
    return np.concatenate([np.full(len(ts), IATI_WEIGHT if name == "iati" else 1.0)
                           for name, (ts, _) in parts.items()])


def cross_validate(x: np.ndarray, y: np.ndarray, w: np.ndarray, counts: np.ndarray,
                   source: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """Held-out probabilities of the passage-like texts, then the (goal threshold, keyword)
    pair with the best mean per-goal balanced accuracy on them."""
    rows = np.flatnonzero(np.isin(source, HELD_OUT))
    fold = np.random.default_rng(0).permutation(len(rows)) % FOLDS
    probs = np.zeros((len(rows), GOALS))
    for k in range(FOLDS):
        train = np.ones(len(y), dtype=bool)
        train[rows[fold == k]] = False
        clf = train_goal_classifier(x[train], y[train], sample_weight=w[train])
        probs[fold == k] = clf.probabilities(x[rows[fold == k]])
    grid = np.array([[mean_balanced_accuracy(probs, counts[rows], y[rows], g, kw)
                      for kw in KEYWORD_GRID] for g in GOAL_GRID])
    i, j = np.unravel_index(int(grid.argmax()), grid.shape)
    return float(GOAL_GRID[i]), float(KEYWORD_GRID[j]), float(grid[i, j]), grid


def target_threshold(sims: np.ndarray, framework: Framework, goals: np.ndarray) -> float:
    """Lowest similarity above which the best target is in the right goal >= PRECISION."""
    best = sims.max(axis=1)
    right = np.array([int(framework.targets[j].split(".")[0]) for j in sims.argmax(axis=1)])
    right = right == goals
    order = np.argsort(-best)
    precision = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(precision >= PRECISION)
    return float(best[order[ok[-1]]]) if len(ok) else float(best.max())


def fit_target_threshold(emb_name: str, data: Path, x_qu: np.ndarray, y_qu: np.ndarray
                         ) -> float:
    framework = Framework.read(data / "text" / "sdg_framework")
    protos = get_embedder(emb_name).embed(framework.prototype_texts)
    per_target = np.full((len(x_qu), len(framework.targets)), -1.0)
    np.maximum.at(per_target.T, framework.prototype_target, (x_qu @ protos.T).T)
    return target_threshold(per_target, framework, y_qu)


def print_grid(grid: np.ndarray) -> None:
    print("held-out balanced accuracy (%), goal threshold x keyword weight:")
    print("goal  " + " ".join(f"{kw:6.2f}" for kw in KEYWORD_GRID))
    for g, row in zip(GOAL_GRID, grid, strict=True):
        print(f"{g:4.2f}  " + " ".join(f"{100 * v:6.1f}" for v in row))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--embedder", default="usem3")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, help="folder to keep embeddings between runs")
    args = ap.parse_args()
    emb = get_embedder(args.embedder)
    parts = corpus(args.data)
    print(", ".join(f"{name} {len(ts)}" for name, (ts, _) in parts.items()))
    x, counts = features(emb.name, parts, args.cache)
    y = np.concatenate([np.array(g) for _, g in parts.values()])
    source = np.concatenate([np.full(len(ts), name) for name, (ts, _) in parts.items()])
    w = sample_weights(parts)
    goal, keyword, score, grid = cross_validate(x, y, w, counts, source)
    print_grid(grid)
    clf = train_goal_classifier(x, y, sample_weight=w)
    accuracy = float((clf.probabilities(x).argmax(axis=1) + 1 == y).mean())
    qu = source == "qu"
    threshold = fit_target_threshold(emb.name, args.data, x[qu], y[qu])
    out = classifier_path(emb.name)
    GoalClassifier(clf.weights, clf.bias, clf.centre, threshold, goal, keyword).save(out)
    print(f"training accuracy {accuracy:.3f}; cross-validated goal threshold {goal:.2f}, "
          f"keyword weight {keyword:.2f} (held-out balanced accuracy {100 * score:.1f}%); "
          f"target threshold {threshold:.3f}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
