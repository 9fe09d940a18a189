"""Roadmaps and their commitments (issue 17): a roadmap's priority areas, each commitment's
responsible organisations, milestones and key performance indicators bound to series of the
store."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sdgbridge.db.tables.base import metadata

roadmap = Table(
    "roadmap",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(100), nullable=False, unique=True),  # "ca-eu-joint-roadmap"
    Column("title_en", Text, nullable=False),
    Column("title_ru", Text),
    Column("kind", String(32), nullable=False),  # roadmaps.model.KINDS
    Column("description", Text),
    Column("description_ru", Text),
    Column("example", Boolean, nullable=False, default=False),  # shipped as an example
    Column("source", Text, nullable=False),  # the file it was read from (its name)
    Column("created_at", DateTime(timezone=True), nullable=False),
)

roadmap_area = Table(
    "roadmap_area",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("roadmap_id", Integer, ForeignKey("roadmap.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("key", String(100), nullable=False),
    Column("title_en", Text, nullable=False),
    Column("title_ru", Text),
    Column("position", Integer, nullable=False),
    UniqueConstraint("roadmap_id", "key"),
)

commitment = Table(
    "commitment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("roadmap_id", Integer, ForeignKey("roadmap.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("area_id", Integer, ForeignKey("roadmap_area.id", ondelete="CASCADE"),
           nullable=False),
    Column("key", String(100), nullable=False),
    Column("title_en", Text, nullable=False),
    Column("title_ru", Text),
    Column("description", Text),
    Column("deadline", Date),
    Column("countries", Text, nullable=False),  # ISO alpha-3, "KAZ,KGZ"
    Column("targets", Text, nullable=False),  # SDG targets, "7.2,7.3"
    Column("projects", Text, nullable=False),  # IATI identifiers, one per line
    Column("position", Integer, nullable=False),
    UniqueConstraint("roadmap_id", "key"),
)

commitment_party = Table(
    "commitment_party",
    metadata,
    Column("commitment_id", Integer, ForeignKey("commitment.id", ondelete="CASCADE"),
           primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisation.id"), primary_key=True),
)

milestone = Table(
    "milestone",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commitment_id", Integer, ForeignKey("commitment.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("title_en", Text, nullable=False),
    Column("title_ru", Text),
    Column("due", Date),
    Column("position", Integer, nullable=False),
)

# A key performance indicator: a series of the store, for some countries, judged by the
# progress methods against its own target (a number, or rel:FACTOR of the baseline).
kpi = Table(
    "kpi",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commitment_id", Integer, ForeignKey("commitment.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("key", String(100), nullable=False),
    Column("series", String(64), nullable=False),
    Column("publisher", String(64), nullable=False),
    Column("direction", String(8), nullable=False),  # higher | lower
    Column("target", String(32)),  # "rel:1.25", "60", or NULL: the method's own table
    Column("baseline_year", Integer, nullable=False),
    Column("target_year", Integer, nullable=False),
    Column("countries", Text, nullable=False),  # ISO alpha-3; empty: the commitment's
    Column("note_en", Text),
    Column("note_ru", Text),
    Column("position", Integer, nullable=False),
    UniqueConstraint("commitment_id", "key"),
)

# A series of the roadmap's own (defined in its file), with the units its values are in;
# the values load from a CSV as any ingest does (roadmaps.values).
roadmap_series = Table(
    "roadmap_series",
    metadata,
    Column("roadmap_id", Integer, ForeignKey("roadmap.id", ondelete="CASCADE"),
           primary_key=True),
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("units", String(64), nullable=False),
    Column("position", Integer, nullable=False),
)

# A review of a roadmap in a cycle (e.g. "2026"), by whom, by which progress method.
roadmap_review = Table(
    "roadmap_review",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("roadmap_id", Integer, ForeignKey("roadmap.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("cycle", String(32), nullable=False),
    Column("method", String(16), nullable=False),
    Column("reviewed_at", DateTime(timezone=True), nullable=False),
    Column("reviewer", Text, nullable=False),
    Column("source", Text, nullable=False),  # the file's name, "web" or "api"
)

# A commitment's status in a review, its evidence and the KPI values frozen with it.
review_item = Table(
    "review_item",
    metadata,
    Column("review_id", Integer, ForeignKey("roadmap_review.id", ondelete="CASCADE"),
           primary_key=True),
    Column("commitment_id", Integer, ForeignKey("commitment.id", ondelete="CASCADE"),
           primary_key=True),
    Column("status", String(16), nullable=False),  # roadmaps.reviews.STATUSES
    Column("comment", Text),
    Column("evidence", Text, nullable=False),  # JSON: documents (ids), links
    Column("kpis", Text, nullable=False),  # JSON: each KPI × country as at the review
)
