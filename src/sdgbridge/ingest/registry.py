"""Which reader reads an input: :func:`get_reader` picks the one named, or the first of
:data:`sdgbridge.ingest.readers.READERS` that handles the input.

Each reader declares what it handles (``handles(path)``), in the manner of the sdmx
library's readers, so adding a format means adding a :class:`~sdgbridge.ingest.model.Reader`
module and listing its class in ``READERS``. The readers are imported when first asked for.
"""

from __future__ import annotations

from pathlib import Path

from sdgbridge.errors import InputError, NoReader
from sdgbridge.ingest.model import Reader


def readers() -> list[type[Reader]]:
    """The built-in readers, in the order they are tried."""
    from sdgbridge.ingest.readers import READERS

    return READERS


def get_reader(path: Path, fmt: str | None = None, **options: object) -> Reader:
    """The reader named ``fmt``, or the first registered reader that handles ``path``;
    ``options`` (e.g. ``structure`` for SDMX) go to the reader's constructor."""
    known = readers()
    if not path.exists():
        raise InputError(f"{path}: no such file or folder.")
    if fmt is not None:
        for cls in known:
            if cls.name == fmt:
                return _make(cls, options)
        raise InputError(
            f"Unknown format {fmt!r}; known formats: {', '.join(c.name for c in known)}."
        )
    for cls in known:
        if cls.handles(path):
            return _make(cls, options)
    raise NoReader(path, [c.name for c in known])


def _make(cls: type[Reader], options: dict[str, object]) -> Reader:
    try:
        return cls(**options)
    except TypeError as exc:
        raise InputError(
            f"The {cls.name} reader takes no option(s) {', '.join(sorted(options))}."
        ) from exc


def formats() -> list[tuple[str, str]]:
    return [(c.name, c.title) for c in readers()]
