"""Tables the package ships that need every country's data (the world table, ESCAP's
benchmarks, SDSN's regional means): written with a ``#`` header naming their source and the
command that remakes them, read back checked, and hashed for a run's provenance."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from sdgbridge.errors import InputError


def write_table(frame: pl.DataFrame, out: Path, header: str, command: str) -> None:
    """``frame`` as CSV after one ``#`` line: ``header``, the date and ``command``."""
    line = (f"# sdgbridge {header}, computed {date.today().isoformat()} by "
            f"`sdgbridge {command}`\n")
    out.write_text(line + frame.write_csv(float_precision=6), encoding="utf-8")


def read_table(source: Any, schema: dict[str, Any], columns: Sequence[str], what: str,
               command: str) -> pl.DataFrame:
    """The table at ``source`` (a path or a package resource) with ``columns``; errors name
    the file and say to run ``sdgbridge <command> --out FILE``."""
    remake = f"recompute it with `sdgbridge {command} --out FILE`."
    try:
        frame = pl.read_csv(source.read_bytes(), comment_prefix="#", schema_overrides=schema)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{source}: cannot read the {what} ({exc}); {remake}") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}; {remake}")
    return frame.select(columns)


def table_sha256(source: Any) -> str:
    """The sha256 of the table's bytes (kept with a run's parameters)."""
    return hashlib.sha256(source.read_bytes()).hexdigest()
