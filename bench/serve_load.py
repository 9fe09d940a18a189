"""The JSON API under load on loopback, against Datasette serving the same SQLite file.

    python bench/serve_load.py [--db store.db] [--duration 10] [--series 25] [--workers 1]
                               [--server-cpus 0] [--wrk-cpus 1]

Builds the Centre's region store (``sdgbridge demo``, in a temporary folder) unless ``--db``
names one. Starts on 127.0.0.1, each under uvicorn with the same options (``--workers``
processes, no access log, asyncio and httptools (when installed), pinned with ``taskset`` to
``--server-cpus``), sdgbridge's app and Datasette 0.65's (canned queries whose SQL does what
the two endpoints do), one after the other, and drives each with ``wrk`` (one thread, pinned
to ``--wrk-cpus``):

* (a) one series for one area, rotating over ``--series`` series x the 6 countries (the
  UNSD series with data for all six, spread over the code list): every request asks for a
  different pair than the one before, the same list for both servers;
* (b) the region's dashboard summary: ``/api/v1/summary`` (kept in memory until the next
  release, as the API does by default) against the canned query ``summary``; its uncached
  time is measured too (``SDGBRIDGE_API_CACHE_ENTRIES=0``).

Reports the first request after start-up (cold), then requests/s, p50 and p99 at 64 and 8
connections, the ratios and the load average of the machine. Targets: at 64 connections at
least 3x Datasette's throughput, at 8 connections a p99 of at most 50 ms. Writes the figures
to ``bench/results/serve_load.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
GROUP = "CARSDG"
HEADLINE = ("SI_POV_DAY1", "SH_H2O_SAFE", "EG_ACS_ELEC", "EG_FEC_RNEW", "EG_EGY_PRIM",
            "NY_GDP_PCAP", "IT_MOB_4GNTWK")
TOTALS = ("BOTHSEX", "ALLAGE", "ALLAREA", "_T", "_Z", "_X", "ALL", "TOTAL", "NOTSPEC")

SERIES_SQL = """
SELECT s.code AS series, s.publisher,
       (SELECT group_concat(indicator, ',') FROM series_indicator si
         WHERE si.series_id = s.id) AS indicators,
       o.area_code AS area, a.iso3, a.name_en AS area_name, o.period, o.year, o.value,
       o.value_text, o.units, o.unit_mult, o.nature, o.obs_status, o.time_detail,
       o.lower_bound, o.upper_bound, o.source, o.footnote, o.attrs,
       o.release_id AS release, d.key AS dims
FROM observation o JOIN series s ON s.id = o.series_id
JOIN dimension_set d ON d.id = o.dims_id LEFT JOIN area a ON a.code = o.area_code
WHERE s.code = :series AND o.area_code = :area AND o.superseded_by IS NULL
ORDER BY s.code, s.publisher, o.area_code, d.key, o.units, o.year, o.period
"""

SUMMARY_SQL = f"""
WITH members AS (SELECT area_code FROM group_member WHERE group_code = :grp),
cur AS (SELECT * FROM observation WHERE superseded_by IS NULL
        AND area_code IN (SELECT area_code FROM members)),
totals_only AS (
  SELECT d.id FROM dimension_set d WHERE NOT EXISTS (
    SELECT 1 FROM json_each('["' || replace(d.key, ';', '","') || '"]') j
    WHERE d.key <> '' AND substr(j.value, instr(j.value, '=') + 1)
          NOT IN ({", ".join(f"'{c}'" for c in TOTALS)}))),
head AS (
  SELECT s.code AS series, o.units, a.iso3, o.year, o.value,
         row_number() OVER (PARTITION BY s.code, o.area_code ORDER BY o.year DESC) AS rn
  FROM cur o JOIN series s ON s.id = o.series_id JOIN area a ON a.code = o.area_code
  WHERE s.publisher = 'UNSD' AND s.code IN ({", ".join(f"'{c}'" for c in HEADLINE)})
    AND o.value IS NOT NULL AND o.dims_id IN (SELECT id FROM totals_only))
