"""Reading a roadmap file (YAML) so that every message can name its line: each mapping is a
:class:`Mapping` that knows the line of itself and of each of its keys. A key given twice in
one mapping is refused (plain YAML keeps the last one silently)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sdgbridge.errors import N_, InputError


class Mapping(dict[str, Any]):
    """A YAML mapping with ``line`` (1-based, of its first key) and ``lines`` (of each
    key)."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    """The safe loader, keeping lines and refusing duplicate keys."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Mapping:
    found = Mapping()
    found.line, found.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise InputError(N_("{file}, line {line}: the key {key!r} is not text; write "
                                "keys as words."), file=loader.name,
                             line=key_node.start_mark.line + 1, key=key)
        if key in found:
            raise InputError(N_("{file}, line {line}: {key} is given twice in this part (first "
                                "on line {first}); keep one."), file=loader.name,
                             line=key_node.start_mark.line + 1, key=key,
                             first=found.lines[key])
        found[key] = loader.construct_object(value_node, deep=True)
        found.lines[key] = key_node.start_mark.line + 1
    return found


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_text(path: Path, kind: str) -> str:
    """The text of a roadmap's or a review's file (``kind``: YAML or CSV); a file that
    cannot be read as UTF-8 is refused naming it."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(N_("{file}: cannot read it ({error}); give a UTF-8 {kind} file."),
                         file=path.name, error=str(exc), kind=kind) from exc


def read_yaml(path: Path) -> Any:
    """The YAML file at ``path`` with its mappings as :class:`Mapping`; a file that is not
    YAML is refused with its line."""
    text = read_text(path, "YAML")
    loader = _Loader(text)
    loader.name = path.name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(N_("{file}, line {line}: not valid YAML ({problem})."),
                         file=path.name, line=(mark.line + 1) if mark else 0,
                         problem=exc.problem or str(exc)) from exc
    finally:
        loader.dispose()
