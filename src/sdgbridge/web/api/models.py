"""The shapes of the API's answers and request bodies, for the OpenAPI document.

Listings are ``Page[Row]``: ``{"ok": true, "total": n, "rows": [...]}``; rows may carry more
members than declared (observations have one member per dimension, the dashboard summary one
per country). Errors are :class:`ErrorBody`. Bodies of the write endpoints are the
``*Create``/``*Update`` models (unknown members are refused).
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sdgbridge.web.deps import MAX_ID, DocumentKind

R = TypeVar("R")
Text = str | None
Int = int | None
Num = float | None
ALIGN_MAX_CHARS = 100_000  # a plan's text to align: seconds of CPU, not minutes
MAX_TEXT = 1_000_000  # a record typed in


class Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class Page(BaseModel, Generic[R]):
    """One page of a listing; ``total`` counts every row, not only this page's."""

    ok: Literal[True]
    total: int
    rows: list[R]


def page_of(model: type) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry of an operation answering a :class:`Page` of ``model``."""
    return {200: {"model": Page[model]}}  # type: ignore[valid-type]


class ErrorItem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error: the message says what to do; ``errors`` names the bad fields (422)."""

    ok: Literal[False]
    error: str
    errors: list[ErrorItem]
    status: int


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, all with :class:`ErrorBody`."""
    what = {400: "Bad request: the message says what to change.",
            401: "No bearer token where one is needed, or an unknown, revoked or expired "
                 "one.",
            403: "The key's account may not do this (the role rules, docs/accounts.md) or "
                 "the key lacks the scope; recorded in the audit trail.",
            404: "Not found.",
            422: "Invalid parameter or body; `errors` names the fields.",
            503: "Writes are off (no token configured) or the store is unreachable."}
    return {s: {"model": ErrorBody, "description": what[s]} for s in statuses}


READ_ERRORS = errors(400, 401, 404, 422)
THROTTLED: dict[int | str, dict[str, Any]] = {  # the expensive routes (web/throttle.py)
    429: {"model": ErrorBody, "description": "Too many expensive requests from this client "
          "without the token (rate_limit_per_minute); `Retry-After` says when to retry."},
    503: {"model": ErrorBody, "description": "The server is busy with as many of these as it "
          "runs at once, or the store is unreachable; `Retry-After` says when to retry."}}
WRITE_ERRORS = errors(400, 401, 403, 404, 422, 503)


# ---- reference and data ---------------------------------------------------------------

class Area(Row):
    code: str
    iso3: Text
    iso2: Text
    name_en: str
    name_ru: Text
    kind: str
    parent: Text


class Group(Row):
    code: str
    name_en: str
    kind: str
    m49: Text
    areas: int


class Series(Row):
    series: str
    publisher: str
    indicators: Text
    national: bool
    description: Text
    observations: Int
    areas: Int
    first_year: Int
    last_year: Int


class FrameworkItem(Row):
    """A goal, target or indicator with its official title in the language asked for."""

    code: str
    title: Text


class Indicator(FrameworkItem):
    target: str
    same_as: Text
    in_framework: bool


class Observation(Row):
    """One observation; each dimension of its series is a member too (sex, age, …)."""

    series: str
    publisher: str
    indicators: Text
    area: str
    iso3: Text
    area_name: Text
    period: str
    year: int
    value: Num
    value_text: Text
    units: str
    nature: Text
    release: int
    dims: str


class Release(Row):
    id: int
    source: str
    reader: str
    created_at: str
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    partial: bool
    location: str = Field(description="What was read: a file's name (never the server's "
                          "folders) or a URL.")


class Summary(BaseModel):
    """What the store holds for a group: the dashboard's figures."""

    ok: Literal[True]
    group: str
    areas: list[str]
    observations: int
    series: int
    area_count: int
    releases: int
    first_year: Int
    last_year: Int
    publishers: list[Row]
    headline: list[Row] = Field(description="Latest headline value of each headline series, "
                                "one member per country (ISO3), and the years.")


# ---- progress ---------------------------------------------------------------------------

class Run(Row):
    id: int
    method: str
    params_version: Text
    created_at: str
    rows: int
    releases: Text
    as_of: Int
    results_sha256: Text
    published_at: Text = Field(None, description="When the run was published (`sdgbridge "
                               "assess --publish`): the pages and /assessments/latest show the "
                               "newest published run of each method. Null: an ad-hoc run.")


