"""Readers register here; :func:`get_reader` picks the one that handles an input.

Each reader declares what it handles (``handles(path)``), in the manner of the sdmx
library's readers, so adding a format means adding a class to :data:`READERS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from sdgbridge.errors import InputError, NoReader
from sdgbridge.ingest.model import Batch


class Reader(ABC):
    """Reads one kind of input into :class:`~sdgbridge.ingest.model.Batch` objects."""

    name: ClassVar[str]  # used with --format
    title: ClassVar[str]  # one line for `sdgbridge formats`

    @classmethod
    @abstractmethod
    def handles(cls, path: Path) -> bool:
        """True when ``path`` (a file or a folder) is in this reader's format."""

    @abstractmethod
    def files(self, path: Path) -> list[Path]:
        """The files that make up the input (their checksums identify the release)."""

    @abstractmethod
    def read(self, path: Path) -> Iterator[Batch]:
        """Yield batches of observations; raise InputError for input that cannot be read."""

    def expected_batches(self, path: Path) -> int:
        """How many batches ``read`` will yield (for progress bars)."""
        return len(self.files(path))

    def default_source(self, path: Path) -> str:
        return path.name


READERS: list[type[Reader]] = []


def register(cls: type[Reader]) -> type[Reader]:
    READERS.append(cls)
    return cls


def get_reader(path: Path, fmt: str | None = None, **options: object) -> Reader:
    """The reader named ``fmt``, or the first registered reader that handles ``path``;
    ``options`` (e.g. ``structure`` for SDMX) go to the reader's constructor."""
    _load_builtin()
    if not path.exists():
        raise InputError(f"{path}: no such file or folder.")
    if fmt is not None:
        for cls in READERS:
            if cls.name == fmt:
                return _make(cls, options)
        raise InputError(
            f"Unknown format {fmt!r}; known formats: {', '.join(c.name for c in READERS)}."
        )
    for cls in READERS:
        if cls.handles(path):
            return _make(cls, options)
    raise NoReader(path, [c.name for c in READERS])


def _make(cls: type[Reader], options: dict[str, object]) -> Reader:
    try:
        return cls(**options)
    except TypeError as exc:
        raise InputError(
            f"The {cls.name} reader takes no option(s) {', '.join(sorted(options))}."
        ) from exc


def formats() -> list[tuple[str, str]]:
    _load_builtin()
    return [(c.name, c.title) for c in READERS]


def _load_builtin() -> None:
    # Importing the readers package registers the built-in readers (in priority order).
    import sdgbridge.ingest.readers  # noqa: F401
