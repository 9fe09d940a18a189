"""The reference data commands (areas, groups) end to end, on a temporary SQLite store."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import cli_output


def test_groups_and_areas(store: Path) -> None:
    assert "Group ARAL: 2 areas (398, 860)." in cli_output("groups", "define", "ARAL", "Aral",
                                                           "KAZ", "UZB")
    assert "Uzbekistan" in cli_output("areas", "--group", "ARAL")
    assert "ARAL" in cli_output("groups", "list", "--format", "csv")
