"""Fault suite: a full disk under an SQLite store, or under the temporary folder a load
stages in. The ingest ends with one clear message, and the store is intact and unchanged.

The small disk is a tmpfs of a few hundred kilobytes, mounted in a mount namespace of the
test's own (``unshare -rm``: no root needed where user namespaces are allowed; root in CI)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sdgbridge.ingest.load import ingest
from tests.faults.specimens import release
from tests.helpers import snapshot

pytestmark = pytest.mark.faults
UNSHARE = shutil.which("unshare")

# In the namespace: mount a small tmpfs, copy the store there (or stage there), run the
# command line, then check the store; print the outcome as JSON.
SCRIPT = r"""
set -e
mount -t tmpfs -o size={size}k tmpfs {tiny}
{prepare}
set +e
{env} {python} -m sdgbridge ingest {source} > {tiny_out}/out.txt 2> {tiny_out}/err.txt
echo $? > {tiny_out}/rc.txt
{python} - <<'PY' > {tiny_out}/check.json
import json, sqlite3
db = sqlite3.connect("{store}")
print(json.dumps({{"integrity": db.execute("PRAGMA integrity_check").fetchone()[0],
                   "releases": db.execute("SELECT count(*) FROM release").fetchone()[0],
                   "observations": db.execute("SELECT count(*) FROM observation").fetchone()[0]}}))
PY
"""


def _in_namespace(script: str) -> None:
    if UNSHARE is None or subprocess.run([UNSHARE, "-rm", "true"]).returncode != 0:
        pytest.fail("unshare -rm (util-linux, user namespaces) is needed for the full-disk "
                    "test: install util-linux, or run as root")
    proc = subprocess.run([UNSHARE, "-rm", "sh", "-c", script], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def store(sqlite_engine: Engine, tmp_path: Path) -> Path:
    """An SQLite store holding a first release."""
    ingest(sqlite_engine, release(tmp_path / "r1.csv", 1))
    return Path(str(sqlite_engine.url.database))


@pytest.mark.parametrize("full", ["store", "staging"])
def test_a_full_disk_ends_the_ingest_with_a_clear_message_and_the_store_intact(
        store: Path, sqlite_engine: Engine, tmp_path: Path, full: str) -> None:
    before = snapshot(sqlite_engine)
    sqlite_engine.dispose()
    tiny, out = tmp_path / "tiny", tmp_path / "out"
    tiny.mkdir()
    out.mkdir()
    source = release(tmp_path / "r2.csv", 2, years=range(1950, 2024))  # more than fits
    if full == "store":  # the store's own disk: room for the store and 200 KB more
        target = tiny / store.name
        size = store.stat().st_size // 1024 + 200
        prepare = f"cp {store} {target}"
        env = f"SDGBRIDGE_DATABASE_URL=sqlite:///{target}"
    else:  # the temporary folder: too small for the staging files of the load
        target, size, prepare = store, 200, "true"
        env = f"SDGBRIDGE_DATABASE_URL=sqlite:///{store} TMPDIR={tiny}"
    _in_namespace(SCRIPT.format(size=size, tiny=tiny, prepare=prepare, env=env,
                                python=sys.executable, source=source, tiny_out=out,
                                store=target))
    assert (out / "rc.txt").read_text().strip() == "1"
    err = (out / "err.txt").read_text()
    assert err.startswith("Error: The disk is full") and "Traceback" not in err
    assert "Nothing was written" in err
    check = json.loads((out / "check.json").read_text())
    assert check == {"integrity": "ok", "releases": before["release"],
                     "observations": before["observation"]}
