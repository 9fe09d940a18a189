"""Schemathesis against the app's own OpenAPI document, in process (ASGI), over a small
store: every operation of /api/v1 gets valid and invalid generated requests (the writes with
the bearer token); no answer may be a server error, and every answer must match the
document (status code, content type, schema). Derandomized: the same requests every run.

Schemathesis's ``negative_data_rejection`` check is left out: it counts a query value such as
``goal=-9.2e-244`` as invalid for a text parameter, though in a URL every value is text.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from sdgbridge.assessment.run import assess
from sdgbridge.assessment.store import save
from sdgbridge.config import Settings
from sdgbridge.ingest.load import ingest
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS, derived_slice, import_specimens

TOKEN = "s9Qw-4TzLk_7XbNp2Rv8YcJm5HdFg3Ue"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 12}
MINIMUM = 1000


def _store(engine: Engine, tmp_path: Path) -> Settings:
    settings = Settings(database_url="sqlite:///unused.db", api_token=TOKEN,
                        iati_codelists=IATI_CODELISTS)
    ingest(engine, derived_slice(tmp_path / "s.csv", ("EG_ACS_ELEC", "SI_POV_DAY1")),
           source="slice")
    save(engine, assess(engine, "unsd", ["CARSDG"]))
    import_specimens(engine, "usda-kazakhstan.xml")
    return settings


def test_no_server_error_and_conformance(engine: Engine, tmp_path: Path) -> None:
    app = create_app(_store(engine, tmp_path), engine=engine)
    _needs_the_error_shape_for_http_errors(app)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    sent: Counter[str] = Counter()
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/v1/")]
    # GET /api/v1/audit (issue 14); money, budgets, UN, imports (15); requests (16);
    # roadmaps (17)
    assert len(operations) == 64
    for op in operations:
        for mode, examples in EXAMPLES.items():
            _run(op, mode, examples, sent)
    print(f"schemathesis: {sum(sent.values())} requests over {len(operations)} operations")
    assert sum(sent.values()) >= MINIMUM, sent
    # an operation without parameters has one distinct request; the others many
    assert all(sent[op.label] >= 10 for op in operations
               if op.query or op.path_parameters or op.body), sent


def _needs_the_error_shape_for_http_errors(app: FastAPI) -> None:
    """Starlette's own errors under /api (a body that is not JSON: 400) must have the API's
    error shape too; that is web/app.py's ``_http_error``. Until it does, every other check
    would stop at the first such answer."""
    with TestClient(app) as client:
        body = client.post("/api/v1/organisations", content=b"\xff\xfeL", headers={
            "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}).json()
    assert "detail" not in body, body
    assert body["ok"] is False and body["status"] == 400


# A key per role (issue 14): every operation as each, for no server error and answers as the
# schema documents them (a refusal, 401 or 403, is one of those answers).
ROLES = {"administrator": (None, None, None, True), "analyst": ("XM-OTHER", "analyst", None, False),
         "partner_editor": ("USDA", "partner_editor", None, False),
         "other_partner": ("XM-OTHER", "partner_editor", None, False),
         "focal_point": ("XM-OTHER", "focal_point", "KAZ", False),
         "reader": (None, None, None, False)}
ROLE_EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 2}


def _role_keys(engine: Engine) -> dict[str, str]:
    from sdgbridge.accounts import keys, users
    from sdgbridge.projects.iati.codelists import load_codelists
    from sdgbridge.projects.orgs import create_org

    codelists = load_codelists(IATI_CODELISTS)
    create_org(engine, name_en="Other partner", type="40", ref="XM-OTHER", codelists=codelists)
    create_org(engine, name_en="USDA", type="10", ref="US-GOV-1", codelists=codelists)
    made = {}
    for role, (org, membership, country, admin) in ROLES.items():
        email = f"{role.replace('_', '.')}@example.org"
        users.create_account(engine, email, role, administrator=admin)
        ref = "US-GOV-1" if org == "USDA" else org
        if ref:
            users.set_membership(engine, email, ref, membership or "reader", country)
        made[role] = keys.create_key(engine, email, "schemathesis", ["read", "write"],
                                     ref).secret
    return made


def test_no_server_error_for_any_role(sqlite_engine: Engine, tmp_path: Path) -> None:
    app = create_app(_store(sqlite_engine, tmp_path), engine=sqlite_engine)
    tokens = _role_keys(sqlite_engine)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/v1/")]
    sent: Counter[str] = Counter()
    for role, token in tokens.items():
        for op in operations:
            for mode, examples in ROLE_EXAMPLES.items():
                _run(op, mode, examples, sent, token, label=role)
    print(f"schemathesis by role: {sum(sent.values())} requests, {len(tokens)} roles")
    assert len(tokens) == 6 and sum(sent.values()) >= 6 * len(operations)


def _run(op, mode: GenerationMode, examples: int, sent: Counter[str],  # type: ignore[no-untyped-def]
         token: str = TOKEN, label: str = "") -> None:
    @given(case=op.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def call(case) -> None:  # type: ignore[no-untyped-def]
        sent[op.label] += 1
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    try:
        call()
    except Unsatisfiable:  # nothing can be made invalid: no parameters, or free text only
        assert mode is GenerationMode.NEGATIVE
    except Exception as exc:
        pytest.fail(f"{op.label} ({mode.value}{', as ' + label if label else ''}): {exc}")
