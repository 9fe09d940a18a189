"""Write the ``sdg-goals`` profile: which series of the target table count in the goal
figures of the UNSD, Open SDG and ESCAP methods, with the reason for each.

    python scripts/goal_profile.py STORE_URL  # a store holding the UN Global SDG Database

The rule (docs/progress.md, "Goal figures"): an absolute count or amount (people affected,
deaths, tonnes, dollars) stays out of a goal's figure when a per-capita, per-unit or share
series measures the same SDG target; where none does, it counts, and the reason says so.
Absolute = its units are a count, a mass, an area or money and its description says none of
"per", "proportion", "rate", "score" and the like (``RELATIVE``). The file is data: edit a
row's ``counts`` and ``reason`` by hand after regenerating, and bump the version in
profile.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
from sqlalchemy import select

from sdgbridge.assessment.inputs import load_targets
from sdgbridge.assessment.run import series_indicators
from sdgbridge.assessment.world import load_world
from sdgbridge.db import tables as t
from sdgbridge.db.engine import make_engine

OUT = Path(__file__).resolve().parents[1] / "src/sdgbridge/assessment/profiles/sdg-goals"
ABSOLUTE_UNITS = {"NUMBER", "TONNES", "TONNES_M", "CON_USD", "CON_USD_M", "CU_USD",
                  "CU_USD_M", "CU_USD_B", "NUM_TH", "NUM_M", "KMSQ", "HA_TH", "M_M3_PER_YR",
                  "MT_CO2E", "CUR_LCU", "CUR_LCU_M", "TEU"}
#: Words of a description that make a series comparable across countries (a rate, a share,
#: a score), whatever its units say.
RELATIVE = r"(?i)\bper\b|proportion|\bshare\b|relative to|\brate\b|%|\bdegree\b|\bscore\b|\bindex\b"


def main(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        desc = dict(conn.execute(select(t.series.c.code, t.series.c.description)
                                 .where(t.series.c.publisher == "UNSD")).all())
    links = series_indicators(engine)
    table = load_targets().select("series").join(
        load_world().select("series", "units"), on="series", how="left").join(links, on="series")
    table = table.with_columns(
        target=pl.col("indicator").str.split(".").list.slice(0, 2).list.join("."),
        goal=pl.col("indicator").str.split(".").list.first().cast(pl.Int64),
        description=pl.col("series").replace_strict(desc, default=""))
    absolute = pl.col("units").is_in(ABSOLUTE_UNITS) & ~pl.col("description").str.contains(
        RELATIVE)
    table = table.with_columns(absolute=absolute.fill_null(False))
    relative = (table.filter(~pl.col("absolute")).group_by("target")
                .agg(pl.col("series").unique().sort().str.join(", ").alias("relative")))
    rows = []
    for r in table.join(relative, on="target", how="left").sort("goal", "series").unique(
            ["series", "goal"], keep="first", maintain_order=True).iter_rows(named=True):
        units = (r["units"] or "unknown units").lower()
        if r["absolute"] and r["relative"]:
            counts, reason = "no", (f"absolute ({units}); target {r['target']} is measured "
                                    f"relative to population or size by {r['relative']}")
        elif r["absolute"]:
            counts, reason = "yes", (f"absolute ({units}), but no per-capita or share series "
                                     f"of the target table measures target {r['target']}")
        else:
            counts, reason = "yes", f"{units}: comparable across countries ({r['indicator']})"
        rows.append({"series": r["series"], "goal": r["goal"], "counts": counts,
                     "reason": reason})
    # One row per series (the profile format): a series linked to several goals gets the
    # first, and the same decision holds for all (its units decide it).
    frame = pl.DataFrame(rows).sort("goal", "series").unique("series", keep="first",
                                                              maintain_order=True)
    frame.write_csv(OUT / "series.csv")
    print(f"{frame.height} rows, {frame.filter(pl.col('counts') == 'no').height} out")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///sdgbridge.db")
