"""Plan alignment (Rapid Integrated Assessment): the 169 targets, the passages that address
each, the targets left uncovered; from a file, a text or a stored document (the command:
``tests/cli/test_knowledge.py``)."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl
import pytest
from sqlalchemy import Engine

from sdgbridge.errors import InputError
from sdgbridge.knowledge import add_document, align_plan
from sdgbridge.knowledge.align import PASSAGE_CHARS, THRESHOLDS
from sdgbridge.knowledge.chunk import chunk_text
from sdgbridge.knowledge.embed import HashingEmbedder
from sdgbridge.knowledge.extract import extract_string

EMB = HashingEmbedder()
# Three sections of a plan, each long enough to be its own passage: two restate SDG targets
# (6.1 and 4.1) in a plan's words, one is about something the targets do not name.
WATER = ("Section 1. Drinking water. By 2030, achieve universal and equitable access to safe "
         "and affordable drinking water for all. The ministry will extend piped drinking water "
         "to every village, so that universal and equitable access to safe and affordable "
         "drinking water is achieved for all households, rural and urban. Access to safe and "
         "affordable drinking water for all will be monitored each year by the statistics "
         "agency, village by village, until universal access to safe drinking water for all "
         "is achieved in every district of the country by 2030. Safe and affordable drinking "
         "water for all: universal and equitable access, in every village, by 2030.")
SCHOOLS = ("Section 2. Schools. By 2030, ensure that all girls and boys complete free, "
           "equitable and quality primary and secondary education leading to relevant and "
           "effective learning outcomes. All girls and boys will complete free and equitable "
           "primary and secondary education of quality; the ministry of education will measure "
           "the learning outcomes of all girls and boys, and quality primary and secondary "
           "education leading to relevant and effective learning outcomes will be free for "
           "all girls and boys in every district, complete and equitable. All girls and boys "
           "complete free, equitable and quality primary and secondary education by 2030.")
ROADS = ("Section 3. Roads. Kilometres of asphalt between the oblast centres will be laid "
         "by the road fund, with bridges over the rivers, tunnels through the passes and "
         "parking for lorries at each crossing. The road fund pays the contractors by the "
         "kilometre; asphalt, bridges and tunnels are inspected by the road inspectorate "
         "before the fund pays. Lorries, buses and cars will pay tolls on the new asphalt "
         "between the oblast centres, and the tolls go back to the road fund for the "
         "upkeep of the asphalt, the bridges and the tunnels. The road inspectorate reports "
         "to the road fund on the asphalt, the bridges, the tunnels and the tolls each spring.")
PLAN = "\n\n".join((WATER, SCHOOLS, ROADS))


def test_a_plan_text_against_the_169_targets() -> None:
    a = align_plan(PLAN, embedder=EMB)
    # compared sentence by sentence (passages of at most PASSAGE_CHARS), not by search chunk
    passages = chunk_text(extract_string(PLAN), max_chars=PASSAGE_CHARS, overlap=0)
    assert len(a.targets) == 169 and a.chunks == len(passages) > 3
    assert a.targets[0].target == "1.1" and a.targets[-1].target == "17.19"
    assert {"6.1", "4.1"} <= set(a.covered)
    assert len(a.covered) + len(a.uncovered) == 169
    water = next(c for c in a.targets if c.target == "6.1")
    assert water.passages[0].text.startswith("Section 1. Drinking water.")
    assert water.score >= a.threshold == THRESHOLDS["hashing"]
    cited = {p.text[:12] for c in a.targets for p in c.passages}
    assert "Section 3. R" not in cited  # the roads section addresses no target
    summary = a.goal_summary()
    assert summary["targets"].sum() == 169
    assert summary.filter(pl.col("goal") == 6)["addressed"][0] >= 1


def test_a_stricter_threshold_leaves_more_uncovered() -> None:
    loose, strict = (align_plan(PLAN, embedder=EMB, threshold=x) for x in (0.3, 0.95))
    assert set(strict.covered) < set(loose.covered)
    assert all(p.score >= 0.95 for c in strict.targets for p in c.passages)


def test_a_stored_document_and_a_pdf_file(sqlite_engine: Engine,
                                          specimen: SimpleNamespace) -> None:
    doc = add_document(sqlite_engine, PLAN, embedder=EMB, tag=False, kind="plan")
    stored = align_plan(doc.document_id, engine=sqlite_engine, embedder=EMB)
    assert stored.covered == align_plan(PLAN, embedder=EMB).covered
    titles = {c.target: c.title for c in stored.targets}
    assert titles["6.1"].startswith("By 2030, achieve universal and equitable access to safe")
    pdf = specimen.write("plan.pdf", specimen.pdf([[WATER[i:i + 90] for i in
                                                    range(0, len(WATER), 90)], ["Roads."]]))
    from_pdf = align_plan(pdf, embedder=EMB)
    assert "6.1" in from_pdf.covered
    assert next(c for c in from_pdf.targets if c.target == "6.1").passages[0].page == 1
    with pytest.raises(InputError):
        align_plan("  \n ", embedder=EMB)