class Result(Row):
    series: str
    area: str
    status: Text
    scale: Text
    base_year: Int
    latest_year: Int
    n_points: Int
    target: Num
    projected_2030: Num


class RolledUp(Row):
    """Counts of each status per indicator, target or goal (the member named by the level)
    and area; ``coverage``: how many series they rest on."""

    area: str
    coverage: int


class Gap(Row):
    area: str


# ---- projects and organisations ------------------------------------------------------------

class Project(Row):
    iati_identifier: str
    reporting_org_name: Text
    title_en: Text
    status: Text


class Change(Row):
    changed_at: str | None
    origin: Text
    change: Text
    details: Text


class Organisation(Row):
    id: int
    ref: Text
    name_en: str
    name_ru: Text
    type: Text
    un_entity: Text
    countries: Text
    contacts: Text = Field(description="JSON list of {name, email, phone, role}; without the "
                           "bearer token, {role} only (personal data is not public).")
    archived: bool


class OrganisationDetail(BaseModel):
    ok: Literal[True]
    organisation: Organisation
    history: list[Change]


class ProjectDetail(BaseModel):
    ok: Literal[True]
    project: dict[str, Any]
    children: dict[str, list[Row]] = Field(description="participants, countries, regions, "
                                           "sectors, tags, transactions, budgets, documents, "
                                           "results, indicators, indicator_refs, periods")
    history: list[Change]


class Written(BaseModel):
    """What a write did: the record's key and, for an update, field -> [old, new]."""

    ok: Literal[True]
    key: str
    changes: dict[str, list[Any]] = Field(default_factory=dict)
    archived: bool | None = None


WRITTEN: dict[int | str, dict[str, Any]] = {200: {"model": Written}}
CREATED: dict[int | str, dict[str, Any]] = {201: {"model": Written}}


# ---- request bodies -----------------------------------------------------------------------

