"""Files the commands write (exports, charts, rejected rows): checked before any work, so a
mistyped path costs a message, not a finished run that cannot be saved."""

from __future__ import annotations

from pathlib import Path

from sdgbridge.errors import SdgBridgeError


def output_path(path: Path | str, what: str = "output") -> Path:
    """``path`` ready to be written: refused when it is a folder, its missing folders made
    (as ``sdgbridge export`` always did)."""
    path = Path(path)
    if path.is_dir():
        raise SdgBridgeError(f"{path}: is a folder; give the {what} a file name, e.g. "
                             f"{path / ('out' + (path.suffix or '.csv'))}.")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise SdgBridgeError(f"{path}: {parent} is a file, not a folder; correct the "
                                 f"{what}'s path.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
