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
from sqlalchemy import Engine, select

from sdgbridge.assessment.inputs import load_targets
from sdgbridge.assessment.run import assess
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound

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


def kpi_status(engine: Engine, kpi: dict[str, Any], method: str = "unsd") -> pl.DataFrame:
    """One KPI's status in each of its countries (:data:`COLUMNS`), by ``method``."""
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
                     targets=table, publisher=kpi["publisher"])
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


def roadmap_kpis(engine: Engine, roadmap_key: str, method: str = "unsd") -> pl.DataFrame:
    """Every KPI of the roadmap in each of its countries, with its commitment's key."""
    r, c, k = t.roadmap.c, t.commitment.c, t.kpi.c
    with engine.connect() as conn:
        rid = conn.execute(select(r.id).where(r.key == roadmap_key)).scalar()
        if rid is None:
            raise NotFound(N_("No roadmap {key}; `sdgbridge roadmaps list` lists them."),
                           key=roadmap_key)
        kpis = [dict(x._mapping) for x in conn.execute(
            select(t.kpi, c.key.label("commitment")).join(t.commitment, c.id == k.commitment_id)
            .where(c.roadmap_id == rid).order_by(c.position, k.position))]
    frames = [kpi_status(engine, kpi, method).with_columns(
        pl.lit(kpi["commitment"]).alias("commitment")) for kpi in kpis]
    schema = {"commitment": pl.Utf8, **COLUMNS}
    return pl.concat(frames, how="vertical_relaxed").select(list(schema)) if frames else \
        pl.DataFrame(schema=schema)
