"""The reference data commands (areas, groups) end to end, on a temporary SQLite store."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sdgbridge.reference import PACKAGED_FRAMEWORK
from tests.helpers import cli_output, refused


def test_groups_and_areas(store: Path) -> None:
    assert "Group ARAL: 2 areas (398, 860)." in cli_output("groups", "define", "ARAL", "Aral",
                                                           "KAZ", "UZB")
    assert "Uzbekistan" in cli_output("areas", "--group", "ARAL")
    assert "ARAL" in cli_output("groups", "list", "--format", "csv")


def test_framework_show_lists_targets_then_their_indicators(store: Path) -> None:
    rows = list(csv.reader(io.StringIO(cli_output("framework", "show", "--goal", "6", "--lang",
                                                  "ru", "--format", "csv"))))
    assert rows[0] == ["code", "level", "title"]
    assert rows[1] == ["6.1", "target", packaged_title("sdg_targets.csv", "6.1", "ru")]
    assert rows[2] == ["6.1.1", "indicator", packaged_title("sdg_indicators.csv", "6.1.1", "ru")]
    assert rows[1][2].startswith("К 2030 году")
    codes = [r[0] for r in rows[1:]]
    assert codes[-2:] == ["6.b", "6.b.1"] and len(codes) == 8 + 11
    targets = cli_output("framework", "show", "--goal", "6", "--level", "target",
                         "--format", "csv").splitlines()[1:]
    assert [r.split(",")[0] for r in targets] == ["6.1", "6.2", "6.3", "6.4", "6.5", "6.6",
                                                   "6.a", "6.b"]


def test_framework_show_refuses_unknown_goals_and_languages(store: Path) -> None:
    assert refused("framework", "show", "--goal", "18") == (
        "No SDG goal '18': the goals are 1 to 17.")
    assert refused("framework", "show", "--lang", "uz") == (
        "--lang 'uz': choose one of en, ru, kk, ky, tg, tk, uk, de.")
    assert refused("framework", "show", "--level", "goal") == (
        "--level goal: choose target or indicator.")


def packaged_title(name: str, code: str, lang: str) -> str:
    with open(PACKAGED_FRAMEWORK / name, encoding="utf-8", newline="") as f:
        return next(r[f"title_{lang}"] for r in csv.DictReader(f) if r["id"] == code)
