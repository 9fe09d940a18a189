"""Technical assistance: governments' requests, their lifecycle, the experts and partners
matched to them, comments and the requester's feedback (issue 16)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sdgbridge.db.tables.base import metadata

ta_request = Table(
    "ta_request",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("country", String(3), nullable=False, index=True),  # ISO 3166 alpha-3
    Column("requesting_body", Text, nullable=False),  # the ministry or agency
    Column("account_id", Integer, ForeignKey("account.id")),  # the focal point who filed it
    Column("organisation_id", Integer, ForeignKey("organisation.id")),
    Column("kind", String(32), nullable=False),  # requests.model.KINDS
    Column("urgency", String(16), nullable=False),  # requests.model.URGENCIES
    Column("languages", Text, nullable=False),  # "ru,en", preferred first
    Column("targets", Text, nullable=False),  # "6.4,6.5": SDG targets of the framework
    Column("wanted_by", Date),  # when the help is needed by
    Column("state", String(16), nullable=False, index=True),  # requests.model.STATES
    Column("state_since", DateTime(timezone=True), nullable=False),
    Column("share_with_partners", Integer, nullable=False, default=0),  # 1: partners read it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("submitted_at", DateTime(timezone=True)),
)

# Every change of state: who, when, from what to what, why.
ta_transition = Table(
    "ta_transition",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("ta_request.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16), nullable=False),
    Column("reason", Text),
)

ta_comment = Table(
    "ta_comment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("ta_request.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("text", Text, nullable=False),
)

expert = Table(
    "expert",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id")),  # when the expert signs in
    Column("organisation_id", Integer, ForeignKey("organisation.id")),
    Column("languages", Text, nullable=False),  # "ru,en,ky"
    Column("targets", Text, nullable=False),  # "6.4,6.5"
    Column("sectors", Text, nullable=False),  # DAC codes "14010,31140"
    Column("countries", Text, nullable=False),  # ISO alpha-3 worked in "KGZ,TJK"
    Column("available_from", Date),
    Column("available_to", Date),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A candidate for a request (an expert or a partner organisation), its score and reasons as
# matched, and what became of it: proposed -> picked (by the Centre) -> accepted / declined.
ta_candidate = Table(
    "ta_candidate",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("ta_request.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # expert | organisation
    Column("candidate_key", String(255), nullable=False),  # expert id, or org ref / org:<id>
    Column("name", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of sentences
    Column("state", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("request_id", "kind", "candidate_key", name="uq_ta_candidate"),
)

ta_feedback = Table(
    "ta_feedback",
    metadata,
    Column("request_id", Integer, ForeignKey("ta_request.id", ondelete="CASCADE"),
           primary_key=True),
    Column("rating", Integer, nullable=False),  # 1-5
    Column("text", Text, nullable=False),
    Column("indicators", Text, nullable=False),  # "6.4.1,6.4.2": what the help should move
    Column("at", DateTime(timezone=True), nullable=False),
)

# A file attached to a request (its terms of reference, a draft law, a data table), read by
# the knowledge base's document reader and stored as a document there; the request's
# parties read it on the request's page whatever the document's visibility.
ta_attachment = Table(
    "ta_attachment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("ta_request.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"),
           nullable=False),
    Column("name", Text, nullable=False),  # the file's name as uploaded (no folders)
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    UniqueConstraint("request_id", "document_id"),
)
