"""Compare sdgbridge's SDSN index with SDSN's published SDR 2023 scores. Used for
docs/progress.md ("SDSN index against SDR 2023"):

    python scripts/sdr_compare.py STORE.db [--dump scores.csv]

Runs the sdsn method (its default profile) over every country of the store, computes the
goal scores and the index (the method's own summary), and prints: how many of SDR's 166
ranked countries get an index, the Spearman rank correlation and the mean absolute
difference with SDR's overall score, then the six Central Asian countries (KAZ, KGZ, TJK,
TKM, UZB, AFG) beside SDR, and their per-goal differences. ``--dump`` writes every area's
index and goal scores (to compare two stores, e.g. the whole database and a region extract:
the six countries must score the same on both).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from sdgbridge.assessment.run import assess, method_summary, series_indicators
from sdgbridge.db.engine import make_engine
from sdgbridge.reference.catalog import area_table

ROOT = Path(__file__).resolve().parents[1]
SDR_2023 = ROOT.parent / "shared" / "data" / "sdr" / "sustainable_development_report_2023.csv"
FOCUS = ("KAZ", "KGZ", "TJK", "TKM", "UZB", "AFG")


def spearman(a: pl.Series, b: pl.Series) -> float:
    """Spearman's rank correlation (average ranks for ties)."""
    ranks = pl.DataFrame({"a": a.rank("average"), "b": b.rank("average")})
    return float(ranks.select(pl.corr("a", "b")).item())


def run_sdsn(store: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(goal scores, index) of every country of ``store``, with ISO3 codes."""
    engine = make_engine(store if "://" in store else f"sqlite:///{store}")
    areas = area_table(engine).filter(pl.col("kind") == "country")
    run = assess(engine, "sdsn", areas["code"].to_list())
    frames = dict(method_summary(run, series_indicators(engine)))
    goals, idx = (frames[t] for t in frames)
    iso = areas.select(area="code", iso3="iso3")
    return goals.join(iso, on="area"), idx.join(iso, on="area")


def sdr_scores(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SDR 2023 (overall ``iso3, sdr``; goals ``iso3, goal, sdr_goal``)."""
    wide = pl.read_csv(path)
    overall = wide.select(iso3="country_code", sdr="overall_score")
    goals = wide.unpivot([f"goal_{g}_score" for g in range(1, 18)], index="country_code",
                         variable_name="goal", value_name="sdr_goal").select(
        iso3="country_code", goal=pl.col("goal").str.extract(r"(\d+)").cast(pl.Int64),
        sdr_goal="sdr_goal")
    return overall, goals


def report(goals: pl.DataFrame, idx: pl.DataFrame, sdr_path: Path) -> None:
    overall, sdr_goals = sdr_scores(sdr_path)
    both = idx.join(overall, on="iso3").with_columns(diff=pl.col("index") - pl.col("sdr"))
    print(f"Indexed: {both.height} of SDR 2023's {overall.height} countries "
          f"({idx.height} areas in all)")
    if both.height > 2:
        print(f"Spearman rank correlation: {spearman(both['index'], both['sdr']):.3f}")
        mad, bias = float(both["diff"].abs().mean()), float(both["diff"].mean())  # type: ignore[arg-type]
        print(f"Mean absolute difference: {mad:.2f} points (mean difference {bias:+.2f})")
    missing = goals.group_by("iso3").agg(pl.col("missing_share").first())
    six = overall.filter(pl.col("iso3").is_in(FOCUS)).join(idx, on="iso3", how="left").join(
        missing, on="iso3", how="left").with_columns(diff=pl.col("index") - pl.col("sdr"))
    print("\n| country | sdgbridge | SDR 2023 | difference | goals | filled | missing share |")
    print("|---|---|---|---|---|---|---|")
    for r in six.sort("iso3").iter_rows(named=True):
        ours = "–" if r["index"] is None else f"{r['index']:.2f}"
        diff = "–" if r["diff"] is None else f"{r['diff']:+.2f}"
        print(f"| {r['iso3']} | {ours} | {r['sdr']:.2f} | {diff} | {r['n_goals']} | "
              f"{r['n_imputed']} | {r['missing_share']:.2f} |")
    per_goal = sdr_goals.filter(pl.col("iso3").is_in(FOCUS)).join(
        goals.select("iso3", "goal", "score"), on=["iso3", "goal"], how="full",
        coalesce=True).with_columns(diff=pl.col("score") - pl.col("sdr_goal"))
    cells = {(r["goal"], r["iso3"]): _cell(r) for r in per_goal.iter_rows(named=True)}
    print("\nPer goal, sdgbridge - SDR 2023 (sdgbridge / SDR):\n")
    print("| goal | " + " | ".join(FOCUS) + " |")
    print("|---|" + "---|" * len(FOCUS))
    for g in range(1, 18):
        print(f"| {g} | " + " | ".join(cells.get((g, c), "–") for c in FOCUS) + " |")


def _cell(r: dict[str, object]) -> str:
    ours, theirs, diff = r["score"], r["sdr_goal"], r["diff"]
    if ours is None and theirs is None:
        return "–"
    if ours is None or theirs is None:
        return f"{_num(ours)} / {_num(theirs)}"
    return f"{diff:+.1f} ({ours:.1f} / {theirs:.1f})"


def _num(x: object) -> str:
    return "–" if x is None else f"{float(x):.1f}"  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", help="SQLite file or database URL")
    ap.add_argument("--sdr", type=Path, default=SDR_2023, help="SDR 2023 scores (CSV)")
    ap.add_argument("--dump", type=Path, help="write every area's index and goal scores")
    args = ap.parse_args()
    goals, idx = run_sdsn(args.store)
    report(goals, idx, args.sdr)
    if args.dump:
        long = pl.concat([idx.select("area", "iso3", goal=pl.lit(0, pl.Int64),
                                     score="index"),
                          goals.select("area", "iso3", "goal", "score")])
        long.sort("iso3", "goal").write_csv(args.dump, float_precision=12)
        print(f"\nScores written to {args.dump} (goal 0 = the index).")


if __name__ == "__main__":
    main()
