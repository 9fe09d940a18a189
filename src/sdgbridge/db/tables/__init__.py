"""The store's tables (SQLAlchemy Core), one module per part of the store, all on one
``metadata``. Alembic migrations in ``migrations/`` create them.

* :mod:`.data`: reference data (``goal``, ``target``, ``indicator``, ``framework_title``,
  ``area``, ``area_group``, ``group_member``); the SDG data (``release`` and ``release_file``,
  the provenance of each ingest; ``series``, one row per series code and publisher, a
  national series never merging with the global one; ``series_indicator``,
  ``dimension_set``, a canonical ``name=code;…`` key; ``observation``, which belongs to the
  release that brought it and is marked ``superseded_by`` a newer one, never deleted, so that
  every past state stays queryable); the progress assessments (``assessment_run``,
  ``assessment_result``).
* :mod:`.projects`: IATI activities and their children, the partner registry
  (``organisation``) and ``record_change``.
* :mod:`.knowledge`: documents, chunks, embeddings, SDG tags and their corrections.
* :mod:`.people`: accounts, memberships, API keys, sessions, one-time links, the audit trail
  and the mail outbox.
* :mod:`.assistance`: technical-assistance requests, their transitions, comments, experts,
  candidates, feedback and attachments.
* :mod:`.roadmaps`: roadmaps, their priority areas, commitments, responsible organisations,
  milestones and key performance indicators.
"""

from sdgbridge.db.tables.assistance import (  # noqa: F401
    expert,
    ta_attachment,
    ta_candidate,
    ta_comment,
    ta_feedback,
    ta_request,
    ta_transition,
)
from sdgbridge.db.tables.base import metadata
from sdgbridge.db.tables.data import (  # noqa: F401
    area,
    area_group,
    assessment_result,
    assessment_run,
    dimension_set,
    framework_title,
    goal,
    group_member,
    indicator,
    observation,
    release,
    release_file,
    series,
    series_indicator,
    target,
)
from sdgbridge.db.tables.knowledge import (  # noqa: F401
    SEARCH_INDEX_TABLES,
    chunk,
    chunk_embedding,
    document,
    document_country,
    document_tag,
    include_search_index,
    tag_correction,
)
from sdgbridge.db.tables.people import (  # noqa: F401
    account,
    api_key,
    audit_event,
    mail_outbox,
    membership,
    one_time_link,
    web_session,
)
from sdgbridge.db.tables.projects import (  # noqa: F401
    iati_activity,
    iati_budget,
    iati_country,
    iati_document,
    iati_import,
    iati_import_dropped,
    iati_indicator_reference,
    iati_participant,
    iati_region,
    iati_result,
    iati_result_indicator,
    iati_result_period,
    iati_sector,
    iati_tag,
    iati_transaction,
    organisation,
    record_change,
)
from sdgbridge.db.tables.roadmaps import (  # noqa: F401
    commitment,
    commitment_party,
    kpi,
    milestone,
    review_item,
    roadmap,
    roadmap_area,
    roadmap_review,
)

__all__ = [
    "metadata",
    "goal",
    "target",
    "indicator",
    "framework_title",
    "area",
    "area_group",
    "group_member",
    "release",
    "release_file",
    "series",
    "series_indicator",
    "dimension_set",
    "observation",
    "assessment_run",
    "assessment_result",
    "iati_import",
    "iati_import_dropped",
    "ta_request",
    "ta_transition",
    "ta_comment",
    "expert",
    "ta_candidate",
    "ta_feedback",
    "ta_attachment",
    "roadmap",
    "roadmap_area",
    "commitment",
    "commitment_party",
    "milestone",
    "kpi",
    "roadmap_review",
    "review_item",
    "iati_activity",
    "iati_participant",
    "iati_country",
    "iati_region",
    "iati_sector",
    "iati_tag",
    "iati_transaction",
    "iati_budget",
    "iati_document",
    "organisation",
    "record_change",
    "iati_result",
    "iati_result_indicator",
    "iati_indicator_reference",
    "iati_result_period",
    "document",
    "document_country",
    "chunk",
    "chunk_embedding",
    "document_tag",
    "tag_correction",
    "SEARCH_INDEX_TABLES",
    "include_search_index",
    "account",
    "membership",
    "api_key",
    "web_session",
    "one_time_link",
    "audit_event",
    "mail_outbox",
]
