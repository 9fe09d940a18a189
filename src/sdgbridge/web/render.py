"""Frames to JSON and CSV responses: dates as ISO strings, NaN as null."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response


def json_safe(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with NaN in float columns replaced by null."""
    floats = [c for c, dt in df.schema.items() if dt.is_float()]
    return df.with_columns(pl.col(floats).fill_nan(None)) if floats else df


def rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``df`` as JSON-ready dicts."""
    return jsonable_encoder(json_safe(df).to_dicts())


def table(df: pl.DataFrame, total: int | None = None) -> dict[str, Any]:
    """``{"ok": true, "total": n, "rows": [...]}``; ``total`` defaults to the row count."""
    return {"ok": True, "total": df.height if total is None else total, "rows": rows(df)}


def csv_response(df: pl.DataFrame, total: int | None = None) -> Response:
    """``df`` as text/csv; the unpaged row count in ``X-Total-Count``."""
    headers = {"X-Total-Count": str(df.height if total is None else total)}
    return Response(json_safe(df).write_csv(), media_type="text/csv; charset=utf-8",
                    headers=headers)
