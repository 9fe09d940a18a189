"""`sdgbridge assess`, `trend` and `gaps` end to end, on a temporary SQLite store."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sdgbridge.cli import app
from sdgbridge.config import Settings
from sdgbridge.web.app import create_app
from tests.helpers import SHARED, cli_output, derived_slice, refused

SERIES = ("EG_ACS_ELEC", "SH_H2O_SAFE", "EG_FEC_RNEW", "SI_POV_DAY1")


def test_cli_assess_and_gaps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("SDGBRIDGE_DATA_DIR", str(SHARED))
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(derived_slice(tmp_path / "s.csv",
                                                          SERIES))]).exit_code == 0
    out = runner.invoke(app, ["assess", "--method", "unsd", "--level", "series",
                              "--areas", "KAZ", "--format", "csv"])
    assert out.exit_code == 0, out.output
    table = pl.read_csv(out.output.encode())
    assert table.filter(pl.col("series") == "EG_ACS_ELEC")["status"].item() == \
        "On track or target met"
    heat = runner.invoke(app, ["assess", "--areas", "CARSDG", "--format", "csv",
                               "--heatmap", str(tmp_path / "goals.svg")])
    assert heat.exit_code == 0, heat.output
    assert "Kazakhstan" in (tmp_path / "goals.svg").read_text(encoding="utf-8")
    chart = runner.invoke(app, ["trend", "--series", "EG_ACS_ELEC", "--area", "KGZ",
                                "--out", str(tmp_path / "trend.png")])
    assert chart.exit_code == 0, chart.output
    assert (tmp_path / "trend.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    gaps = runner.invoke(app, ["gaps", "--areas", "KAZ", "--level", "goal", "--format", "csv"])
    assert gaps.exit_code == 0, gaps.output
    assert "share_with_data" in gaps.output.splitlines()[0]
    wrong = runner.invoke(app, ["gaps", "--areas", "KAZ", "--level", "country"])
    assert wrong.exit_code != 0  # main() prints the message of the SdgBridgeError
    assert "choose series, indicator, target or goal" in str(wrong.exception)


PAGES = ["/", "/?lang=ru", "/?method=escap", "/?method=sdsn", "/?method=opensdg",
         "/country/KAZ", "/country/TJK?lang=ru", "/coordination",
         "/indicator?series=SI_POV_DAY1", "/indicator?series=EG_ACS_ELEC&area=KGZ"]


def _pages(store: Path) -> dict[str, bytes]:
    settings = Settings(database_url=f"sqlite:///{store / 'cli.db'}")
    with TestClient(create_app(settings)) as client:
        return {path: client.get(path).content for path in PAGES}


def test_an_ad_hoc_assessment_leaves_the_region_pages_as_they_were(store: Path) -> None:
    cli_output("ingest", str(derived_slice(store / "s.csv", SERIES)))
    before = _pages(store)
    shown = cli_output("assess", "--method", "unsd", "--level", "series", "--series",
                       "SI_POV_DAY1")
    assert "; not stored (--store keeps it, --publish shows it on the pages)" in shown
    assert "stored as assessment run 1" in cli_output("assess", "--method", "unsd", "--level",
                                                      "series", "--series", "SI_POV_DAY1",
                                                      "--store")
    cli_output("assess", "--method", "escap", "--areas", "KAZ", "--store")
    assert _pages(store) == before
    published = cli_output("assess", "--method", "unsd", "--publish")
    assert "stored as assessment run 3 and published" in published
    home = " ".join(_pages(store)["/"].decode().split())
    assert "Published assessment run 3 of " in home and "data releases 1)" in home


def test_publish_takes_the_whole_table_for_the_whole_region(store: Path) -> None:
    cli_output("ingest", str(derived_slice(store / "s.csv", SERIES)))
    assert refused("assess", "--publish", "--series", "SI_POV_DAY1", "--as-of", "1") == (
        "--publish takes the whole target table for the whole region: leave out --series, "
        "--as-of, or store the run without --publish.")
    assert refused("assess", "--publish", "--areas", "KAZ", "--areas", "KGZ") == (
        "--publish needs every country of the region CARSDG: leave --areas out or include "
        "CARSDG.")
    wider = cli_output("assess", "--publish", "--areas", "CARSDG", "--areas", "RUS")
    assert "and published" in wider


def test_cli_recomputes_the_shipped_tables(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """world-table, escap-benchmarks and sdsn-regional-means write files in the shipped
    tables' formats from the store they run on (here a slice of the region)."""
    from sdgbridge.assessment.benchmarks import load_benchmarks
    from sdgbridge.assessment.world import load_world

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(derived_slice(tmp_path / "s.csv",
                                                          SERIES))]).exit_code == 0
    out = runner.invoke(app, ["world-table", "--out", str(tmp_path / "world.csv")])
    assert out.exit_code == 0, out.output
    world = load_world(tmp_path / "world.csv")
    assert set(world["series"]) == set(SERIES)
    assert world.filter(pl.col("series") == "EG_ACS_ELEC")["upper_limit"].item() == 100.0
    first = (tmp_path / "world.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# sdgbridge world table: 4 series, from release 1:")
    bench = runner.invoke(app, ["escap-benchmarks", "--out", str(tmp_path / "bench.csv")])
    assert bench.exit_code == 0, bench.output
    assert load_benchmarks(tmp_path / "bench.csv").height > 0
    means = runner.invoke(app, ["sdsn-regional-means", "--out", str(tmp_path / "means.csv")])
    assert means.exit_code == 0, means.output
    assert "for profile sdr-2025" in means.output
    assert (tmp_path / "means.csv").read_text(encoding="utf-8").startswith(
        "# sdgbridge regional goal means for profile sdr-2025")


def test_goal_profile_chooses_the_series_the_roll_up_counts(store: Path) -> None:
    """``--goal-profile`` (a shipped name or a folder) decides which series count in the
    displayed goal figures; the run itself is the same. A method's own profile is refused."""
    cli_output("ingest", str(derived_slice(store / "s.csv", SERIES)))
    folder = store / "mine"
    folder.mkdir()
    (folder / "profile.toml").write_text('name = "mine"\nversion = "mine.1"\nmethod = "unsd"\n'
                                         'title = "Electricity only"\n', encoding="utf-8")
    (folder / "series.csv").write_text(
        "series,goal,counts,reason\nEG_ACS_ELEC,7,yes,access\n"
        "EG_FEC_RNEW,7,no,not in this chart\n", encoding="utf-8")

    def goal7(*extra: str) -> int:
        shown = cli_output("assess", "--areas", "KAZ", "--format", "csv", *extra)
        table = pl.read_csv(shown.encode())
        return int(table.filter(pl.col("goal").cast(pl.Utf8) == "7")["coverage"].item())

    assert goal7() == goal7("--goal-profile", "unsd-progress-chart") == 2
    assert goal7("--goal-profile", str(folder)) == 1
    title = cli_output("assess", "--areas", "KAZ", "--goal-profile", "unsd-progress-chart")
    assert "goal profile unsd-progress-chart-2022.1" in title
    assert "goal profile sdg-goals-" in cli_output("assess", "--areas", "KAZ")
    assert refused("assess", "--goal-profile", "sdr-2025").endswith(
        "the profile is for method 'sdsn', not 'unsd'.")
    assert refused("assess", "--goal-profile", "nowhere").startswith("No profile 'nowhere'")
