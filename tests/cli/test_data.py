"""The SDG data commands end to end (ingest, sync, releases, query, export, status), on a
temporary SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from sdgbridge.cli import app
from tests.helpers import SHARED, cli_output, derived_slice
from tests.ingest.test_sync import RecordedApi, api  # noqa: F401  (the recorded SDG API)

runner = CliRunner()



def test_ingest_query_export(store: Path) -> None:
    data = derived_slice(store / "slice.csv", ("EG_ACS_ELEC", "SI_POV_DAY1"))
    out = cli_output("ingest", str(data), "--source", "UNSD 2023-12 slice")
    assert "Release 1 — UNSD 2023-12 slice [sdg_api]" in out
    rows = json.loads(cli_output("query", "--series", "EG_ACS_ELEC", "--areas", "KAZ",
                                 "--from", "2021", "--to", "2021", "--dim", "location=ALLAREA",
                                 "--format", "json"))
    assert [(r["area"], r["period"], r["value_text"]) for r in rows] == [("398", "2021", "100")]
    cli_output("export", "out.parquet", "--indicator", "7.1.1")
    cli_output("export", "out.xlsx", "--indicator", "7.1.1")
    cli_output("export", "out.csv", "--indicator", "7.1.1")
    pq, csv = pl.read_parquet(store / "out.parquet"), pl.read_csv(store / "out.csv",
                                                                  infer_schema=False)
    assert pq.height == csv.height > 0
    assert pq["value_text"].to_list() == csv["value_text"].to_list()
    xl = pl.read_excel(store / "out.xlsx")
    assert xl.height == pq.height


def test_reingest_reports_no_change(store: Path) -> None:
    data = derived_slice(store / "slice.csv", ("EG_ACS_ELEC",))
    cli_output("ingest", str(data))
    out = cli_output("ingest", str(data))
    assert "No change: the input is identical to the stored data" in out
    listing = cli_output("releases", "--format", "csv")
    assert len(listing.strip().splitlines()) == 2  # header + one release


def test_errors_exit_1_with_a_message(store: Path) -> None:
    result = runner.invoke(app, ["query", "--series", "NOPE_X"])
    assert result.exit_code != 0
    assert isinstance(result.exception, Exception)
    assert "No series NOPE_X in the store" in str(result.exception)


@pytest.mark.shared_data
def test_status_shows_headline_table(store: Path) -> None:
    cli_output("ingest", str(SHARED / "sdg" / "derived" /
                             "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv"))
    out = cli_output("status")
    assert "CARSDG: 52,049 current observations of 511 series for 6 areas, 1960–2023" in out
    assert "EG_ACS_" in out and "PERCENT" in out


def test_cli_sync_fetches_and_loads_a_release(api: RecordedApi, tmp_path: Path,  # noqa: F811
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """`sdgbridge sync` end to end: the recorded API, the cache, then a release."""
    monkeypatch.chdir(tmp_path)
    for name, value in {"DATABASE_URL": f"sqlite:///{tmp_path / 'sync.db'}",
                        "API_URL": f"{api.url}/sdgapi", "API_PAGE_SIZE": "2",
                        "CACHE_DIR": str(tmp_path / "cache"),
                        "DATA_DIR": str(Path(__file__).resolve().parents[2].parent / "shared"
                                        / "data")}.items():
        monkeypatch.setenv(f"SDGBRIDGE_{name}", value)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    args = ["sync", "--series", "SI_POV_DAY1", "--areas", "AFG", "--areas", "KAZ",
            "--areas", "KGZ"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Release 1 — UNSD SDG API [sdg_api]" in first.output
    assert "read 3  loaded 3  unchanged 0" in first.output
    again = runner.invoke(app, args)  # served from the cache, identical: no new release
    assert "No change: the input is identical to the stored data" in again.output
