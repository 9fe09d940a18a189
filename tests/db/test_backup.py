"""Backup and restore of the store, on SQLite and PostgreSQL: a restored store answers the API
byte for byte as the original; a damaged, too new, other-dialect backup or a non-empty target
is refused before the target is touched; an SQLite backup taken while another connection
writes is consistent; the PostgreSQL programs get no password on their command line."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from sdgbridge.config import Settings
from sdgbridge.db.backup import (
    MANIFEST,
    Manifest,
    _run_pg,
    backup,
    code_head,
    restore,
    sha256_file,
)
from sdgbridge.db.engine import current_revision, make_engine
from sdgbridge.errors import BackupError
from sdgbridge.ingest.load import ingest
from sdgbridge.reference import seed_store
from sdgbridge.testing import fresh_database
from sdgbridge.web.app import create_app
from tests.helpers import cli_output, derived_slice, refused, snapshot

ANSWERS = ("/api/v1/releases", "/api/v1/series", "/api/v1/summary", "/api/v1/areas?limit=500",
           "/api/v1/observations?series=SH_H2O_SAFE&areas=KAZ,UZB&limit=10000",
           "/api/v1/observations?series=EG_ACS_ELEC&latest=true&format=csv",
           "/api/v1/observations?series=SH_H2O_SAFE&as_of=1&limit=10000")


@contextmanager
def new_store(engine: Engine, tmp_path: Path, name: str = "restored") -> Iterator[str]:
    """The URL of a new, empty store of the same dialect as ``engine``."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
    else:
        with fresh_database(engine.url.render_as_string(hide_password=False)) as url:
            yield url


def loaded(engine: Engine, tmp_path: Path) -> Engine:
    ingest(engine, derived_slice(tmp_path / "a.csv", ("SH_H2O_SAFE",)), source="first")
    ingest(engine, derived_slice(tmp_path / "b.csv", ("EG_ACS_ELEC", "SH_H2O_SAFE")),
           source="second")
    return engine


def answers(engine: Engine) -> list[bytes]:
    got = []
    with TestClient(create_app(Settings(database_url="sqlite:///unused.db"),
                               engine=engine)) as client:
        for path in ANSWERS:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            got.append(response.content)
    return got


def test_restored_store_answers_byte_for_byte(engine: Engine, tmp_path: Path) -> None:
    loaded(engine, tmp_path)
    manifest = backup(engine, tmp_path / "bk")
    assert manifest.dialect == engine.dialect.name
    assert manifest.alembic_revision == code_head() == current_revision(engine)
    assert manifest.row_counts["observation"] == snapshot(engine)["observation"] > 0
    written = json.loads((tmp_path / "bk" / MANIFEST).read_text())
    [f] = written["files"]
    assert f["sha256"] == sha256_file(tmp_path / "bk" / f["name"])
    assert f["size"] == (tmp_path / "bk" / f["name"]).stat().st_size
    assert written["sdgbridge_version"] and written["created_at"]
    with new_store(engine, tmp_path) as url:
        report = restore(tmp_path / "bk", url)
        assert report.revision == code_head() and not report.replaced
        copy = make_engine(url)
        try:
            assert answers(copy) == answers(engine)
            assert snapshot(copy) == snapshot(engine)
        finally:
            copy.dispose()


def test_damaged_or_missing_file_is_refused_before_the_target_is_touched(
        engine: Engine, tmp_path: Path) -> None:
    loaded(engine, tmp_path)
    manifest = backup(engine, tmp_path / "bk")
    data = tmp_path / "bk" / manifest.files[0].name
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    with new_store(engine, tmp_path) as url:
        target = make_engine(url)
        seed_store(target)
        before = snapshot(target)
        with pytest.raises(BackupError, match=f"{data}.*checksum"):
            restore(tmp_path / "bk", url, force=True)
        assert snapshot(target) == before
        data.unlink()
        with pytest.raises(BackupError, match=f"{data} is missing"):
            restore(tmp_path / "bk", url, force=True)
        assert snapshot(target) == before
        target.dispose()


def test_non_empty_target_needs_force(engine: Engine, tmp_path: Path) -> None:
    loaded(engine, tmp_path)
    backup(engine, tmp_path / "bk")
    with new_store(engine, tmp_path) as url:
        target = make_engine(url)
        seed_store(target)
        ingest(target, derived_slice(tmp_path / "c.csv", ("EG_ACS_ELEC",)), source="other")
        before = snapshot(target)
        with pytest.raises(BackupError, match="not empty.*--force"):
            restore(tmp_path / "bk", url)
        assert snapshot(target) == before
        report = restore(tmp_path / "bk", url, force=True)
        assert report.replaced
        assert snapshot(target) == snapshot(engine) != before
        assert answers(target) == answers(engine)
        target.dispose()


def test_newer_schema_and_other_dialect_are_refused(engine: Engine, tmp_path: Path) -> None:
    backup(engine, tmp_path / "bk")
    other = "postgresql://postgres@127.0.0.1/none" if engine.dialect.name == "sqlite" else \
        f"sqlite:///{tmp_path / 'other.db'}"
    with pytest.raises(BackupError, match="across dialects is not supported"):
        restore(tmp_path / "bk", other)
    assert not (tmp_path / "other.db").exists()
    if engine.dialect.name == "postgresql":
        missing = engine.url.set(database="sdgbridge_no_such_db").render_as_string(False)
        with pytest.raises(BackupError, match="sdgbridge_no_such_db.*createdb"):
            restore(tmp_path / "bk", missing)
    path = tmp_path / "bk" / MANIFEST
    path.write_text(path.read_text().replace(f'"{code_head()}"', '"9999_future"'))
    with new_store(engine, tmp_path) as url:
        with pytest.raises(BackupError, match="9999_future is newer than this sdgbridge"):
            restore(tmp_path / "bk", url)


