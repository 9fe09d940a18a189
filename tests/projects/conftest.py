"""Fixtures shared by the projects tests: settings pointing at the shared IATI schema and code
lists (standards files kept in ../shared: the tests that take them are real-data tests), the
specimen code lists (tests/data/iati/codelists: the codes the tests use) and the complete ones."""

from __future__ import annotations

import pytest

from sdgbridge.config import Settings
from sdgbridge.projects.iati.codelists import load_codelists
from tests.helpers import IATI_CODELISTS


@pytest.fixture
def cl() -> dict[str, frozenset[str]]:
    return load_codelists(IATI_CODELISTS)


@pytest.fixture
def real_cl(settings: Settings) -> dict[str, frozenset[str]]:
    """The complete code lists, for messages that list their codes."""
    return load_codelists(settings.iati_codelists)
