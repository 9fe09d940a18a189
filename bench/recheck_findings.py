"""Issue 13's security and robustness findings, each re-run against a running server.

    python bench/recheck_findings.py [--postgres] [--keep]

Builds a store in a temporary folder the way the attacker did (``sdgbridge init``, ``ingest``
of the region's UNSD file, ``projects import`` of the US Government IATI files, ``orgs
seed-from-iati``, one practice document copied into the temporary folder and added with
``docs add``, and a one-row release whose footnote is a spreadsheet formula), then serves it
with ``python -m sdgbridge serve --port P`` (a subprocess, with ``SDGBRIDGE_DATABASE_URL``
and ``SDGBRIDGE_API_TOKEN`` set) and attacks it. SQLite by default; ``--postgres`` makes a
throwaway database on the server named by ``SDGBRIDGE_BENCH_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and drops it at the end.

What each line measures (the server's memory is the resident set of its process tree, summed
from ``/proc``; its CPU is the user+system time of that tree):

3. 16 concurrent unauthenticated 50 MB POSTs to ``/api/v1/organisations`` over raw sockets,
   half with ``Content-Length``, half chunked, the body streamed 1 MB at a time: statuses,
   seconds, MB the server took, memory before/peak/after; one 50 MB POST with the token
   (the size limit alone); one request with a 50 MB header.
4. ``POST /api/v1/align`` of 99,000 characters without the token (status, seconds, server
   CPU); 48 concurrent aligns of 19,000 characters of the practice documents while
   ``GET /api/v1/goals`` is timed over and over; 64 concurrent uncached
   ``/api/v1/observations?limit=10000&offset=N`` without the token, and again with it (no rate
   limit: only the in-flight bound), counting 429/503 apart from timeouts and other errors;
   200 requests of one 10,000-row page with distinct ``cachebust`` values (with the token, so
   none is rate-limited), and as a control 12 distinct ``offset`` values (which must grow the
   memory, showing the measurement can see a copy per request).
5. An organisation and a project named ``=HYPERLINK(...)`` made through the API (token); the
   observations CSV of the API and the CLI's ``orgs list``/``projects list --format csv`` and
   ``export x.csv``: every cell a spreadsheet would run as a formula is counted, and the
   planted text must be found (quoted) in each file, else the check is void.
6. ``Content-Security-Policy`` (with ``frame-ancestors``), ``X-Content-Type-Options``,
   ``Referrer-Policy`` on ``/``, ``/api/v1/goals``, ``/api/docs``.
7. Public GET answers of releases, projects, a project, documents, a document, an error and
   an edit refusal searched for the temporary folder, ``../shared`` and the absolute path of
   the shared data; the store itself is shown to hold such paths (so the check can fail).
8. Contacts (name, e-mail, phone) of organisations made through the API, one contact
   removed, one organisation archived: every public read searched for them; the same reads
   with the token must show them (so the check can fail).
9. PostgreSQL only: the server's backends terminated (``pg_terminate_backend``) five times
   under a small load; every failed answer must be 503 JSON with ``Retry-After``.
10. An SQLite ingest killed (-9) while its staging folder exists (``TMPDIR`` a temporary
   folder): folders left, then after the next ingest.

Prints a table (finding, what was done, the issue's result before, the result now,
PASS/MISS) and writes ``bench/results/recheck_findings.json``. Takes 2-4 minutes.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import csv
import io
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "recheck_findings.json"
SHARED = "../shared/data"
SDG_FILE = f"{SHARED}/sdg/derived/unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv"
IATI_DIR = f"{SHARED}/iati/activities/usg/data"
PRACTICES = ROOT.parent / "shared" / "data" / "text" / "practices" / "undp_accelerator_labs"
PG_SERVER = os.environ.get("SDGBRIDGE_BENCH_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOKEN = f"recheck-{uuid.uuid4().hex}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MB = 1024 * 1024
FORMULA = '=HYPERLINK("http://x","y")'
RISKY = re.compile(r"^[=+\-@\t\r]")
NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
FORMULA_ROW = (
    "Goal,Target,Indicator,SeriesCode,SeriesDescription,GeoAreaCode,GeoAreaName,TimePeriod,"
    "Value,Units,Nature,Observation Status,FootNote\n"
    "1,1.1,1.1.1,SI_POV_DAY1,Proportion of population below international poverty line (%),"
    '398,Kazakhstan,2031,5,PERCENT,E,A,"=HYPERLINK(""http://x"",""y"")"\n')


# ---- the store and the server ------------------------------------------------------------

def sdgbridge(url: str, *args: str, env: dict[str, str] | None = None,
              check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sdgbridge", "--db", url, *args], cwd=ROOT,
                          capture_output=True, text=True, check=check, env=env)


def build_store(url: str, tmp: Path) -> None:
    """The attacker's store, from the repository root with relative paths as in the README."""
    docs = tmp / "docs"
    docs.mkdir()
    shutil.copy(PRACTICES / "green_aral_sea_initiative.md", docs)
    (tmp / "formula.csv").write_text(FORMULA_ROW, encoding="utf-8")
    steps = (["init"], ["ingest", SDG_FILE], ["projects", "import", IATI_DIR],
             ["orgs", "seed-from-iati"],
             ["docs", "add", str(docs / "green_aral_sea_initiative.md")],
             ["ingest", str(tmp / "formula.csv"), "--source", "recheck"])
    for step in steps:
        print(f"  sdgbridge {' '.join(step)}", flush=True)
        sdgbridge(url, *step)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "SDGBRIDGE_DATABASE_URL": url, "SDGBRIDGE_API_TOKEN": TOKEN}
    server = subprocess.Popen([sys.executable, "-m", "sdgbridge", "serve", "--port", str(port)],
                              env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                              stderr=open(tmp / "server.log", "wb"))  # noqa: SIM115
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start; see server.log")


