"""Bad input on the command line ends in one clear message (what is wrong, what to do), never
a traceback, and before any work is stored. Found by a sweep of every command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from sdgbridge.cli import app, main
from sdgbridge.db import tables as t
from tests.helpers import SPECIMENS, cli_output, derived_slice, refused

runner = CliRunner()


@pytest.fixture
def loaded(store: Path) -> Path:
    """The command line's store (``tests/cli/conftest.py``) with two series loaded."""
    data = derived_slice(store / "slice.csv", ("EG_ACS_ELEC", "SI_POV_DAY1"))
    assert runner.invoke(app, ["ingest", str(data)]).exit_code == 0
    return store


def through_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                 *args: str) -> str:
    """What ``sdgbridge ARGS`` prints on standard error, exiting with 1."""
    monkeypatch.setattr(sys, "argv", ["sdgbridge", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "Traceback" not in err
    return " ".join(err.split())


def test_options_with_values_the_command_does_not_know(loaded: Path) -> None:
    assert refused("areas", "--format", "xml") == "--format 'xml': choose table, csv or json."
    assert refused("diff", "1", "1").startswith("Releases 1 and 1 are the same")
    assert "CARSDG is a group of 6" in refused("trend", "--series", "SI_POV_DAY1", "--area",
                                                "CARSDG", "--out", "t.png")
    usage = runner.invoke(app, ["serve", "--port", "99999"])
    assert usage.exit_code == 2 and "--port" in usage.output


def test_a_chart_that_cannot_be_written_stops_the_run_before_it_is_stored(loaded: Path) -> None:
    engine = create_engine(f"sqlite:///{loaded / 'cli.db'}")

    def runs() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(t.assessment_run)).scalar_one()

    before = runs()
    assert "must end in .png or .svg" in refused("assess", "--heatmap", "map.txt")
    (loaded / "charts").mkdir()
    assert "must end in .png or .svg" in refused("assess", "--heatmap", "charts")
    assert runs() == before
    out = runner.invoke(app, ["trend", "--series", "EG_ACS_ELEC", "--area", "KAZ", "--out",
                              str(loaded / "new" / "folder" / "t.svg")])
    assert out.exit_code == 0 and (loaded / "new" / "folder" / "t.svg").exists()


def test_a_group_cannot_take_an_area_code(loaded: Path) -> None:
    assert refused("groups", "define", "KAZ", "shadow", "KGZ") == (
        "Group code 'KAZ' is already the code of Kazakhstan (M49 398); choose another group "
        "code.")
    assert "use 2-32 Latin letters" in refused("groups", "define", "398", "x", "KGZ")
    assert "use 2-32 Latin letters" in refused("groups", "define", "MY G", "x", "KGZ")
    assert "give it a name" in refused("groups", "define", "ARAL", " ", "KAZ")


def test_inputs_of_the_wrong_kind(loaded: Path) -> None:
    (loaded / "empty").mkdir()
    assert "nothing here that the ddf reader reads" in refused(
        "ingest", "empty", "--format", "ddf")
    assert "the sdg_api reader expects a file here" in refused(
        "ingest", "empty", "--format", "sdg_api")
    (loaded / "other.xml").write_text("<a/>")
    assert "not an SDMX-ML message" in refused(
        "ingest", str(SPECIMENS / "sdmx" / "kyrgyzstan_nsc" / "1.1.1.xml"), "--structure",
        "other.xml")
    (loaded / "fw").mkdir()
    for name in ("sdg_goals.csv", "sdg_targets.csv", "sdg_indicators.csv"):
        (loaded / "fw" / name).write_text("")
    assert "sdg_goals.csv: the file is empty" in refused("framework", "load", "fw")


def test_paths_that_cannot_be_used(loaded: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    (loaded / "out").mkdir()
    assert "out: it is a folder" in through_main(
        monkeypatch, capsys, "export", "out", "--series", "SI_POV_DAY1", "--format", "csv")
    (loaded / "notes.txt").write_text("not a database")
    assert "file is not a database" in through_main(
        monkeypatch, capsys, "--db", f"sqlite:///{loaded / 'notes.txt'}", "status")
    monkeypatch.setenv("SDGBRIDGE_CONFIG", str(loaded / "out"))
    assert "the settings file is a folder" in through_main(monkeypatch, capsys, "settings")


def test_codes_no_framework_or_store_knows(loaded: Path) -> None:
    assert refused("query", "--goal", "99").startswith("No goal 99 in the SDG framework.")
    assert refused("query", "--target", "7.1", "--indicator", "1.1.99").startswith(
        "No indicator 1.1.99 in the SDG framework.")
    assert "EG_ACS_ELEC" in runner.invoke(app, ["query", "--goal", "7", "--areas", "KAZ",
                                                "--format", "csv"]).output
    engine = create_engine(f"sqlite:///{loaded / 'cli.db'}")
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.assessment_run)).scalar_one()
    assert refused("assess", "--series", "NOPE").startswith("No series NOPE (publisher UNSD)")
    assert refused("assess", "--publisher", "KAZSTAT").startswith(
        "No series of publisher 'KAZSTAT' in the store")
    with engine.connect() as conn:  # no empty run stored
        assert conn.execute(select(func.count()).select_from(t.assessment_run)
                            ).scalar_one() == before


