"""Print the goal-level progress of the Centre's six countries for every method, as Markdown
tables, as each method publishes goal figures: for UNSD, ESCAP and Open SDG the number of the
goal's counted series in each status (✓ on track, ! needs acceleration, – stagnating,
✗ regressing, ? no status; profile ``sdg-goals``); for SDSN the goal score (0-100) and
dashboard colour (profile ``sdr-2025``). Also draws the UNSD heatmap. Used to write
docs/progress.md:

    python scripts/progress_tables.py STORE.db docs/img/progress-unsd.png

STORE.db may hold the region or the whole UN Global SDG Database (the figures are the same):
`sdgbridge --db sqlite:///STORE.db init` then `sdgbridge --db … ingest
../shared/data/sdg/unsd_global_ddf_2023-12`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from sdgbridge.assessment.charts import heatmap
from sdgbridge.assessment.figures import counted_links
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.model import SCALE
from sdgbridge.assessment.run import assess, method_summary, roll_up, series_indicators
from sdgbridge.db.engine import make_engine
from sdgbridge.reference.catalog import area_table

SYMBOL = {"on track": "✓", "needs acceleration": "!", "stagnating": "–", "regressing": "✗",
          "insufficient data": "?"}


def share_cells(rolled: pl.DataFrame) -> dict[tuple[str, str], str]:
    return {(r["goal"], r["area"]): " ".join(f"{SYMBOL[s]}{r[s]}" for s in SCALE if r[s])
            for r in rolled.iter_rows(named=True)}


def sdsn_cells(goals: pl.DataFrame) -> dict[tuple[str, str], str]:
    return {(str(r["goal"]), r["area"]): f"{r['score']:.1f} {r['rating'] or ''}".strip()
            for r in goals.iter_rows(named=True)}


def table(cells: dict[tuple[str, str], str], names: dict[str, str], areas: list[str]) -> str:
    goals = sorted({g for g, _ in cells}, key=int)
    head = "| goal | " + " | ".join(names[a] for a in areas) + " |"
    rule = "|---|" + "---|" * len(areas)
    rows = [f"| {g} | " + " | ".join(cells.get((g, a), "–") for a in areas) + " |"
            for g in goals]
    return "\n".join([head, rule, *rows])


def main(store: str, image: str) -> None:
    engine = make_engine(f"sqlite:///{store}")
    names = dict(area_table(engine).select("code", "name_en").iter_rows())
    areas = ["398", "417", "762", "795", "860", "4"]
    links = series_indicators(engine)
    for method in METHODS:
        run = assess(engine, method, areas)
        rolled = roll_up(run.results, counted_links(links), "goal")
        print(f"\n### {method} ({run.params_version}; data releases {run.releases})\n")
        if method == "sdsn":
            summary = dict(method_summary(run, links))
            goals = next(f for t, f in summary.items() if "goal scores" in t)
            print(table(sdsn_cells(goals), names, areas))
            index = next(f for t, f in summary.items() if t.startswith("SDSN index"))
            print("\nindex: " + ", ".join(f"{names[r['area']]} {r['index']:.1f}"
                                          for r in index.iter_rows(named=True)
                                          if r["area"] in areas and r["index"] is not None))
        else:
            print(table(share_cells(rolled), names, areas))
        if method == "unsd":
            heatmap(rolled, "goal", {a: names[a] for a in areas}, Path(image),
                    f"SDG progress by goal, UNSD method ({run.params_version})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
