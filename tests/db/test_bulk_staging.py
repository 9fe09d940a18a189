"""Staging folders of SQLite bulk loads (issue 13, finding 10): a killed ingest leaves its
staging files behind; the next bulk transaction deletes them, and never a live ingest's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from sdgbridge.db.bulk import STAGING, bulk_transaction, sweep_staging
from sdgbridge.db.engine import make_engine

# A child process that opens a bulk transaction on an SQLite store, writes a staging file,
# says so, then waits (to be killed, or to live while the parent sweeps).
CHILD = textwrap.dedent("""
    import sys, time
    import polars as pl
    from sdgbridge.db.bulk import bulk_transaction, stage_frame
    from sdgbridge.db.engine import make_engine
    engine = make_engine(sys.argv[1])
    with bulk_transaction(engine) as conn:
        stage_frame(conn, "t", pl.DataFrame({"a": list(range(1000))}))
        print("staged", flush=True)
        time.sleep(60)
""")


def _child(store: str, tmp: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, store], stdout=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "staged"
    return proc


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder of its own for this test (and for its children)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _staging(tmp: Path) -> list[Path]:
    return sorted(tmp.glob(f"{STAGING}*"))


def test_a_killed_ingests_staging_files_go_with_the_next_bulk_load(tmp: Path,
                                                                   tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'a.db'}"
    make_engine(store).dispose()
    proc = _child(store, tmp)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    left = _staging(tmp)
    assert len(left) == 1 and any(left[0].glob("stage*.db"))  # what the kill left behind
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    with bulk_transaction(engine) as conn:
        mine = [f for f in _staging(tmp) if f not in left]
        assert len(mine) == 1 and not left[0].exists()  # swept before this one began
        conn.exec_driver_sql("SELECT 1")
    assert _staging(tmp) == []  # and its own folder is gone after it
    engine.dispose()


def test_a_live_ingests_staging_folder_is_never_swept(tmp: Path, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'a.db'}"
    make_engine(store).dispose()
    proc = _child(store, tmp)
    try:
        live = _staging(tmp)
        assert sweep_staging() == []
        assert _staging(tmp) == live and any(live[0].glob("stage*.db"))
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_a_folder_without_a_lock_is_not_ours_and_is_left(tmp: Path) -> None:
    other = tmp / f"{STAGING}someone-else"
    other.mkdir()
    assert sweep_staging() == [] and other.exists()


def test_every_dead_folder_is_swept(tmp: Path) -> None:
    for i in range(50):
        folder = tmp / f"{STAGING}{i}"
        folder.mkdir()
        (folder / ".lock").write_text("")
        (folder / "stage0.db").write_bytes(b"x" * 1000)
    assert len(sweep_staging()) == 50
    assert _staging(tmp) == []
