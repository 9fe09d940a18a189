"""Reference data (the SDG framework, areas, groups), the SDG data (releases, series,
observations) and the progress assessments' runs and results."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sdgbridge.db.tables.base import metadata

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


