"""Chunking: exact positions, full coverage, size limits, sentence and paragraph awareness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdgbridge.knowledge.chunk import _ABBREVIATIONS, Chunk, boundaries, chunk_text
from sdgbridge.knowledge.extract import ExtractedText, Page, extract_string


def doc_of(*pages: str) -> ExtractedText:
    return ExtractedText([Page(n, text) for n, text in enumerate(pages, 1)], "pdf", None, "")


def check_invariants(doc: ExtractedText, chunks: list[Chunk], max_chars: int, overlap: int):
    text = doc.text
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for chunk in chunks:
        assert text[chunk.start:chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= max_chars
        assert chunk.page == doc.page_at(chunk.start)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.start < after.start <= before.end < after.end  # no gap, progress
        assert before.end - after.start <= overlap


WORD = st.text(alphabet="abcxyzабвгдқәұ", min_size=1, max_size=12)
# The word before a sentence's stop is neither a single capital (an initial, as in "A. Smith")
# nor an abbreviation ("г."): the chunker rightly takes neither for a sentence end
# (Hypothesis found "A. A. Aaaa …" and "… aa г. Aa a.").
SENTENCE = st.builds(
    lambda first, words, stop: " ".join([first.capitalize(), *words]) + stop,
    WORD, st.lists(WORD, max_size=30), st.sampled_from([".", "!", "?", "…", ".»"])).filter(
    lambda s: len(last := s.rstrip(".!?…»").split()[-1]) > 1
    and last.lower() not in _ABBREVIATIONS)
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=6).map(" ".join)
DOCUMENT = st.lists(st.lists(PARAGRAPH, min_size=1, max_size=4).map("\n\n".join),
                    min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@given(pages=DOCUMENT, max_chars=st.integers(20, 400), overlap_share=st.floats(0, 0.6))
def test_chunks_of_prose_are_exact_and_cover_everything(pages, max_chars, overlap_share):
    overlap = int(max_chars * overlap_share)
    doc = doc_of(*pages)
    chunks = chunk_text(doc, max_chars=max_chars, overlap=overlap)
    check_invariants(doc, chunks, max_chars, overlap)


@settings(max_examples=150, deadline=None)
@given(text=st.text(min_size=1, max_size=600).filter(str.strip),
       max_chars=st.integers(2, 80), overlap=st.integers(0, 79))
def test_any_text_is_chunked_exactly(text, max_chars, overlap):
    overlap = min(overlap, max_chars - 1)
    doc = doc_of(text)
    check_invariants(doc, chunk_text(doc, max_chars=max_chars, overlap=overlap), max_chars,
                     overlap)


@settings(max_examples=100, deadline=None)
@given(sentences=st.lists(SENTENCE, min_size=1, max_size=20), max_chars=st.integers(60, 300))
def test_chunks_end_at_sentence_ends_unless_a_sentence_is_too_long(sentences, max_chars):
    text = " ".join(sentences)
    starts = {0, len(text)}
    position = 0
    for sentence in sentences:
        starts.add(position)
        position += len(sentence) + 1
    chunks = chunk_text(doc_of(text), max_chars=max_chars, overlap=0)
    longest = max(len(s) + 1 for s in sentences)
    ends = {chunk.end for chunk in chunks}
    if longest <= max_chars:
        assert ends <= starts
    else:  # split at words: every cut inside a sentence is just after a space
        assert all(text[end - 1] == " " for end in ends - {len(text)})


def test_paragraph_end_is_preferred_when_the_chunk_stays_half_full():
    first = "Water for all. " * 4 + "End of one."        # 71 characters
    second = "Sanitation. " * 3 + "Hygiene."             # 44 characters
    doc = doc_of(f"{first}\n\n{second}")
    chunks = chunk_text(doc, max_chars=100, overlap=0)
    assert [c.text for c in chunks] == [f"{first}\n\n", second]


def test_russian_abbreviations_and_initials_do_not_end_sentences():
    text = ("Встреча прошла в г. Алматы, т. е. в Казахстане. Доклад А. Иванова принят. "
            "See Fig. 3 and Mr. Smith's note. Next sentence.")
    cuts, _ = boundaries(text, 1000)
    pieces = [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    assert pieces == ["Встреча прошла в г. Алматы, т. е. в Казахстане. ",
                      "Доклад А. Иванова принят. ", "See Fig. 3 and Mr. Smith's note. ",
                      "Next sentence."]


@pytest.mark.parametrize(("max_chars", "overlap", "last"), [
    (36, 18, "Seven eight nine. Ten eleven twelve."),  # whole sentences fit in the overlap
    (34, 16, "eight nine. Ten eleven twelve."),        # "Seven eight nine. " does not: words
])
def test_overlap_takes_whole_sentences_that_fit_else_words(max_chars, overlap, last):
    text = "One two three. Four five six. Seven eight nine. Ten eleven twelve."
    chunks = chunk_text(doc_of(text), max_chars=max_chars, overlap=overlap)
    assert [c.text for c in chunks] == ["One two three. Four five six. ",
                                        "Four five six. Seven eight nine. ", last]


def test_long_sentence_is_split_between_words_and_a_giant_word_inside():
    doc = doc_of("alpha beta gamma delta epsilon " + "x" * 25)
    assert [c.text for c in chunk_text(doc, max_chars=12, overlap=0)] == [
        "alpha beta ", "gamma delta ", "epsilon ", "x" * 12, "x" * 12, "x"]


def test_page_of_each_chunk():
    doc = doc_of("First page text here.", "Second page. More text.", "Third.")
    chunks = chunk_text(doc, max_chars=25, overlap=0)
    assert [(c.text, c.page) for c in chunks] == [
        ("First page text here.\n\n", 1), ("Second page. More text.\n\n", 2), ("Third.", 3)]


def test_lines_are_boundaries_too():
    text = extract_string("Heading without stop\nitem one\nitem two").text
    cuts, paragraphs = boundaries(text, 1000)
    assert (cuts, paragraphs) == ([0, 21, 30, 38], [])


def test_empty_text_and_bad_arguments():
    assert chunk_text(doc_of("   \n "), max_chars=10, overlap=0) == []
    with pytest.raises(ValueError, match="0 <= overlap < max_chars"):
        chunk_text(doc_of("text"), max_chars=10, overlap=10)
