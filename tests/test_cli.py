"""The command line end to end, on a temporary SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from sdgbridge.cli import app
from sdgbridge.reference import PACKAGED_FRAMEWORK
from tests.helpers import IATI_CODELISTS, SHARED, derived_slice

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SDGBRIDGE_DATA_DIR", str(SHARED))
    monkeypatch.setenv("SDGBRIDGE_IATI_CODELISTS", str(IATI_CODELISTS))
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(app, ["init", "--framework", str(PACKAGED_FRAMEWORK)])
    assert result.exit_code == 0, result.output
    assert "SDG framework: 17 goals, 169 targets, 252 indicator codes" in result.output
    return tmp_path


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_ingest_query_export(store: Path) -> None:
    data = derived_slice(store / "slice.csv", ("EG_ACS_ELEC", "SI_POV_DAY1"))
    out = _run("ingest", str(data), "--source", "UNSD 2023-12 slice")
    assert "Release 1 — UNSD 2023-12 slice [sdg_api]" in out
    rows = json.loads(_run("query", "--series", "EG_ACS_ELEC", "--areas", "KAZ", "--from",
                           "2021", "--to", "2021", "--dim", "location=ALLAREA",
                           "--format", "json"))
    assert [(r["area"], r["period"], r["value_text"]) for r in rows] == [("398", "2021", "100")]
    _run("export", "out.parquet", "--indicator", "7.1.1")
    _run("export", "out.xlsx", "--indicator", "7.1.1")
    _run("export", "out.csv", "--indicator", "7.1.1")
    pq, csv = pl.read_parquet(store / "out.parquet"), pl.read_csv(store / "out.csv",
                                                                  infer_schema=False)
    assert pq.height == csv.height > 0
    assert pq["value_text"].to_list() == csv["value_text"].to_list()
    xl = pl.read_excel(store / "out.xlsx")
    assert xl.height == pq.height


def test_reingest_reports_no_change(store: Path) -> None:
    data = derived_slice(store / "slice.csv", ("EG_ACS_ELEC",))
    _run("ingest", str(data))
    out = _run("ingest", str(data))
    assert "No change: the input is identical to the stored data" in out
    listing = _run("releases", "--format", "csv")
    assert len(listing.strip().splitlines()) == 2  # header + one release


def test_errors_exit_1_with_a_message(store: Path) -> None:
    result = runner.invoke(app, ["query", "--series", "NOPE_X"])
    assert result.exit_code != 0
    assert isinstance(result.exception, Exception)
    assert "No series NOPE_X in the store" in str(result.exception)


@pytest.mark.shared_data
def test_status_shows_headline_table(store: Path) -> None:
    _run("ingest", str(SHARED / "sdg" / "derived" /
                       "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv"))
    out = _run("status")
    assert "CARSDG: 52,049 current observations of 511 series for 6 areas, 1960–2023" in out
    assert "EG_ACS_" in out and "PERCENT" in out


def test_groups_and_areas(store: Path) -> None:
    assert "Group ARAL: 2 areas (398, 860)." in _run("groups", "define", "ARAL", "Aral",
                                                     "KAZ", "UZB")
    assert "Uzbekistan" in _run("areas", "--group", "ARAL")
    assert "ARAL" in _run("groups", "list", "--format", "csv")


def test_projects_listings_leave_archived_out_unless_asked(store: Path) -> None:
    ref = "XM-DAC-41114"
    _run("orgs", "add", "--name", "UNDP", "--type", "40", "--ref", ref)
    _run("projects", "create", f"{ref}-1", "--title", "Clean water", "--org", ref,
         "--status", "2", "--country", "KZ", "--sector", "14030",
         "--planned-start", "2024-01-01")
    _run("projects", "archive", f"{ref}-1")
    listed = pl.read_csv(_run("projects", "list", "--format", "csv").encode())
    assert listed.height == 0
    both = pl.read_csv(_run("projects", "list", "--include-archived", "--format", "csv")
                       .encode())
    assert both["iati_identifier"].to_list() == [f"{ref}-1"]
    assert "--include-archived" in _run("projects", "3w", "--help")
    assert "--include-archived" in _run("projects", "flat", "--help")
