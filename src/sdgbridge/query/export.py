"""Write a query result as CSV, Parquet or Excel."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sdgbridge.csvsafe import write_csv
from sdgbridge.errors import SdgBridgeError
from sdgbridge.outputs import output_path

FORMATS = ("csv", "parquet", "xlsx")


def export_frame(df: pl.DataFrame, path: Path, fmt: str | None = None) -> Path:
    """Write ``df`` to ``path``; the format comes from ``fmt`` or the file suffix."""
    if path.is_dir():
        raise SdgBridgeError(f"Cannot export to {path}: it is a folder; give a file name, "
                             f"e.g. {path / 'observations.csv'}.")
    suffix = path.suffix.lstrip(".").lower()
    if fmt and fmt.lower() not in FORMATS:
        raise SdgBridgeError(f"--format {fmt!r}: choose {', '.join(FORMATS)}.")
    if fmt and suffix in FORMATS and suffix != fmt.lower():
        raise SdgBridgeError(f"Cannot export to {path}: the name says {suffix} but the format "
                             f"asked for is {fmt}; make them agree.")
    fmt = (fmt or suffix).lower()
    if fmt not in FORMATS:
        raise SdgBridgeError(
            f"Cannot export to {path}: unknown format {fmt!r}; end the file name in "
            f"{', '.join('.' + f for f in FORMATS)}."
        )
    path = output_path(path, "export")
    if fmt == "csv":
        write_csv(df, path)
    elif fmt == "parquet":
        df.write_parquet(path)
    else:
        df.write_excel(path, worksheet="observations", autofit=False)
    return path
