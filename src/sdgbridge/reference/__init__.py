"""Reference data: the SDG framework (goals, targets, indicators) and geography (M49)."""

from sdgbridge.reference.framework import (
    FRAMEWORK_LANGUAGES,
    PACKAGED_FRAMEWORK,
    load_framework,
)
from sdgbridge.reference.geography import (
    CENTRE_GROUP,
    define_group,
    delete_group,
    load_geography,
    resolve_areas,
)
from sdgbridge.reference.seed import Seeded, seed_store

__all__ = [
    "CENTRE_GROUP",
    "FRAMEWORK_LANGUAGES",
    "PACKAGED_FRAMEWORK",
    "Seeded",
    "define_group",
    "delete_group",
    "load_framework",
    "load_geography",
    "resolve_areas",
    "seed_store",
]
