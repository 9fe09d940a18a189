"""Print the goal-level progress of the Centre's six countries for every method, as Markdown
tables (the dominant status per goal and country, with the number of series behind it), and
draw the UNSD heatmap. Used to write docs/progress.md:

    python scripts/progress_tables.py STORE.db docs/img/progress-unsd.png

STORE.db must hold the whole UN Global SDG Database (SDSN's bounds are percentiles over all
countries): `sdgbridge --db sqlite:///STORE.db init` then `sdgbridge --db … ingest
../shared/data/sdg/unsd_global_ddf_2023-12`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from sdgbridge.assessment.charts import dominant, heatmap
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.run import assess, roll_up, series_indicators
from sdgbridge.db.engine import make_engine
from sdgbridge.reference.catalog import area_table

SHORT = {"on track": "on track", "needs acceleration": "accelerate", "stagnating": "stagnating",
         "regressing": "regressing", "insufficient data": "no data"}


def table(rolled: pl.DataFrame, names: dict[str, str], areas: list[str]) -> str:
    goals = sorted(set(rolled["goal"]), key=int)
    cells = {(r["goal"], r["area"]): f"{SHORT[dominant(r)]} ({r['coverage']})"
             for r in rolled.iter_rows(named=True)}
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
        rolled = roll_up(run.results, links, "goal")
        print(f"\n### {method} ({run.params_version}; data releases {run.releases})\n")
        print(table(rolled, names, areas))
        if method == "unsd":
            heatmap(rolled, "goal", {a: names[a] for a in areas}, Path(image),
                    f"SDG progress by goal, UNSD method ({run.params_version})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
