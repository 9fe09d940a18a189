"""`sdgbridge report …` (issue 18): a profile written as HTML or PDF, named by country and
language; a bad format refused with what to write."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import cli_output, refused


def test_a_profile_on_the_command_line(store: Path) -> None:
    out = cli_output("report", "country", "KGZ", "--lang", "ru", "--format", "html")
    assert "Profile written to sdg-profile-kgz-ru.html" in out
    html = (store / "sdg-profile-kgz-ru.html").read_text(encoding="utf-8")
    assert "Профиль ЦУР: Кыргызстан" in html and "Источники и методы" in html
    assert "region.pdf (" in cli_output(
        "report", "region", "--out", str(store / "region.pdf"))
    assert (store / "region.pdf").read_bytes().startswith(b"%PDF-")
    assert "give pdf or html" in refused("report", "country", "KGZ", "--format", "docx")