def test_a_new_or_mistyped_store_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'typo.db'}")
    # A new store is created with its reference data, and says it holds no SDG data yet.
    assert cli_output("status").startswith("The store holds no SDG data yet: load some with "
                                           "`sdgbridge ingest PATH`")
    assert refused("init", "--framework", str(tmp_path / "nowhere")).startswith(
        f"--framework {tmp_path / 'nowhere'}: no such folder")


def test_options_that_would_be_ignored(loaded: Path) -> None:
    data = derived_slice(loaded / "more.csv", ("SH_H2O_SAFE",))
    assert refused("ingest", str(data), "--rejects", "r.csv").startswith(
        "--rejects names where --partial writes the rejected rows")
    assert refused("projects", "import", str(SPECIMENS / "iati"), "--rejects", "r.csv").startswith(
        "--rejects names where --partial writes the rejected activities")
    assert refused("docs", "tag", "1", "--set", "6.1", "--remove", "6.1") == (
        "6.1: both --set and --remove; give each code once.")


def test_assess_summary_as_one_json_document(loaded: Path) -> None:
    out = runner.invoke(app, ["assess", "--method", "sdsn", "--areas", "KAZ", "--summary",
                              "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["results"] and any(k.startswith("SDSN goal scores") for k in doc)
    assert "several tables" in refused("assess", "--summary", "--format", "csv")


def test_export_name_and_format_agree(loaded: Path) -> None:
    assert refused("export", "out.xlsx", "--series", "SI_POV_DAY1", "--format", "csv") == (
        "Cannot export to out.xlsx: the name says xlsx but the format asked for is csv; make "
        "them agree.")
    assert refused("export", "out.txt", "--series", "SI_POV_DAY1").endswith(
        "unknown format 'txt'; end the file name in .csv, .parquet, .xlsx.")
    ok = runner.invoke(app, ["export", "data", "--series", "SI_POV_DAY1", "--format", "csv"])
    assert ok.exit_code == 0 and (loaded / "data").read_text().startswith("series,")


def test_codes_in_upper_case_are_read_as_the_framework_writes_them(loaded: Path) -> None:
    both = runner.invoke(app, ["query", "--target", "7.1", "--target", "1.A", "--areas", "KAZ",
                               "--format", "csv"])
    assert both.exit_code == 0, both.output  # 1.A is target 1.a
    assert "EG_ACS_ELEC" in both.output
    assert refused("query", "--target", "1.Z").startswith("No target 1.Z in the SDG framework")
