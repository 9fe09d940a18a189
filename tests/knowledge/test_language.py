"""Language detection, offline, on the official SDG target texts in eight languages (the copy
that ships in the package)."""

from __future__ import annotations

import csv

import pytest

from sdgbridge.knowledge.language import detect_language
from sdgbridge.reference import PACKAGED_FRAMEWORK

TARGETS = PACKAGED_FRAMEWORK / "sdg_targets.csv"
LANGUAGES = ("en", "ru", "kk", "ky", "tg", "tk", "uk", "de")


@pytest.fixture(scope="module")
def targets() -> list[dict[str, str]]:
    with TARGETS.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_target_text_is_recognised(targets, lang):
    found = [detect_language(row[f"title_{lang}"]) for row in targets]
    assert len(found) == 169
    assert [row["id"] for row, code in zip(targets, found, strict=True) if code != lang] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_short_openings_of_targets(targets, lang):
    """The first six words of each target ("By 2030, end hunger and ensure"): at least
    93 % right (measured: en 159, ru 168, kk 169, ky 169, tg 167, tk 169, uk 169, de 167 of
    169), the rest mostly None (undecided) rather than a wrong language."""
    openings = [" ".join(row[f"title_{lang}"].split()[:6]) for row in targets]
    found = [detect_language(text) for text in openings]
    assert sum(code == lang for code in found) >= 0.93 * 169
    assert sum(code not in (lang, None) for code in found) <= 2


@pytest.mark.parametrize(("text", "lang"), [
    # Uzbek has no file in the shared data; these are written here (Latin and Cyrillic).
    ("2030 yilga qadar hamma joyda barcha odamlar uchun o‘ta qashshoqlikni yo‘q qilish.", "uz"),
    ("Barqaror rivojlanish maqsadlari bo'yicha milliy hisobot tayyorlandi.", "uz"),
    ("Барқарор ривожланиш мақсадлари бўйича миллий ҳисобот тайёрланди.", "uz"),
    ("Ensure availability and sustainable management of water and sanitation for all.", "en"),
    ("Обеспечение наличия и рационального использования водных ресурсов.", "ru"),
])
def test_sentences(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", ["", "   ", "Да", "ok", "6.1.1", "12345 67890 (2030)",
                                  "--- *** ---", "Hello"])
def test_too_short_or_no_language_gives_none(text):
    assert detect_language(text) is None


def test_long_document_is_judged_on_its_opening():
    text = "Обеспечение наличия и рационального использования водных ресурсов. " * 200
    assert detect_language(text + "Clean water and sanitation for all. " * 10) == "ru"
