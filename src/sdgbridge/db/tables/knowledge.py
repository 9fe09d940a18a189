"""The knowledge base: documents, their chunks, embeddings and SDG tags."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sdgbridge.db.tables.base import metadata

# ---- Knowledge base: documents, their chunks, embeddings and SDG tags (sdgbridge.knowledge) ----
# The full-text index is not declared here: migration 0002 creates it per dialect (SQLite:
# the FTS5 table ``chunk_fts``; PostgreSQL: ``chunk_fts`` with a tsvector and a GIN index)
# and knowledge.store keeps it in step with ``chunk``. SEARCH_INDEX_TABLES names it (and the
# FTS5 shadow tables) so that schema comparison can leave it out (``include_search_index``).
SEARCH_INDEX_TABLES = frozenset({"chunk_fts", "chunk_fts_data", "chunk_fts_idx",
                                 "chunk_fts_docsize", "chunk_fts_config", "chunk_fts_content"})


def include_search_index(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic ``include_name`` hook: False for the full-text index tables."""
    return not (type_ == "table" and name in SEARCH_INDEX_TABLES)


document = Table(
    "document",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("organisation", Text),
    Column("year", Integer),
    Column("language", String(8)),  # ISO 639-1, detected unless given
    Column("licence", Text),
    Column("kind", String(16), nullable=False),  # practice|report|plan|evaluation|project
    Column("source", Text),  # file path, URL, "iati:<identifier>" or NULL (typed in)
    Column("sha256", String(64), nullable=False, index=True),  # of the normalised text
    Column("format", String(16), nullable=False),  # pdf|docx|html|markdown|text
    Column("chars", Integer, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("tagged_at", DateTime(timezone=True)),  # last model tagging
    Column("visibility", String(16), nullable=False, default="public",
           server_default="public"),  # public | partners | internal
    Column("organisation_id", Integer, ForeignKey("organisation.id")),  # whose it is
    sqlite_autoincrement=True,  # ids are never reused (links to a removed document stay dead)
)

document_country = Table(
    "document_country",
    metadata,
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"),
           primary_key=True),
    Column("area_code", String(32), primary_key=True, index=True),  # area.code (M49)
)

chunk = Table(
    "chunk",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("ordinal", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),  # character offsets into the document's text
    Column("end", Integer, nullable=False),
    Column("page", Integer, nullable=False),
    Column("language", String(8)),
    UniqueConstraint("document_id", "ordinal"),
    sqlite_autoincrement=True,  # never reused: the embedding cache keys on the newest id
)

chunk_embedding = Table(
    "chunk_embedding",
    metadata,
    Column("chunk_id", Integer, ForeignKey("chunk.id", ondelete="CASCADE"), primary_key=True),
    Column("embedder", String(32), primary_key=True),  # Embedder.name
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32, little-endian, L2-normalised
    Index("ix_chunk_embedding_embedder", "embedder", "chunk_id"),
)

document_tag = Table(
    "document_tag",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("chunk_id", Integer, ForeignKey("chunk.id", ondelete="CASCADE")),  # NULL: document
    Column("goal", Integer, nullable=False),
    Column("target", String(8)),  # NULL for a goal-level tag
    Column("score", Float, nullable=False),
    Column("source", String(8), nullable=False),  # model (re-tagging replaces these) | user
    Column("passages", Text),  # JSON list of the passages that carry the tag, best first
)

# A user's correction of a document's tags: wins over the model and survives re-tagging.
tag_correction = Table(
    "tag_correction",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("goal", Integer, nullable=False),
    Column("target", String(8)),  # NULL: the whole goal
    Column("action", String(8), nullable=False),  # set | remove
    Column("created_at", DateTime(timezone=True), nullable=False),
)

