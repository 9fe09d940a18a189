"""Setting up a store: the geography (M49 areas and groups) and the SDG framework, as
``sdgbridge init`` and ``sdgbridge demo`` load them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.reference.framework import FrameworkCounts, load_framework
from sdgbridge.reference.geography import GeographyCounts, load_geography


@dataclass(frozen=True)
class StoreSetup:
    """What :func:`set_up_store` loaded; ``framework`` is None when ``framework_folder`` is
    absent (the store then has no goals, targets or indicators yet)."""

    geography: GeographyCounts
    framework: FrameworkCounts | None
    framework_folder: Path


def set_up_store(engine: Engine, settings: Settings, framework: Path | None = None
                 ) -> StoreSetup:
    """Load the geography, then the SDG framework from the folder ``framework`` (default:
    <data_dir>/text/sdg_framework) when that folder exists."""
    geography = load_geography(engine)
    folder = framework or settings.data_dir / "text" / "sdg_framework"
    counts = load_framework(engine, folder) if folder.exists() else None
    return StoreSetup(geography, counts, folder)
