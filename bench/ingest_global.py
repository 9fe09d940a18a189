"""Benchmark: ingest the whole UN Global SDG Database (DDF package) and compare with raw peers.

What is measured (each contender in its own fresh child process, so the numbers do not mix):

* ``sdgbridge``: ``sdgbridge.ingest.load.ingest`` of the 668-file, 2,113,257-row DDF package
  into a fresh SQLite store (set-up — migration, M49 geography, SDG framework — not timed);
  wall time of the ingest and peak RSS of the process (``getrusage(RUSAGE_SELF).ru_maxrss``).
* ``polars``: ``pl.read_csv(f)`` of each of the 668 datapoint files, default inference (a file
  whose inferred types break further down is re-read with ``infer_schema_length=None``, inside
  the timing, and counted); ``polars-text``: the same with ``infer_schema=False``.
* ``duckdb``: ``CREATE TABLE t_<n> AS SELECT * FROM read_csv_auto('<file>')`` per file into a
  fresh DuckDB database file.
* ``sdgbridge-reingest``: ingesting the identical package again (must load 0 rows, no release).
* ``sdgbridge-update``: the package with one value changed, in a copy beside it: an
  incremental release (it reads the one changed series' file and merges it; target <= 1 s on
  both databases).
* ``sqlite-populated``: the package into a fresh SQLite store already holding the region's
  release (``../shared/data/sdg/derived/…central_asia_afg_sdg_layout.csv``, not timed).
* ``postgres``, ``postgres-update``, ``postgres-populated``: ``sdgbridge``, ``sdgbridge-update``
  and ``sqlite-populated`` on PostgreSQL (throwaway databases on the server named by
  ``SDGBRIDGE_BENCH_POSTGRES_URL``, default postgres@127.0.0.1:5432, dropped afterwards);
  each is printed as a ratio to its SQLite twin of the same run (target <= 3). ``--no-postgres``
  skips them.

Targets (from the project's issue): sdgbridge ingest time <= 8x the raw Polars parse, faster
than DuckDB, peak memory under 2 GB. After the timings, not timed: every source value must come
back exactly through ``query_observations`` (``value_text``), keyed by series, area, year,
dimension codes and units; ``nature`` and ``observation_status`` are checked as well.

Run from the repository root::

    python bench/ingest_global.py [--data ../shared/data/sdg/unsd_global_ddf_2023-12] [--repeat 1]
                                  [--no-postgres]

Results are printed and written to ``bench/results/ingest_global.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from ingest_stores import end_run, pg_ratios, populated, start_run, store_url, timed_ingest

DEFAULT_DATA = Path("../shared/data/sdg/unsd_global_ddf_2023-12")
RESULTS = Path(__file__).resolve().parent / "results" / "ingest_global.json"
EXPECTED_ROWS = 2_113_257
TARGET_TIME_VS_POLARS = 8.0  # sdgbridge time / raw Polars parse time: at most
TARGET_TIME_VS_DUCKDB = 1.0  # sdgbridge time / DuckDB load time: below
TARGET_PEAK_MB = 2048.0  # sdgbridge peak RSS: below
# Order matters: the re-ingest runs on the store the ingest before it just filled.
SQLITE_CONTENDERS = ("sdgbridge", "sdgbridge-reingest", "sdgbridge-update", "polars",
                     "polars-text", "duckdb", "sqlite-populated")
PG_CONTENDERS = ("postgres", "postgres-update", "postgres-populated")
CONTENDERS = SQLITE_CONTENDERS + PG_CONTENDERS
LABELS = {
    "sdgbridge": "sdgbridge ingest (SQLite)",
    "sdgbridge-reingest": "sdgbridge re-ingest, identical",
    "sdgbridge-update": "sdgbridge re-ingest, 1 value changed",
    "polars": "polars read_csv (inferred)",
    "polars-text": "polars read_csv (infer_schema=False)",
    "duckdb": "duckdb read_csv_auto -> tables",
    "sqlite-populated": "sdgbridge into region's store (SQLite)",
    "postgres": "sdgbridge ingest (PostgreSQL)",
    "postgres-update": "PostgreSQL re-ingest, 1 value changed",
    "postgres-populated": "PostgreSQL into region's store",
}
ATTRIBUTE_DIMS = {"units": "units", "nature": "nature", "observation_status": "obs_status"}
KEY = ["series", "area", "period", "dims", "units"]


def datapoint_files(data: Path) -> list[Path]:
    return sorted(data.glob("ddf--datapoints--*--by--*.csv"))


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- contenders: each function runs inside a fresh child process -------------------------


def run_sdgbridge(data: Path, work: Path, store: str = "sqlite-empty") -> dict[str, object]:
    return timed_ingest(store_url(work, store, fresh=True), data, setup=True)


def _ingest_again(source: Path, work: Path, store: str = "sqlite-empty") -> dict[str, object]:
    """Time an ingest of ``source`` into the store the first contender filled."""
    return timed_ingest(store_url(work, store, fresh=False), source)


def run_sdgbridge_reingest(data: Path, work: Path) -> dict[str, object]:
    return _ingest_again(data, work)


def changed_copy(data: Path, work: Path) -> Path:
    """The package as links to the source files, but one value of SI_POV_DAY1 changed: a new
    fingerprint, so the ingest is an incremental release (one series' file read and merged)."""
    copy = work / "changed"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    for f in data.iterdir():
        if "si_pov_day1--" in f.name:
            lines = f.read_text(encoding="utf-8").splitlines()
            head, _, value = lines[1].rpartition(",")
            lines[1] = f"{head},{float(value) + 1:g}"
            (copy / f.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            (copy / f.name).symlink_to(f.resolve())
    return copy


def run_sdgbridge_update(data: Path, work: Path, store: str = "sqlite-empty"
                         ) -> dict[str, object]:
    return _ingest_again(changed_copy(data, work), work, store)


def run_polars(data: Path, work: Path, *, infer: bool = True) -> dict[str, object]:
    import polars as pl

    files = datapoint_files(data)
    rows = refused = 0
    start = time.perf_counter()
    for f in files:
        if not infer:
            rows += pl.read_csv(f, infer_schema=False).height
            continue
        try:
            rows += pl.read_csv(f).height
        except pl.exceptions.ComputeError:  # e.g. `<0.5` after 100 numbers
            rows += pl.read_csv(f, infer_schema_length=None).height
            refused += 1
    wall = time.perf_counter() - start
    return {"wall_s": wall, "rows": rows, "files": len(files), "reread_full_inference": refused}


def run_duckdb(data: Path, work: Path) -> dict[str, object]:
    import duckdb

    files = datapoint_files(data)
    db = work / "peer.duckdb"
    for old in work.glob("peer.duckdb*"):
        old.unlink()
    start = time.perf_counter()
    con = duckdb.connect(str(db))
    for n, f in enumerate(files):
        path = str(f).replace("'", "''")
        con.execute(f"CREATE TABLE t_{n} AS SELECT * FROM read_csv_auto('{path}')")
    con.close()
    wall = time.perf_counter() - start
    con = duckdb.connect(str(db), read_only=True)
    rows = sum(con.execute(f"SELECT count(*) FROM t_{n}").fetchone()[0]
               for n in range(len(files)))
    con.close()
    return {"wall_s": wall, "rows": rows, "files": len(files)}


RUNNERS = {
    "sdgbridge": run_sdgbridge,
    "sdgbridge-reingest": run_sdgbridge_reingest,
    "sdgbridge-update": run_sdgbridge_update,
    "polars": run_polars,
    "polars-text": lambda data, work: run_polars(data, work, infer=False),
    "duckdb": run_duckdb,
    "sqlite-populated": lambda data, work: populated(work, data, "sqlite-populated"),
    "postgres": lambda data, work: run_sdgbridge(data, work, "postgres-empty"),
    "postgres-update": lambda data, work: run_sdgbridge_update(data, work, "postgres-empty"),
    "postgres-populated": lambda data, work: populated(work, data, "postgres-populated"),
}


def child_main(name: str, data: Path, work: Path) -> None:
    """Entry point of a child: run one contender, print its result as one JSON line."""
    result = RUNNERS[name](data, work)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


# --- parent: run the children, verify, report --------------------------------------------


def run_child(name: str, data: Path, work: Path) -> dict[str, object]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--contender", name,
           "--data", str(data), "--work", str(work)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"contender {name} failed (exit {proc.returncode}):\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {LABELS[name]:<38} {result['wall_s']:8.2f} s {result['peak_rss_mb']:8.0f} MB "
          f"{result['rows']:>10,} rows", flush=True)
    return result


def warm_cache(data: Path) -> int:
    """Read every file once (not timed) so that all contenders start from a warm page cache."""
    return sum(len(f.read_bytes()) for f in sorted(data.glob("*")) if f.is_file())


def best_runs(runs: dict[str, list[dict[str, object]]]) -> dict[str, dict[str, object]]:
    """Per contender: the fastest run, with the highest peak RSS over all runs."""
    best = {}
    for name, results in runs.items():
        fastest = dict(min(results, key=lambda r: r["wall_s"]))
        fastest["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
        best[name] = fastest
    return best


def ratios(best: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    sdg = best["sdgbridge"]
    vs_polars = sdg["wall_s"] / best["polars"]["wall_s"]
    vs_duckdb = sdg["wall_s"] / best["duckdb"]["wall_s"]
    return {
        "time_vs_polars": {"value": vs_polars, "target": f"<= {TARGET_TIME_VS_POLARS:g}",
                           "pass": vs_polars <= TARGET_TIME_VS_POLARS},
        "time_vs_polars_text": {"value": sdg["wall_s"] / best["polars-text"]["wall_s"],
                                "target": "(information)", "pass": None},
        "time_vs_duckdb": {"value": vs_duckdb, "target": f"< {TARGET_TIME_VS_DUCKDB:g}",
                           "pass": vs_duckdb < TARGET_TIME_VS_DUCKDB},
        "peak_rss_mb": {"value": sdg["peak_rss_mb"], "target": f"< {TARGET_PEAK_MB:g}",
                        "pass": sdg["peak_rss_mb"] < TARGET_PEAK_MB},
    }


# --- verification: every source value back out of the store ----------------------------


def load_entities(data: Path) -> dict[str, dict[str, str]]:
    """Per dimension: DDF id -> UNSD code (``bothsex`` -> ``BOTHSEX``)."""
    import polars as pl

    out = {}
    for f in sorted(data.glob("ddf--entities--*.csv")):
        dim = f.name.removesuffix(".csv").split("--")[2]
        df = pl.read_csv(f, infer_schema=False)
        out[dim] = dict(zip(df[dim], df["name"], strict=True))
    return out


def series_codes(data: Path) -> dict[str, str]:
    """Lower-case DDF concept -> UNSD series code."""
    import polars as pl

    df = pl.read_csv(data / "ddf--concepts--continuous.csv", infer_schema=False)
    return dict(zip(df["concept"], df["name"], strict=True))


def source_rows(f: Path, code: str, entities: dict[str, dict[str, str]]):  # -> pl.DataFrame
    """One datapoint file as (KEY, value, nature, obs_status), codes resolved, all text."""
    import polars as pl

    concept = f.name.split("--")[2]
    df = pl.read_csv(f, infer_schema=False)
    dims = sorted(c for c in df.columns if c not in {"geo_area", "year", concept})
    df = df.with_columns(pl.col(d).replace(entities.get(d, {})) for d in dims)
    pairs = [pl.when(pl.col(d).is_null() | (pl.col(d) == "")).then(None)
             .otherwise(pl.lit(f"{d}=") + pl.col(d)) for d in dims if d not in ATTRIBUTE_DIMS]
    key = (pl.concat_str(pairs, separator=";", ignore_nulls=True).fill_null("") if pairs
           else pl.lit(""))
    attr = {a: (pl.col(d) if d in dims else pl.lit(None, pl.Utf8))
            for d, a in ATTRIBUTE_DIMS.items()}
    return df.select(pl.lit(code).alias("series"), pl.col("geo_area").alias("area"),
                     pl.col("year").alias("period"), key.alias("dims"),
                     attr["units"].fill_null("").alias("units"), pl.col(concept).alias("value"),
                     attr["nature"].alias("nature"), attr["obs_status"].alias("obs_status"))


def compare_chunk(engine, files: list[Path], names: dict[str, str],
                  entities: dict[str, dict[str, str]]):  # -> pl.DataFrame
    """Source rows of ``files`` fully joined with the store's rows of the same series."""
    import polars as pl

    from sdgbridge.query.observations import ObservationQuery, query_observations

    codes = {f: names[f.name.split("--")[2]] for f in files}
    src = pl.concat([source_rows(f, codes[f], entities) for f in files])
    dup = src.select(KEY).is_duplicated().sum()
    # As of release 1, the package's own release: the update contender changed one value later.
    store = query_observations(engine, ObservationQuery(series=sorted(set(codes.values())),
                                                        as_of=1))
    store = store.select(*KEY, "value_text", "nature", "obs_status")
    joined = (src.with_columns(pl.lit(True).alias("in_source"))
              .join(store.with_columns(pl.lit(True).alias("in_store")), on=KEY, how="full",
                    coalesce=True, nulls_equal=True, suffix="_store"))
    return joined.with_columns(pl.lit(dup).alias("source_duplicates"))


def verify(url: str, data: Path, chunk: int = 40) -> dict[str, object]:
    """Compare every source value with the store's ``value_text``, ``chunk`` series a time."""
    import polars as pl

    from sdgbridge.db.engine import make_engine

    engine = make_engine(url, migrate=False)
    entities, names, files = load_entities(data), series_codes(data), datapoint_files(data)
    counts = dict.fromkeys(("source", "exact", "missing", "extra", "value_diff",
                            "attr_diff", "source_duplicates"), 0)
    examples: list[dict[str, object]] = []
    both = pl.col("in_source") & pl.col("in_store")
    for i in range(0, len(files), chunk):
        j = compare_chunk(engine, files[i:i + chunk], names, entities)
        same_value = pl.col("value").eq_missing(pl.col("value_text"))
        same_attr = (pl.col("nature").eq_missing(pl.col("nature_store"))
                     & pl.col("obs_status").eq_missing(pl.col("obs_status_store")))
        flags = j.select(
            pl.col("in_source").sum().alias("source"),
            (both & same_value).sum().alias("exact"),
            (pl.col("in_source") & pl.col("in_store").is_null()).sum().alias("missing"),
            (pl.col("in_store") & pl.col("in_source").is_null()).sum().alias("extra"),
            (both & ~same_value).sum().alias("value_diff"),
            (both & ~same_attr).sum().alias("attr_diff"),
            pl.col("source_duplicates").first().alias("source_duplicates")).row(0, named=True)
        for k, v in flags.items():
            counts[k] += int(v or 0)
        bad = j.filter(pl.col("in_source").is_null() | pl.col("in_store").is_null()
                       | ~same_value | ~same_attr)
        examples += bad.head(10 - len(examples)).drop("source_duplicates").to_dicts()
    engine.dispose()
    return {**counts, "first_mismatches": examples}


# --- report --------------------------------------------------------------------------------


def print_table(best: dict[str, dict[str, object]], checks: dict[str, dict[str, object]]) -> None:
    print(f"\n{'contender':<38} {'wall s':>9} {'peak RSS MB':>12} {'rows':>11}")
    for name in ("sdgbridge", "polars", "polars-text", "duckdb", "sdgbridge-reingest",
                 "sdgbridge-update", "sqlite-populated", *PG_CONTENDERS):
        if name not in best:
            continue
        r = best[name]
        print(f"{LABELS[name]:<38} {r['wall_s']:9.2f} {r['peak_rss_mb']:12.0f} {r['rows']:>11,}")
    sdg = best["sdgbridge"]
    print(f"\nsdgbridge: {sdg['rows_read']:,} read, {sdg['rows']:,} loaded, "
          f"{sdg['rows_rejected']:,} rejected (must be 0)"
          f"{'' if sdg['rows'] == EXPECTED_ROWS else f'; EXPECTED {EXPECTED_ROWS:,}'}")
    print(f"polars (inferred): {best['polars']['reread_full_inference']} of "
          f"{best['polars']['files']} files failed default inference and were re-read with "
          "infer_schema_length=None (inside the timing)")
    re = best["sdgbridge-reingest"]
    print(f"re-ingest of the identical package: {re['wall_s']:.2f} s, {re['rows']:,} rows "
          f"loaded, release {re['release_id']} (expected 0 rows, no release)")
    up = best["sdgbridge-update"]
    print(f"re-ingest with one value changed: {up['wall_s']:.2f} s, {up['rows']:,} loaded, "
          f"{up['rows_superseded']:,} superseded, {up['rows_unchanged']:,} unchanged, "
          f"{up.get('files_read')} of {up.get('files_total')} data files read "
          "(expected 1, 1, the rest of the series' rows, 1 file)")
    print()
    for label, key in (("sdgbridge time / Polars raw time", "time_vs_polars"),
                       ("sdgbridge time / Polars text time", "time_vs_polars_text"),
                       ("sdgbridge time / DuckDB time", "time_vs_duckdb"),
                       ("sdgbridge peak memory MB", "peak_rss_mb")):
        c = checks[key]
        verdict = "" if c["pass"] is None else ("PASS" if c["pass"] else "MISS")
        print(f"{label:<36} {c['value']:9.2f}  target {c['target']:<14} {verdict}")
    for key, c in checks.items():
        if key.startswith(("postgres_vs_sqlite", "one_value_release_s")):
            label = ("PostgreSQL / SQLite, " + key.removeprefix("postgres_vs_sqlite ")
                     if key.startswith("postgres") else
                     "one-value release s, " + key.removeprefix("one_value_release_s "))
            print(f"{label:<44} {c['value']:9.2f}  target {c['target']:<14} "
                  f"{'PASS' if c['pass'] else 'MISS'}")


def print_verification(v: dict[str, object]) -> None:
    print(f"\nexact: {v['exact']:,} of {v['source']:,} values reproduced")
    print(f"  missing from store {v['missing']:,}, extra in store {v['extra']:,}, "
          f"value differs {v['value_diff']:,}, nature/obs_status differs {v['attr_diff']:,}, "
          f"duplicate source keys {v['source_duplicates']:,}")
    for m in v["first_mismatches"]:
        print("  mismatch:", m)


def environment(data: Path, repeat: int) -> dict[str, object]:
    return {"data": str(data), "repeat": repeat, "python": platform.python_version(),
            "platform": platform.platform(), "polars": version("polars"),
            "duckdb": version("duckdb"), "sdgbridge": version("sdgbridge"),
            "when": datetime.now(UTC).isoformat(timespec="seconds")}


def main(data: Path, repeat: int, postgres: bool = True) -> int:
    if not datapoint_files(data):
        sys.exit(f"{data}: no ddf--datapoints--*.csv files; pass --data")
    print(f"warming the page cache: {warm_cache(data) / 1e6:.0f} MB read (not timed)")
    contenders = CONTENDERS if postgres else SQLITE_CONTENDERS
    runs: dict[str, list[dict[str, object]]] = {n: [] for n in contenders}
    with tempfile.TemporaryDirectory(prefix="sdgbridge-bench-") as tmp:
        work = Path(tmp)
        start_run(work)
        try:
            for rep in range(1, repeat + 1):
                print(f"run {rep} of {repeat}")
                for name in contenders:
                    runs[name].append(run_child(name, data, work))
            print("verifying every value through query_observations (not timed) ...",
                  flush=True)
            checked = verify(store_url(work, "sqlite-empty", fresh=False), data)
            if postgres:
                checked_pg = verify(store_url(work, "postgres-empty", fresh=False), data)
                checked = {**checked, "postgres": checked_pg}
        finally:
            end_run(work)
    best = best_runs(runs)
    checks = {**ratios(best), **pg_ratios(best)}
    print_table(best, checks)
    print_verification(checked)
    if "postgres" in checked:
        print("PostgreSQL store:", end="")
        print_verification(checked["postgres"])  # type: ignore[arg-type]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"environment": environment(data, repeat), "best": best,
                                   "ratios": checks, "verification": checked, "runs": runs},
                                  indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten {RESULTS}")
    ok = all(c["exact"] == c["source"] and not (c["extra"] or c["attr_diff"])
             for c in (checked, checked.get("postgres", checked)))
    return 0 if ok and best["sdgbridge"]["rows_rejected"] == 0 else 1


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help="the DDF package folder (default: %(default)s)")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per contender; the fastest is reported (default: 1)")
    p.add_argument("--no-postgres", action="store_true",
                   help="SQLite only (default: also PostgreSQL, on $SDGBRIDGE_BENCH_POSTGRES_URL "
                   "or postgres@127.0.0.1:5432)")
    p.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    p.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    return p.parse_args()


if __name__ == "__main__":
    args = parse_args()
    if args.contender:
        child_main(args.contender, args.data, args.work)
    else:
        sys.exit(main(args.data, args.repeat, postgres=not args.no_postgres))
