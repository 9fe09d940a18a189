"""Projects (IATI activities, their children and results), the partner registry and the
change history of both."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from sdgbridge.db.tables.base import metadata

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

# The optional parts an import left out of real publishers' files (projects.iati.severity):
# one row per dropped element, with the rule it broke, listed per import and publisher.
iati_import_dropped = Table(
    "iati_import_dropped",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("import_id", Integer, ForeignKey("iati_import.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("iati_identifier", String(255)),
    Column("reporting_org", String(255)),
    Column("file", Text, nullable=False),
    Column("line", Integer),
    Column("field", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("message", Text, nullable=False),
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
    # Who may read it: public | partners (signed-in) | internal (the Centre); IATI imports
    # are public, a project entered by hand may be kept to partners until it is checked.
    Column("visibility", String(16), nullable=False, default="public",
           server_default="public"),
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
