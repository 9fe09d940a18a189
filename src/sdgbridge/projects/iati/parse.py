"""Read IATI 2.0x activity files into the frames of :mod:`sdgbridge.projects.model`
(reading and validating the files themselves: :mod:`.files`; one activity's rows:
:mod:`.activity`).

Files are parsed safely (no DTD, no entities), validated against the IATI schema, and each
``iati-activity`` becomes rows of the frames, its codes checked against the IATI code lists.
An activity with any problem (schema, unknown code, bad number, conflicting duplicate) gets
Rejections and none of its rows are kept; an unreadable file raises InputError.

Quirks of real files handled here (see ``shared/data/iati/README.md``):

* US Government files put recipient country / region and sectors on each ``transaction``,
  not on the activity; both levels are read (:func:`recipient_countries` combines them).
* Publisher extensions in their own namespaces (``usg:treasury-account``, …) sit among the
  IATI elements; lookups by plain tag name skip them.
* Narratives carry ``xml:lang`` or inherit the activity's ``xml:lang``.
* The same activity is published in several files (registry records pointing at one URL).
* A ``vocabulary`` attribute left out means vocabulary 1 (IATI's rule), and is stored so.

Results (``result`` with its indicators, references and periods) are read by
:mod:`.results`, only for the activities that have any.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sdgbridge.errors import InputError
from sdgbridge.projects.iati.activity import Activity, Row, Rows
from sdgbridge.projects.iati.elements import first_child
from sdgbridge.projects.iati.files import checked_trees
from sdgbridge.projects.iati.severity import Dropped, triage
from sdgbridge.projects.model import FRAMES, IatiBatch

REQUIRED_LISTS = ("ActivityStatus", "TransactionType", "OrganisationRole", "OrganisationType",
                  "Country", "Region", "Sector", "Currency", "BudgetType", "BudgetStatus",
                  "ResultType", "IndicatorMeasure", "IndicatorVocabulary")
NOT_CONTENT = ("source_file", "line")
SWITCH_INTERVAL = 0.0002  # s, while reading (see _quick_switching); CPython's default: 0.005
Content = tuple[Row, Rows]


@dataclass
class ParsedBatch(IatiBatch):
    """An :class:`IatiBatch` plus what happened to duplicates and rejected activities."""

    duplicates_identical: int = 0  # later copies of an identifier, same content: skipped
    duplicates_conflicting: int = 0  # later copies with different content: rejected
    activities_rejected: int = 0  # one activity may have several rejections
    dropped: list[Dropped] = field(default_factory=list)  # optional parts left out
    file_sha256: dict[str, str] = field(default_factory=dict)  # of the files as read
    # The rows the frames were built from (tuples in FRAMES order; activities as dicts):
    # the store inserts these directly when it writes every row of a kind.
    rows: dict[str, list[Any]] = field(default_factory=dict, repr=False)


# ---------------------------------------------------------------- the batch

def parse_activities(paths: list[Path], codelists: dict[str, frozenset[str]],
                     schema_path: Path | None, strict: bool = False) -> ParsedBatch:
    """Parse IATI activity files into one :class:`ParsedBatch` (see the module docstring);
    ``schema_path`` None skips schema validation (the code checks still run). A schema error
    in an optional part drops that part (:mod:`.severity`) unless ``strict``, where any
    schema error refuses its activity."""
    missing = [name for name in REQUIRED_LISTS if name not in codelists]
    if missing:
        raise InputError(f"The IATI code lists {', '.join(missing)} are missing; load both the "
                         "embedded and the non-embedded IATI code lists.")
    batch = ParsedBatch(files=[str(p) for p in paths])
    rows: Rows = {kind: [] for kind in FRAMES}
    firsts: dict[str, tuple[str, int, Rows]] = {}
    with gc_paused(), _quick_switching():
        _parse_into(paths, codelists, schema_path, batch, rows, firsts, strict)
    batch.frames = {kind: _frame(rows[kind], schema) for kind, schema in FRAMES.items()}
    batch.rows = rows
    return batch


def _frame(rows: list[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows (dicts for activities, else tuples) into a frame, built column by column (a
    third faster than Polars' row-wise construction)."""
    if not rows:
        return pl.DataFrame(schema=schema)
    if isinstance(rows[0], dict):
        return pl.DataFrame({c: [row[c] for row in rows] for c in schema}, schema=schema)
    return pl.DataFrame(dict(zip(schema, map(list, zip(*rows, strict=True)), strict=True)),
                        schema=schema)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector off while rows are built and stored: the import makes about
    a million short-lived, acyclic objects (element proxies, strings, row tuples), and the
    collector's repeated passes over them cost a tenth of the parse, and a full pass when
    the rows are handed to the database another 0.07 s. Restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _quick_switching(interval: float = SWITCH_INTERVAL) -> Iterator[None]:
    """CPython's thread switch interval shortened while files are read and rows built: the
    reading thread of :func:`checked_trees` needs the GIL back many times per file, and at the
    default 5 ms each hand-back waits for the extraction's Python code to let go. Measured
    beside a busy Python thread, parsing the shared files took 1.10 s at 5 ms and 0.30 s at
    0.1 ms (0.21 s alone); the whole import, best of 5: 0.76 s at 5 ms, 0.74 s at 0.2 ms
    (medians 0.85 and 0.76). Restored afterwards, also on an error."""
    was = sys.getswitchinterval()
    sys.setswitchinterval(min(was, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(was)


def _parse_into(paths: list[Path], codelists: dict[str, frozenset[str]],
                schema_path: Path | None, batch: ParsedBatch, rows: Rows,
                firsts: dict[str, tuple[str, int, Rows]], strict: bool) -> None:
    for path, tree, invalid, sha256 in checked_trees(paths, schema_path):
        batch.file_sha256[str(path)] = sha256
        version = tree.getroot().get("version")
        for index, el in enumerate(tree.getroot().iterchildren("iati-activity")):
            errors = invalid.get(index)
            if errors and not strict:
                errors, dropped = triage(el, errors)
                batch.dropped += dropped
            if errors:  # not built: the rows of a schema-invalid activity are moot
                batch.rejections += errors
                batch.activities_rejected += 1
                continue
            _keep(Activity(el, path, version, codelists), firsts, batch, rows)


def _content(rows: Rows) -> Content:
    """Everything but where it was read from: equal content = the same activity."""
    row = {k: v for k, v in rows["activities"][0].items() if k not in NOT_CONTENT}
    return row, {k: v for k, v in rows.items() if k != "activities"}


def _keep(act: Activity, firsts: dict[str, tuple[str, int, Rows]],
          batch: ParsedBatch, rows: Rows) -> None:
    """Add the rows of ``act``, or skip it as a duplicate, or reject it. The content of the
    first copy of an identifier is only compared when a second copy turns up."""
    first = firsts.get(act.ident) if act.ident else None
    if first is not None and _content(first[2]) == _content(act.rows):
        batch.duplicates_identical += 1  # the same activity published in another file
        return
    if first is not None:
        batch.duplicates_conflicting += 1
        ident_el = first_child(act.kids, "iati-identifier")
        act.reject(act.el if ident_el is None else ident_el, "iati-identifier",
                   f"duplicate of {act.ident!r} at {first[0]}:{first[1]}, which differs; "
                   "the first one is kept")
    elif act.ident:
        firsts[act.ident] = (act.file, act.el.sourceline, act.rows)
    if act.rejections:
        batch.rejections += act.rejections
        batch.activities_rejected += 1
        return
    for kind, kind_rows in act.rows.items():
        rows[kind] += kind_rows


def recipient_countries(batch: IatiBatch) -> pl.DataFrame:
    """Each activity's recipient countries, declared on the activity or on its transactions
    (US Government files use transactions only); ``level`` says which."""
    declared = batch.frames["countries"].select(
        "iati_identifier", "code", level=pl.lit("activity"))
    from_transactions = batch.frames["transactions"].filter(pl.col("country").is_not_null()) \
        .select("iati_identifier", code=pl.col("country"), level=pl.lit("transaction"))
    return pl.concat([declared, from_transactions]).unique(maintain_order=True)