def tree(pid: int) -> list[int]:
    pids, out = [pid], []
    while pids:
        p = pids.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, MB."""
    total = 0
    for p in tree(pid):
        try:
            m = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{p}/status").read_text())
            total += int(m.group(1)) if m else 0
        except OSError:
            continue
    return total / 1024


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total / os.sysconf("SC_CLK_TCK")


class Peak:
    """The highest memory of the server's tree while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()

    def __enter__(self) -> Peak:
        self.before = rss_mb(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, rss_mb(self.pid))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after = rss_mb(self.pid)
        self.peak = max(self.peak, self.after)

    def text(self) -> str:
        return f"RSS {self.before:,.0f} -> peak {self.peak:,.0f} -> {self.after:,.0f} MB"


def counted(statuses: list[Any]) -> str:
    return ", ".join(f"{k}×{v}" for k, v in sorted(collections.Counter(
        map(str, statuses)).items()))


# ---- finding 3: bodies and heads ----------------------------------------------------------

def _status(reply: bytes) -> int | str:
    m = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    return int(m.group(1)) if m else ("closed" if not reply else "garbled")


def _read_reply(s: socket.socket, deadline: float) -> bytes:
    reply = b""
    while b"\r\n\r\n" not in reply and time.monotonic() < deadline:
        if not select.select([s], [], [], 0.5)[0]:
            continue
        try:
            data = s.recv(65536)
        except OSError:
            break
        if not data:
            break
        reply += data
    return reply


def stream(port: int, head: bytes, pieces: Iterator[bytes], limit: float = 60) -> dict[str, Any]:
    """Send ``head`` then ``pieces`` as long as the server reads and has not answered; the
    status (or ``closed``), MB sent and seconds."""
    start, sent = time.monotonic(), 0
    deadline = start + limit
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as s:
        s.sendall(head)
        s.setblocking(False)
        pending = b""
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([s], [s], [], 1)
            if readable:
                break
            if not writable:
                continue
            pending = pending or next(pieces, b"")
            if not pending:
                break
            try:
                n = s.send(pending)
            except OSError:
                break
            sent, pending = sent + n, pending[n:]
        s.setblocking(True)
        reply = _read_reply(s, deadline)
    return {"status": _status(reply), "mb_sent": round(sent / MB, 1),
            "seconds": round(time.monotonic() - start, 2)}


