"""`sdgbridge coordination …` on the D-Portal files: money by period with the negative
transactions explained, budgets, the UN entities, the overlaps, a portfolio; bad periods
refused with a message (issue 15)."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import SHARED, cli_output, refused

pytestmark = pytest.mark.shared_data
DPORTAL = SHARED / "iati" / "dportal"


@pytest.fixture
def dportal(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SDGBRIDGE_IATI_CODELISTS")  # the complete lists shipped
    out = cli_output("projects", "import", str(DPORTAL))
    assert "508 activities read, 508 new, 0 changed, 0 unchanged, 0 rejected" in out
    assert "158 optional part(s) of 51 activities broke the IATI schema" in out
    return store


def test_money_by_period(dportal: Path) -> None:
    out = cli_output("coordination", "money", "--from", "2020", "--to", "2021",
                     "--country", "AF")
    assert "Money per country and year, 2020–2021" in out
    assert "Negative transactions: reversals and corrections" in out  # then what each means
    assert "reversal" in out.split("Negative transactions")[1]
    table = pl.read_csv(io.StringIO(cli_output(
        "coordination", "money", "--from", "2020", "--to", "2021", "--format", "csv")))
    assert set(table["year"]) == {2020, 2021}
    assert set(table["country"]) == {"KZ", "KG", "TJ", "TM", "UZ", "AF"}  # the region's
    assert table.filter(pl.col("country") == "AF")["disbursement_usd"].sum() > 1e7
    assert "Budgets per country and year" in cli_output("coordination", "budgets")
    assert "The period 2024-2020 is not a span of years" in refused(
        "coordination", "money", "--from", "2024", "--to", "2020")


def test_un_entities_overlaps_and_a_portfolio(dportal: Path) -> None:
    un = pl.read_csv(io.StringIO(cli_output("coordination", "un", "--country", "KG",
                                            "--format", "csv")))
    undp = un.filter(pl.col("entity") == "XM-DAC-41114").row(0, named=True)
    assert undp["entity_name"] == "United Nations Development Programme"
    assert undp["country"] == "KG" and undp["projects"] >= 1
    overlaps = cli_output("coordination", "overlaps")
    assert "pairs worth a look" in overlaps
    assert "records are one publisher's versions of the same activity" in overlaps
    portfolio = cli_output("coordination", "portfolio", "XM-DAC-41114", "--from", "2020")
    assert "United Nations Development Programme (XM-DAC-41114)" in portfolio
    assert "Works with" in portfolio
    assert "No organisation 'XX-NOBODY'" in refused("coordination", "portfolio", "XX-NOBODY")