SELECT 'total' AS part, NULL AS key, count(*) AS observations,
       count(DISTINCT series_id) AS series, count(DISTINCT area_code) AS areas,
       min(year) AS first_year, max(year) AS last_year, NULL AS value FROM cur
UNION ALL
SELECT 'publisher', s.publisher, count(*), count(DISTINCT o.series_id),
       count(DISTINCT o.area_code), min(o.year), max(o.year), NULL
FROM observation o JOIN series s ON s.id = o.series_id JOIN area a ON a.code = o.area_code
WHERE o.superseded_by IS NULL AND (a.code IN (SELECT area_code FROM members)
      OR a.parent IN (SELECT area_code FROM members))
GROUP BY s.publisher
UNION ALL
SELECT 'headline', series || ' ' || units || ' ' || iso3, NULL, NULL, NULL, year, year,
       round(value, 1) FROM head WHERE rn = 1
"""

# wrk's request hook: each request the next path of the list (each thread its own start).
LUA = """local paths = {%s}
local i = 0
function init(args) i = math.random(#paths) end
function request()
  i = i %% #paths + 1
  return wrk.format(nil, paths[i])
end
"""


# asyncio's event loop, not uvloop: under uvloop both servers (and a bare FastAPI app with a
# 0.7 ms handler) showed, in some runs, a p99 near 1 s at 64 connections, for no more
# throughput.
HTTP = "httptools" if importlib.util.find_spec("httptools") else "h11"


def datasette_app():  # type: ignore[no-untyped-def]
    """Datasette's ASGI app for ``uvicorn --factory`` (what ``datasette serve`` runs, with
    the options uvicorn gives sdgbridge: workers, no access log)."""
    from datasette.app import Datasette

    metadata = json.loads(Path(os.environ["SERVE_LOAD_METADATA"]).read_text())
    return Datasette([os.environ["SERVE_LOAD_DB"]], metadata=metadata,
                     settings={"default_cache_ttl": 0}).app()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=120) as r:  # noqa: S310 (loopback only)
        return json.loads(r.read())


def timed_get(url: str) -> float:
    """Milliseconds for one request (answer read and decoded)."""
    start = time.perf_counter()
    get_json(url)
    return (time.perf_counter() - start) * 1000


def wait_until_up(url: str, proc: subprocess.Popen, what: str) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"{what} stopped at start-up (exit {proc.returncode}): "
                             f"{proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on {url} within 60 s.")


@contextmanager
def server(app: str, port: int, args: argparse.Namespace, env: dict[str, str], what: str):  # type: ignore[no-untyped-def]
    cmd = ["taskset", "-c", args.server_cpus, sys.executable, "-m", "uvicorn", "--factory",
           app, "--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(args.workers), "--loop", "asyncio", "--http", HTTP,
           "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", proc, what)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wrk(base: str, paths: list[str], connections: int, seconds: int, args: argparse.Namespace,
        tmp: Path) -> dict[str, float]:
    """Throughput and latency percentiles of one ``wrk`` run over ``paths`` in turn."""
    script = tmp / "paths.lua"
    script.write_text(LUA % ",".join(json.dumps(p) for p in paths))
    out = subprocess.run(["taskset", "-c", args.wrk_cpus, "wrk", "-t1", "-c", str(connections),
                          "-d", f"{seconds}s", "--latency", "--timeout", "10s", "-s",
                          str(script), base], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": pct["50"], "p99_ms": pct["99"],
            "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1) if errors else ""}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def build_store(folder: Path) -> Path:
    db = folder / "store.db"
    print(f"Building the store with `sdgbridge demo` in {folder} …", flush=True)
    subprocess.run([sys.executable, "-m", "sdgbridge", "--db", f"sqlite:///{db}", "demo"],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return db


def pairs(db: Path, n: int) -> list[tuple[str, str, str]]:
    """(series, M49, ISO3): ``n`` UNSD series with current data in each of the group's
    countries, evenly spread over their sorted codes, times those countries."""
    with sqlite3.connect(db) as conn:
        areas = conn.execute("SELECT a.code, a.iso3 FROM group_member g JOIN area a ON "
                             "a.code = g.area_code WHERE g.group_code = ? ORDER BY a.iso3",
                             (GROUP,)).fetchall()
        codes = [c for (c,) in conn.execute(
            "SELECT s.code FROM observation o JOIN series s ON s.id = o.series_id "
            "WHERE o.superseded_by IS NULL AND s.publisher = 'UNSD' AND o.area_code IN "
            f"({','.join('?' * len(areas))}) GROUP BY s.code HAVING "
            "count(DISTINCT o.area_code) = ? ORDER BY s.code",
            [a for a, _ in areas] + [len(areas)])]
    if len(codes) < n:
        raise SystemExit(f"Only {len(codes)} series have data for every country; "
                         f"ask for --series {len(codes)} or fewer.")
    chosen = [codes[i * len(codes) // n] for i in range(n)]
    return [(s, m49, iso3) for s in chosen for m49, iso3 in areas]


def check_equivalent(api: str, ds: str, chosen: list[tuple[str, str, str]]) -> int:
    """Both servers answer the same rows for every pair of (a); returns the row count."""
    keys = ("series", "area", "period", "value", "units", "dims")
    total = 0
    for series, m49, iso3 in chosen:
        ours = get_json(f"{api}/api/v1/observations?series={series}&areas={iso3}&limit=10000")
        theirs = get_json(f"{ds}/series_area.json?series={series}&area={m49}&_shape=array")
        assert isinstance(ours, dict) and isinstance(theirs, list)
        assert [tuple(r[k] for k in keys) for r in ours["rows"]] == \
            [tuple(r[k] for k in keys) for r in theirs], f"(a) differs for {series} {iso3}"
        total += len(theirs)
    return total


def check_summary(api: str, ds: str) -> str:
    summary = get_json(f"{api}/api/v1/summary")
    rows = get_json(f"{ds}/summary.json?grp={GROUP}&_shape=array")
    assert isinstance(summary, dict) and isinstance(rows, list)
    total = next(r for r in rows if r["part"] == "total")
    assert (total["observations"], total["series"], total["areas"]) == (
        summary["observations"], summary["series"], summary["area_count"]), "(b) differs"
    cells = sum(1 for h in summary["headline"] for k, v in h.items()
                if len(k) == 3 and k.isupper() and v is not None)
    assert cells == sum(1 for r in rows if r["part"] == "headline"), "(b) headline differs"
    return f"{total['observations']:,} observations, {cells} headline values"


def measure(name: str, base: str, paths: list[str], args: argparse.Namespace, tmp: Path,
            conns: tuple[int, ...] = (64, 8)) -> dict[str, dict[str, float]]:
    out = {}
    for c in conns:
        wrk(base, paths, c, 2, args, tmp)  # warm-up
        out[f"{name} c{c}"] = r = wrk(base, paths, c, args.duration, args, tmp)
        print(f"  {name:<30} {c:>2} conn {r['rps']:>8.0f} req/s  p50 {r['p50_ms']:>7.2f} ms"
              f"  p99 {r['p99_ms']:>8.2f} ms  non-2xx {r['non_2xx']} {r['socket_errors']}",
              flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, help="An SQLite store to reuse (default: build one).")
    ap.add_argument("--duration", type=int, default=10, help="Seconds per wrk run.")
    ap.add_argument("--series", type=int, default=25, help="Series in the rotation of (a).")
    ap.add_argument("--workers", type=int, default=1, help="Processes per server.")
    ap.add_argument("--server-cpus", default="0", help="taskset CPU list of the servers.")
    ap.add_argument("--wrk-cpus", default="1", help="taskset CPU list of wrk.")
    args = ap.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install wrk util-linux")
    tmp = Path(tempfile.mkdtemp(prefix="serve_load-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> None:
    db = (args.db or build_store(tmp)).resolve()
    chosen = pairs(db, args.series)
    metadata = tmp / "metadata.json"
    metadata.write_text(json.dumps({"databases": {db.stem: {"queries": {
        "series_area": {"sql": SERIES_SQL}, "summary": {"sql": SUMMARY_SQL}}}}}))
    env = {**os.environ, "SDGBRIDGE_DATABASE_URL": f"sqlite:///{db}", "SERVE_LOAD_DB": str(db),
           "SERVE_LOAD_METADATA": str(metadata)}
    env.pop("SDGBRIDGE_API_TOKEN", None)
    print(f"{len(chosen)} series x area pairs; {args.workers} process(es) per server on "
          f"CPUs {args.server_cpus}, wrk on CPUs {args.wrk_cpus}; {args.duration} s per run; "
          f"uvicorn with asyncio and {HTTP}; "
          f"load average {os.getloadavg()[0]:.2f}.", flush=True)
    ours = {"a": [f"/api/v1/observations?series={s}&areas={iso3}" for s, _, iso3 in chosen],
            "b": ["/api/v1/summary"]}
    theirs = {"a": [f"/{db.stem}/series_area.json?series={s}&area={m49}&_shape=array"
                    for s, m49, _ in chosen],
              "b": [f"/{db.stem}/summary.json?grp={GROUP}&_shape=array"]}
    figures: dict[str, dict[str, float]] = {}
    cold: dict[str, float] = {}
    with server("serve_load:datasette_app", free_port(), args, env, "Datasette") as ds:
        cold |= first_requests("datasette", ds, theirs)
        with server("sdgbridge.web.app:app_factory", free_port(), args, env, "sdgbridge") as api:
            cold |= first_requests("sdgbridge", api, ours)
            rows = check_equivalent(api, f"{ds}/{db.stem}", chosen)
            print(f"Same answers: (a) {rows:,} rows over {len(chosen)} pairs; (b) "
                  f"{check_summary(api, f'{ds}/{db.stem}')}.", flush=True)
            for q in ("a", "b"):
                figures |= measure(f"sdgbridge ({q})", api, ours[q], args, tmp)
        figures |= measure("datasette (a)", ds, theirs["a"], args, tmp)
        figures |= measure("datasette (b)", ds, theirs["b"], args, tmp)
    with server("sdgbridge.web.app:app_factory", free_port(), args,
                {**env, "SDGBRIDGE_API_CACHE_ENTRIES": "0"}, "sdgbridge") as api:
        figures |= measure("sdgbridge (b) not kept", api, ours["b"], args, tmp, (8,))
    report(figures, cold, args)


def first_requests(name: str, base: str, paths: dict[str, list[str]]) -> dict[str, float]:
    """The first request of (a) and of (b) after start-up, then (a) on another pair."""
    out = {f"{name} (a) first": timed_get(base + paths["a"][0]),
           f"{name} (b) first": timed_get(base + paths["b"][0]),
           f"{name} (a) second pair": timed_get(base + paths["a"][1])}
    print("  " + "   ".join(f"{k}: {v:.1f} ms" for k, v in out.items()), flush=True)
    return out


def report(figures: dict[str, dict[str, float]], cold: dict[str, float],
           args: argparse.Namespace) -> None:
    print("\nRatios to Datasette (throughput at 64 connections; target >= 3) and p99 at 8 "
          "connections (target <= 50 ms):")
    verdict = {}
    for q in ("a", "b"):
        theirs = figures[f"datasette ({q}) c64"]["rps"]
        ratio = figures[f"sdgbridge ({q}) c64"]["rps"] / theirs if theirs else float("inf")
        p99 = figures[f"sdgbridge ({q}) c8"]["p99_ms"]
        verdict[q] = {"ratio_c64": round(ratio, 2), "p99_c8_ms": p99}
        print(f"  ({q}){' kept until the next release' if q == 'b' else ' rotating pairs':<28}"
              f" {ratio:6.2f}x {'PASS' if ratio >= 3 else 'MISS'}   p99 {p99:6.2f} ms "
              f"{'PASS' if p99 <= 50 else 'MISS'}")
    print(f"Load average at the end: {os.getloadavg()[0]:.2f} (1 min).")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serve_load.json").write_text(json.dumps(
        {"workers": args.workers, "server_cpus": args.server_cpus, "wrk_cpus": args.wrk_cpus,
         "duration_s": args.duration, "series": args.series, "load_average_end":
         os.getloadavg(), "first_requests_ms": cold, "runs": figures, "verdict": verdict},
        indent=1))


if __name__ == "__main__":
    main()
