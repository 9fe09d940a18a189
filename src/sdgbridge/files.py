"""Input files identified by their contents: the checksums recorded with each data release
and each IATI import (re-reading the very same files can be skipped); and their names as
public answers show them (:func:`public_name`: never a server path, issue 13 finding 7)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import polars as pl

_FOLDERS = r"^.*[/\\]"  # everything up to the last / or \


def fingerprint(files: list[Path]) -> tuple[str, list[dict[str, object]]]:
    """sha256 of each file and one over all of them (names and contents)."""
    entries = []
    overall = hashlib.sha256()
    for f in sorted(files):
        h = hashlib.sha256()
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        entries.append({"path": str(f), "sha256": h.hexdigest(), "size": f.stat().st_size})
        overall.update(f.name.encode() + b"\0" + h.hexdigest().encode())
    return overall.hexdigest(), entries


def public_name(location: str | None) -> str | None:
    """What public answers show of a file that was read: its name (``slice.csv`` for
    ``/srv/data/slice.csv`` or ``..\\data\\slice.csv``), never the server's folders; a URL
    (``https://…``) as it is. The store keeps the whole path for the command line."""
    if location is None or "://" in location:
        return location
    return re.sub(_FOLDERS, "", location)


def public_names(column: str) -> pl.Expr:
    """:func:`public_name` of each value of a text ``column``."""
    col = pl.col(column).cast(pl.String)  # an empty frame's column may be of type Null
    return pl.when(col.str.contains("://", literal=True)).then(col).otherwise(
        col.str.replace(_FOLDERS, "")).alias(column)