def test_backup_goes_into_a_new_folder(sqlite_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("keep")
    with pytest.raises(BackupError, match="not an empty folder"):
        backup(sqlite_engine, tmp_path / "used")
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["x"]
    (tmp_path / "not-a-store.db").write_text("no database")
    with pytest.raises(BackupError, match="not-a-store.db.*Is it an SQLite store"):
        backup(f"sqlite:///{tmp_path / 'not-a-store.db'}", tmp_path / "bk")
    assert not (tmp_path / "bk").exists()
    (tmp_path / "nothing").mkdir()
    with pytest.raises(BackupError, match=f"{MANIFEST} is missing"):
        restore(tmp_path / "nothing", f"sqlite:///{tmp_path / 'r.db'}")


def test_damaged_manifest_is_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    backup(sqlite_engine, tmp_path / "bk")
    path = tmp_path / "bk" / MANIFEST
    good = path.read_text()
    url = f"sqlite:///{tmp_path / 'r.db'}"
    path.write_text(good.replace('"store.sqlite"', '"../store.sqlite"'))
    with pytest.raises(BackupError, match="'../store.sqlite', which is not a file of the"):
        restore(tmp_path / "bk", url)
    path.write_text(good[:-20])
    with pytest.raises(BackupError, match=f"{path} cannot be read.*damaged"):
        restore(tmp_path / "bk", url)
    assert not (tmp_path / "r.db").exists()


def test_backup_while_another_connection_writes_is_consistent(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    """A writer adds two record_change rows per transaction without pause; every backup holds
    an even number, as many as its manifest says, and passes SQLite's integrity check."""
    stop, written = threading.Event(), [0]

    def write() -> None:
        writer = make_engine(str(sqlite_engine.url), migrate=False)
        while not stop.is_set():
            with writer.begin() as conn:
                for _ in range(2):
                    conn.execute(text(
                        "INSERT INTO record_change (record_type, record_key, changed_at, "
                        "origin, change) VALUES ('probe', 'k', CURRENT_TIMESTAMP, 'test', "
                        "'created')"))
            written[0] += 1
        writer.dispose()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        manifests = []
        for i in range(5):
            while written[0] < 20 * (i + 1):
                stop.wait(0.01)
            manifests.append(backup(sqlite_engine.url.render_as_string(), tmp_path / f"b{i}"))
    finally:
        stop.set()
        thread.join()
    counts = [m.row_counts["record_change"] for m in manifests]
    assert all(c % 2 == 0 for c in counts) and counts == sorted(counts) and counts[0] >= 40
    for i, m in enumerate(manifests):
        copy = create_engine(f"sqlite:///{tmp_path / f'b{i}' / m.files[0].name}")
        with copy.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("SELECT count(*) FROM record_change").scalar() == \
                counts[i]
        copy.dispose()
        assert not list((tmp_path / f"b{i}").glob("*-wal"))  # a single file


def test_cli_backup_and_restore(sqlite_engine: Engine, tmp_path: Path) -> None:
    loaded(sqlite_engine, tmp_path)
    source = str(sqlite_engine.url)
    out = cli_output("--db", source, "backup", str(tmp_path / "bk"))
    assert "Backup in" in out and "observation" in out
    restored = f"sqlite:///{tmp_path / 'r.db'}"
    out = cli_output("--db", restored, "restore", str(tmp_path / "bk"))
    assert f"schema revision {code_head()}" in out and "replaced" not in out
    assert "not empty" in refused("--db", restored, "restore", str(tmp_path / "bk"))
    out = cli_output("--db", restored, "restore", str(tmp_path / "bk"), "--force")
    assert "previous contents replaced" in out
    assert Manifest.read(tmp_path / "bk").row_counts["release"] == 2


def test_missing_pg_dump_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump is not on PATH.*postgresql-client"):
        backup("postgresql://postgres@127.0.0.1:1/none", tmp_path / "bk")
    assert not (tmp_path / "bk").exists()


def test_unreachable_server_is_named(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match=r"Cannot open the store postgresql\+psycopg://"
                                          "nobody@127.0.0.1:1/none"):
        backup("postgresql://nobody@127.0.0.1:1/none", tmp_path / "bk")
    assert not (tmp_path / "bk").exists()


def test_password_goes_through_the_environment(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log"
    fake = tmp_path / "pg_dump"
    fake.write_text(f'#!/bin/sh\necho "$@" > {log}\necho "$PGPASSWORD" >> {log}\n'
                    'echo "no such database" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(BackupError, match=r"pg_dump failed on postgresql://u:\*\*\*@h:5433/db"
                                          ".*no such database"):
        _run_pg("pg_dump", make_url("postgresql://u:s3cret@h:5433/db"), ["--format=custom"])
    args, password = log.read_text().splitlines()
    assert password == "s3cret" and "s3cret" not in args
    assert args.split() == ["--no-password", "--host=h", "--port=5433", "--username=u",
                            "--dbname=db", "--format=custom"]
