"""IATI activity files: safe parsing, the root check, schema validation, and reading files
ahead of the extraction in :mod:`.parse`.

Files are parsed safely (no DTD, no entities: :func:`sdgbridge.xml.parse_xml`) and
validated against the IATI 2.03 activity schema; a schema error inside an activity becomes
a Rejection of that activity (libxml2's path of the error says which), one outside every
activity refuses the file.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from sdgbridge.errors import InputError, Rejection
from sdgbridge.xml import parse_xml, parser

PREFETCH = 2  # files parsed and validated ahead of the extraction (see checked_trees)
# libxml2's path of a schema error's node (no [n] when the file has a single activity).
_ERROR_PATH = re.compile(r"^/iati-activities/iati-activity(?:\[(\d+)\])?(?:/(.*))?$")
# A file read: its path, tree, schema errors by activity index, and sha256 (hex).
Checked = tuple[Path, etree._ElementTree, dict[int, list[Rejection]], str]

def read_tree(path: Path) -> etree._ElementTree:
    """Parse ``path`` safely and check that it is an IATI 2.0x activity file."""
    tree = parse_xml(path)  # refuses DTDs and entities anywhere; broken XML -> InputError
    root = tree.getroot()
    qname = etree.QName(root)
    if root.tag == "iati-activities":
        if not (root.get("version") or "2").startswith("1"):
            return tree
        what = f"an IATI {root.get('version')} file (only IATI 2.0x is read)"
    elif qname.localname == "iati-activities":  # right name, wrong namespace
        what = f"<iati-activities> in namespace {qname.namespace}, but IATI has no namespace"
    elif qname.localname == "iati-organisations":
        what = "an IATI organisation file, not an activity file"
    else:
        what = f"<{root.tag}>, not an IATI activity file (<iati-activities>)"
    raise InputError(f"{path}:{root.sourceline}: the root element is {what}. Give IATI 2.0x "
                     "activity files only (fetch them again from the IATI Registry).")


def _schema(path: Path) -> etree.XMLSchema:
    """The IATI activity schema, loaded once per resolved path and thread (a schema's error
    log is not safe to share between threads validating at once)."""
    return _thread_schema(path, threading.get_ident())


@lru_cache(maxsize=8)
def _thread_schema(path: Path, thread: int) -> etree.XMLSchema:
    try:
        return etree.XMLSchema(etree.parse(str(path), parser()))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise InputError(f"{path}: cannot load the IATI activity schema ({exc}). Point at "
                         "iati-activities-schema.xsd, beside iati-common.xsd and xml.xsd.") from exc


def validate_schema(path: Path, schema_path: Path) -> list[Rejection]:
    """Schema errors of ``path``, one Rejection per error inside an ``iati-activity``; an
    error outside every activity (the root, a stray element) raises InputError."""
    found = _schema_errors(read_tree(path), path, schema_path)
    return [r for rejections in found.values() for r in rejections]


def _schema_errors(tree: etree._ElementTree, path: Path,
                   schema_path: Path) -> dict[int, list[Rejection]]:
    """Schema errors by the index of the activity they fall in."""
    schema = _schema(Path(schema_path).resolve())
    if schema.validate(tree):
        return {}
    spans = _activity_spans(tree.getroot())
    found: dict[int, list[Rejection]] = {}
    for err in schema.error_log:
        where = _locate(err, spans)
        if where is None:
            raise InputError(f"{path}:{err.line}: not a valid IATI activity file outside its "
                             f"activities ({err.message}). Fetch it again from its publisher.")
        found.setdefault(where[0], []).append(
            Rejection(str(path), err.line, where[1], f"schema: {err.message}"))
    return found


def _activity_spans(root: etree._Element) -> list[tuple[int, int]]:
    """(first line, last element line) of each activity, for errors that carry no path."""
    return [(act.sourceline, max(el.sourceline for el in act.iter()))
            for act in root.iterchildren("iati-activity")]


def _locate(err: Any, spans: list[tuple[int, int]]) -> tuple[int, str] | None:
    """(activity index, field) of a schema error, or None when outside every activity."""
    if err.path:
        match = _ERROR_PATH.match(err.path)
        return (int(match.group(1) or 1) - 1, match.group(2) or "iati-activity") \
            if match else None
    # No path: fall back to the line ranges (on one-line files the first activity wins).
    hits = [i for i, (first, last) in enumerate(spans) if first <= err.line <= last]
    return (hits[0], "iati-activity") if hits else None


def _read_checked(path: Path, schema_path: Path | None) -> Checked:
    tree = read_tree(path)
    # The checksum the import records, off the main thread, in one read and one hash call
    # (fewer GIL hand-offs than file_digest's loop over 256 KiB chunks).
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return path, tree, _schema_errors(tree, path, schema_path) if schema_path else {}, sha256


def checked_trees(paths: list[Path], schema_path: Path | None) -> Iterator[Checked]:
    """Each file parsed, validated and checksummed, in order. The next files are read in one
    background thread while the caller extracts rows from the current one: libxml2 parses
    and validates with the GIL released, so that work overlaps the Python extraction as
    long as the reading thread gets the GIL back promptly at each hand-back: the import
    shortens the switch interval meanwhile (``iati._quick_switching``). At most
    ``PREFETCH`` trees wait in memory; errors surface in file order, as inline."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="iati-read") as pool:
        pending: deque[Future[Checked]] = deque(
            pool.submit(_read_checked, p, schema_path) for p in paths[:PREFETCH])
        following = iter(paths[PREFETCH:])
        try:
            while pending:
                done = pending.popleft().result()
                for path in itertools.islice(following, 1):
                    pending.append(pool.submit(_read_checked, path, schema_path))
                yield done
        finally:
            for future in pending:
                future.cancel()

