"""Fixtures shared by the projects tests: settings pointing at the shared IATI schema and code
lists, and the code lists loaded once per test."""

from __future__ import annotations

import pytest

from sdgbridge.config import Settings
from sdgbridge.projects.iati.codelists import load_codelists
from tests.helpers import SHARED

IATI = SHARED / "iati"


@pytest.fixture
def settings() -> Settings:
    return Settings(iati_schema=IATI / "schema" / "iati-activities-schema.xsd",
                    iati_codelists=IATI / "codelists")


@pytest.fixture
def cl(settings: Settings) -> dict[str, frozenset[str]]:
    return load_codelists(settings.iati_codelists)
