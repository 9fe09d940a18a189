"""Write a query result as CSV, Parquet or Excel."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sdgbridge.errors import SdgBridgeError

FORMATS = ("csv", "parquet", "xlsx")


def export_frame(df: pl.DataFrame, path: Path, fmt: str | None = None) -> Path:
    """Write ``df`` to ``path``; the format comes from ``fmt`` or the file suffix."""
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise SdgBridgeError(
            f"Cannot export to {path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)} "
            "(by the file suffix or --format)."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        df.write_csv(path)
    elif fmt == "parquet":
        df.write_parquet(path)
    else:
        df.write_excel(path, worksheet="observations", autofit=False)
    return path
