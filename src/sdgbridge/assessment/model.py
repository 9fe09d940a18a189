"""The frames the assessment methods take and return.

Input ``obs``: one row per series × area × year (a single disaggregation already chosen,
normally the headline one), columns ``series`` (str), ``area`` (str), ``year`` (Int64),
``value`` (Float64, no nulls).

Input ``targets``: one row per series, columns ``series`` (str), ``direction`` (str:
``higher`` or ``lower`` is better), ``target`` (Float64, the 2030 value; null = no
quantitative target), ``source`` (str: where the target comes from).

Output of a method: one row per series × area, columns :data:`RESULT_COLUMNS` (a method may
add its own columns after these), ``status`` in the method's own vocabulary and
``scale`` on the common four-step display scale (:data:`SCALE`).
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any

import polars as pl

from sdgbridge.errors import ConfigError

OBS_SCHEMA = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64}
TARGET_SCHEMA = {"series": pl.Utf8, "direction": pl.Utf8, "target": pl.Float64,
                 "source": pl.Utf8}
RESULT_COLUMNS = ("series", "area", "method", "params_version", "base_year", "base_value",
                  "latest_year", "latest_value", "n_points", "target", "direction",
                  "projected_2030", "status", "scale")
# The common display scale (domain.md): keep each method's own labels in ``status``.
SCALE = ("on track", "needs acceleration", "stagnating", "regressing", "insufficient data")
DIRECTIONS = ("higher", "lower")


def target_directions(obs: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """``series, direction, target`` for each series of ``obs``; refuses gaps and doubles."""
    wanted = targets.select("series", "direction", pl.col("target").cast(pl.Float64))
    valid = wanted.filter(pl.col("direction").is_in(DIRECTIONS))
    missing = sorted(set(obs["series"].unique()) - set(valid["series"]))
    if missing:
        raise ConfigError(
            f"No direction for series {', '.join(missing)}. Add a row per series to the "
            "targets table with direction 'higher' or 'lower' (target may be empty)."
        )
    if valid["series"].is_duplicated().any():
        raise ConfigError("The targets table has more than one row for a series; keep one.")
    return valid


def code_key(code: str) -> list[int]:
    """Goal, target and indicator codes in their natural order (2 < 16; 6.9 < 6.a)."""
    return [int(p) if p.isdigit() else 100 + ord(p[0]) for p in code.split(".")]


def read_params(name: str) -> dict[str, Any]:
    """A method's shipped parameter file ``assessment/params/<name>``, as data."""
    text = files("sdgbridge.assessment").joinpath("params", name).read_text(encoding="utf-8")
    return tomllib.loads(text)
