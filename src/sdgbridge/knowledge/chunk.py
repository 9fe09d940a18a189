"""Passages of a document for indexing: paragraph- then sentence-aware, with exact positions.

A chunk ends where a paragraph ends if that keeps it at least half full, else where a sentence
or line ends; a sentence longer than ``max_chars`` is split between words (a word longer than
that, at ``max_chars``). Consecutive chunks share up to ``overlap`` characters: whole
sentences where they fit, else whole words. Chunks tile the text: the first starts at 0, the
last ends at its end, each starts at or before the end of the one before, so every character
is in some chunk (the white space after a sentence belongs to the chunk that holds it).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from sdgbridge.knowledge.extract import ExtractedText

# Abbreviations after which a full stop does not end a sentence (English and Russian).
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st no nos fig vol art para e.g i.e etc vs approx incl jan feb mar apr "
    "jun jul aug sep sept oct nov dec "
    "г гг т д др пр ул им см ср стр рис млн млрд тыс руб долл т.е т.д т.п т.к напр ст п пп"
    .split())
_SENTENCE_END = re.compile(r"[.!?…]+[»\"”’')\]]*\s+")
_OPENERS = "«\"“„'([—–-•"
_LINE_START = re.compile(r"\n\s*")
_WORD_START = re.compile(r"(?<=\s)\S")
_WORD_BEFORE = re.compile(r"[\w.]*\w$")


@dataclass(frozen=True)
class Chunk:
    """A passage: ``doc.text[start:end] == text``; ``page`` is the page of ``start``."""

    ordinal: int
    text: str
    start: int
    end: int
    page: int


def chunk_text(doc: ExtractedText, *, max_chars: int = 1200, overlap: int = 150) -> list[Chunk]:
    """The document's text cut into passages of at most ``max_chars`` characters."""
    if max_chars < 2 or not 0 <= overlap < max_chars:
        raise ValueError(f"need max_chars >= 2 and 0 <= overlap < max_chars, not "
                         f"max_chars={max_chars}, overlap={overlap}")
    text = doc.text
    if not text.strip():
        return []
    cuts, paragraphs = boundaries(text, max_chars)
    spans = _spans(text, cuts, paragraphs, max_chars, overlap)
    return [Chunk(i, text[s:e], s, e, doc.page_at(s)) for i, (s, e) in enumerate(spans)]


def boundaries(text: str, max_chars: int) -> tuple[list[int], list[int]]:
    """Positions where a chunk may start or end (sorted, from 0 to len(text), never more
    than ``max_chars`` apart), and those of them that start a paragraph."""
    cuts, paragraphs = {0, len(text)}, set()
    for match in _SENTENCE_END.finditer(text):
        if match.end() < len(text) and _ends_sentence(text, match):
            cuts.add(match.end())
    for match in _LINE_START.finditer(text):
        if match.end() < len(text):
            cuts.add(match.end())
            if match.group().count("\n") >= 2:
                paragraphs.add(match.end())
    ordered = sorted(cuts)
    filled = [0]
    for position in ordered[1:]:
        filled.extend(_split_gap(text, filled[-1], position, max_chars))
    return filled, sorted(paragraphs)


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    after = text[match.end()]
    if not (after.isupper() or after.isdigit() or after in _OPENERS):
        return False
    if not match.group().startswith("."):
        return True
    word = _WORD_BEFORE.search(text, max(0, match.start() - 12), match.start())
    if word is None:
        return True
    token = word.group()
    initial = len(token) == 1 and token.isupper()
    return not initial and token.lower() not in _ABBREVIATIONS


def _split_gap(text: str, start: int, end: int, max_chars: int) -> list[int]:
    """Cut positions after ``start`` up to ``end``, at word starts, none more than
    ``max_chars`` after the one before (a word longer than that is cut inside)."""
    out = []
    while end - start > max_chars:
        limit = start + max_chars
        word_starts = [m.start() for m in _WORD_START.finditer(text, start + 1, limit + 1)]
        start = word_starts[-1] if word_starts else limit
        out.append(start)
    out.append(end)
    return out


def _spans(text: str, cuts: list[int], paragraphs: list[int], max_chars: int,
           overlap: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start, previous_end = 0, 0
    while True:
        end = _end(cuts, paragraphs, start, previous_end, max_chars)
        spans.append((start, end))
        if end >= len(text):
            return spans
        start = _next_start(text, cuts, start, end, overlap, max_chars)
        previous_end = end


def _end(cuts: list[int], paragraphs: list[int], start: int, previous_end: int,
         max_chars: int) -> int:
    """The last cut within reach, or an earlier paragraph start if the chunk stays half full."""
    end = cuts[bisect.bisect_right(cuts, start + max_chars) - 1]
    if end == cuts[-1]:
        return end
    floor = max(start + max_chars // 2, previous_end)
    index = bisect.bisect_right(paragraphs, end) - 1
    if index >= 0 and paragraphs[index] > floor:
        return paragraphs[index]
    return end


def _next_start(text: str, cuts: list[int], start: int, end: int, overlap: int,
                max_chars: int) -> int:
    """Where the next chunk starts: up to ``overlap`` back from ``end``, at a sentence, else a
    word, and never so far back that the next chunk could not pass ``end``."""
    if overlap == 0:
        return end
    following = cuts[bisect.bisect_right(cuts, end)]
    lowest = max(end - overlap, following - max_chars, start + 1)
    index = bisect.bisect_left(cuts, lowest)
    if cuts[index] < end:
        return cuts[index]
    word = _WORD_START.search(text, lowest, end)
    return word.start() if word else end