def body_pieces(size: int, chunked: bool) -> Iterator[bytes]:
    block = b"a" * MB
    for _ in range(size // MB):
        yield b"100000\r\n" + block + b"\r\n" if chunked else block
    if chunked:
        yield b"0\r\n\r\n"


def big_post(port: int, chunked: bool, token: bool = False) -> dict[str, Any]:
    size = 50 * MB
    head = ("POST /api/v1/organisations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\n"
            + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {size}\r\n")
            + (f"Authorization: Bearer {TOKEN}\r\n" if token else "") + "\r\n")
    return {"chunked": chunked, **stream(port, head.encode(), body_pieces(size, chunked))}


def big_header(port: int) -> dict[str, Any]:
    def pieces() -> Iterator[bytes]:
        for _ in range(50):
            yield b"a" * MB
        yield b"\r\n\r\n"
    return stream(port, b"GET /api/v1/goals HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ", pieces())


def finding_3(port: int, pid: int) -> dict[str, Any]:
    with Peak(pid) as mem, cf.ThreadPoolExecutor(16) as pool:
        posts = list(pool.map(lambda i: big_post(port, chunked=bool(i % 2)), range(16)))
    auth = big_post(port, chunked=False, token=True)
    head = big_header(port)
    statuses = [p["status"] for p in posts]
    ok = (all(s in (401, 413) for s in statuses) and max(p["seconds"] for p in posts) < 10
          and max(p["mb_sent"] for p in posts) < 40  # the bodies were not read
          and mem.peak - mem.before < 150 and auth["status"] == 413
          and head["status"] in (431, "closed", 400) and head["mb_sent"] < 50)
    now = (f"16 POSTs: {counted(statuses)}, slowest {max(p['seconds'] for p in posts)} s, "
           f"at most {max(p['mb_sent'] for p in posts)} MB of each sent (socket buffers) before "
           f"the answer; {mem.text()}; "
           f"with token: {auth['status']} after {auth['mb_sent']} MB; 50 MB header: "
           f"{head['status']} after {head['mb_sent']} MB sent")
    return row("3", "16 concurrent unauthenticated 50 MB POSTs /api/v1/organisations (8 "
               "Content-Length, 8 chunked) + 1 with token; 1 request with a 50 MB header",
               "RSS 718 -> 1,578 MB; bodies read before the token check; 50 MB header "
               "accepted", now, ok, posts=posts, auth=auth, header=head, memory=vars_of(mem))


# ---- finding 4: CPU and memory sinks --------------------------------------------------------

def plan_text(chars: int) -> str:
    words: list[str] = []
    for f in sorted(PRACTICES.glob("*.md")):
        words += re.sub(r"[#*_>\[\]()|`]", " ", f.read_text(encoding="utf-8")).split()
    text = " ".join(words)
    while len(text) < chars:
        text += " " + text
    return text[:chars]


def finding_4_big(base: str, pid: int) -> dict[str, Any]:
    cpu0, t0 = cpu_s(pid), time.monotonic()
    r = httpx.post(f"{base}/api/v1/align", json={"text": plan_text(99_000)}, timeout=120)
    wall, cpu = time.monotonic() - t0, cpu_s(pid) - cpu0
    now = f"{r.status_code} in {wall:.2f} s, server CPU {cpu:.2f} s"
    return row("4a", "POST /api/v1/align, 99,000 characters, no token",
               "11-29 s of CPU (answered 200)", now, r.status_code == 413 and wall < 2,
               status=r.status_code, seconds=wall, cpu=cpu)


def probe(url: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(timeout=60) as c:
        while not stop.is_set():
            t0 = time.monotonic()
            c.get(url).raise_for_status()
            out.append(time.monotonic() - t0)
            time.sleep(0.05)


def finding_4_flood(base: str, pid: int) -> dict[str, Any]:
    text = plan_text(19_000)
    lat: list[float] = []
    stop = threading.Event()
    prober = threading.Thread(target=probe, args=(f"{base}/api/v1/goals", stop, lat))
    cpu0, t0 = cpu_s(pid), time.monotonic()
    prober.start()

    def one(_: int) -> int | str:
        try:
            return httpx.post(f"{base}/api/v1/align", json={"text": text},
                              timeout=120).status_code
        except httpx.HTTPError as exc:
            return type(exc).__name__
    with cf.ThreadPoolExecutor(48) as pool:
        statuses = list(pool.map(one, range(48)))
    stop.set()
    prober.join()
    wall = time.monotonic() - t0
    p50, p95, worst = statistics.median(lat), sorted(lat)[int(len(lat) * 0.95)], max(lat)
    ok = all(s in (200, 429, 503) for s in statuses) and worst < 2
    now = (f"aligns: {counted(statuses)} in {wall:.1f} s (server CPU {cpu_s(pid) - cpu0:.1f}"
           f" s); GET /api/v1/goals ×{len(lat)} meanwhile: p50 {p50 * 1000:.0f} ms, "
           f"p95 {p95 * 1000:.0f} ms, max {worst:.2f} s")
    return row("4b", "48 concurrent aligns of 19,000 characters (no token) while GET "
               "/api/v1/goals is timed", "GET /api/v1/goals took 11.5 s", now, ok,
               statuses=statuses, goals_latency=lat)


def observation_flood(base: str, pid: int, headers: dict[str, str],
                      first: int) -> tuple[list[Any], Peak, float]:
    def one(i: int) -> int | str:
        try:
            return httpx.get(f"{base}/api/v1/observations?limit=10000&offset={first + i}",
                             headers=headers, timeout=30).status_code
        except httpx.TimeoutException:
            return "timeout"
        except httpx.HTTPError as exc:
            return type(exc).__name__
    t0 = time.monotonic()
    with Peak(pid) as mem, cf.ThreadPoolExecutor(64) as pool:
        statuses = list(pool.map(one, range(64)))
    return statuses, mem, time.monotonic() - t0


def finding_4_observations(base: str, pid: int) -> dict[str, Any]:
    public, mem1, wall1 = observation_flood(base, pid, {}, 1)
    trusted, mem2, wall2 = observation_flood(base, pid, AUTH, 101)
    bad = [s for s in public + trusted if s not in (200, 429, 503)]
    ok = not bad and max(mem1.peak, mem2.peak) - mem1.before < 700
    now = (f"no token: {counted(public)} in {wall1:.1f} s, {mem1.text()}; with token "
           f"(no rate limit): {counted(trusted)} in {wall2:.1f} s, {mem2.text()}; "
           f"timeouts/other errors: {len(bad)}")
    return row("4c", "64 concurrent uncached GET /api/v1/observations?limit=10000&offset=N, "
               "without the token and again with it",
               "19 timeouts; RSS 1.1 -> 2.4 GB", now, ok, public=public, trusted=trusted,
               memory=[vars_of(mem1), vars_of(mem2)])


def repeat_pages(base: str, paths: list[str]) -> tuple[list[int], float]:
    """The statuses of ``paths`` asked one after another (with the token), and the mean
    seconds per answer."""
    t0 = time.monotonic()
    with httpx.Client(timeout=60, headers=AUTH) as c:
        statuses = [c.get(base + p).status_code for p in paths]
    return statuses, (time.monotonic() - t0) / len(paths)


def finding_4_cachebust(base: str, pid: int) -> dict[str, Any]:
    """Run on a fresh server (before the floods, whose freed memory the allocator would
    reuse): a page just under the answer cache's 4 MiB bound, as the attacker's 4 MB one."""
    small = len(httpx.get(f"{base}/api/v1/observations?limit=1000", headers=AUTH,
                          timeout=60).content)
    page = f"/api/v1/observations?limit={int(1000 * 3.5 * MB / small)}"
    size = len(httpx.get(base + page, headers=AUTH, timeout=60).content) / MB
    warm, _ = repeat_pages(base, [f"{page}&cachebust={n}" for n in range(20)])
    time.sleep(1)  # the first answers' frames freed before the memory is read
    with Peak(pid) as bust:
        more, bust_s = repeat_pages(base, [f"{page}&cachebust={n}" for n in range(20, 200)])
    statuses = warm + more
    with Peak(pid) as control:
        ctrl, ctrl_s = repeat_pages(base, [f"{page}&offset={n}" for n in range(1, 31)])
    grew, ctrl_grew = bust.after - bust.before, control.after - control.before
    ok = set(statuses) == {200} and bust.peak - bust.before < 25 and ctrl_grew > 40
    now = (f"200 × a {size:.1f} MB page: {counted(statuses)}, {bust_s * 1000:.0f} ms each, "
           f"RSS over the last 180 {bust.before:,.0f} -> {bust.after:,.0f} MB ({grew:+.0f}, "
           f"peak {bust.peak:,.0f}); control, 30 "
           f"distinct offsets: {counted(ctrl)}, {ctrl_s * 1000:.0f} ms each, "
           f"{ctrl_grew:+.0f} MB")
    return row("4d", "one ~3.5 MB observations page with 200 distinct ?cachebust=N (token: not "
               "rate-limited); control: 30 distinct offsets (each a new kept answer)",
               "a new 4 MB copy kept per value", now, ok, statuses=statuses, page_mb=size,
               memory=vars_of(bust), control=vars_of(control))


# ---- finding 5: CSV formulas ---------------------------------------------------------------

def risky_cells(text: str) -> list[str]:
    return [c for line in csv.reader(io.StringIO(text)) for c in line
            if RISKY.match(c) and not NUMBER.match(c)]


def finding_5(base: str, url: str, tmp: Path) -> dict[str, Any]:
    made = [httpx.post(f"{base}/api/v1/organisations", headers=AUTH, timeout=30, json={
                "name_en": FORMULA, "type": "21", "ref": "XM-RECHECK-1", "countries": ["KZ"]}),
            httpx.post(f"{base}/api/v1/projects", headers=AUTH, timeout=30, json={
                "identifier": "XM-RECHECK-1-P1", "title_en": FORMULA, "status": "2",
                "reporting_org_ref": "XM-RECHECK-1", "countries": ["KZ"],
                "sectors": ["15110"], "planned_start": "2024-01-01"})]
    files = {"API observations?format=csv": httpx.get(
        f"{base}/api/v1/observations?series=SI_POV_DAY1&areas=KAZ&format=csv",
        headers=AUTH, timeout=60).text,
        "CLI orgs list --format csv": sdgbridge(url, "orgs", "list", "--format", "csv").stdout,
        "CLI projects list --format csv": sdgbridge(
            url, "projects", "list", "--country", "KZ", "--format", "csv").stdout}
    sdgbridge(url, "export", str(tmp / "x.csv"), "--series", "SI_POV_DAY1", "--areas", "KAZ")
    files["CLI export x.csv"] = (tmp / "x.csv").read_text(encoding="utf-8")
    found = {k: "'" + FORMULA in "".join(csv_cells(v)) for k, v in files.items()}
    risky = {k: len(risky_cells(v)) for k, v in files.items()}
    ok = all(m.status_code == 201 for m in made) and all(found.values()) and \
        not any(risky.values())
    now = "; ".join(f"{k}: {risky[k]} formula cell(s), planted name "
                    f"{'found quoted' if found[k] else 'NOT FOUND'}" for k in files)
    return row("5", f"org and project named {FORMULA} via the API (token: "
               f"{[m.status_code for m in made]}); every CSV of the API and CLI",
               "=HYPERLINK(...) written as is", now, ok, risky=risky, found=found)


def csv_cells(text: str) -> list[str]:
    return [c for line in csv.reader(io.StringIO(text)) for c in line]


# ---- finding 6: headers --------------------------------------------------------------------

def finding_6(base: str) -> dict[str, Any]:
    seen, ok = [], True
    for path in ("/", "/api/v1/goals", "/api/docs"):
        r = httpx.get(base + path, timeout=30)
        h = r.headers
        good = (r.status_code == 200 and "frame-ancestors" in h.get("content-security-policy", "")
                and h.get("x-content-type-options") == "nosniff" and "referrer-policy" in h)
        ok &= good
        seen.append(f"{path}: {r.status_code} CSP {'with frame-ancestors' if good else 'MISSING'}"
                    f", nosniff={h.get('x-content-type-options')}, "
                    f"Referrer-Policy={h.get('referrer-policy')}")
    return row("6", "headers of /, /api/v1/goals, /api/docs", "none of CSP, "
               "X-Content-Type-Options, frame-ancestors, Referrer-Policy", "; ".join(seen), ok)


# ---- finding 7: server paths ---------------------------------------------------------------

def stored_paths(url: str) -> str:
    """The paths the store keeps (releases' locations and files, activities' source files,
    documents' sources): what a public answer must not show."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return " ".join(str(v) for q in (
                "SELECT location FROM release", "SELECT path FROM release_file",
                "SELECT DISTINCT source_file FROM iati_activity", "SELECT source FROM document")
                for v in conn.execute(text(q)).scalars())
    finally:
        engine.dispose()


def finding_7(base: str, url: str, tmp: Path) -> dict[str, Any]:
    needles = [str(tmp), "../shared", str((ROOT.parent / "shared").resolve())]
    held = stored_paths(url)
    ident = httpx.get(f"{base}/api/v1/projects?limit=1", timeout=30).json()["rows"][0]
    ident = ident.get("iati_identifier") or ident.get("identifier")
    doc = httpx.get(f"{base}/api/v1/documents", timeout=30).json()["rows"][0]["id"]
    paths = ["/api/v1/releases", "/api/v1/projects?limit=5000", f"/api/v1/projects/{ident}",
             f"/api/v1/projects/{ident}/history", "/api/v1/documents",
             f"/api/v1/documents/{doc}", "/api/v1/projects/NO-SUCH-PROJECT",
             "/api/v1/organisations", "/"]
    answers = {p: httpx.get(base + p, timeout=60).text for p in paths}
    refusal = httpx.patch(f"{base}/api/v1/projects/{ident}", headers=AUTH, timeout=30,
                          json={"title_en": "changed"})
    answers[f"PATCH /api/v1/projects/{ident} ({refusal.status_code})"] = refusal.text
    leaks = {p: [n for n in needles if n in a] for p, a in answers.items()}
    leaks = {p: n for p, n in leaks.items() if n}
    in_store = [n for n in needles if n in held]
    ok = not leaks and bool(in_store)
    now = (f"{len(answers)} answers searched: {'no path' if not leaks else leaks}; the "
           f"store holds {in_store or 'NONE (check void)'}")
    return row("7", "public GET answers (releases, projects, a project + history, documents, a "
               "document, a 404, /) and an edit refusal searched for the server's paths",
               "releases' location, source_file, document paths, refusals showed server "
               "paths", now, ok, leaks=leaks, in_store=in_store)


# ---- finding 8: personal data --------------------------------------------------------------

PEOPLE = {"XM-RECHECK-2": ("Aigerim Recheckova", "aigerim.recheck@example.org",
                           "+996 555 010203"),
          "XM-RECHECK-3": ("Bakyt Removedov", "bakyt.removed@example.org", "+7 701 000 0303"),
          "XM-RECHECK-4": ("Dilnoza Archivova", "dilnoza.archived@example.org",
                           "+998 90 000 0404")}


def make_partners(base: str) -> list[int]:
    codes = []
    for ref, (name, email, phone) in PEOPLE.items():
        codes.append(httpx.post(f"{base}/api/v1/organisations", headers=AUTH, timeout=30, json={
            "name_en": f"Recheck partner {ref}", "type": "21", "ref": ref,
            "contacts": [{"name": name, "email": email, "phone": phone, "role": "focal point"}],
        }).status_code)
    codes.append(httpx.patch(f"{base}/api/v1/organisations/XM-RECHECK-3", headers=AUTH,
                             timeout=30, json={"contacts": []}).status_code)
    codes.append(httpx.post(f"{base}/api/v1/organisations/XM-RECHECK-4/archive",
                            headers=AUTH, timeout=30).status_code)
    return codes


def finding_8(base: str) -> dict[str, Any]:
    codes = make_partners(base)
    paths = ["/api/v1/organisations", "/api/v1/organisations?archived=true"] + [
        f"/api/v1/organisations/{ref}{tail}" for ref in PEOPLE for tail in ("", "/history")]
    needles = [v for person in PEOPLE.values() for v in person] + ["Recheck partner XM-RECHECK-4"]

    def seen(headers: dict[str, str]) -> dict[str, list[str]]:
        out = {}
        for p in paths:
            text = httpx.get(base + p, headers=headers, timeout=30).text
            out[p] = [n for n in needles if n in text]
        return {p: n for p, n in out.items() if n}
    public, trusted = seen({}), seen(AUTH)
    shown = {n for found in trusted.values() for n in found}
    ok = not public and shown == set(needles) and all(c in (200, 201) for c in codes)
    now = (f"writes {codes}; without token: {public or 'no name, e-mail, phone or archived '}"
           f"{'' if public else 'organisation'} in {len(paths)} reads; with token: "
           f"{len(shown)} of {len(needles)} shown (control)")
    return row("8", "3 orgs with contacts via the API, one contact removed, one org archived; "
               "public list, ?archived=true, each org and its history",
               "contacts readable without a token, also in the history after removal; "
               "archived orgs readable", now, ok, public=public, trusted=trusted)


# ---- finding 9: a dropped database connection ----------------------------------------------

def _admin(database: str | None = None) -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(PG_SERVER)
    return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username,
                           password=u.password, dbname=database or u.database, autocommit=True)


def load(base: str, stop: threading.Event, failures: list[dict[str, Any]],
         counts: collections.Counter[str]) -> None:
    i = 0
    with httpx.Client(timeout=30) as c:
        while not stop.is_set():
            i += 1
            path = ("/api/v1/organisations", f"/api/v1/projects?limit={i}", "/api/v1/releases",
                    f"/api/v1/observations?series=SI_POV_DAY1&areas=KAZ&limit={i}")[i % 4]
            try:
                r = c.get(base + path)
            except httpx.HTTPError as exc:
                failures.append({"path": path, "status": type(exc).__name__})
                continue
            counts[str(r.status_code)] += 1
            if r.status_code >= 400:
                failures.append({"path": path, "status": r.status_code,
                                 "json": r.headers.get("content-type", "").startswith(
                                     "application/json"),
                                 "retry_after": "retry-after" in r.headers})


def finding_9(base: str, database: str | None) -> dict[str, Any]:
    what = "server's backends terminated 5 times under 4 clients' load"
    before = "plain-text 500"
    if database is None:
        return row("9", what, before, "not run on SQLite (no connection to drop); run "
                   "with --postgres", None)
    failures: list[dict[str, Any]] = []
    counts: collections.Counter[str] = collections.Counter()
    stop = threading.Event()
    workers = [threading.Thread(target=load, args=(base, stop, failures, counts))
               for _ in range(4)]
    for w in workers:
        w.start()
    killed = 0
    with _admin() as conn:
        for _ in range(5):
            time.sleep(1)
            killed += len(conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                "AND pid <> pg_backend_pid()", (database,)).fetchall())
    time.sleep(1)
    stop.set()
    for w in workers:
        w.join()
    good = [f for f in failures if f["status"] == 503 and f.get("json") and f.get("retry_after")]
    ok = killed > 0 and len(good) == len(failures)
    now = (f"{killed} backends terminated; answers {dict(counts)}; failed {len(failures)}, "
           f"of them 503 JSON with Retry-After {len(good)}"
           + (f"; others: {failures[:3]}" if len(good) < len(failures) else ""))
    return row("9", what, before, now, ok, failures=failures, killed=killed)


# ---- finding 10: staging folders of a killed ingest -----------------------------------------

def staging(folder: Path) -> list[Path]:
    return sorted(folder.glob("sdgbridge-staging-*"))


def staged_mb(folder: Path) -> float:
    """MB in the staging folders under ``folder`` (0 while they are being made)."""
    total = 0
    for d in staging(folder):
        try:
            total += sum(f.stat().st_size for f in d.iterdir())
        except OSError:
            continue
    return total / MB


def finding_10(tmp: Path) -> dict[str, Any]:
    temp = tmp / "tmpdir"
    temp.mkdir()
    url = f"sqlite:///{tmp / 'killed.db'}"
    sdgbridge(url, "init")
    env = {**os.environ, "TMPDIR": str(temp)}
    ingest = subprocess.Popen([sys.executable, "-m", "sdgbridge", "--db", url, "ingest",
                               SDG_FILE], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30 and ingest.poll() is None and \
            (time.monotonic() - t0 < 1 or staged_mb(temp) < 1):
        time.sleep(0.05)
    waited = time.monotonic() - t0
    os.kill(ingest.pid, signal.SIGKILL)
    ingest.wait()
    left = len(staging(temp))
    size = staged_mb(temp)
    sdgbridge(url, "ingest", SDG_FILE, env=env)
    after = len(staging(temp))
    ok = left > 0 and after == 0
    now = (f"killed after {waited:.1f} s: {left} staging folder(s) left ({size:.0f} MB); "
           f"after the next ingest: {after}"
           + ("" if left else " (kill came too late/early: check void)"))
    return row("10", "SQLite ingest of the region's file killed -9 once its staging files "
               "hold 1 MB (TMPDIR a temp folder), then ingested again",
               "staging folders left for ever", now, ok,
               left=left, after=after, waited=waited)


# ---- the run -------------------------------------------------------------------------------

def row(finding: str, done: str, before: str, now: str, ok: bool | None,
        **details: Any) -> dict[str, Any]:
    verdict = "n/a" if ok is None else ("PASS" if ok else "MISS")
    print(f"  {finding}: {verdict}  {now}", flush=True)
    return {"finding": finding, "done": done, "before": before, "now": now, "verdict": verdict,
            "details": details}


def vars_of(mem: Peak) -> dict[str, float]:
    return {"before": mem.before, "peak": mem.peak, "after": mem.after}


def attacks(base: str, port: int, pid: int, url: str, tmp: Path,
            database: str | None) -> list[dict[str, Any]]:
    steps: list[Callable[[], dict[str, Any]]] = [  # 4d first: on a fresh server
        lambda: finding_4_cachebust(base, pid), lambda: finding_3(port, pid),
        lambda: finding_4_big(base, pid), lambda: finding_4_flood(base, pid),
        lambda: finding_4_observations(base, pid), lambda: finding_5(base, url, tmp),
        lambda: finding_6(base), lambda: finding_7(base, url, tmp), lambda: finding_8(base),
        lambda: finding_9(base, database), lambda: finding_10(tmp)]
    done = [step() for step in steps]
    return sorted(done, key=lambda r: (int(r["finding"].rstrip("abcd")), r["finding"]))


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| finding | what was done | before (issue 13) | now (measured) | |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['finding']} | {r['done']} | {r['before']} | {r['now']} | {r['verdict']} |"
              for r in rows]
    return "\n".join(lines)


def run(args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    database = None
    if args.postgres:
        from sqlalchemy.engine import make_url

        database = f"recheck_{uuid.uuid4().hex[:8]}"
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        url = make_url(PG_SERVER).set(database=database).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp / 'store.db'}"
    try:
        print(f"building the store ({'PostgreSQL' if database else 'SQLite'}) …", flush=True)
        build_store(url, tmp)
        server, port = start_server(url, tmp)
        try:
            print(f"server pid {server.pid}, port {port}; attacking …", flush=True)
            return attacks(f"http://127.0.0.1:{port}", port, server.pid, url, tmp, database)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    finally:
        if database:
            with _admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true",
                        help="Serve a throwaway PostgreSQL database instead of SQLite.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sdgbridge-recheck-"))
    t0 = time.monotonic()
    try:
        rows = run(args, tmp)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(table(rows))
    print(f"\n{sum(r['verdict'] == 'PASS' for r in rows)} PASS, "
          f"{sum(r['verdict'] == 'MISS' for r in rows)} MISS in {time.monotonic() - t0:.0f} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    kept = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    kept["postgresql" if args.postgres else "sqlite"] = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": rows}
    RESULTS.write_text(json.dumps(kept, indent=1, default=str), encoding="utf-8")
    sys.exit(1 if any(r["verdict"] == "MISS" for r in rows) else 0)


if __name__ == "__main__":
    main()
