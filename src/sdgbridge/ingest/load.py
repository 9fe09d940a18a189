"""Ingest = read → validate → merge into the store as one release, in one transaction.

A release records the source, the files' checksums and the counts (read, loaded, rejected,
unchanged, superseded, removed, repeated: rows that repeat another input row exactly).
Merging compares each incoming observation with the current one of the same key (series,
area, period, dimensions, units) within the (series, area) pairs the input covers: new keys are
inserted; a changed value or attribute inserts a new row and
marks the old one ``superseded_by`` the release; a key the input no longer has is marked
removed the same way. Nothing is deleted, so ``--as-of`` reads any past state. When nothing
changes the transaction is rolled back: re-ingesting identical input writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, insert, select, update

from sdgbridge import audit
from sdgbridge.csvsafe import write_csv
from sdgbridge.db import tables as t
from sdgbridge.db.bulk import bulk_transaction
from sdgbridge.db.values import render_value
from sdgbridge.errors import IngestRejected, InputError, Rejection
from sdgbridge.files import fingerprint, public_name
from sdgbridge.ingest.incremental import plan_release
from sdgbridge.ingest.merge import MergeCounts, merge_observations
from sdgbridge.ingest.model import ATTRIBUTES, OBS_COLUMNS, Batch, Reader
from sdgbridge.ingest.registry import get_reader
from sdgbridge.ingest.validate import drop_repeats, validate
from sdgbridge.ingest.write import has_current, insert_observations, map_dimension_sets, map_series
from sdgbridge.outputs import output_path
from sdgbridge.reference.geography import declare_areas
from sdgbridge.timing import timed

Progress = Callable[[str, int, int], None]
RELEASE_COUNTS = ("rows_read", "rows_loaded", "rows_unchanged", "rows_superseded",
                  "rows_removed", "rows_rejected", "rows_repeated", "series", "areas")
MERGE_KEY = ["series_id", "area_code", "period", "dims_id", "units"]


@dataclass
class IngestReport:
    release_id: int | None
    source: str
    reader: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_unchanged: int = 0
    rows_superseded: int = 0
    rows_removed: int = 0
    rows_repeated: int = 0  # exact repeats of another input row, merged into it
    series: int = 0
    areas: int = 0
    rejects_file: Path | None = None
    # An incremental release (:mod:`sdgbridge.ingest.incremental`): the data files read, of
    # how many, the others identical to release ``files_base``'s. None: the whole input.
    files_read: int | None = None
    files_total: int | None = None
    files_base: int | None = None

    @property
    def changed(self) -> bool:
        return bool(self.rows_loaded or self.rows_removed)


def read_all(reader: Reader, path: Path, progress: Progress | None = None,
             only: frozenset[Path] | None = None) -> Batch:
    """Read every batch (of the data files ``only``, if given) and combine them into one."""
    frames, series, areas, rejections = [], [], [], []
    codelists: dict[str, frozenset[str]] = {}
    total = max(reader.expected_batches(path, only), 1)
    batches = reader.read(path) if only is None else reader.read_files(path, only)
    for i, batch in enumerate(batches, start=1):
        frames.append(batch.observations)
        series.append(batch.series)
        areas += batch.areas
        rejections += batch.rejections
        for k, v in batch.codelists.items():
            codelists[k] = codelists.get(k, frozenset()) | v
        if progress:
            progress("read", min(i, total), total)
    if progress:
        progress("read", total, total)
    obs = pl.concat(frames, how="vertical") if frames else pl.DataFrame(
        schema=dict.fromkeys(OBS_COLUMNS, pl.Utf8))
    ser = _merge_series(pl.concat(series, how="vertical"))
    return Batch(obs, ser, areas, codelists, rejections)


def _merge_series(ser: pl.DataFrame) -> pl.DataFrame:
    """One row per (code, publisher); a series met under several indicators keeps them all."""
    inds = (ser.select("code", "publisher", pl.col("indicators").str.split(","))
            .explode("indicators").drop_nulls("indicators").unique()
            .group_by("code", "publisher").agg(pl.col("indicators").sort().str.join(",")))
    first = ser.drop("indicators").unique(["code", "publisher"], keep="first",
                                          maintain_order=True)
    return first.join(inds, on=["code", "publisher"], how="left").select(ser.columns)


@timed("ingest")
def ingest(engine: Engine, path: Path, *, fmt: str | None = None, source: str | None = None,
           partial: bool = False, rejects_path: Path | None = None,
           progress: Progress | None = None, reader: Reader | None = None) -> IngestReport:
    """Load ``path`` as a new release. Raises IngestRejected (writing nothing) when any row
    fails validation, unless ``partial``: then the valid rows load and the rejected ones are
    written with their reasons to ``rejects_path``."""
    reader = reader or get_reader(path, fmt)
    if partial and rejects_path is not None:
        output_path(rejects_path, "rejected rows' file")  # refused now, not after reading
    files = reader.files(path)
    if not files:
        raise InputError(f"{path}: nothing here that the {reader.name} reader reads; check the "
                         "path, or --format (`sdgbridge ingest --help` lists the formats).")
    not_files = [f for f in files if not f.is_file()]
    if not_files:
        raise InputError(f"{not_files[0]}: not a file (a folder, or missing): the "
                         f"{reader.name} reader expects a file here; check the path or --format.")
    digest, entries = fingerprint(files)
    same = _latest_if_same(engine, digest)
    if same is not None:  # the newest release read these very files: nothing can differ
        return IngestReport(None, source or reader.default_source(path), reader.name,
                            rows_read=same.rows_read, rows_unchanged=same.rows_loaded
                            + same.rows_unchanged, rows_rejected=same.rows_rejected)
    plan = plan_release(engine, reader, path, entries, partial)
    if plan is not None and not plan.read:  # only files no observation comes from changed
        return IngestReport(None, source or reader.default_source(path), reader.name,
                            files_read=0, files_total=plan.total, files_base=plan.base)
    batch = read_all(reader, path, progress, plan.read if plan else None)
    with engine.connect() as conn:
        known = list(conn.execute(select(t.area.c.code)).scalars())
    known = sorted(set(known) | {str(a["code"]) for a in batch.areas})
    observations, repeats, duplicates = drop_repeats(batch.observations)
    valid, rejected = validate(observations, known, batch.codelists, duplicates)
    n_rejected = rejected.height + len(batch.rejections)
    report = IngestReport(None, source or reader.default_source(path), reader.name,
                          rows_read=batch.observations.height + len(batch.rejections),
                          rows_rejected=n_rejected, rows_repeated=repeats)
    if plan is not None:
        report.files_read, report.files_total = len(plan.read), plan.total
        report.files_base = plan.base
    if n_rejected and not partial:
        raise IngestRejected(batch.rejections + [
            _rejection(r) for r in rejected.head(1000).iter_rows(named=True)])
    if n_rejected:
        report.rejects_file = _write_rejects(_with_reader_rejections(rejected, batch),
                                             rejects_path, path)
    with bulk_transaction(engine) as conn:
        _merge(conn, batch, valid, report, digest, entries, str(path), partial, progress)
        if not report.changed:
            conn.rollback()  # identical to what is stored: leave no trace
            report.release_id = None
    return report


def _latest_if_same(engine: Engine, digest: str):
    """The newest release, if it was made from files with this fingerprint."""
    with engine.connect() as conn:
        latest = conn.execute(select(t.release).order_by(t.release.c.id.desc()).limit(1)).first()
    return latest if latest is not None and latest.fingerprint == digest else None


def _rejection(row: dict[str, object]) -> Rejection:
    return Rejection(str(row["_file"]), str(row["_line"]), str(row["field"]),
                     str(row["message"]))


def _with_reader_rejections(rejected: pl.DataFrame, batch: Batch) -> pl.DataFrame:
    if not batch.rejections:
        return rejected
    extra = pl.DataFrame([{"_file": r.file, "_line": str(r.line), "field": r.field,
                           "message": r.message} for r in batch.rejections])
    return pl.concat([extra, rejected], how="diagonal")


def _write_rejects(rejected: pl.DataFrame, target: Path | None, source: Path) -> Path:
    out = output_path(target or Path(f"{source.name}.rejected.csv"), "rejected rows' file")
    cols = ["_file", "_line", "field", "message"] + [
        c for c in rejected.columns if c not in ("_file", "_line", "field", "message")]
    write_csv(rejected.select(cols).rename({"_file": "file", "_line": "line"}), out)
    return out


def _merge(conn: Connection, batch: Batch, valid: pl.DataFrame, report: IngestReport,
           digest: str, entries: list[dict[str, object]], location: str, partial: bool,
           progress: Progress | None) -> None:
    release_id = conn.execute(insert(t.release).values(
        source=report.source, reader=report.reader, location=location, fingerprint=digest,
        created_at=datetime.now(UTC), partial=partial, rows_read=report.rows_read,
        rows_rejected=report.rows_rejected, rows_repeated=report.rows_repeated)
        .returning(t.release.c.id)).scalar_one()
    report.release_id = release_id
    conn.execute(insert(t.release_file), [{"release_id": release_id, **e} for e in entries])
    declare_areas(conn, batch.areas)
    series_ids = map_series(conn, batch.series, valid)
    incoming = _prepare(valid, series_ids, map_dimension_sets(conn, valid["dims"]))
    report.series = incoming["series_id"].n_unique()
    report.areas = incoming["area_code"].n_unique()
    if has_current(conn, incoming["series_id"].unique().to_list()):
        counts = merge_observations(conn, incoming, release_id)
        if progress:
            progress("merge", incoming.height, incoming.height)
    else:  # nothing stored yet for these series: a plain bulk insert
        insert_observations(conn, incoming.with_columns(pl.lit(release_id).alias("release_id")),
                            progress)
        counts = MergeCounts(loaded=incoming.height, superseded=0, removed=0, unchanged=0)
    report.rows_loaded, report.rows_unchanged = counts.loaded, counts.unchanged
    report.rows_superseded, report.rows_removed = counts.superseded, counts.removed
    conn.execute(update(t.release).where(t.release.c.id == release_id).values(
        rows_loaded=counts.loaded, rows_unchanged=counts.unchanged,
        rows_superseded=counts.superseded, rows_removed=counts.removed))
    audit.record(conn, "created", "release", release_id, after={
        "source": report.source, "reader": report.reader, "location": public_name(location),
        "partial": partial, **{k: getattr(report, k) for k in RELEASE_COUNTS}})


def _prepare(valid: pl.DataFrame, series_ids: pl.DataFrame, dims_ids: pl.DataFrame
             ) -> pl.DataFrame:
    """Incoming rows in the observation table's shape."""
    df = (valid.join(series_ids, on=["series", "publisher"], how="left")
          .join(dims_ids, on="dims", how="left"))
    value = pl.col("value").str.strip_chars().cast(pl.Float64, strict=False)
    df = df.with_columns(
        value.alias("value_num"),
        pl.col("area").alias("area_code"),
        pl.col("units").fill_null(""),
        pl.col("period").str.slice(0, 4).cast(pl.Int32).alias("year"),
        pl.col("lower_bound").cast(pl.Float64, strict=False),
        pl.col("upper_bound").cast(pl.Float64, strict=False),
    )
    # NaN is not stored as a float (SQLite turns it into NULL): its text is kept instead.
    df = df.with_columns(pl.col("value_num").fill_nan(None))
    plain = pl.col("value_num").is_not_null() & (render_value("value_num") == pl.col("value"))
    df = df.with_columns(
        pl.when(plain).then(pl.lit(None, pl.Utf8)).otherwise(pl.col("value")).alias("value_text"))
    return df.drop("value").rename({"value_num": "value"}).select(
        *MERGE_KEY, "year", "value", "value_text", *ATTRIBUTES)
