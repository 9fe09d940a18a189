"""Importing IATI files: find the files, parse and check them, store them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.errors import InputError
from sdgbridge.outputs import output_path
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.parse import gc_paused, parse_activities
from sdgbridge.projects.store import ImportReport, import_batch


def activity_files(paths: Sequence[Path]) -> list[Path]:
    """The XML files named, and every ``*.xml`` under the folders named."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.rglob("*.xml"))
        elif p.exists():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder.")
    if not files:
        raise InputError(f"No .xml files in {', '.join(map(str, paths))}.")
    return files


def import_files(engine: Engine, settings: Settings, paths: Sequence[Path],
                 partial: bool = False, rejects: Path | None = None,
                 progress: Callable[[str, int, int], None] | None = None,
                 strict: bool = False) -> ImportReport:
    """Import the IATI activity files in ``paths``: a schema error in an optional part drops
    that part (recorded with the import), one in a critical part refuses the activity; with
    ``strict`` any schema error refuses it. Refused activities fail the whole import unless
    ``partial``."""
    if partial and rejects is not None:
        output_path(rejects, "rejected activities' file")  # refused now, not after parsing
    files = activity_files(paths)
    if not settings.iati_schema.exists():
        raise InputError(f"{settings.iati_schema}: the IATI schema is not there; set "
                         "SDGBRIDGE_IATI_SCHEMA to iati-activities-schema.xsd (2.03).")
    with gc_paused():  # parse and store make many short-lived objects (see gc_paused)
        batch = parse_activities(files, load_codelists(settings.iati_codelists),
                                 settings.iati_schema, strict=strict)
        if progress:
            progress("parse", len(files), len(files))
        return import_batch(engine, batch, files, partial, rejects)
