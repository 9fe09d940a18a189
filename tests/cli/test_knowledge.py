"""`sdgbridge docs …` end to end on a temporary SQLite store (hashing embedder)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from sdgbridge.cli import app
from tests.helpers import SHARED
from tests.knowledge.test_align import PLAN

runner = CliRunner()
PRACTICE = ("# Drip irrigation in Sughd\n\nFarmers in Sughd replaced furrow irrigation with "
            "drip lines and cut water use by a third while yields grew.\n")


@pytest.fixture
def store(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line's store (``conftest.py``), with the hashing embedder."""
    monkeypatch.setenv("SDGBRIDGE_EMBEDDER", "hashing")
    return store


def run(*args: str, code: int = 0) -> str:
    """The output; for a failing command, the output and the error `main` would print."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    error = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.output + (f"Error: {error}" if error else "")


def test_add_list_show_search_remove(store: Path) -> None:
    (store / "sughd.md").write_text(PRACTICE, encoding="utf-8")
    out = run("docs", "add", "sughd.md", "--org", "FAO", "--country", "TJ", "--year", "2022",
              "--no-tag")
    assert "Added document 1: 'Drip irrigation in Sughd' (1 chunk(s), language en)" in out
    out = run("docs", "add", "--text", "Снижение потерь воды при орошении в Ферганской долине.",
              "--kind", "report", "--title", "Потери воды", "--no-tag")
    assert "Added document 2: 'Потери воды' (1 chunk(s), language ru)" in out
    assert "Duplicate: sughd.md: The same text is already stored as document 1; nothing was " \
           "written." in run("docs", "add", "sughd.md", "--no-tag")
    rows = json.loads(run("docs", "list", "--format", "json"))
    assert [(r["id"], r["kind"], r["language"], r["chunks"]) for r in rows] == [
        (1, "practice", "en", 1), (2, "report", "ru", 1)]
    shown = run("docs", "show", "1")
    assert "organisation: FAO" in shown and "countries: 762" in shown
    hits = json.loads(run("docs", "search", "irrigating fields", "--json"))
    assert hits[0]["document_id"] == 1 and "<mark>irrigation</mark>" in hits[0]["snippet"]
    assert [h["document_id"] for h in json.loads(run(
        "docs", "search", "water", "--country", "TJK", "--json"))] == [1]
    table = run("docs", "search", "--like", "1")
    assert "Потери воды" in table
    assert "Removed document 2: 'Потери воды'." in run("docs", "remove", "2")
    assert "No document 2 in the knowledge base" in run("docs", "show", "2", code=1)


def test_tags_and_corrections_from_the_command_line(store: Path) -> None:
    water = ("Rural water supply systems were rehabilitated in the Fergana valley. Wells and "
             "pipes were repaired so that 12,000 families get safe drinking water.")
    out = run("docs", "add", "--text", water)  # tagged with SdgTagger(hashing)
    tags = out.split("tags: ")[1].strip()
    assert tags.startswith("SDG 6 (")
    run("docs", "tag", "1", "--remove", "6")
    assert run("docs", "show", "1").count("SDG 6") == 0
    retagged = run("docs", "tag", "1")  # the model again: goal 6 stays removed
    assert retagged.startswith("Document 1 tags: ") and "SDG 6" not in retagged
    run("docs", "remove", "1")
    run("docs", "add", "--text", PRACTICE, "--no-tag")
    out = run("docs", "tag", "2", "--set", "6.4", "--set", "2.4")
    assert out.strip() == "Document 2 tags: SDG 2 (1.00, user), 2.4 (1.00, user), SDG 6 (1.00, " \
                          "user), 6.4 (1.00, user)"
    out = run("docs", "tag", "2", "--remove", "2")
    assert out.strip() == "Document 2 tags: SDG 6 (1.00, user), 6.4 (1.00, user)"
    assert "correction: remove 2" in run("docs", "show", "2")


def test_bad_input_exits_with_the_reason(store: Path) -> None:
    (store / "empty.txt").write_text("   \n", encoding="utf-8")
    (store / "ok.txt").write_text("Women's cooperatives sell felt products in Naryn.",
                                  encoding="utf-8")
    out = run("docs", "add", "empty.txt", "ok.txt", "--no-tag", code=1)
    assert "Failed: " in out and "empty.txt" in out
    assert "Added document 1" in out
    out = run("docs", "add", "--text", "x y z", "--kind", "poem", code=1)
    assert "kind 'poem' is not one of practice" in out
    assert "Give a QUERY or --like" in run("docs", "search", code=1)


def test_align_command_writes_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SDGBRIDGE_DATA_DIR", str(SHARED))
    monkeypatch.setenv("SDGBRIDGE_EMBEDDER", "hashing")
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "plan.md").write_text(PLAN, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["docs", "align", "plan.md", "--out", "ria.csv"])
    assert result.exit_code == 0, result.output
    assert "Not addressed (" in result.output and "Wrote the 169-target table" in result.output
    table = pl.read_csv(tmp_path / "ria.csv")
    assert table.height == 169
    assert table.filter(pl.col("target") == "6.1")["covered"][0] is True
    assert table.filter(pl.col("target") == "6.1")["title"][0].startswith("By 2030")
