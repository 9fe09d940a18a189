"""Incremental releases: re-read only the files of a package that changed.

A release of a package that differs from the store's newest release in a few files costs
what those files hold, not what the package holds: a release of the UN global database with
one value changed reads one datapoints file of 724.

It is exact, not a heuristic. After a release, the current observations of every (series,
area) pair its input covered are exactly the rows it read (the merge supersedes the others).
So re-reading a file that is byte-identical to one the newest release read changes nothing,
provided no file read now covers the same (series, area) pairs as the file skipped. A reader
that supports incremental releases says which files may share pairs (its *scope* groups:
for the DDF package, the files of one series); a group is read whole or skipped whole.

The plan falls back to reading everything when:

* the newest release was made by another reader (or the store has none);
* it rejected rows and this ingest is not ``--partial`` (the skipped files may hold rows a
  whole ingest would refuse);
* a file every data file depends on (the DDF concepts and entities, ``datapackage.json``)
  changed, was added or went missing;
* every group changed anyway.

Files are matched by their path inside the package, so a copy of the package in another
folder (or a newer download beside the old) is compared file by file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.ingest.model import Reader


@dataclass(frozen=True)
class Plan:
    """Which files of an input to read: ``read`` (empty when nothing changed), out of
    ``total``, the others byte-identical to release ``base``'s."""

    base: int
    read: frozenset[Path]
    total: int

    @property
    def skipped(self) -> int:
        return self.total - len(self.read)


def plan_release(engine: Engine, reader: Reader, path: Path,
                 entries: list[dict[str, object]], partial: bool) -> Plan | None:
    """The files to read for a release of ``path`` (its files' ``entries`` from
    :func:`sdgbridge.files.fingerprint`), or None to read everything."""
    if not reader.incremental:
        return None
    base = _newest_release(engine)
    if base is None or base.reader != reader.name or (base.rows_rejected and not partial):
        return None
    before = {_inside(Path(str(e["path"])), Path(base.location)): e["sha256"]
              for e in _files_of(engine, base.id)}
    now = {_inside(Path(str(e["path"])), path): (Path(str(e["path"])), e["sha256"])
           for e in entries}
    groups = {name: reader.scope(Path(name)) for name in before.keys() | now.keys()}
    shared = {name for name, group in groups.items() if group is None}
    if any(name not in now or name not in before or before[name] != now[name][1]
           for name in shared):
        return None  # what every data file depends on changed: read everything
    touched = {groups[name] for name, (_, sha) in now.items() if before.get(name) != sha}
    touched |= {groups[name] for name in before if name not in now}  # a file gone: its
    # group's other files are read, so that the pairs only it covered are what a whole read
    # leaves (kept), and the pairs they share are theirs
    data = {name: file for name, (file, _) in now.items() if name not in shared}
    read = frozenset(file for name, file in data.items() if groups[name] in touched)
    if len(read) == len(data):
        return None
    return Plan(base=base.id, read=read, total=len(data))


def _inside(file: Path, root: Path) -> str:
    """``file``'s path inside the package at ``root`` (its name when it is not under it)."""
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return file.name


def _newest_release(engine: Engine):  # -> Row | None
    with engine.connect() as conn:
        return conn.execute(select(t.release).order_by(t.release.c.id.desc()).limit(1)).first()


def _files_of(engine: Engine, release_id: int) -> list[dict[str, object]]:
    f = t.release_file.c
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(f.path, f.sha256).where(f.release_id == release_id))]
