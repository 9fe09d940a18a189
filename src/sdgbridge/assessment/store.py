"""Assessment runs and their results in the store, with provenance.

A run records the method, its parameter file (version and content, plus
``headline_rules_sha256``, the digest of the headline rules table the input was read with),
the sha256 of the target table, the areas, the data releases the observations came from,
and a sha256 over the results: re-running on the same inputs gives the same results and the
same digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine, insert, select

from sdgbridge import audit
from sdgbridge.assessment.model import RESULT_COLUMNS
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound

STORED = ("series", "area", "status", "scale", "base_year", "base_value", "latest_year",
          "latest_value", "n_points", "target", "direction", "projected_2030")


@dataclass
class Assessment:
    """One method run: the results and what they were computed from."""

    method: str
    params: dict[str, object]
    results: pl.DataFrame
    areas: list[str]
    releases: list[int]
    targets_sha256: str
    as_of: int | None = None
    run_id: int | None = field(default=None)
    published: bool = False  # set by save(..., publish=True)

    @property
    def params_version(self) -> str:
        return str(self.params.get("version", ""))

    @property
    def results_sha256(self) -> str:
        """A digest of the results (row order and float formatting fixed)."""
        ordered = self.results.sort("series", "area")
        return hashlib.sha256(ordered.write_csv(float_precision=12).encode()).hexdigest()


def _details(row: dict[str, object]) -> str | None:
    extra = {k: v for k, v in row.items() if k not in RESULT_COLUMNS}
    return json.dumps(extra, sort_keys=True, default=str) if extra else None


def save(engine: Engine, a: Assessment, *, publish: bool = False) -> int:
    """Store the run and its results; return the run id. ``publish``: the run is the one the
    pages and ``/assessments/latest`` show for its method (see
    :mod:`sdgbridge.assessment.current`)."""
    rows = a.results.sort("series", "area").to_dicts()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        run_id = conn.execute(insert(t.assessment_run).values(
            method=a.method, params_version=a.params_version,
            params=json.dumps(a.params, sort_keys=True, default=str),
            targets_sha256=a.targets_sha256, areas=json.dumps(a.areas),
            releases=json.dumps(a.releases), as_of=a.as_of, created_at=now,
            results_sha256=a.results_sha256, rows=len(rows), published_at=now if publish else None,
        ).returning(t.assessment_run.c.id)).scalar_one()
        if rows:
            conn.execute(insert(t.assessment_result), [
                {"run_id": run_id, **{k: r.get(k) for k in STORED}, "details": _details(r)}
                for r in rows])
        audit.record(conn, "published" if publish else "saved", "assessment_run", run_id,
                     after={"method": a.method, "params_version": a.params_version,
                            "areas": a.areas, "releases": a.releases, "as_of": a.as_of,
                            "rows": len(rows), "results_sha256": a.results_sha256,
                            "published": publish})
    a.run_id, a.published = run_id, publish
    return run_id


def runs(engine: Engine) -> pl.DataFrame:
    r = t.assessment_run.c
    with engine.connect() as conn:
        return pl.read_database(select(r.id, r.method, r.params_version, r.created_at,
                                       r.rows, r.releases, r.as_of, r.results_sha256,
                                       r.published_at)
                                .order_by(r.id.desc()), conn)


def results(engine: Engine, run_id: int | None = None, method: str | None = None,
            details: bool = False) -> pl.DataFrame:
    """Stored results of a run (by default the latest run, of ``method`` if given);
    ``details``: with the method's own columns too (SDSN's scores, UNSD's growth rates)."""
    r, res = t.assessment_run.c, t.assessment_result.c
    with engine.connect() as conn:
        if run_id is None:
            stmt = select(r.id).order_by(r.id.desc()).limit(1)
            run_id = conn.execute(stmt.where(r.method == method) if method else stmt).scalar()
        if run_id is None:
            raise NotFound("No assessment has been run yet. Run `sdgbridge assess` first.")
        columns = [getattr(res, c) for c in STORED] + ([res.details] if details else [])
        stmt = select(*columns).where(res.run_id == run_id)
        df = pl.read_database(stmt.order_by(res.series, res.area), conn,
                              schema_overrides={"target": pl.Float64,
                                                "projected_2030": pl.Float64,
                                                "direction": pl.Utf8, "details": pl.Utf8})
    return _with_details(df) if details else df


def _with_details(df: pl.DataFrame) -> pl.DataFrame:
    """The method's own columns (kept as JSON in ``details``) back as columns: a stored
    run's results in the shape of a fresh run's."""
    extra = [json.loads(d) if d else {} for d in df["details"].to_list()]
    if not any(extra):
        return df.drop("details")
    more = pl.DataFrame(extra, infer_schema_length=None)
    return pl.concat([df.drop("details"), more.select(
        [c for c in more.columns if c not in df.columns])], how="horizontal")
