"""Fault suite: an ingest killed (SIGKILL) at random points, on SQLite and PostgreSQL.

After every kill the store holds the old release or the new one, never a mix (a new
release's counts agree with its rows); the server runs no statement of the dead client for
longer than its connection check (5 s); the ingest run again succeeds and leaves what an
unkilled run leaves; no staging folder is left behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from sdgbridge.db import tables as t
from sdgbridge.db.bulk import STAGING
from sdgbridge.ingest.load import ingest
from tests.faults.specimens import release
from tests.helpers import snapshot

pytestmark = pytest.mark.faults
KILLS = 6
CHILD = """
import sys
from pathlib import Path
from sdgbridge.db.engine import make_engine
from sdgbridge.ingest.load import ingest
engine = make_engine(sys.argv[1])
print("start", flush=True)
ingest(engine, Path(sys.argv[2]))
print("done", flush=True)
"""


def _start(engine: Engine, path: Path, tmp: Path) -> subprocess.Popen[str]:
    url = engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, url, str(path)],
                            stdout=subprocess.PIPE, text=True, env={**os.environ,
                                                                    "TMPDIR": str(tmp)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "start"
    return proc


def _consistent(engine: Engine, release_id: int) -> None:
    """A release's recorded counts are what its rows say: it was written whole."""
    o, r = t.observation.c, t.release.c
    with engine.connect() as conn:
        rel = conn.execute(select(t.release).where(r.id == release_id)).one()
        loaded = conn.execute(select(func.count()).where(o.release_id == release_id))
        gone = conn.execute(select(func.count()).where(o.superseded_by == release_id))
        assert (loaded.scalar_one(), gone.scalar_one()) == (
            rel.rows_loaded, rel.rows_superseded + rel.rows_removed)


def _newest(engine: Engine) -> int:
    """The newest release's id (PostgreSQL spends ids on transactions that died)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(t.release.c.id))).scalar_one())


def _unchanged(engine: Engine, release_id: int) -> list[int]:
    """Current observations of release 1 that ``release_id`` left as they were."""
    o = t.observation.c
    with engine.connect() as conn:
        return list(conn.execute(select(o.id).where(
            o.release_id != release_id, o.superseded_by.is_(None))).scalars())


def _server_statements(engine: Engine) -> int:
    """PostgreSQL: statements running in this database for another client."""
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state <> 'idle'")).scalar_one())


def _no_server_statements(engine: Engine, within: float = 10.0) -> bool:
    if engine.dialect.name != "postgresql":
        return True
    deadline = time.monotonic() + within
    while _server_statements(engine):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_a_killed_ingest_leaves_the_old_release_or_the_new_never_a_mix(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = tmp_path / "tmp"  # the temporary folder of the children and of this test
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    first, second = release(tmp_path / "r1.csv", 1), release(tmp_path / "r2.csv", 2)
    ingest(engine, first)
    before = snapshot(engine)
    rng = random.Random(13)
    delays = sorted(rng.uniform(0.0, 1.0) for _ in range(KILLS))
    outcomes = []
    for delay in delays:
        proc = _start(engine, second, tmp)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        finished = "done" in out
        after = snapshot(engine)
        assert _no_server_statements(engine), "a dead client's statement still runs"
        if after["release"] == before["release"]:
            assert after == before and not finished
            outcomes.append("old")
            continue
        _consistent(engine, _newest(engine))  # the new release, whole
        outcomes.append("new")
        break
    assert "old" in outcomes, f"no kill landed inside the ingest: {outcomes}"
    # Run again (or once more, if a kill came after the commit): it succeeds, and gives what
    # an ingest that was never killed gives: every key of the first release, new values.
    ingest(engine, second)
    final = snapshot(engine)
    assert final["release"] == before["release"] + 1
    _consistent(engine, _newest(engine))
    assert final["current"] == before["current"]
    assert final["observation"] - before["observation"] == final["current"] - len(
        _unchanged(engine, _newest(engine)))
    # The next bulk load deletes what the killed ones left in the temporary folder.
    third = ingest(engine, release(tmp_path / "r3.csv", 3))
    _consistent(engine, third.release_id or 0)
    assert not list(tmp.glob(f"{STAGING}*")), "a staging folder was left behind"
