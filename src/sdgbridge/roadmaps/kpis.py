"""The status of a roadmap's key performance indicators, from the data, by the progress
methods' own rules: each KPI is assessed as its series would be (:func:`sdgbridge.assessment.
run.assess`, the chosen method with its shipped parameters and profile) against a target
table of one row, the KPI's: its direction and its target (a number, ``rel:FACTOR`` of each
country's baseline, or the method's own target when the KPI gives none). So a KPI without a
target of its own has exactly the status the method gives that series in that country, and
a new data release moves it.

The light of a KPI in a country: green on track, amber needs acceleration, red stagnating or
regressing, grey insufficient data (the Partnerships Platform's colours).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select

from sdgbridge.assessment.inputs import load_targets
from sdgbridge.assessment.run import assess
from sdgbridge.db import tables as t
from sdgbridge.roadmaps.queries import roadmap_id

LIGHTS = {"on track": "green", "needs acceleration": "amber", "stagnating": "red",
          "regressing": "red", "insufficient data": "grey"}
COLUMNS = {"kpi": pl.Utf8, "series": pl.Utf8, "country": pl.Utf8, "area": pl.Utf8,
           "status": pl.Utf8, "scale": pl.Utf8, "light": pl.Utf8, "base_year": pl.Int64,
           "base_value": pl.Float64, "latest_year": pl.Int64, "latest_value": pl.Float64,
           "target_value": pl.Float64, "projected_2030": pl.Float64, "releases": pl.Utf8}


def shipped_direction(series: str) -> str | None:
    """The direction the shipped target table gives ``series`` (None when it has none)."""
    table = load_targets()
    found = table.filter(pl.col("series") == series)["direction"]
    return str(found[0]) if found.len() else None


def _target_row(kpi: dict[str, Any]) -> dict[str, str]:
    """The KPI's row of a target table: its own target, else the shipped table's."""
    if kpi["target"]:
        return {"series": kpi["series"], "direction": kpi["direction"],
                "target": kpi["target"], "source": f"KPI {kpi['key']}"}
    table = load_targets()
    own = table.filter(pl.col("series") == kpi["series"])
    if own.height:
        row = own.row(0, named=True)
        target = (f"rel:{row['relative']}" if row.get("relative") is not None
                  else "" if row["target"] is None else repr(float(row["target"])))
        return {"series": kpi["series"], "direction": kpi["direction"] or row["direction"],
                "target": target, "source": str(row["source"])}
    return {"series": kpi["series"], "direction": kpi["direction"], "target": "",
            "source": f"KPI {kpi['key']}"}


def kpi_status(engine: Engine, kpi: dict[str, Any], method: str = "unsd",
               as_of: int | None = None) -> pl.DataFrame:
    """One KPI's status in each of its countries (:data:`COLUMNS`), by ``method``; with
    ``as_of``, as the store stood at that release."""
    a = t.area.c
    countries = [c for c in kpi["countries"].split(",") if c]
    with engine.connect() as conn:
        codes = dict(conn.execute(select(a.iso3, a.code).where(a.iso3.in_(countries))).all())
    if not codes:
        return pl.DataFrame(schema=COLUMNS)
    with tempfile.TemporaryDirectory(prefix="sdgbridge-kpi-") as folder:
        table = Path(folder) / "targets.csv"
        pl.DataFrame([_target_row(kpi)]).write_csv(table)
        run = assess(engine, method, list(codes.values()), series=[kpi["series"]],
                     targets=table, publisher=kpi["publisher"], as_of=as_of)
    iso3 = {code: iso for iso, code in codes.items()}
    res = run.results
    found = pl.DataFrame(schema=COLUMNS) if not res.height else res.select(
        pl.lit(kpi["key"]).alias("kpi"), "series",
        pl.col("area").replace_strict(iso3, default=None).alias("country"), "area", "status",
        "scale", pl.col("scale").replace_strict(LIGHTS, default="grey").alias("light"),
        "base_year", "base_value", "latest_year", "latest_value",
        pl.col("target").alias("target_value"), "projected_2030",
        pl.lit(",".join(str(r) for r in run.releases)).alias("releases"),
    ).cast(COLUMNS)  # type: ignore[arg-type]
    # a country the method could not assess (no headline values): grey, without a status
    missing = [c for c in countries if c in codes and c not in set(found["country"])]
    blank = pl.DataFrame({"kpi": kpi["key"], "series": kpi["series"], "country": missing,
                          "area": [codes[c] for c in missing], "light": "grey"},
                         schema={k: COLUMNS[k] for k in ("kpi", "series", "country", "area",
                                                         "light")})
    return pl.concat([found, blank], how="diagonal_relaxed").select(list(COLUMNS)
                                                                    ).sort("country")


CHANGES = {"previous_light": pl.Utf8, "previous_status": pl.Utf8, "changed_with": pl.Int64}


def with_change(engine: Engine, kpi: dict[str, Any], now: pl.DataFrame,
                method: str = "unsd") -> pl.DataFrame:
    """``now`` (:func:`kpi_status`) with what the latest release of the KPI's data changed:
    the light and status before that release (``previous_*``, as the store stood at the
    release before it), and ``changed_with``, that release's id where the light or the
    status moved. Nulls when the data came with one release only."""
    used = [int(r) for x in now["releases"].drop_nulls() for r in x.split(",") if r]
    prior = None
    if used:
        with engine.connect() as conn:
            prior = conn.execute(select(func.max(t.release.c.id)).where(
                t.release.c.id < max(used))).scalar()
    if prior is None:
        return now.with_columns(*(pl.lit(None, dtype=d).alias(c) for c, d in CHANGES.items()))
    before = kpi_status(engine, kpi, method, as_of=prior).select(
        "country", pl.col("light").alias("previous_light"),
        pl.col("scale").alias("previous_status"))
    moved = ((pl.col("light") != pl.col("previous_light"))
             | (pl.col("scale").fill_null("") != pl.col("previous_status").fill_null("")))
    return now.join(before, on="country", how="left").with_columns(
        pl.when(moved).then(pl.lit(max(used))).otherwise(None).cast(pl.Int64)
        .alias("changed_with"))


def roadmap_kpis(engine: Engine, roadmap_key: str, method: str = "unsd",
                 changes: bool = False) -> pl.DataFrame:
    """Every KPI of the roadmap in each of its countries, with its commitment's key; with
    ``changes``, what the latest release of each KPI's data changed (:func:`with_change`)."""
    c, k = t.commitment.c, t.kpi.c
    with engine.connect() as conn:
        rid = roadmap_id(conn, roadmap_key)
        kpis = [dict(x._mapping) for x in conn.execute(
            select(t.kpi, c.key.label("commitment")).join(t.commitment, c.id == k.commitment_id)
            .where(c.roadmap_id == rid).order_by(c.position, k.position))]
    frames = []
    for kpi in kpis:
        now = kpi_status(engine, kpi, method)
        if changes:
            now = with_change(engine, kpi, now, method)
        frames.append(now.with_columns(pl.lit(kpi["commitment"]).alias("commitment")))
    schema = {"commitment": pl.Utf8, **COLUMNS, **(CHANGES if changes else {})}
    return pl.concat(frames, how="vertical_relaxed").select(list(schema)) if frames else \
        pl.DataFrame(schema=schema)
