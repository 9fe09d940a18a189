"""Who may call each route: the route table's side of the rules (issue 14).

Every route of the app is in :data:`ROUTES`, by ``"METHOD path"``, with its :class:`Access`:

* ``public``: anyone; what it shows is narrowed to what the caller may read (the
  visibility of records, :func:`sdgbridge.accounts.roles.read_limits`);
* ``credentials``: anyone, about their own credentials (sign in, ask for a reset, use a
  mailed link): the form's token and the link are the checks;
* ``signed_in``: a signed-in person, on their own account (their keys, the organisation
  they act for);
* ``rule``: a write (or an administrator's read) that :func:`sdgbridge.accounts.roles.check`
  decides from :data:`sdgbridge.accounts.roles.RULES`, for ``action`` on ``record_type``;
* ``lifecycle``: a change of a technical-assistance request, which the lifecycle table of
  :mod:`sdgbridge.assistance.lifecycle` decides for the requester, the Centre and the picked
  candidate (a candidate acts through it, not through the roles table);
* ``party``: one technical-assistance request read, by those the roles let read the
  requests of its country and by its candidates, whatever their role (an expert reads the
  request it is proposed for: :func:`sdgbridge.assistance.queries.may_read`);
* ``operations``: the operators' routes (health, metrics; ``docs/deployment.md``).

:func:`route_keys` lists the app's routes; the authorization test fails when one is missing
here (a new route without a rule), and requests each rule route as every role, for its own
organisation and another's, against what :func:`~sdgbridge.accounts.roles.can` says.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from starlette.routing import Mount, Route


class Access(NamedTuple):
    kind: str  # public | credentials | signed_in | rule | lifecycle | party | operations
    action: str | None = None
    record_type: str | None = None


PUBLIC = Access("public")
CREDENTIALS = Access("credentials")
SIGNED_IN = Access("signed_in")
OPERATIONS = Access("operations")
LIFECYCLE = Access("lifecycle")  # a change of a request: its lifecycle table decides
PARTY = Access("party")  # a request read: the roles' readers and its candidates


def rule(action: str, record_type: str) -> Access:
    return Access("rule", action, record_type)


_PUBLIC_READS = """
/api/v1/openapi.json /api/v1/areas /api/v1/groups /api/v1/series /api/v1/goals
/api/v1/targets /api/v1/indicators /api/v1/observations /api/v1/releases /api/v1/summary
/api/v1/assessments /api/v1/assessments/latest /api/v1/assessments/{run_id} /api/v1/gaps
/api/v1/projects /api/v1/projects/3w /api/v1/projects/vs-progress /api/v1/projects/overlaps
/api/v1/projects/network /api/v1/projects/{identifier:key}/history
/api/v1/projects/{identifier:key} /api/v1/organisations
/api/v1/organisations/{key:key}/history /api/v1/organisations/{key:key}
/api/v1/documents /api/v1/documents/{doc_id} /api/v1/documents/{doc_id}/similar
/api/v1/search / /country/{code} /country/{code}/goal/{goal} /indicator /map /coordination
/knowledge /knowledge/{doc_id} /api/docs /organisations/{key:key} /projects/{identifier:key}
/coordination/imports /coordination/imports/{import_id} /coordination/un
/coordination/overlaps /api/v1/projects/overlaps/review
/api/v1/projects/money /api/v1/projects/budgets /api/v1/projects/un /api/v1/projects/imports
/api/v1/projects/imports/{import_id} /api/v1/organisations/{key:key}/portfolio
/api/v1/roadmaps /api/v1/roadmaps/{key} /api/v1/roadmaps/{key}/kpis
/api/v1/roadmaps/{key}/reviews /api/v1/roadmaps/reviews/{review_id}
/api/v1/roadmaps/reviews/{review_id}/compare/{later_id}
/api/v1/roadmaps/{key}/commitments/{commitment} /api/v1/roadmaps/{key}/export
/roadmaps /roadmaps/{key} /roadmaps/reviews/{review_id} /roadmaps/{key}/commitments/{commitment}
/roadmaps/{key}/export /favicon.ico /country/{code}/profile /region/profile /compare
""".split()

ROUTES: dict[str, Access] = {
    **{f"GET {path}": PUBLIC for path in _PUBLIC_READS},
    "POST /api/v1/align": PUBLIC,  # writes nothing; limited by size and rate
    # the partner registry and projects (API)
    "POST /api/v1/organisations": rule("create", "organisation"),
    "PATCH /api/v1/organisations/{key:key}": rule("update", "organisation"),
    "POST /api/v1/organisations/{key:key}/archive": rule("archive", "organisation"),
    "POST /api/v1/projects": rule("create", "project"),
    "PATCH /api/v1/projects/{identifier:key}": rule("update", "project"),
    "POST /api/v1/projects/{identifier:key}/archive": rule("archive", "project"),
    # the knowledge base (API and pages)
    "POST /api/v1/documents": rule("create", "document"),
    "POST /api/v1/documents/{doc_id}/tags": rule("update", "document"),
    "GET /knowledge/new": rule("create", "document"),
    "POST /knowledge/new": rule("create", "document"),
    "POST /knowledge/{doc_id}/tags": rule("update", "document"),
    # a partner's own records (pages)
    "GET /organisations/{key}/edit": rule("update", "organisation"),
    "POST /organisations/{key}/edit": rule("update", "organisation"),
    "GET /projects/new": rule("create", "project"),
    "POST /projects/new": rule("create", "project"),
    "GET /projects/{identifier}/edit": rule("update", "project"),
    "POST /projects/{identifier}/edit": rule("update", "project"),
    # technical-assistance requests (API): the roles say who reads and files them; the
    # lifecycle table who makes each change (sdgbridge.assistance.lifecycle), its refusals
    # tested in tests/web/api/test_requests.py
    "GET /api/v1/requests": rule("read", "request"),
    "GET /api/v1/requests/{request_id}": PARTY,
    "GET /api/v1/requests/{request_id}/context": PARTY,
    "GET /api/v1/requests/{request_id}/matches": rule("read", "expert"),
    "POST /api/v1/requests": rule("create", "request"),
    "POST /api/v1/requests/{request_id}/candidates": rule("update", "expert"),
    **{f"POST /api/v1/requests/{{request_id}}/{change}": LIFECYCLE
       for change in ("transitions", "comments", "pick", "answer", "feedback")},
    # roadmaps (API): a review is the Centre's
    "POST /api/v1/roadmaps/{key}/reviews": rule("update", "roadmap"),
    "GET /roadmaps/{key}/review": rule("update", "roadmap"),
    "POST /roadmaps/{key}/review": rule("update", "roadmap"),
    # technical-assistance requests (pages): the list shows what one may read
    "GET /requests": SIGNED_IN,
    "GET /requests/new": rule("create", "request"),
    "POST /requests/new": rule("create", "request"),
    "GET /requests/{request_id}": PARTY,
    "POST /requests/{request_id}/propose": rule("update", "expert"),
    **{f"POST /requests/{{request_id}}/{change}": LIFECYCLE
       for change in ("move", "comment", "pick", "answer", "feedback", "attachments")},
    # the audit trail and the administrators' pages
    "GET /api/v1/audit": rule("read", "audit"),
    "GET /admin": rule("read", "account"),
    "POST /admin/invite": rule("create", "account"),
    "GET /admin/users/{email}": rule("read", "account"),
    "POST /admin/users/{email}/memberships": rule("create", "membership"),
    "POST /admin/users/{email}/memberships/{organisation}/end": rule("archive", "membership"),
    "POST /admin/users/{email}/disable": rule("archive", "account"),
    "GET /admin/keys": rule("read", "api_key"),
    "POST /admin/keys/{key_id}/revoke": rule("archive", "api_key"),
    # one's own credentials and account
    **{f"{m} {p}": CREDENTIALS for m in ("GET", "POST")
       for p in ("/sign-in", "/reset", "/invitation/{value}", "/reset/{value}")},
    "POST /sign-out": SIGNED_IN,
    "GET /account": SIGNED_IN,
    "POST /account/organisation": SIGNED_IN,
    "POST /account/keys": SIGNED_IN,
    "POST /account/keys/{key_id}/revoke": SIGNED_IN,
    # operations
    "GET /healthz": OPERATIONS, "GET /readyz": OPERATIONS, "GET /metrics": OPERATIONS,
}


def _walk(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for r in routes:
        if isinstance(r, Mount):
            continue  # the static files
        if isinstance(r, Route) or hasattr(r, "methods") and hasattr(r, "path"):
            for method in sorted(r.methods or ()):
                if method != "HEAD":
                    yield method, prefix + r.path
        elif hasattr(r, "include_context"):  # FastAPI's included routers
            context = r.include_context
            yield from _walk(context.included_router.routes, prefix + context.prefix)


def route_keys(app: Any) -> list[str]:
    """``"METHOD path"`` of every route of ``app`` (HEAD left out: it is GET's)."""
    return sorted({f"{m} {p}" for m, p in _walk(app.routes)})


def access_of(key: str) -> Access:
    """The access of route ``key``; KeyError for a route without one."""
    return ROUTES[key]
