"""A long load run against a PostgreSQL store: pages, API reads and authenticated writes.

    python bench/soak_pg.py [--minutes 10] [--connections 64] [--workers 2] [--warmup 2]

Makes a throwaway PostgreSQL database on the server named by ``SDGBRIDGE_BENCH_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), fills it with
``sdgbridge demo`` (the Centre's region, two national platforms, the partners' IATI files)
and publishes a UNSD assessment, then serves it with ``sdgbridge serve --workers N`` (the
production command) and drives it with ``wrk`` at ``--connections`` for ``--minutes``.

The mix, request by request in a fixed rotation (``wrk``'s Lua hook):

* pages (about 30 %): the region's home page, country pages, goal pages, the explorer,
  coordination and knowledge pages, in English and Russian;
* API reads (about 55 %): observations of one series for one country (a different pair each
  time, and a page size that changes, so the answer cache does not answer them all), the
  summary, releases, series, assessments, projects, organisations;
* authenticated writes (about 15 %): changes to a partner organisation's record (a new
  Russian name each time, kept with its history), with the bearer token.

Every 5 s the resident memory of the server's processes (the parent and its workers) is
read from ``/proc``. After the warm-up (``--warmup`` minutes) every sample must stay within
±10 % of the median of the samples after it. Targets: no error (no non-2xx answer, no socket
error), memory flat; p50 and p99 are reported. Writes ``bench/results/soak_pg.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "soak_pg.json"
SERVER = os.environ.get("SDGBRIDGE_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TOKEN = f"soak-{uuid.uuid4().hex}"
COUNTRIES = ("KAZ", "KGZ", "TJK", "TKM", "UZB", "AFG")
M49 = ("398", "417", "762", "795", "860", "4")
FLAT = 0.10  # memory after the warm-up: within this share of its median

# wrk's hooks: the next request of the rotation; writes carry the token and a JSON body.
LUA = """local requests = {%s}
local i = 0
local n = 0
function init(args) i = math.random(#requests) end
function request()
  i = i %% #requests + 1
  local r = requests[i]
  if r[1] == "PATCH" then
    n = n + 1
    local body = '{"name_ru": "Партнёр ' .. n .. '"}'
    return wrk.format("PATCH", r[2], {["Content-Type"] = "application/json",
                      ["Authorization"] = "Bearer %s"}, body)
  end
  return wrk.format("GET", r[2])
end
"""


def _admin():  # type: ignore[no-untyped-def]
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(SERVER)
    return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username,
                           password=u.password, dbname=u.database, autocommit=True)


def make_store(name: str) -> str:
    from sqlalchemy.engine import make_url

    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    print(f"filling {name} with `sdgbridge demo` and a published UNSD assessment …", flush=True)
    for args in (["demo"], ["orgs", "seed-from-iati"], ["assess", "--method", "unsd", "--publish"]):
        subprocess.run([sys.executable, "-m", "sdgbridge", "--db", url, *args], check=True,
                       stdout=subprocess.DEVNULL, cwd=ROOT)
    return url


def drop_store(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def organisation_keys(base: str, n: int = 20) -> list[str]:
    with urllib.request.urlopen(f"{base}/api/v1/organisations", timeout=60) as r:  # noqa: S310
        rows = json.loads(r.read())["rows"]
    return [str(row["ref"] or row["id"]) for row in rows[:n]]


def mix(base: str) -> list[tuple[str, str]]:
    """The rotation of requests: (method, path)."""
    keys = organisation_keys(base)
    if not keys:
        raise SystemExit("the demo store has no organisations to change")
    series = ("SI_POV_DAY1", "SH_H2O_SAFE", "EG_ACS_ELEC", "EG_FEC_RNEW", "IT_MOB_4GNTWK",
              "SH_STA_STNT", "SH_DYN_MORT", "EN_ATM_CO2")
    out: list[tuple[str, str]] = []
    for i in range(120):
        c, a, s = COUNTRIES[i % 6], M49[i % 6], series[i % len(series)]
        lang = "ru" if i % 2 else "en"
        out += [("GET", f"/api/v1/observations?series={s}&areas={a}&limit={50 + i}"),
                ("GET", f"/api/v1/observations?series={s}&areas={a}&latest=true"),
                ("GET", "/api/v1/summary"),
                ("GET", f"/?lang={lang}"),
                ("GET", f"/country/{c}?lang={lang}"),
                ("GET", "/api/v1/assessments/latest?method=unsd&level="
                        + ("series", "target", "goal")[i % 3]),
                ("PATCH", f"/api/v1/organisations/{keys[i % len(keys)]}"),
                ("GET", f"/country/{c}/goal/{i % 17 + 1}?lang={lang}"),
                ("GET", "/api/v1/releases"),
                ("GET", f"/api/v1/projects?country={c[:2]}&limit=20"),
                ("GET", f"/coordination?lang={lang}" if i % 3 == 0 else "/api/v1/series"),
                ("GET", f"/api/v1/organisations?limit={10 + i}")]
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children (the workers), MB."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                pids += [int(c) for c in children]
        except (FileNotFoundError, ProcessLookupError, AttributeError):
            continue
    return total / 1024


def check_mix(base: str, requests: list[tuple[str, str]]) -> None:
    """Every request of the rotation answers 2xx once before the run (a broken path would
    otherwise count as the server's error)."""
    for method, path in dict.fromkeys(requests):
        req = urllib.request.Request(base + path, method=method, headers={
            "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            data=b'{"name_ru": "check"}' if method == "PATCH" else None)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310 (loopback)
                r.read()
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"{method} {path}: {exc.code} {exc.read()[:300]!r}") from exc


def run(args: argparse.Namespace, url: str, tmp: Path) -> dict[str, object]:
    port = free_port()
    env = {**os.environ, "SDGBRIDGE_DATABASE_URL": url, "SDGBRIDGE_API_TOKEN": TOKEN}
    # The server's log (access lines and uvicorn's supervisor, which says when it replaces a
    # worker), kept in bench/results/soak-work/server.log for a look afterwards.
    log = (tmp / "server.log").open("w", encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-m", "sdgbridge", "serve", "--port", str(port),
                               "--workers", str(args.workers)], env=env, cwd=tmp,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/api/v1/releases", timeout=5)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        requests = mix(base)
        check_mix(base, requests)
        script = tmp / "mix.lua"
        script.write_text(LUA % (",".join(f'{{"{m}", {json.dumps(p)}}}' for m, p in requests),
                                 TOKEN), encoding="utf-8")
        samples: list[tuple[float, float]] = []
        done = threading.Event()

        def sample() -> None:
            start = time.monotonic()
            while not done.wait(5):
                samples.append((time.monotonic() - start, rss_mb(server.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        watcher = threading.Thread(target=watch_statements, args=(url, tmp, done),
                                   daemon=True)
        watcher.start()
        print(f"wrk: {args.connections} connections for {args.minutes} min …", flush=True)
        out = subprocess.run(["wrk", "-t2", "-c", str(args.connections), "-d",
                              f"{int(args.minutes * 60)}s", "--latency", "--timeout", "10s",
                              "-s", str(script), base], capture_output=True, text=True,
                             check=True).stdout
        done.set()
        sampler.join()
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            print("the server did not stop within 30 s of SIGTERM: killed", flush=True)
            server.kill()
            server.wait(10)
        log.close()
    return {"wrk": parse_wrk(out), "memory": memory(samples, args.warmup * 60),
            "raw": out}


SLOW_S = 2.0  # a statement running this long is written down


def watch_statements(url: str, tmp: Path, done: threading.Event) -> None:
    """Every second, the store's statements running longer than ``SLOW_S`` and the
    connections idle in a transaction as long (PostgreSQL's ``pg_stat_activity``), with
    what they wait for, in ``pg_activity.log``: when a worker stops answering, this says
    whether the database was holding it up."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    query = ("SELECT now()::time(0), pid, state, wait_event_type, wait_event, "
             "round(extract(epoch FROM now() - coalesce(query_start, xact_start))::numeric, 1),"
             " left(regexp_replace(query, '\\s+', ' ', 'g'), 160) FROM pg_stat_activity "
             "WHERE datname = current_database() AND pid <> pg_backend_pid() "
             "AND state <> 'idle' AND now() - coalesce(query_start, xact_start) "
             f"> interval '{SLOW_S} seconds' ORDER BY 6 DESC")
    with psycopg.connect(dsn, autocommit=True) as conn, \
            (tmp / "pg_activity.log").open("w", encoding="utf-8") as out:
        while not done.wait(1.0):
            rows = conn.execute(query).fetchall()
            for row in rows:
                out.write(" | ".join(str(v) for v in row) + "\n")
            if rows:
                out.flush()


def parse_wrk(out: str) -> dict[str, object]:
    def ms(text: str) -> float:
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    pct = {p: ms(v) for p, v in re.findall(r"^\s+(50|90|99)(?:\.000)?%\s+(\S+)", out, re.M)}
    total = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     out)
    return {"requests": int(total.group(1)) if total else 0,
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50_ms": pct.get("50"), "p90_ms": pct.get("90"), "p99_ms": pct.get("99"),
            "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(int(x) for x in sock.groups()) if sock else 0}


def memory(samples: list[tuple[float, float]], warmup_s: float) -> dict[str, object]:
    after = [mb for t, mb in samples if t >= warmup_s]
    if not after:
        return {"samples": samples, "flat": False, "note": "no sample after the warm-up"}
    median = statistics.median(after)
    worst = max(abs(mb - median) / median for mb in after)
    return {"samples": samples, "median_mb": median, "min_mb": min(after),
            "max_mb": max(after), "worst_deviation": worst, "flat": worst <= FLAT}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--warmup", type=float, default=2.0, help="minutes before memory counts")
    p.add_argument("--db", help="an existing PostgreSQL store URL (default: a new demo store)")
    args = p.parse_args()
    name = f"soak_{uuid.uuid4().hex[:8]}"
    tmp = ROOT / "bench" / "results" / "soak-work"
    tmp.mkdir(parents=True, exist_ok=True)
    url = args.db or make_store(name)
    try:
        result = run(args, url, tmp)
    finally:
        if not args.db:
            drop_store(name)
    w, m = result["wrk"], result["memory"]
    errors = w["non_2xx"] + w["socket_errors"]  # type: ignore[operator]
    print(f"\n{w['requests']:,} requests, {w['rps']:.0f}/s; p50 {w['p50_ms']} ms, "
          f"p90 {w['p90_ms']} ms, p99 {w['p99_ms']} ms")
    print(f"errors: {w['non_2xx']} non-2xx, {w['socket_errors']} socket  target 0  "
          f"{'PASS' if errors == 0 else 'MISS'}")
    if "median_mb" in m:
        print(f"memory after the warm-up: median {m['median_mb']:.0f} MB, "
              f"{m['min_mb']:.0f}–{m['max_mb']:.0f} MB, worst {m['worst_deviation']:.1%} "
              f"from the median  target ±{FLAT:.0%}  {'PASS' if m['flat'] else 'MISS'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**result, "args": vars(args)}, indent=2) + "\n",
                       encoding="utf-8")
    print(f"written {RESULTS}")
    return 0 if errors == 0 and m.get("flat") else 1


if __name__ == "__main__":
    sys.exit(main())
