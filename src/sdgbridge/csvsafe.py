"""CSV a spreadsheet opens as data, never as formulas (issue 13, finding 5).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as
a formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK(…)`` in an IATI organisation's
name). As the OWASP guidance on CSV injection says, such a cell is written with a single quote
before it (``'=HYPERLINK(…)``): the spreadsheet shows the text. Only text cells: numbers
(a column of numbers, or a text cell that is a plain number such as ``-1.5``) are written as
they are, so a negative value stays a number.

Every CSV that sdgbridge writes for people goes through :func:`write_csv` (the command line's
``--format csv`` and ``--out x.csv``, ``sdgbridge export``, the rejected rows' and activities'
files, the API's ``format=csv``). The Excel exports are safe already (cells are typed).
Files sdgbridge writes to read back itself (the SDG API cache of ``sdgbridge sync``, the
packaged reference tables) keep their values as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import polars as pl

FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def neutralised(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with every text cell that a spreadsheet would run as a formula prefixed with a
    single quote; other columns and cells unchanged."""
    text = [c for c, dt in df.schema.items() if dt == pl.String or isinstance(
        dt, pl.Categorical | pl.Enum)]
    if not text:
        return df
    return df.with_columns(_cell(c) for c in text)


def _cell(name: str) -> pl.Expr:
    col = pl.col(name).cast(pl.String)
    risky = col.str.contains(FORMULA_START) & ~col.str.contains(PLAIN_NUMBER)
    return pl.when(risky).then(pl.lit("'") + col).otherwise(col).alias(name)


def write_csv(df: pl.DataFrame, file: str | Path | IO[bytes] | IO[str] | None = None,
              **options: Any) -> str | None:
    """:meth:`polars.DataFrame.write_csv` of :func:`neutralised` ``df`` (the text, when no
    ``file`` is given)."""
    return neutralised(df).write_csv(file, **options)
