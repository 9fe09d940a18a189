"""Fixtures of the accounts tests: two registered organisations and the settings (lockout
after 3 wrong passwords for 10 minutes)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from tests.helpers import IATI_CODELISTS

OWN, OTHER = "XM-OWN-1", "XM-OTHER-2"


@pytest.fixture
def orgs(engine: Engine) -> dict[str, int]:
    """Two organisations: ``own`` and ``other`` (ref -> id)."""
    codelists = load_codelists(IATI_CODELISTS)
    return {ref: create_org(engine, name_en=f"Organisation {ref}", type="40", ref=ref,
                            codelists=codelists) for ref in (OWN, OTHER)}


@pytest.fixture
def acc_settings() -> Settings:
    return Settings(database_url="sqlite:///unused.db", sign_in_max_failures=3,
                    sign_in_lockout_minutes=10)
