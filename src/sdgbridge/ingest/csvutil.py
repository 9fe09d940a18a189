"""Reading source CSV files strictly: all cells as text, errors that name the line."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from sdgbridge.errors import InputError


def _find_bad_line(path: Path) -> str:
    """Locate the first line that is not UTF-8 or has a different field count than the header."""
    raw = path.read_bytes()
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return (f"{path}:{lineno}: not UTF-8 (byte 0x{line[exc.start]:02x} at column "
                    f"{exc.start + 1}). Save the file as UTF-8 and load it again.")
    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""))
    width = None
    for row in reader:
        width = len(row) if width is None else width
        if row and len(row) != width:
            return (f"{path}:{reader.line_num}: {len(row)} fields where the header has {width}. "
                    "The file is broken (truncated or badly quoted); fetch it again.")
    return f"{path}: cannot be read as CSV. Check that it is a comma-separated UTF-8 file."


def _check_field_counts(path: Path, df: pl.DataFrame, lazy: bool = False) -> None:
    """Polars pads a short (truncated or ragged) row with nulls; find such rows.

    Unquoted files: the comma count must be (columns - 1) per line, a check done in C over
    the bytes. Quoted files are scanned with the csv module when the last column has a null
    (a short row always leaves the last column null).
    """
    raw = path.read_bytes().rstrip(b"\r\n")
    if b'"' not in raw:
        lines = raw.count(b"\n") + 1
        if raw.count(b",") != (df.width - 1) * lines:
            raise InputError(_find_bad_line(path))
    elif lazy or (df.height and df[df.columns[-1]].null_count()):
        message = _find_bad_line(path)
        if "fields where the header has" in message:
            raise InputError(message)


def read_text_csv(path: Path, required: Sequence[str] = (), what: str = "CSV") -> pl.DataFrame:
    """Read ``path`` with every cell as a string; add ``_line`` (file line numbers)."""
    try:
        df = pl.read_csv(path, infer_schema=False, encoding="utf8", raise_if_empty=True,
                         truncate_ragged_lines=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, UnicodeDecodeError,
            pl.exceptions.ShapeError) as exc:
        if isinstance(exc, pl.exceptions.NoDataError):
            raise InputError(f"{path}: the file is empty. Fetch it again.") from exc
        raise InputError(_find_bad_line(path)) from exc
    _check_field_counts(path, df)
    if "\ufeff" in (df.columns[0] if df.columns else ""):
        df = df.rename({df.columns[0]: df.columns[0].lstrip("\ufeff")})
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}:1: not a {what} file: missing column(s) {', '.join(missing)}. "
            f"Check the format (see `sdgbridge formats`) or pass the right --format."
        )
    if "\ufffd" in "".join(df.columns):
        raise InputError(_find_bad_line(path))
    return df.with_row_index("_line", offset=2).with_columns(pl.col("_line").cast(pl.Utf8))


def check_text_csv(path: Path, required: Sequence[str] = (), what: str = "CSV") -> list[str]:
    """Check a CSV file's header (the ``required`` columns) and field counts without parsing
    it; return the column names. Decoding errors are left to the parse."""
    with path.open("rb") as fh:
        head = fh.readline().decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r\n")
    columns = next(csv.reader([head])) if head else []
    if not columns:
        raise InputError(f"{path}: the file is empty. Fetch it again.")
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputError(
            f"{path}:1: not a {what} file: missing column(s) {', '.join(missing)}. "
            f"Check the format (see `sdgbridge formats`) or pass the right --format."
        )
    _check_field_counts(path, pl.DataFrame(schema=dict.fromkeys(columns, pl.Utf8)),
                        lazy=True)
    return columns


def csv_header(path: Path) -> set[str]:
    """The column names of a CSV file's first line (without reading the rest), for a reader's
    ``handles``."""
    with path.open("rb") as fh:
        head = fh.readline(65536).decode("utf-8-sig", "replace").strip()
    return {c.strip().strip('"') for c in head.split(",")}
