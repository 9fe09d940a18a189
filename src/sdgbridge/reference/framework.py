"""The SDG global indicator framework: 17 goals, 169 targets, the indicators, in 8 languages.

Source: the official English and Russian wording (A/RES/71/313 and its annual refinements) and
the translations kept by the Open SDG national platforms (open-sdg/sdg-translations), shipped
with the package as CSV files in ``reference/data/`` (sources in its README); another folder of
files in the same layout can replace them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, delete, insert, select

from sdgbridge import audit
from sdgbridge.db import tables as t
from sdgbridge.errors import InputError

FRAMEWORK_LANGUAGES = ("en", "ru", "kk", "ky", "tg", "tk", "uk", "de")
FILES = {"goal": "sdg_goals.csv", "target": "sdg_targets.csv", "indicator": "sdg_indicators.csv"}
PACKAGED_FRAMEWORK = Path(__file__).parent / "data"
"""The framework files shipped with the package."""


@dataclass(frozen=True)
class FrameworkCounts:
    goals: int
    targets: int
    indicators: int
    unique_indicators: int
    titles: int


def _read(folder: Path, kind: str) -> pl.DataFrame:
    path = folder / FILES[kind]
    if not path.exists():
        raise InputError(
            f"{path}: SDG framework file not found. Give the folder holding sdg_goals.csv, "
            "sdg_targets.csv and sdg_indicators.csv (or set SDGBRIDGE_DATA_DIR)."
        )
    try:
        df = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.NoDataError as exc:
        raise InputError(f"{path}: the file is empty; it needs the columns id and title_en "
                         "(and the other languages' titles).") from exc
    except (pl.exceptions.ComputeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable UTF-8 CSV ({exc}).") from exc
    missing = {"id", "title_en"} - set(df.columns)
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}.")
    return df


def _norm_title(title: str) -> str:
    return re.sub(r"[\s.;]+", " ", title.lower()).strip()


def _indicator_rows(df: pl.DataFrame) -> list[dict[str, object]]:
    first: dict[str, str] = {}
    rows = []
    for rec in df.iter_rows(named=True):
        code = rec["id"]
        key = _norm_title(rec["title_en"])
        same_as = first.setdefault(key, code)
        rows.append(
            {
                "code": code,
                "goal": code.split(".")[0],
                "target": code.rsplit(".", 1)[0],
                "title_en": rec["title_en"],
                "title_ru": rec.get("title_ru"),
                "same_as": None if same_as == code else same_as,
                "in_framework": True,
            }
        )
    return rows


def _titles(kind: str, df: pl.DataFrame) -> list[dict[str, object]]:
    out = []
    for rec in df.iter_rows(named=True):
        for lang in FRAMEWORK_LANGUAGES:
            title = rec.get(f"title_{lang}")
            if title:
                out.append({"kind": kind, "code": rec["id"], "lang": lang, "title": title,
                            "short": rec.get(f"short_{lang}")})
    return out


def load_framework(engine: Engine, folder: Path = PACKAGED_FRAMEWORK) -> FrameworkCounts:
    """Replace the framework tables with the files in ``folder`` (by default the ones shipped
    with the package), in one transaction.

    Indicator codes that data already refer to but the framework lacks stay, marked
    ``in_framework = false``.
    """
    goals, targets, inds = (_read(folder, k) for k in ("goal", "target", "indicator"))
    ind_rows = _indicator_rows(inds)
    with engine.begin() as conn:
        linked = set(conn.execute(select(t.series_indicator.c.indicator).distinct()).scalars())
        for table in (t.framework_title, t.indicator, t.target, t.goal):
            conn.execute(delete(table))
        conn.execute(insert(t.goal), [
            {"code": r["id"], "title_en": r["title_en"], "title_ru": r.get("title_ru"),
             "short_en": r.get("short_en"), "short_ru": r.get("short_ru")}
            for r in goals.iter_rows(named=True)])
        conn.execute(insert(t.target), [
            {"code": r["id"], "goal": r["id"].split(".")[0], "title_en": r["title_en"],
             "title_ru": r.get("title_ru")} for r in targets.iter_rows(named=True)])
        conn.execute(insert(t.indicator), ind_rows)
        _add_unknown_indicators(conn, linked - {r["code"] for r in ind_rows})
        titles = [*_titles("goal", goals), *_titles("target", targets), *_titles("indicator", inds)]
        conn.execute(insert(t.framework_title), titles)
        counts = FrameworkCounts(
            goals=goals.height,
            targets=targets.height,
            indicators=len(ind_rows),
            unique_indicators=sum(1 for r in ind_rows if r["same_as"] is None),
            titles=len(titles),
        )
        audit.record(conn, "loaded", "framework", folder.name, after=asdict(counts))
    return counts


def _add_unknown_indicators(conn, codes: set[str]) -> None:
    """Indicator codes seen in data but not in the framework (deleted or renumbered)."""
    known = set(conn.execute(select(t.indicator.c.code)).scalars())
    rows = [
        {"code": c, "goal": c.split(".")[0], "target": c.rsplit(".", 1)[0],
         "title_en": f"{c} (not in the loaded SDG framework)", "in_framework": False}
        for c in sorted(codes - known)
    ]
    if rows:
        conn.execute(insert(t.indicator), rows)


def ensure_indicators(conn, codes: set[str]) -> None:
    """Called by ingests: record indicator codes the data uses that the framework lacks."""
    _add_unknown_indicators(conn, codes)
