"""The store's tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them.

Reference data: ``goal``, ``target``, ``indicator``, ``framework_title`` (all languages),
``area``, ``area_group``, ``group_member``.
Data: ``release`` and ``release_file`` (provenance of each ingest), ``series`` (one row per
series code and publisher: a national series never merges with the global one),
``series_indicator``, ``dimension_set`` (a canonical ``name=code;…`` key) and
``observation``. An observation belongs to the release that brought it; a newer release
sets ``superseded_by`` on it instead of deleting it, so every past state stays queryable.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

goal = Table(
    "goal",
    metadata,
    Column("code", String(4), primary_key=True),
    Column("title_en", Text, nullable=False),
    Column("title_ru", Text),
    Column("short_en", Text),
    Column("short_ru", Text),
)

target = Table(
    "target",
    metadata,
    Column("code", String(8), primary_key=True),
    Column("goal", String(4), ForeignKey("goal.code"), nullable=False),
    Column("title_en", Text, nullable=False),
    Column("title_ru", Text),
)

indicator = Table(
    "indicator",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("goal", String(4), nullable=False),
    Column("target", String(8), nullable=False),
    Column("title_en", Text, nullable=False),
    Column("title_ru", Text),
    # Some indicators are listed under two or three targets (1.5.1 = 11.5.1 = 13.1.1): the
    # repeats point at the first code; the unique indicators are those with same_as NULL.
    Column("same_as", String(16)),
    # False for codes met in data but absent from the loaded framework (e.g. deleted ones).
    Column("in_framework", Boolean, nullable=False, default=True),
)

framework_title = Table(
    "framework_title",
    metadata,
    Column("kind", String(10), primary_key=True),  # goal | target | indicator
    Column("code", String(16), primary_key=True),
    Column("lang", String(8), primary_key=True),
    Column("title", Text, nullable=False),
    Column("short", Text),
)

area = Table(
    "area",
    metadata,
    Column("code", String(32), primary_key=True),  # M49 without leading zeros, or a national code
    Column("iso3", String(3), unique=True),
    Column("iso2", String(2), unique=True),  # ISO 3166 alpha-2, as IATI writes countries
    Column("name_en", Text, nullable=False),
    Column("name_ru", Text),
    Column("kind", String(16), nullable=False),  # country | region | aggregate | subnational
    Column("parent", String(32)),
    Column("source", Text),
)

area_group = Table(
    "area_group",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name_en", Text, nullable=False),
    Column("name_ru", Text),
    Column("kind", String(16), nullable=False),  # m49 | sdg | special | centre | user
    Column("m49", String(8)),  # the UNSD aggregate area with the same membership, if any
    Column("source", Text),
)

group_member = Table(
    "group_member",
    metadata,
    Column("group_code", String(32), ForeignKey("area_group.code", ondelete="CASCADE"),
           primary_key=True),
    Column("area_code", String(32), ForeignKey("area.code"), primary_key=True),
)

release = Table(
    "release",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),  # what the user called the source
    Column("reader", String(32), nullable=False),
    Column("location", Text, nullable=False),  # path or URL that was read
    Column("fingerprint", String(64), nullable=False, index=True),  # sha256 over file checksums
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("rows_loaded", Integer, nullable=False, default=0),
    Column("rows_rejected", Integer, nullable=False, default=0),
    Column("rows_unchanged", Integer, nullable=False, default=0),
    Column("rows_superseded", Integer, nullable=False, default=0),
    Column("rows_removed", Integer, nullable=False, default=0),
    Column("rows_repeated", Integer, nullable=False, default=0),
    Column("partial", Boolean, nullable=False, default=False),
    Column("note", Text),
)

release_file = Table(
    "release_file",
    metadata,
    Column("release_id", Integer, ForeignKey("release.id"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
)

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False),
    Column("publisher", String(32), nullable=False),  # UNSD for global; KAZSTAT, KG_NSC … national
    Column("description", Text),
    Column("description_ru", Text),
    Column("national", Boolean, nullable=False, default=False),
    UniqueConstraint("code", "publisher"),
)

series_indicator = Table(
    "series_indicator",
    metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("indicator", String(16), primary_key=True),
)

dimension_set = Table(
    "dimension_set",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False, unique=True),  # "age=15-24;sex=FEMALE", "" = none
)

observation = Table(
    "observation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("release_id", Integer, ForeignKey("release.id"), nullable=False),
    Column("superseded_by", Integer, ForeignKey("release.id")),
    Column("series_id", Integer, ForeignKey("series.id"), nullable=False),
    Column("area_code", String(32), nullable=False),
    Column("period", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("dims_id", Integer, ForeignKey("dimension_set.id"), nullable=False),
    Column("units", String(64), nullable=False, default=""),
    Column("value", Float),
    Column("value_text", Text),  # the source text where it is not a plain number (<0.5, NaN)
    Column("unit_mult", String(8)),
    Column("nature", String(16)),
    Column("obs_status", String(16)),
    Column("time_detail", Text),
    Column("lower_bound", Float),
    Column("upper_bound", Float),
    Column("source", Text),
    Column("footnote", Text),
    Column("attrs", Text),  # other attributes, as JSON
    # The observation key: serves lookups by series and area (a prefix) and the merge of a
    # new release (every incoming row finds its stored versions by one seek).
    Index("ix_observation_key", "series_id", "area_code", "period", "dims_id", "units"),
)

# Progress assessment: one row per run (method, parameters, inputs), its results per
# series × area. Re-running on the same inputs gives the same results and fingerprint.
assessment_run = Table(
    "assessment_run",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("method", String(16), nullable=False),
    Column("params_version", String(32), nullable=False),
    Column("params", Text, nullable=False),  # JSON of the parameters used
    Column("targets_sha256", String(64), nullable=False),
    Column("areas", Text, nullable=False),  # JSON list of area codes
    Column("releases", Text, nullable=False),  # JSON list of the releases the data came from
    Column("as_of", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("results_sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("published_at", DateTime(timezone=True)),  # set by `assess --publish`
)

assessment_result = Table(
    "assessment_result",
    metadata,
    Column("run_id", Integer, ForeignKey("assessment_run.id", ondelete="CASCADE"),
           primary_key=True),
    Column("series", String(64), primary_key=True),
    Column("area", String(32), primary_key=True),
    Column("status", Text, nullable=False),
    Column("scale", String(24), nullable=False),
    Column("base_year", Integer),
    Column("base_value", Float),
    Column("latest_year", Integer),
    Column("latest_value", Float),
    Column("n_points", Integer),
    Column("target", Float),
    Column("direction", String(8)),
    Column("projected_2030", Float),
    Column("details", Text),  # the method's other columns, as JSON
)


# ---- Projects: IATI activities and what hangs off them (columns: projects.model.FRAMES) ----

def _child(name: str, *columns: Column, key: tuple[str, ...] = ("seq",)) -> Table:
    """A table of records belonging to an activity, removed with it."""
    return Table(
        name, metadata,
        Column("iati_identifier", String(255),
               ForeignKey("iati_activity.iati_identifier", ondelete="CASCADE"),
               primary_key=True),
        *[Column(k, Integer if k == "seq" else String(64), primary_key=True) for k in key],
        *columns,
    )


iati_import = Table(
    "iati_import",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("files", Text, nullable=False),  # JSON: path, sha256
    Column("activities_read", Integer, nullable=False),
    Column("activities_new", Integer, nullable=False),
    Column("activities_changed", Integer, nullable=False),
    Column("activities_unchanged", Integer, nullable=False),
    Column("activities_rejected", Integer, nullable=False),
    Column("transactions", Integer, nullable=False),
    Column("partial", Boolean, nullable=False, default=False),
)

iati_activity = Table(
    "iati_activity",
    metadata,
    Column("iati_identifier", String(255), primary_key=True),
    *[Column(c, Text) for c in (
        "reporting_org_ref", "reporting_org_name", "reporting_org_type", "title_en",
        "title_ru", "title_other", "description_en", "description_ru", "status",
        "default_currency", "default_lang", "planned_start", "actual_start", "planned_end",
        "actual_end", "hierarchy", "last_updated", "iati_version", "source_file")],
    Column("line", Integer),
    Column("import_id", Integer, ForeignKey("iati_import.id")),
    Column("content_sha256", String(64), nullable=False),  # over the activity and its children
    Column("archived", Boolean, nullable=False, default=False),
)

iati_participant = _child("iati_participant", Column("role", String(8)), Column("ref", Text),
                          Column("type", String(8)), Column("name", Text))
iati_country = _child("iati_country", Column("percentage", Float), key=("code",))
iati_region = _child("iati_region", Column("percentage", Float), key=("vocabulary", "code"))
iati_sector = _child("iati_sector", Column("percentage", Float), key=("vocabulary", "code"))
iati_tag = _child("iati_tag", key=("vocabulary", "code"))
iati_transaction = _child(
    "iati_transaction", Column("type", String(8)), Column("date", String(32)),
    Column("value", Float), Column("currency", String(8)), Column("value_date", String(32)),
    *[Column(c, Text) for c in ("provider_ref", "provider_name", "receiver_ref",
                                "receiver_name", "description")],
    Column("country", String(8)), Column("region", String(16)), Column("sector_dac", String(16)),
    Column("sector_other", String(64)), Column("sector_other_vocabulary", String(16)),
    Column("flow_type", String(8)), Column("finance_type", String(8)),
    Column("aid_type", String(16)))
iati_budget = _child(
    "iati_budget", Column("type", String(8)), Column("status", String(8)),
    Column("period_start", String(32)), Column("period_end", String(32)),
    Column("value", Float), Column("currency", String(8)), Column("value_date", String(32)))
iati_document = _child("iati_document", Column("url", Text), Column("format", Text),
                       Column("title", Text), Column("category", String(8)))

# Partners: organisations of every kind, with their IATI identifier where they have one.
organisation = Table(
    "organisation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(255), unique=True),  # IATI organisation identifier (US-GOV-1)
    Column("name_en", Text, nullable=False),
    Column("name_ru", Text),
    Column("type", String(8), nullable=False),  # IATI OrganisationType code (10, 40, 21 …)
    Column("un_entity", String(32)),  # the UN system entity code (UNDP, UNICEF …), if one
    Column("countries", Text),  # JSON list of ISO alpha-2 codes it works in
    Column("contacts", Text),  # JSON list of {name, email, phone, role}
    Column("archived", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Change history of records (projects, organisations): one row per change of one record.
record_change = Table(
    "record_change",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_type", String(32), nullable=False),
    Column("record_key", String(255), nullable=False, index=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("origin", Text, nullable=False),  # "iati import 3", "cli", …
    Column("change", String(16), nullable=False),  # created | updated | archived
    Column("details", Text),  # JSON: field -> [old, new]
)

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

# ---- Projects: IATI results (result / indicator / reference / period), children of the
# activity like the tables above; keys follow the nesting (result seq, indicator seq, seq).
# Columns: projects.model.FRAMES["results" | "indicators" | "indicator_refs" | "periods"].

def _result_child(name: str, keys: tuple[str, ...], *columns: Column) -> Table:
    """A table of result records of an activity (seq numbers of the nesting), removed with it."""
    return Table(
        name, metadata,
        Column("iati_identifier", String(255),
               ForeignKey("iati_activity.iati_identifier", ondelete="CASCADE"),
               primary_key=True),
        *[Column(k, Integer, primary_key=True, autoincrement=False) for k in keys],
        *columns,
    )


iati_result = _result_child(
    "iati_result", ("seq",), Column("type", String(8)), Column("aggregation_status", Boolean),
    Column("title", Text), Column("description", Text))
iati_result_indicator = _result_child(
    "iati_result_indicator", ("result_seq", "seq"), Column("measure", String(8)),
    Column("ascending", Boolean), Column("aggregation_status", Boolean), Column("title", Text),
    Column("description", Text), Column("baseline_year", Integer),
    Column("baseline_iso_date", String(32)), Column("baseline_value", Text))
# An indicator's references to indicator lists (IATI IndicatorVocabulary; 9 = SDG indicators).
iati_indicator_reference = _result_child(
    "iati_indicator_reference", ("result_seq", "indicator_seq", "seq"),
    Column("vocabulary", String(16)), Column("code", Text), Column("indicator_uri", Text))
iati_result_period = _result_child(
    "iati_result_period", ("result_seq", "indicator_seq", "seq"),
    Column("period_start", String(32)), Column("period_end", String(32)),
    Column("target_value", Text), Column("actual_value", Text))