class Body(BaseModel):
    """A request body: unknown members refused, and text without NUL characters (no store
    keeps one)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in texts):
            raise ValueError("contains a NUL character (\\x00); remove it")
        return value


class Contact(Body):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str | None = None


class OrganisationCreate(Body):
    name_en: str = Field(description="The English name.", max_length=1000)
    type: str = Field(description="IATI OrganisationType: 10 government, 21/22 NGO, 40 "
                      "multilateral, 60 foundation, 70 private sector, 80 academic …")
    ref: str | None = Field(None, description="IATI organisation identifier.")
    name_ru: str | None = Field(None, max_length=1000)
    un_entity: str | None = Field(None, description="UN entity code (UNDP, UNICEF …).")
    countries: list[str] = Field(default_factory=list, description="ISO 3166 alpha-2.")
    contacts: list[Contact] = Field(default_factory=list)


class OrganisationUpdate(Body):
    """Only the members given change; ``null`` empties an optional field."""

    name_en: str | None = Field(None, max_length=1000)
    type: str | None = None
    ref: str | None = None
    name_ru: str | None = Field(None, max_length=1000)
    un_entity: str | None = None
    countries: list[str] | None = None
    contacts: list[Contact] | None = None


class Participant(Body):
    role: str = Field(description="OrganisationRole: 1 funding, 2 accountable, 3 extending, "
                      "4 implementing.")
    ref: str = Field(description="A registered organisation's ref.")


class ProjectCreate(Body):
    identifier: str = Field(description="IATI identifier: the reporting organisation's ref, "
                            "a hyphen, your own code.")
    title_en: str = Field(max_length=2000)
    reporting_org_ref: str = Field(description="A registered organisation's ref.")
    status: str = Field(description="ActivityStatus: 1 pipeline, 2 implementation, 3 "
                        "finalisation, 4 closed …")
    countries: list[str] = Field(default_factory=list, description="ISO 3166 alpha-2.")
    sectors: list[str] = Field(default_factory=list, description="DAC 5-digit codes.")
    title_ru: str | None = Field(None, max_length=2000)
    description_en: str | None = None
    planned_start: str | None = Field(None, description="yyyy-mm-dd")
    planned_end: str | None = Field(None, description="yyyy-mm-dd")
    participants: list[Participant] = Field(default_factory=list)
    visibility: Literal["public", "partners", "internal"] = Field(
        "public", description="Who may read it: everyone, signed-in partners, the Centre.")


class ProjectUpdate(Body):
    """Only the members given change; ``null`` empties an optional field."""

    title_en: str | None = Field(None, max_length=2000)
    title_ru: str | None = Field(None, max_length=2000)
    description_en: str | None = None
    description_ru: str | None = None
    status: str | None = None
    planned_start: str | None = None
    actual_start: str | None = None
    planned_end: str | None = None
    actual_end: str | None = None
    visibility: Literal["public", "partners", "internal"] | None = None


# ---- knowledge ----------------------------------------------------------------------------

class DocumentRow(Row):
    id: int
    title: str
    kind: str
    organisation: Text
    year: Int
    language: Text
    format: str
    chunks: int
    source: Text


class Tag(BaseModel):
    goal: int
    target: str | None = Field(description="Target code (6.1), or null for the goal itself.")
    score: float = Field(description="Confidence 0-1 (1 for a user's tag).")
    source: Literal["model", "user"]
    passages: list[str] = Field(description="The passages that carry the tag, best first.")


class Document(BaseModel):
    id: int
    title: str
    kind: str
    organisation: Text
    year: Int
    language: Text
    licence: Text
    source: Text = Field(description="The file the text came from: its name only.")
    format: str
    chars: int
    pages: int
    added_at: str
    tagged_at: Text
    countries: list[str] = Field(description="M49 area codes.")
    chunks: int = Field(description="Passages the text was cut into.")
    tags: list[Tag]
    corrections: list[dict[str, Any]]


class DocumentDetail(BaseModel):
    ok: Literal[True]
    document: Document


class Hit(BaseModel):
    document_id: int
    title: str
    kind: str
    organisation: Text
    year: Int
    language: Text = Field(description="The document's language (ISO 639-1).")
    chunk_id: int
    page: int
    snippet: str = Field(description="HTML: the passage, escaped, with <mark> around the "
                         "query's words.")
    score: float
    fts_rank: Int
    semantic_rank: Int
    similarity: Num
    goals: list[int] = Field(description="The SDG goals the document is tagged with.")


class Hits(BaseModel):
    ok: Literal[True]
    total: int
    rows: list[Hit]


class DocumentCreate(Body):
    """A record typed in: its text and metadata (the language is detected when not given)."""

    title: str = Field(min_length=1, max_length=1000)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    kind: DocumentKind = "practice"
    organisation: str | None = Field(None, max_length=1000)
    countries: list[str] = Field(default_factory=list, max_length=300,
                                 description="M49, ISO 3166 alpha-3 or alpha-2 or group codes.")
    year: int | None = Field(None, ge=1900, le=2100)
    language: str | None = Field(None, pattern="^[a-z]{2}$", description="ISO 639-1.")
    licence: str | None = Field(None, max_length=200)
    format: Literal["text", "markdown"] = "text"


class Added(BaseModel):
    ok: Literal[True]
    id: int
    title: str
    chunks: int
    language: Text
    tags: list[Tag]


class TagCorrection(Body):
    code: str = Field(description="A goal (6) or a target (6.1, 6.a).", max_length=8)
    action: Literal["set", "remove"] = "set"


class Tags(BaseModel):
    ok: Literal[True]
    tags: list[Tag]


class AlignRequest(Body):
    """A plan's text, or the id of a stored document (one of them)."""

    text: str | None = Field(None, min_length=1, max_length=ALIGN_MAX_CHARS)
    document_id: int | None = Field(None, ge=1, le=MAX_ID)
    threshold: float | None = Field(None, ge=-1, le=1, description="Similarity a passage "
                                    "needs to address a target (default: the embedder's).")


class Passage(BaseModel):
    text: str
    page: int
    score: float


class Addressed(BaseModel):
    target: str
    goal: int
    title: Text
    score: float
    passages: list[Passage]


class AlignAnswer(BaseModel):
    ok: Literal[True]
    embedder: str
    threshold: float
    chunks: int
    addressed: list[Addressed] = Field(description="Targets with the passages addressing "
                                       "them, in the framework's order.")
    uncovered: list[str] = Field(description="Targets no passage addresses.")
