"""What a store needs before anything else: the M49 geography with its groups and the SDG
framework, both shipped with the package.

:func:`seed_store` loads what a new store lacks; the command line and the web app call it on
every store they open, so ``sdgbridge ingest FILE`` on a new file leaves a store that
``sdgbridge assess`` and ``sdgbridge serve`` can use at once. :func:`set_up_store` loads both
again, as ``sdgbridge init`` and ``sdgbridge demo`` do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, exists, select

from sdgbridge.db import tables as t
from sdgbridge.reference.framework import PACKAGED_FRAMEWORK, FrameworkCounts, load_framework
from sdgbridge.reference.geography import GeographyCounts, load_geography


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed_store` loaded: ``None`` where the store already held it."""

    geography: GeographyCounts | None = None
    framework: FrameworkCounts | None = None


def seed_store(engine: Engine) -> Seeded:
    """Load the geography when the store holds no area, and the shipped SDG framework when it
    holds no goal; a store that holds both is left as it is (one query)."""
    with engine.connect() as conn:
        has_areas, has_goals = conn.execute(
            select(exists().select_from(t.area), exists().select_from(t.goal))).one()
    return Seeded(geography=None if has_areas else load_geography(engine),
                  framework=None if has_goals else load_framework(engine))


@dataclass(frozen=True)
class StoreSetup:
    """What :func:`set_up_store` loaded, and from which framework folder."""

    geography: GeographyCounts
    framework: FrameworkCounts
    framework_folder: Path


def set_up_store(engine: Engine, framework: Path = PACKAGED_FRAMEWORK) -> StoreSetup:
    """Load the geography (user groups are kept), then the SDG framework from ``framework``
    (by default the files shipped with the package)."""
    return StoreSetup(load_geography(engine), load_framework(engine, framework), framework)
