"""`sdgbridge requests …` and `sdgbridge experts …`: the whole lifecycle of a request on the
command line, an illegal step refused with the states it may go to (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import cli_output, refused


def test_the_command_line_runs_the_lifecycle(store: Path) -> None:
    cli_output("experts", "add", "Aida Water", "aida@water.org", "--language", "ru",
               "--target", "6.4", "--country", "KGZ")
    out = cli_output("requests", "file", "--title", "Water use efficiency",
                     "--description", "Advice on 6.4.1.", "--country", "KGZ", "--body",
                     "Ministry of Water", "--target", "6.4", "--submit")
    assert out.strip() == "Request 1 filed (submitted)."
    assert "it cannot become delivered" in refused("requests", "move", "1", "delivered")
    cli_output("requests", "move", "1", "triaged")
    matched = cli_output("requests", "match", "1", "--propose", "1")
    assert "Aida Water" in matched and "works on 6.4" in matched
    for command in (("pick", "1", "expert", "1"), ("accept", "1"),
                    ("move", "1", "in_progress"), ("move", "1", "delivered"),
                    ("feedback", "1", "--rating", "5", "--text", "Useful")):
        cli_output("requests", *command)
    shown = cli_output("requests", "show", "1")
    assert "now closed" in shown and "feedback: 5/5 Useful" in shown
    assert "delivered -> closed by cli:" in shown


def test_a_file_is_attached_and_the_context_shown(store: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBRIDGE_EMBEDDER", "hashing")
    cli_output("requests", "file", "--title", "Water metering", "--description",
               "Metering irrigation water.", "--country", "KGZ", "--body", "Ministry",
               "--target", "6.4")
    terms = store / "terms.md"
    terms.write_text("# Terms of reference\n\nMetering irrigation water in Batken.\n",
                     encoding="utf-8")
    assert "terms.md is attached to request 1 (document 1)." in cli_output(
        "requests", "attach", "1", str(terms))
    assert "attachment terms.md (document 1, en" in cli_output("requests", "show", "1")
    shown = cli_output("requests", "context", "1")
    assert "6.4: no status (unsd)" in shown and "Partners' projects there" in shown
    assert "Practices from the region's other countries" in shown
