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

import polars as pl

OBS_SCHEMA = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64}
TARGET_SCHEMA = {"series": pl.Utf8, "direction": pl.Utf8, "target": pl.Float64,
                 "source": pl.Utf8}
RESULT_COLUMNS = ("series", "area", "method", "params_version", "base_year", "base_value",
                  "latest_year", "latest_value", "n_points", "target", "direction",
                  "projected_2030", "status", "scale")
# The common display scale (domain.md): keep each method's own labels in ``status``.
SCALE = ("on track", "needs acceleration", "stagnating", "regressing", "insufficient data")
