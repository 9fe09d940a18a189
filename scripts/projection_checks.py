"""Whole-database checks of issue 12: what a projection can be, and goal 14 of landlocked
countries, for every method at series level over every country.

    python scripts/projection_checks.py STORE_URL   # a store holding the whole UN database

Prints, per method: results, projections shown, shares (a series no country has reported
outside 0-100 %) projected outside 0-100, projections beyond ten times the largest magnitude
any country has had, and the projection notes; then the landlocked countries whose goal-14
score enters the SDSN index. Every series is assessed as in bench/assess_global.py (the
target table where it has the series, else no target, higher is better).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from assess_global import all_targets, countries  # noqa: E402

from sdgbridge.assessment.inputs import assessment_input  # noqa: E402
from sdgbridge.assessment.methods import METHODS  # noqa: E402
from sdgbridge.assessment.world import load_world, with_world_limits  # noqa: E402
from sdgbridge.db.engine import make_engine  # noqa: E402
from sdgbridge.reference.landlocked import landlocked_areas  # noqa: E402


def main(url: str) -> None:
    engine = make_engine(url)
    obs = assessment_input(engine, countries(engine)["code"].to_list()).drop("release")
    world = load_world()
    targets = with_world_limits(all_targets(obs), world)
    shares = world.filter(pl.col("upper_limit") == 100).select("series")
    magnitude = world.select("series", "max_magnitude")
    print(f"{obs.height:,} headline observations, {obs['series'].n_unique()} series")
    for name, method in METHODS.items():
        start = time.perf_counter()
        res = method.assess(obs, targets, method.params())
        took = time.perf_counter() - start
        shown = res.filter(pl.col("projected_2030").is_not_null()).join(magnitude, on="series")
        outside = shown.join(shares, on="series").filter(
            ~pl.col("projected_2030").is_between(0, 100))
        beyond = shown.filter(pl.col("projected_2030").abs() > 10 * pl.col("max_magnitude"))
        notes = res["projection_note"].drop_nulls().str.extract(r"^(\w+)").value_counts()
        print(f"{name:8} {took:5.1f} s  {res.height:,} results, {shown.height:,} projections "
              f"shown; shares outside 0-100: {outside.height}; beyond 10× the record: "
              f"{beyond.height}; notes: "
              + ", ".join(f"{w} {n}" for w, n in sorted(notes.iter_rows())))
    sdsn = METHODS["sdsn"]
    res = sdsn.assess(obs, targets, sdsn.params())
    goals = {title: frame for title, frame in sdsn.summary(res, _links(engine), sdsn.params())}
    scored = next(f for t, f in goals.items() if "goal scores" in t)
    land = scored.filter((pl.col("goal") == 14) & pl.col("area").is_in(list(landlocked_areas())))
    counted = land.filter(pl.col("in_index")) if "in_index" in land.columns else land
    print(f"goal-14 scores of landlocked countries in the SDSN index: {counted.height}")


def _links(engine: object) -> pl.DataFrame:
    from sdgbridge.assessment.run import series_indicators

    return series_indicators(engine)  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///sdgbridge.db")
