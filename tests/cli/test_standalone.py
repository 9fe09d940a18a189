"""The package on its own: in an empty folder with no ``../shared`` and no settings, the first
command creates the store with the geography, the groups and the SDG framework it ships, so
``ingest`` then ``assess`` work at once; ``python -m sdgbridge`` runs the same command line."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import IATI_ACTIVITIES, ROOT, SPECIMENS, cli_output, derived_slice

SERIES = ("EG_ACS_ELEC", "SH_H2O_SAFE", "SI_POV_DAY1", "SH_STA_STNT")


@pytest.fixture
def alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the working folder, with no sdgbridge setting in the environment."""
    folder = tmp_path / "work"
    folder.mkdir()
    for name in [n for n in os.environ if n.startswith("SDGBRIDGE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("COLUMNS", "200")
    assert not (folder.parent / "shared").exists()
    return folder


def test_ingest_then_assess_in_an_empty_folder(alone: Path) -> None:
    data = derived_slice(alone.parent / "unsd.csv", SERIES)
    assert "Release 1" in cli_output("ingest", str(data))
    rows = list(csv.DictReader(io.StringIO(cli_output("assess", "--method", "unsd",
                                                      "--format", "csv"))))
    assert {r["area"] for r in rows} == {"4", "398", "417", "762", "795", "860"}
    assert {r["area_name"] for r in rows} == {"Afghanistan", "Kazakhstan", "Kyrgyzstan",
                                               "Tajikistan", "Turkmenistan", "Uzbekistan"}
    assert {r["goal"] for r in rows} == {"1", "2", "6", "7"}
    assert sorted(p.name for p in alone.iterdir())[0] == "sdgbridge.db"


def test_python_dash_m_runs_the_command_line_in_an_empty_folder(alone: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    shown = subprocess.run([sys.executable, "-m", "sdgbridge", "framework", "show", "--goal",
                            "6", "--lang", "ru", "--level", "target", "--format", "csv"],
                           capture_output=True, text=True, env=env, check=True)
    rows = list(csv.reader(io.StringIO(shown.stdout)))
    assert [r[0] for r in rows[1:]] == ["6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.a", "6.b"]
    assert rows[4][2].startswith("К 2030 году существенно повысить эффективность")


def test_projects_import_checks_files_with_the_shipped_schema(alone: Path) -> None:
    shown = cli_output("projects", "import", str(IATI_ACTIVITIES))
    assert "5 activities read, 5 new" in shown and "0 rejected" in shown
    bad = cli_output("projects", "import", "--partial", str(SPECIMENS / "iati" / "invalid"))
    assert "2 activities read, 0 new, 0 changed, 0 unchanged, 2 rejected" in bad
    assert "not expected" in (alone / "iati.rejected.csv").read_text(encoding="utf-8")
